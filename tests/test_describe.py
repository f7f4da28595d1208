"""describe(app): every route's effective policy and the source of each setting."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart, websocket

from quart_cors import (
    CORSConfigError,
    EffectivePolicy,
    RouteDescription,
    cors,
    cors_exempt,
    describe,
    route_cors,
    websocket_cors,
)
from quart_cors.describe import TABLE_WIDTH, format_table

ORIGIN = "https://app.example"


def by_endpoint(app: Quart) -> dict[str | None, RouteDescription]:
    return {record.endpoint: record for record in describe(app)}


def tenant_origin(origin: str) -> bool:
    return origin.endswith(".tenant.example")


def layered_app() -> Quart:
    """Every kind of source: route_cors, websocket_cors, nested blueprints, app, config."""
    app = Quart(__name__, static_folder=None)
    app.config["QUART_CORS_MAX_AGE"] = timedelta(minutes=10)
    app.config["QUART_CORS_EXPOSE_HEADERS"] = "X-Total"
    cors(app, allow_origin=["HTTPS://APP.EXAMPLE:443", "http://localhost:*"], allow_headers="X-A")
    outer = Blueprint("outer", __name__)
    cors(outer, allow_credentials=True, allow_methods=["get", "patch"])
    inner = Blueprint("inner", __name__)
    cors(inner, allow_origin=[re.compile(r"https://[a-z]+\.app\.example"), tenant_origin])

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.delete("/account")
    @route_cors(allow_origin="https://admin.example", max_age=0)
    async def delete_account() -> str:
        return ""

    @app.route("/health")
    @cors_exempt
    async def health() -> str:
        return "ok"

    @app.websocket("/ws")
    @websocket_cors(allow_origin="https://*.example.com")
    async def ws() -> None:
        await websocket.accept()

    @inner.route("/leaf", methods=["GET", "PUT"])
    async def leaf() -> str:
        return "leaf"

    outer.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(outer, url_prefix="/outer")
    return app


def test_records_follow_the_url_map_then_the_404_pseudo_routes() -> None:
    app = layered_app()
    records = describe(app)
    assert [(record.rule, record.endpoint) for record in records] == [
        *((rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()),
        (None, None),
        (None, "outer.<unmatched>"),
        (None, "outer.inner.<unmatched>"),
    ]
    assert [record.url_prefix for record in records[-3:]] == ["", "/outer", "/outer/inner"]


def test_route_cors_record_in_its_stable_json_shape() -> None:
    record = by_endpoint(layered_app())["delete_account"]
    assert record.to_json() == {
        "rule": "/account",
        "endpoint": "delete_account",
        "url_prefix": None,
        "methods": ["DELETE"],
        "websocket": False,
        "cors": "on",
        "policy": {
            "allow_origin": ["https://admin.example"],
            "allow_credentials": False,
            "allow_methods": ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"],
            "allow_headers": ["x-a"],
            "expose_headers": ["X-Total"],
            "max_age": 0,
            "send_origin_wildcard": True,
            "allow_private_network": False,
        },
        "sources": {
            "allow_origin": "route_cors",
            "allow_credentials": "default",
            "allow_methods": "default",
            "allow_headers": "app",
            "expose_headers": "config:QUART_CORS_EXPOSE_HEADERS",
            "max_age": "route_cors",
            "send_origin_wildcard": "default",
            "allow_private_network": "default",
        },
        "problem": None,
    }
    assert list(record.to_json()) == [
        "rule",
        "endpoint",
        "url_prefix",
        "methods",
        "websocket",
        "cors",
        "policy",
        "sources",
        "problem",
    ]


def test_nested_blueprint_sources_use_the_dotted_name() -> None:
    record = by_endpoint(layered_app())["outer.inner.leaf"]
    assert record.sources == {
        "allow_origin": "blueprint:outer.inner",
        "allow_credentials": "blueprint:outer",
        "allow_methods": "blueprint:outer",
        "allow_headers": "app",
        "expose_headers": "config:QUART_CORS_EXPOSE_HEADERS",
        "max_age": "config:QUART_CORS_MAX_AGE",
        "send_origin_wildcard": "default",
        "allow_private_network": "default",
    }
    assert record.policy is not None
    assert record.policy.allow_origin == (
        r"re:https://[a-z]+\.app\.example",
        "callable:tenant_origin",
    )
    assert record.policy.allow_methods == ("GET", "patch")
    assert record.policy.max_age == 600
    assert record.methods == ("GET", "PUT")


def test_values_are_normalized_as_the_policy_uses_them() -> None:
    records = by_endpoint(layered_app())
    app_policy = records["index"].policy
    assert app_policy == EffectivePolicy(
        allow_origin=("https://app.example", "http://localhost:*"),
        allow_credentials=False,
        allow_methods=("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"),
        allow_headers=("x-a",),
        expose_headers=("X-Total",),
        max_age=600,
        send_origin_wildcard=True,
        allow_private_network=False,
    )
    # The 404 under a blueprint's prefix takes that blueprint's policy.
    assert records["outer.inner.<unmatched>"].policy == records["outer.inner.leaf"].policy
    assert records["outer.<unmatched>"].sources == {
        **(records["outer.inner.leaf"].sources or {}),
        "allow_origin": "app",
    }
    assert records[None].policy == app_policy


def test_websocket_cors_names_itself_for_origins_and_the_credentials_it_switches_off() -> None:
    record = by_endpoint(layered_app())["ws"]
    assert (record.websocket, record.methods, record.cors) == (True, ("GET",), "on")
    assert record.policy is not None
    assert record.policy.allow_origin == ("https://*.example.com",)
    assert record.policy.allow_credentials is False
    assert record.sources is not None
    assert record.sources["allow_origin"] == "websocket_cors"
    assert record.sources["allow_credentials"] == "websocket_cors"


def test_exempt_and_off_have_no_policy() -> None:
    app = Quart(__name__, static_folder=None)

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    @app.route("/exempt")
    @cors_exempt
    async def exempt() -> str:
        return "exempt"

    records = by_endpoint(app)
    assert (records["plain"].cors, records["plain"].policy, records["plain"].sources) == (
        "off",
        None,
        None,
    )
    assert records["exempt"].cors == "exempt"
    assert records["exempt"].policy is None
    assert records[None].to_json() == {
        "rule": None,
        "endpoint": None,
        "url_prefix": "",
        "methods": [],
        "websocket": False,
        "cors": "off",
        "policy": None,
        "sources": None,
        "problem": None,
    }


def test_automatic_methods_are_left_out_and_own_options_kept() -> None:
    app = Quart(__name__, static_folder=None)
    cors(app)

    @app.route("/auto", methods=["GET", "POST"])
    @route_cors()
    async def auto() -> str:
        return "auto"

    @app.route("/own", methods=["GET", "OPTIONS"])
    @route_cors(provide_automatic_options=False)
    async def own() -> str:
        return "own"

    @app.route("/plain", methods=["HEAD"])
    async def plain() -> str:
        return ""

    records = by_endpoint(app)
    assert records["auto"].methods == ("GET", "POST")
    assert records["own"].methods == ("GET", "OPTIONS")
    assert records["plain"].methods == ("HEAD",)


def test_a_bad_configuration_raises_with_every_problem() -> None:
    app = Quart(__name__)
    cors(app)
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = True  # with the default origin "*"
    app.config["QUART_CORS_MAX_AGE"] = -1
    with pytest.raises(CORSConfigError) as caught:
        describe(app)
    assert sorted(caught.value.codes) == ["E001", "E040"]


def test_callables_are_named_and_repeats_dropped() -> None:
    class Tenants:
        def __call__(self, origin: str) -> bool:
            return False

    app = Quart(__name__, static_folder=None)
    cors(
        app,
        allow_origin=[Tenants(), tenant_origin, tenant_origin, "https://A.test", "https://a.test"],
    )
    policy = by_endpoint(app)[None].policy
    assert policy is not None
    assert policy.allow_origin == (
        "callable:test_callables_are_named_and_repeats_dropped.<locals>.Tenants",
        "callable:tenant_origin",
        "https://a.test",
    )


# --- the description agrees with what the app answers ---------------------------------------

LEVELS = ("route", "inner", "outer", "app", "config")


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(LEVELS)))
async def test_source_and_value_match_the_answer_the_app_sends(present: set[str]) -> None:
    # Each level sets max_age to its own number, so the answer shows which level won.
    ages = {level: index + 1 for index, level in enumerate(LEVELS)}
    given_age: dict[str, Any] = {level: ages[level] if level in present else None for level in ages}
    app = Quart(__name__, static_folder=None)
    if given_age["config"] is not None:
        app.config["QUART_CORS_MAX_AGE"] = given_age["config"]
    cors(app, max_age=given_age["app"])
    outer = cors(Blueprint("outer", __name__), max_age=given_age["outer"])
    inner = cors(Blueprint("inner", __name__), max_age=given_age["inner"])

    @inner.route("/leaf", methods=["GET", "PUT"])
    @route_cors(max_age=given_age["route"])
    async def leaf() -> str:
        return "leaf"

    outer.register_blueprint(inner, url_prefix="/i")
    app.register_blueprint(outer, url_prefix="/o")
    record = by_endpoint(app)["outer.inner.leaf"]
    winner = next((level for level in LEVELS if level in present), None)
    expected_source = {
        None: "default",
        "route": "route_cors",
        "inner": "blueprint:outer.inner",
        "outer": "blueprint:outer",
        "app": "app",
        "config": "config:QUART_CORS_MAX_AGE",
    }[winner]
    assert record.sources is not None
    assert record.policy is not None
    assert record.sources["max_age"] == expected_source
    assert record.policy.max_age == (None if winner is None else ages[winner])
    answer = await app.test_client().options(
        "/o/i/leaf", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    sent = answer.headers.get("Access-Control-Max-Age")
    assert sent == (None if record.policy.max_age is None else str(record.policy.max_age))


# --- the human table ----------------------------------------------------------------------


def test_table_fits_and_shortens_long_values_the_json_keeps() -> None:
    origins = [f"https://tenant-{index}.example" for index in range(30)]
    app = Quart(__name__, static_folder=None)
    cors(app, allow_origin=[*origins, re.compile("https://a\nb")])
    app.config["QUART_CORS_ALLOW_PRIVATE_NETWORK"] = False

    @app.route("/a/very/long/rule/<int:first>/<string:second>/and/<path:the_rest_of_it>/x/y/z")
    async def a_view_with_an_unusually_long_endpoint_name_for_testing_columns() -> str:
        return ""

    records = describe(app)
    table = format_table(records)
    lines = table.splitlines()
    assert all(len(line) <= TABLE_WIDTH for line in lines), table
    assert lines[0].split() == ["RULE", "METHODS", "ENDPOINT", "CORS"]
    # one line per route plus one per setting of each "on" route
    assert len(lines) == 1 + len(records) + 8 * sum(record.cors == "on" for record in records)
    origin_line = next(line for line in lines if line.strip().startswith("allow_origin"))
    assert "..." in origin_line
    assert origin_line.rstrip().endswith("app")
    assert "config:QUART_CORS_ALLOW_PRIVATE_NETWORK" in table
    policy = records[0].policy
    assert policy is not None
    assert policy.allow_origin == (*origins, "re:https://a\nb")


def test_table_columns_line_up() -> None:
    table = format_table(describe(layered_app()))
    lines = table.splitlines()
    heading = lines[0]
    for line in lines[1:]:
        if not line.startswith(" "):  # a route line: its CORS cell starts under CORS
            assert line[heading.index("CORS") :].split()[0] in {"on", "off", "exempt"}
    settings_lines = [line for line in lines if line.startswith("    ")]
    value_starts = {len(line) - len(line.lstrip()[21:].lstrip()) for line in settings_lines}
    assert len(value_starts) == 1
