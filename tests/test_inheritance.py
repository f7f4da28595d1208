"""Field-level inheritance, route -> blueprints -> app -> config -> default.

The contract: docs/behaviour.md, section 1 (Public API).
"""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint, Quart, Response

from conftest import ORIGIN, OTHER_ORIGIN, cors_headers, preflight_headers, vary
from quart_cors import cors, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"

Arguments = dict[str, Any] | None


def layered_app(
    config: dict[str, Any],
    app_arguments: Arguments,
    parent_arguments: Arguments,
    child_arguments: Arguments,
    route_arguments: Arguments,
) -> Quart:
    """The endpoint /p/c/x lives in blueprint c, nested in blueprint p, in the app.

    ``None`` means no cors()/route_cors() call at that level.
    """
    app = Quart(__name__)
    app.config.update(config)
    parent = Blueprint("p", __name__)
    child = Blueprint("c", __name__)
    if app_arguments is not None:
        cors(app, **app_arguments)
    if parent_arguments is not None:
        cors(parent, **parent_arguments)
    if child_arguments is not None:
        cors(child, **child_arguments)

    async def view() -> Response:
        return Response("x", headers={"X-Total": "1"})

    endpoint = view if route_arguments is None else route_cors(**route_arguments)(view)
    child.add_url_rule("/x", "x", endpoint, methods=["GET", "PUT", "PATCH"])
    parent.register_blueprint(child, url_prefix="/c")
    app.register_blueprint(parent, url_prefix="/p")
    return app


