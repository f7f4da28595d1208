"""report_only: a candidate policy judged beside the enforced one (docs/behaviour.md, 5.1).

The candidate never changes a response; where its verdict differs, one INFO line, the
cors_report_only signal and a bounded counter say how.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart, Response

from conftest import ORIGIN, OTHER_ORIGIN, preflight_headers, send
from quart_cors import (
    CORSConfigError,
    QuartCORS,
    ReportOnly,
    ReportOnlyKey,
    cors,
    cors_report_only,
    describe,
    report_only_counts,
    route_cors,
)
from quart_cors import report_only as report_only_module
from quart_cors.describe import format_table

PARTNER = "https://partner.example"
REFUSE = "candidate would refuse"
ALLOW = "candidate would allow"


def make_app(report_only: Any, **settings: Any) -> Quart:
    app = Quart(__name__)
    cors(app, report_only=report_only, **settings)

    @app.route("/items/<int:item>", methods=["GET", "PUT", "DELETE"])
    async def items(item: int) -> Response:
        response = Response("ok")
        response.headers["X-Total"] = "1"
        return response

    return app


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Quart, **facts: Any) -> None:
        seen.append(facts)

    cors_report_only.connect(receiver)
    yield seen
    cors_report_only.disconnect(receiver)


def counts(app: Quart) -> dict[tuple[str, str, str, str], int]:
    return {tuple(key): count for key, count in report_only_counts(app).items()}  # type: ignore[misc]


# (enforced settings, candidate, method, headers, expected (difference, direction) or None)
CASES: list[tuple[dict[str, Any], Any, str, dict[str, str], tuple[str, str] | None]] = [
    # Same verdicts: nothing to report.
    ({"allow_origin": [ORIGIN]}, {"max_age": 60}, "GET", {"Origin": ORIGIN}, None),
    ({"allow_origin": [ORIGIN]}, {"allow_origin": [PARTNER]}, "GET", {}, None),
    (
        {"allow_origin": [ORIGIN]},
        {"allow_origin": [ORIGIN, PARTNER]},
        "GET",
        {"Origin": OTHER_ORIGIN},
        None,
    ),
    # Origins, both ways, on actual requests and preflights.
    (
        {"allow_origin": [ORIGIN]},
        {"allow_origin": []},
        "GET",
        {"Origin": ORIGIN},
        ("origin", REFUSE),
    ),
    (
        {"allow_origin": [ORIGIN]},
        {"allow_origin": [ORIGIN, PARTNER]},
        "GET",
        {"Origin": PARTNER},
        ("origin", ALLOW),
    ),
    (
        {"allow_origin": "*"},
        ReportOnly(allow_origin=["https://*.example.com"]),
        "OPTIONS",
        preflight_headers(PARTNER, "PUT"),
        ("origin", REFUSE),
    ),
    # Methods and headers, on preflights.
    (
        {"allow_origin": [ORIGIN]},
        {"allow_methods": ["GET"]},
        "OPTIONS",
        preflight_headers(ORIGIN, "PUT"),
        ("method", REFUSE),
    ),
    (
        {"allow_origin": [ORIGIN], "allow_methods": ["GET"]},
        {"allow_methods": ["GET", "DELETE"]},
        "OPTIONS",
        preflight_headers(ORIGIN, "DELETE"),
        ("method", ALLOW),
    ),
    (
        {"allow_origin": [ORIGIN]},
        {"allow_headers": ["content-type"]},
        "OPTIONS",
        preflight_headers(ORIGIN, "PUT", "content-type, x-token"),
        ("headers", REFUSE),
    ),
    (
        {"allow_origin": [ORIGIN], "allow_private_network": True},
        {"allow_private_network": False},
        "OPTIONS",
        preflight_headers(ORIGIN, "PUT", private_network="true"),
        ("private_network", REFUSE),
    ),
    # Credentials: counted on actual requests that carry them.
    (
        {"allow_origin": [ORIGIN], "allow_credentials": True},
        {"allow_credentials": False},
        "GET",
        {"Origin": ORIGIN, "Cookie": "sid=1"},
        ("credentials", REFUSE),
    ),
    (
        {"allow_origin": [ORIGIN]},
        {"allow_credentials": True},
        "GET",
        {"Origin": ORIGIN, "Authorization": "Bearer x"},
        ("credentials", ALLOW),
    ),
    (
        {"allow_origin": [ORIGIN], "allow_credentials": True},
        {"allow_credentials": False},
        "GET",
        {"Origin": ORIGIN},
        None,
    ),
    # A candidate whose origin check needs an async callable is judged on the awaited path.
    (
        {"allow_origin": [ORIGIN]},
        {"allow_origin": [lambda origin: False]},
        "GET",
        {"Origin": ORIGIN},
        ("origin", REFUSE),
    ),
]


@pytest.mark.parametrize(("enforced", "candidate", "method", "headers", "expected"), CASES)
async def test_differences_are_reported_and_the_answer_is_the_enforced_one(  # noqa: PLR0917
    enforced: dict[str, Any],
    candidate: Any,
    method: str,
    headers: dict[str, str],
    expected: tuple[str, str] | None,
    signals: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    plain = make_app(None, **enforced)
    reporting = make_app(candidate, **enforced)
    with caplog.at_level(logging.INFO, logger="quart_cors"):
        expected_response = await send(plain, method, "/items/7", headers)
        response = await send(reporting, method, "/items/7", headers)
    assert response.status_code == expected_response.status_code
    assert sorted(response.headers.items()) == sorted(expected_response.headers.items())
    assert await response.get_data() == await expected_response.get_data()
    lines = [record for record in caplog.records if record.levelno == logging.INFO]
    if expected is None:
        assert signals == []
        assert lines == []
        assert counts(reporting) == {}
        return
    difference, direction = expected
    origin = headers["Origin"]
    preflight = method == "OPTIONS"
    assert counts(reporting) == {(origin, "/items/<int:item>", difference, direction): 1}
    assert len(lines) == 1
    assert f"{direction} ({difference})" in lines[0].getMessage()
    assert [
        {key: signal[key] for key in ("origin", "path", "rule", "method", "preflight")}
        for signal in signals
    ] == [
        {
            "origin": origin,
            "path": "/items/7",
            "rule": "/items/<int:item>",
            "method": method,
            "preflight": preflight,
        }
    ]
    assert (signals[0]["direction"], signals[0]["difference"]) == (direction, difference)
    if preflight:
        assert signals[0]["requested_method"] == headers["Access-Control-Request-Method"]


async def test_without_report_only_nothing_is_evaluated() -> None:
    app = make_app(None, allow_origin=[ORIGIN])
    await send(app, "GET", "/items/1", {"Origin": ORIGIN})
    assert not app.extensions["quart_cors"].candidates.active
    assert report_only_counts(app) == {}


async def test_an_async_signal_receiver_is_awaited_and_one_that_raises_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    async def receiver(sender: Quart, **facts: Any) -> None:
        seen.append(facts["difference"])

    def broken(sender: Quart, **facts: Any) -> None:
        raise RuntimeError("metrics are down")

    cors_report_only.connect(receiver)
    cors_report_only.connect(broken)
    try:
        app = make_app({"allow_origin": []}, allow_origin=[ORIGIN])
        response = await send(app, "GET", "/items/1", {"Origin": ORIGIN})
    finally:
        cors_report_only.disconnect(receiver)
        cors_report_only.disconnect(broken)
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert seen == ["origin"]
    assert "a cors_report_only receiver raised" in caplog.text


# --- where report_only can be given ---------------------------------------------------------


async def test_a_blueprint_candidate_covers_only_its_routes() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[ORIGIN, PARTNER])
    api = Blueprint("api", __name__, url_prefix="/api")
    cors(api, report_only={"allow_origin": [ORIGIN]})

    @api.get("/orders")
    async def orders() -> str:
        return "orders"

    @app.get("/public")
    async def public() -> str:
        return "public"

    app.register_blueprint(api)
    for path in ("/api/orders", "/public", "/api/missing"):
        response = await send(app, "GET", path, {"Origin": PARTNER})
        assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert counts(app) == {
        (PARTNER, "/api/orders", "origin", REFUSE): 1,
        (PARTNER, "(404)", "origin", REFUSE): 1,
    }


async def test_route_cors_takes_a_candidate_with_and_without_cors_on_the_app() -> None:
    for with_cors in (True, False):
        app = Quart(__name__)
        if with_cors:
            cors(app, allow_origin=[])

        @app.route("/report", methods=["GET", "PUT"])
        @route_cors(allow_origin=[ORIGIN], report_only=ReportOnly(allow_methods=["GET"]))
        async def report() -> str:
            return "ok"

        response = await send(app, "OPTIONS", "/report", preflight_headers(ORIGIN, "PUT"))
        assert "PUT" in response.headers["Access-Control-Allow-Methods"]
        response = await send(app, "GET", "/report", {"Origin": ORIGIN})
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert counts(app) == {(ORIGIN, "/report", "method", REFUSE): 1}, with_cors


async def test_quart_cors_takes_a_candidate() -> None:
    extension = QuartCORS(allow_origin=[ORIGIN], report_only={"allow_origin": []})
    assert "report_only={'allow_origin': []}" in repr(extension)
    app = Quart(__name__)
    extension.init_app(app)

    @app.get("/")
    async def index() -> str:
        return "ok"

    await send(app, "GET", "/", {"Origin": ORIGIN})
    assert counts(app) == {(ORIGIN, "/", "origin", REFUSE): 1}


async def test_a_candidate_of_a_method_view_method_is_that_of_its_view() -> None:
    from quart.views import MethodView

    app = Quart(__name__)
    cors(app, allow_origin=[ORIGIN], report_only={"allow_origin": []})

    class Things(MethodView):
        async def get(self) -> str:
            return "get"

        @route_cors(allow_methods=["DELETE"])
        async def delete(self) -> str:
            return "delete"

    app.add_url_rule("/things", view_func=Things.as_view("things"))
    await send(app, "DELETE", "/things", {"Origin": ORIGIN})
    await send(app, "GET", "/things", {"Origin": ORIGIN})
    assert counts(app) == {(ORIGIN, "/things", "origin", REFUSE): 2}


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("report_only", "codes"),
    [
        ("https://a.example", ("E091",)),
        ({"allow_origins": ["https://a.example"]}, ("E091",)),
        ({}, ("E091",)),
        ({"allow_origin": "https://a.example/"}, ("E012",)),
        ({"allow_origin": "*", "allow_credentials": True}, ("E001",)),
        ({"max_age": -1, "allow_methods": ["TRACE"]}, ("E021", "E040")),
    ],
)
def test_a_bad_candidate_is_refused_at_the_call(report_only: Any, codes: tuple[str, ...]) -> None:
    with pytest.raises(CORSConfigError) as raised:
        cors(Quart(__name__), report_only=report_only)
    assert sorted(raised.value.codes) == sorted(codes)
    with pytest.raises(CORSConfigError):
        route_cors(report_only=report_only)


def test_report_only_class_validates_at_construction() -> None:
    with pytest.raises(CORSConfigError) as raised:
        ReportOnly(allow_origin="https://a.example/")
    assert raised.value.codes == ("E012",)
    with pytest.raises(CORSConfigError) as raised:
        ReportOnly()
    assert raised.value.codes == ("E091",)
    candidate = ReportOnly(allow_origin=[ORIGIN], max_age=60)
    assert dict(candidate.settings) == {"allow_origin": [ORIGIN], "max_age": 60}
    assert repr(candidate) == f"ReportOnly(allow_origin=[{ORIGIN!r}], max_age=60)"


async def test_a_candidate_refused_with_inherited_settings_fails_start_up() -> None:
    # Credentials are fine alone; with the inherited origin '*' they are E001, at start-up.
    app = make_app({"allow_credentials": True}, allow_origin="*")
    with pytest.raises(CORSConfigError) as raised:
        await app.startup()
    assert raised.value.codes == ("E001",)
    assert "report_only candidate" in str(raised.value)


# --- counters and describe() ----------------------------------------------------------------


async def test_counters_count_repeats_and_describe_shows_them() -> None:
    app = make_app({"allow_origin": [ORIGIN]}, allow_origin=[ORIGIN, PARTNER])
    for _ in range(3):
        await send(app, "GET", "/items/1", {"Origin": PARTNER})
    await send(app, "OPTIONS", "/items/1", preflight_headers(PARTNER, "PUT"))
    assert counts(app) == {(PARTNER, "/items/<int:item>", "origin", REFUSE): 4}
    records = {record.endpoint: record for record in describe(app)}
    record = records["items"]
    assert record.report_only is not None
    assert record.report_only.allow_origin == (ORIGIN,)
    key = ReportOnlyKey(PARTNER, "/items/<int:item>", "origin", REFUSE)
    assert record.report_only_counts == ((key, 4),)
    shape = record.to_json()["report_only"]
    assert shape["differences"] == [{**key._asdict(), "count": 4}]
    assert shape["policy"]["allow_origin"] == [ORIGIN]
    assert "report_only" not in records[None].to_json()  # the 404 pseudo-route
    table = format_table(describe(app))
    assert "report_only (candidate, never answers):" in table
    assert f"4 x candidate would refuse (origin): {PARTNER}" in table


async def test_a_route_without_differences_says_so() -> None:
    app = make_app({"max_age": 60}, allow_origin=[ORIGIN])
    assert "no differences seen" in format_table(describe(app))


async def test_counters_stay_bounded_under_many_origins() -> None:
    app = make_app({"allow_origin": []}, allow_origin="*", send_origin_wildcard=False)
    limit = report_only_module.COUNTS_LIMIT
    for index in range(limit + 300):
        await send(app, "GET", "/items/1", {"Origin": f"https://o{index}.example"})
    found = counts(app)
    assert len(found) == limit + 1
    other = (report_only_module.OTHER_ORIGINS, "/items/<int:item>", "origin", REFUSE)
    assert found[other] == 300
    assert sum(found.values()) == limit + 300


_origins = st.one_of(
    st.from_regex(r"\Ahttps?://[a-z0-9]{1,12}\.example(:[0-9]{1,5})?\Z", fullmatch=True),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(origins=st.lists(_origins, min_size=1, max_size=60))
def test_counters_stay_bounded_under_random_origins(origins: list[str]) -> None:
    import asyncio

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_only_module, "COUNTS_LIMIT", 10)
        app = make_app({"allow_origin": []}, allow_origin=lambda origin: True)

        async def drive() -> None:
            for origin in origins:
                await send(app, "GET", "/items/1", {"Origin": origin})

        asyncio.run(drive())
        found = report_only_counts(app)
        # At most the limit, plus one key per (rule, difference, direction) for the rest.
        assert len(found) <= 10 + 1
        for key in found:
            assert key.origin == report_only_module.OTHER_ORIGINS or key.origin in origins
            assert "\r" not in key.origin
            assert "\n" not in key.origin


async def test_a_candidate_on_one_method_view_method_covers_that_method() -> None:
    from quart.views import MethodView

    app = Quart(__name__)
    cors(app, allow_origin=[ORIGIN])

    class Things(MethodView):
        async def get(self) -> str:
            return "get"

        @route_cors(allow_methods=["DELETE"], report_only={"allow_origin": []})
        async def delete(self) -> str:
            return "delete"

    app.add_url_rule("/things", view_func=Things.as_view("things"))
    await send(app, "GET", "/things", {"Origin": ORIGIN})
    response = await send(app, "DELETE", "/things", {"Origin": ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert counts(app) == {(ORIGIN, "/things", "origin", REFUSE): 1}
