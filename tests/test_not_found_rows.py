"""describe()'s 404 rows are the app's own answer for unmatched paths, and a misplaced route_cors
is reported the same way by the app, describe(), `routes` and `check`."""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart

from conftest import send
from quart_cors import cors, describe, route_cors
from quart_cors.describe import RouteDescription, format_table
from quart_cors.testing import Browser

APP_ORIGIN = "https://app.example"
PREFIXES = [None, "/", "/a", "/a/b", "/b", "/<tenant>"]


@st.composite
def blueprint_trees(draw: st.DrawFn) -> list[tuple[int | None, str | None]]:
    """Blueprints as (parent index or None, url_prefix or None), parents before children."""
    count = draw(st.integers(0, 4))
    tree: list[tuple[int | None, str | None]] = []
    for index in range(count):
        parent = draw(st.one_of(st.none(), st.integers(0, index - 1))) if index else None
        tree.append((parent, draw(st.sampled_from(PREFIXES))))
    return tree


def tree_app(tree: list[tuple[int | None, str | None]]) -> Quart:
    """Blueprint i allows origin https://bp{i}.example; the app allows APP_ORIGIN."""
    app = Quart(__name__, static_folder=None)
    cors(app, allow_origin=[APP_ORIGIN])
    blueprints = []
    for index, (_, prefix) in enumerate(tree):
        # One converter name per blueprint: nested prefixes must not repeat an argument.
        unique = None if prefix is None else prefix.replace("<tenant>", f"<tenant{index}>")
        blueprint = Blueprint(f"bp{index}", __name__, url_prefix=unique)
        cors(blueprint, allow_origin=[f"https://bp{index}.example"])

        async def hello() -> str:
            return "hello"

        blueprint.add_url_rule(f"/hello{index}", f"hello{index}", hello)
        blueprints.append(blueprint)
    # Children register on their parents first, then top-level blueprints on the app.
    for index in reversed(range(len(tree))):
        parent, _ = tree[index]
        if parent is not None:
            blueprints[parent].register_blueprint(blueprints[index])
    for index, (parent, _) in enumerate(tree):
        if parent is None:
            app.register_blueprint(blueprints[index])
    return app


def described_404(records: list[RouteDescription], path: str) -> RouteDescription | None:
    """The 404 row a reader of describe() picks for ``path``: the longest url_prefix holding it."""
    best: RouteDescription | None = None
    for record in records:
        if record.rule is not None or record.url_prefix is None:
            continue
        prefix = record.url_prefix.rstrip("/")
        under = record.endpoint is None or path == prefix or path.startswith(prefix + "/")
        if under and (best is None or len(prefix) > len((best.url_prefix or "").rstrip("/"))):
            best = record
    return best