# (config, app, parent blueprint, child blueprint, route, Origin, actual headers, preflight headers)
# The preflight asks for PUT with "x-a, authorization".
CASES: list[
    tuple[
        str,
        dict[str, Any],
        Arguments,
        Arguments,
        Arguments,
        Arguments,
        str,
        dict[str, str],
        dict[str, str],
    ]
] = [
    (
        "defaults",
        {},
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: "*"},
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "config origin",
        {"QUART_CORS_ALLOW_ORIGIN": [ORIGIN]},
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "config origin as one string",
        {"QUART_CORS_ALLOW_ORIGIN": ORIGIN},
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "config origin as one string refuses others",
        {"QUART_CORS_ALLOW_ORIGIN": ORIGIN},
        {},
        None,
        None,
        None,
        OTHER_ORIGIN,
        {},
        {},
    ),
    (
        "config methods, headers, expose as strings",
        {
            "QUART_CORS_ALLOW_ORIGIN": ORIGIN,
            "QUART_CORS_ALLOW_METHODS": "PUT",
            "QUART_CORS_ALLOW_HEADERS": "X-A",
            "QUART_CORS_EXPOSE_HEADERS": "X-Total",
        },
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN, ACEH: "X-Total"},
        {ACAO: ORIGIN, ACAM: "PUT", ACAH: "x-a"},
    ),
    (
        "every config key",
        {
            "QUART_CORS_ALLOW_ORIGIN": [ORIGIN],
            "QUART_CORS_ALLOW_CREDENTIALS": True,
            "QUART_CORS_ALLOW_METHODS": ["PUT", "PATCH"],
            "QUART_CORS_ALLOW_HEADERS": ["X-A", "Authorization"],
            "QUART_CORS_EXPOSE_HEADERS": ["X-Total"],
            "QUART_CORS_MAX_AGE": 120,
            "QUART_CORS_SEND_ORIGIN_WILDCARD": False,
            "QUART_CORS_ALLOW_PRIVATE_NETWORK": True,
        },
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN, ACAC: "true", ACEH: "X-Total"},
        {
            ACAO: ORIGIN,
            ACAC: "true",
            ACAM: "PUT, PATCH",
            ACAH: "x-a, authorization",
            ACMA: "120",
        },
    ),
    (
        "config send_origin_wildcard False",
        {"QUART_CORS_SEND_ORIGIN_WILDCARD": False},
        {},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "app argument beats config",
        {"QUART_CORS_ALLOW_ORIGIN": [OTHER_ORIGIN], "QUART_CORS_MAX_AGE": 5},
        {"allow_origin": ORIGIN},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization", ACMA: "5"},
    ),
    (
        "explicit False credentials beats config True",
        {"QUART_CORS_ALLOW_ORIGIN": [ORIGIN], "QUART_CORS_ALLOW_CREDENTIALS": True},
        {"allow_credentials": False},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "explicit False wildcard beats config True",
        {"QUART_CORS_SEND_ORIGIN_WILDCARD": True},
        {"send_origin_wildcard": False},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "route True wildcard beats config False",
        {"QUART_CORS_SEND_ORIGIN_WILDCARD": False},
        None,
        None,
        None,
        {"send_origin_wildcard": True},
        ORIGIN,
        {ACAO: "*"},
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "explicit empty origins beat config",
        {"QUART_CORS_ALLOW_ORIGIN": [ORIGIN]},
        {"allow_origin": []},
        None,
        None,
        None,
        ORIGIN,
        {},
        {},
    ),
    (
        "explicit empty expose beats config",
        {"QUART_CORS_EXPOSE_HEADERS": ["X-Total"], "QUART_CORS_ALLOW_ORIGIN": [ORIGIN]},
        {"expose_headers": []},
        None,
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "route fields over app fields, the rest inherited",
        {},
        {"allow_origin": ORIGIN, "max_age": 60, "allow_credentials": True},
        None,
        None,
        {"allow_headers": ["X-A"]},
        ORIGIN,
        {ACAO: ORIGIN, ACAC: "true"},
        {ACAO: ORIGIN, ACAC: "true", ACAM: DEFAULT_METHODS, ACAH: "x-a", ACMA: "60"},
    ),
    (
        "route explicit False credentials over app True",
        {},
        {"allow_origin": ORIGIN, "allow_credentials": True},
        None,
        None,
        {"allow_credentials": False},
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "route explicit empty origins over app",
        {},
        {"allow_origin": ORIGIN},
        None,
        None,
        {"allow_origin": []},
        ORIGIN,
        {},
        {},
    ),
    (
        "route explicit empty headers over app",
        {},
        {"allow_origin": ORIGIN},
        None,
        None,
        {"allow_headers": []},
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS},
    ),
    (
        "blueprint credentials, app origin",
        {},
        {"allow_origin": ORIGIN},
        None,
        {"allow_credentials": True},
        None,
        ORIGIN,
        {ACAO: ORIGIN, ACAC: "true"},
        {ACAO: ORIGIN, ACAC: "true", ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "nested blueprints, each level one field",
        {"QUART_CORS_EXPOSE_HEADERS": ["X-Total"]},
        {"allow_origin": ORIGIN},
        {"max_age": 10},
        {"allow_methods": ["PUT"]},
        None,
        ORIGIN,
        {ACAO: ORIGIN, ACEH: "X-Total"},
        {ACAO: ORIGIN, ACAM: "PUT", ACAH: "x-a, authorization", ACMA: "10"},
    ),
    (
        "child blueprint beats parent",
        {},
        None,
        {"max_age": 10, "allow_origin": OTHER_ORIGIN},
        {"max_age": 20, "allow_origin": ORIGIN},
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization", ACMA: "20"},
    ),
    (
        "parent blueprint alone covers the child",
        {},
        None,
        {"allow_origin": ORIGIN},
        None,
        None,
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
    ),
    (
        "route beats both blueprints and app",
        {"QUART_CORS_MAX_AGE": 1},
        {"max_age": 2},
        {"max_age": 3},
        {"max_age": 4},
        {"max_age": 5, "allow_origin": ORIGIN},
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization", ACMA: "5"},
    ),
    (
        "route_cors alone reads app.config",
        {"QUART_CORS_ALLOW_ORIGIN": [ORIGIN], "QUART_CORS_MAX_AGE": 30},
        None,
        None,
        None,
        {},
        ORIGIN,
        {ACAO: ORIGIN},
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization", ACMA: "30"},
    ),
    (
        "route with blueprint and config",
        {"QUART_CORS_ALLOW_CREDENTIALS": True},
        None,
        None,
        {"allow_origin": ORIGIN},
        {"allow_methods": ["PUT", "PATCH"]},
        ORIGIN,
        {ACAO: ORIGIN, ACAC: "true"},
        {ACAO: ORIGIN, ACAC: "true", ACAM: "PUT, PATCH", ACAH: "x-a, authorization"},
    ),
]


@pytest.mark.parametrize(
    ("config", "app_arguments", "parent", "child", "route", "origin", "actual", "answer"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_inheritance(
    *,
    config: dict[str, Any],
    app_arguments: Arguments,
    parent: Arguments,
    child: Arguments,
    route: Arguments,
    origin: str,
    actual: dict[str, str],
    answer: dict[str, str],
) -> None:
    app = layered_app(config, app_arguments, parent, child, route)
    client = app.test_client()
    response = await client.put("/p/c/x", headers={"Origin": origin})
    assert response.status_code == 200
    assert cors_headers(response) == actual
    answered = await client.options(
        "/p/c/x", headers=preflight_headers(origin, "PUT", "x-a, authorization")
    )
    assert answered.status_code == 200
    assert cors_headers(answered) == answer


async def test_blueprint_cors_does_not_reach_app_endpoints() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, allow_origin=ORIGIN)

    @blueprint.route("/in")
    async def inside() -> str:
        return "in"

    @app.route("/out")
    async def outside() -> str:
        return "out"

    app.register_blueprint(blueprint, url_prefix="/bp")
    client = app.test_client()
    inside_response = await client.get("/bp/in", headers={"Origin": ORIGIN})
    outside_response = await client.get("/out", headers={"Origin": ORIGIN})
    assert cors_headers(inside_response) == {ACAO: ORIGIN}
    assert cors_headers(outside_response) == {}
    assert vary(outside_response) == []


async def test_route_cors_does_not_reach_other_routes() -> None:
    app = Quart(__name__)

    @app.route("/a")
    @route_cors(allow_origin=ORIGIN)
    async def a() -> str:
        return "a"

    @app.route("/b")
    async def b() -> str:
        return "b"

    client = app.test_client()
    assert cors_headers(await client.get("/a", headers={"Origin": ORIGIN})) == {ACAO: ORIGIN}
    plain = await client.get("/b", headers={"Origin": ORIGIN})
    assert cors_headers(plain) == {}
    assert vary(plain) == []


async def test_two_blueprints_keep_their_own_policies() -> None:
    app = Quart(__name__)
    first = Blueprint("first", __name__)
    second = Blueprint("second", __name__)
    cors(first, allow_origin=ORIGIN)
    cors(second, allow_origin=OTHER_ORIGIN, allow_credentials=True)

    @first.route("/x")
    async def first_view() -> str:
        return "1"

    @second.route("/x")
    async def second_view() -> str:
        return "2"

    app.register_blueprint(first, url_prefix="/1")
    app.register_blueprint(second, url_prefix="/2")
    client = app.test_client()
    one = await client.get("/1/x", headers={"Origin": ORIGIN})
    two = await client.get("/2/x", headers={"Origin": ORIGIN})
    two_other = await client.get("/2/x", headers={"Origin": OTHER_ORIGIN})
    assert cors_headers(one) == {ACAO: ORIGIN}
    assert cors_headers(two) == {}
    assert cors_headers(two_other) == {ACAO: OTHER_ORIGIN, ACAC: "true"}


def test_cors_returns_the_same_object() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    assert cors(app) is app
    assert cors(blueprint, allow_origin=ORIGIN) is blueprint


PNA_VARY = [
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
]
PLAIN_VARY = PNA_VARY[:3]


# (config, app cors() arguments, route_cors arguments or None, expected ACAPN, expected Vary)
PRIVATE_NETWORK: list[tuple[dict[str, Any], dict[str, Any], Arguments, str | None, list[str]]] = [
    ({"QUART_CORS_ALLOW_PRIVATE_NETWORK": True}, {}, None, "true", PNA_VARY),
    ({"QUART_CORS_ALLOW_PRIVATE_NETWORK": False}, {}, None, None, PLAIN_VARY),
    ({}, {}, None, None, PLAIN_VARY),  # the default is off
    (
        {"QUART_CORS_ALLOW_PRIVATE_NETWORK": True},
        {"allow_private_network": False},
        None,
        None,
        PLAIN_VARY,
    ),
    ({}, {"allow_private_network": True}, {"allow_private_network": False}, None, PLAIN_VARY),
    ({"QUART_CORS_ALLOW_PRIVATE_NETWORK": True}, {}, {}, "true", PNA_VARY),
]


@pytest.mark.parametrize(
    ("config", "app_arguments", "route", "acapn", "expected_vary"), PRIVATE_NETWORK
)
async def test_private_network_from_config_and_arguments(
    config: dict[str, Any],
    app_arguments: dict[str, Any],
    route: Arguments,
    acapn: str | None,
    expected_vary: list[str],
) -> None:
    app = layered_app(config, app_arguments, None, None, route)
    answered = await app.test_client().options(
        "/p/c/x", headers=preflight_headers(ORIGIN, "GET", None, "true")
    )
    assert answered.status_code == 200
    assert cors_headers(answered).get(ACAPN) == acapn
    assert vary(answered) == expected_vary


async def test_explicit_none_means_not_set_here() -> None:
    """docs/behaviour.md section 1: None inherits; it is never a value of its own."""
    every_field_none = {
        "allow_origin": None,
        "allow_credentials": None,
        "allow_methods": None,
        "allow_headers": None,
        "expose_headers": None,
        "max_age": None,
        "send_origin_wildcard": None,
        "allow_private_network": None,
    }
    app = layered_app(
        {"QUART_CORS_MAX_AGE": 30},
        {"allow_origin": ORIGIN, "allow_credentials": True, "expose_headers": ["X-Total"]},
        every_field_none,
        every_field_none,
        every_field_none,
    )
    client = app.test_client()
    actual = await client.get("/p/c/x", headers={"Origin": ORIGIN})
    assert cors_headers(actual) == {ACAO: ORIGIN, ACAC: "true", ACEH: "X-Total"}
    answered = await client.options("/p/c/x", headers=preflight_headers(ORIGIN, "PUT", "x-a"))
    assert cors_headers(answered) == {
        ACAO: ORIGIN,
        ACAC: "true",
        ACAM: DEFAULT_METHODS,
        ACAH: "x-a",
        ACMA: "30",
    }