@settings(
    max_examples=int(os.environ.get("QUART_CORS_PROPERTY_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    tree=blueprint_trees(),
    path=st.sampled_from(
        ["/missing", "/a/missing", "/a/b/missing", "/b/missing", "/acme/missing", "/a", "/"]
    ),
)
async def test_the_described_404_policy_is_the_one_the_app_sends(
    tree: list[tuple[int | None, str | None]], path: str
) -> None:
    app = tree_app(tree)
    records = describe(app)
    row = described_404(records, path)
    response = await send(app, "GET", path, {"Origin": "https://probe.example"})
    if response.status_code != 404:
        return  # a blueprint's rule or a redirect answered: not a 404
    assert row is not None
    assert row.policy is not None
    [allowed] = row.policy.allow_origin
    answered = await send(app, "GET", path, {"Origin": allowed})
    assert answered.headers.get("Access-Control-Allow-Origin") == allowed
    # No two rows claim the same prefix (the app's own row is listed only when it applies).
    prefixes = [record.url_prefix for record in records if record.rule is None]
    assert len(prefixes) == len(set(prefixes))


def test_url_prefix_slash_takes_every_404_and_the_apps_row_goes() -> None:
    app = tree_app([(None, "/")])
    rows = [record for record in describe(app) if record.rule is None]
    assert [(row.endpoint, row.url_prefix) for row in rows] == [("bp0.<unmatched>", "")]
    assert "(404 under /)" in format_table(rows)


def test_a_child_without_prefix_inside_a_parent_owns_the_parents_404s() -> None:
    app = tree_app([(None, "/p"), (0, None)])
    rows = [record for record in describe(app) if record.rule is None]
    assert [(row.endpoint, row.url_prefix) for row in rows] == [
        (None, ""),
        ("bp0.bp1.<unmatched>", "/p"),
    ]


async def test_a_converter_prefix_has_no_404_row_and_its_404s_are_the_apps() -> None:
    app = tree_app([(None, "/<tenant>")])
    rows = [record for record in describe(app) if record.rule is None]
    assert [(row.endpoint, row.url_prefix) for row in rows] == [(None, "")]
    response = await send(app, "GET", "/acme/missing", {"Origin": APP_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    literal = await send(app, "GET", "/<tenant>/missing", {"Origin": APP_ORIGIN})
    assert literal.headers["Access-Control-Allow-Origin"] == APP_ORIGIN


def test_the_json_of_a_404_row_keeps_its_url_prefix() -> None:
    app = tree_app([(None, "/a")])
    json_rows = [record.to_json() for record in describe(app) if record.rule is None]
    assert [row["url_prefix"] for row in json_rows] == ["", "/a"]


# --- route_cors above @app.route, in an app without cors() ------------------------------------


def misplaced_app() -> Quart:
    app = Quart(__name__, static_folder=None)

    @route_cors(allow_origin=[APP_ORIGIN])
    @app.route("/misplaced")
    async def misplaced() -> str:
        return "misplaced"

    @app.route("/placed")
    @route_cors(allow_origin=[APP_ORIGIN])
    async def placed() -> str:
        return "placed"

    return app


async def test_a_misplaced_route_cors_is_one_truth_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The app starts and serves the route without CORS; the other route_cors view still works,
    # and logs the problem once (E070) when it compiles the policies.
    app = misplaced_app()
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        placed = await client.get("/placed", headers={"Origin": APP_ORIGIN})
    assert placed.status_code == 200
    assert placed.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert any("E070" in record.getMessage() for record in caplog.records)
    misplaced = await client.get("/misplaced", headers={"Origin": APP_ORIGIN})
    assert misplaced.status_code == 200
    assert "Access-Control-Allow-Origin" not in misplaced.headers
    # describe() and `routes` say the same: served, without CORS, because of E070.
    records = {record.endpoint: record for record in describe(app)}
    record: Any = records["misplaced"]
    assert record.cors == "off"
    assert record.problem is not None
    assert record.problem.startswith("E070")
    assert "! E070" in format_table(list(records.values()))
    # check names the fix, not allow_origin.
    result = await Browser(app, APP_ORIGIN).fetch("/misplaced")
    assert not result.ok
    assert result.diagnosis is not None
    assert result.diagnosis.cause == "misplaced_route_cors"
    assert "put @route_cors below @app.route" in result.explanation


def test_routes_says_when_an_app_without_cors_fails_only_on_its_first_request(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # E071 in an app with route_cors only: the app starts; its route_cors views answer 500.
    (tmp_path / "mv_app.py").write_text(
        "from quart import Quart\nfrom quart.views import MethodView\n"
        "from quart_cors import route_cors\n\n"
        "class Account(MethodView):\n"
        "    @route_cors(allow_origin=['https://admin.example'])\n"
        "    async def delete(self):\n        return ''\n\n"
        "app = Quart('mv')\napp.add_url_rule('/account', view_func=Account.as_view('account'))\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    from quart_cors.cli import main

    assert main(["routes", "--app", "mv_app.py"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("quart-cors: the app starts (it has no cors()), but its first request")
    assert "E071" in err
