"""Answered by quart-cors, exact headers, Vary, PNA.

The contract: docs/behaviour.md, section 3.3 (Preflights).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from quart import Blueprint, Quart, Response, abort, request
from werkzeug.datastructures import Headers

from conftest import (
    LEVELS,
    ORIGIN,
    OTHER_ORIGIN,
    PREFLIGHT_VARY,
    asgi_request,
    build,
    cors_headers,
    preflight_headers,
    vary,
)
from quart_cors import cors, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"
PNA_VARY = [*PREFLIGHT_VARY, "Access-Control-Request-Private-Network"]
CREDENTIALED = {"allow_origin": ORIGIN, "allow_credentials": True}

# (cors arguments, (Origin, ACRM, ACRH, ACRPN), expected CORS headers, expected Vary)
PREFLIGHTS: list[
    tuple[dict[str, Any], tuple[str, str, str | None, str | None], dict[str, str], list[str]]
] = [
    # defaults
    ({}, (ORIGIN, "PUT", None, None), {ACAO: "*", ACAM: DEFAULT_METHODS}, PREFLIGHT_VARY),
    ({}, (ORIGIN, "DELETE", None, None), {ACAO: "*", ACAM: DEFAULT_METHODS}, PREFLIGHT_VARY),
    (
        {},
        (ORIGIN, "PUT", "X-Custom, Content-Type", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-custom, content-type"},
        PREFLIGHT_VARY,
    ),
    # with "*", Authorization is listed by name, since "*" never covers it
    (
        {},
        (ORIGIN, "GET", "authorization", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "authorization"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["*"], **CREDENTIALED},
        (ORIGIN, "GET", "authorization,x-a", None),
        {ACAO: ORIGIN, ACAC: "true", ACAM: DEFAULT_METHODS, ACAH: "authorization, x-a"},
        PREFLIGHT_VARY,
    ),
    # origin echoed when wildcard sending is off
    (
        {"send_origin_wildcard": False},
        (ORIGIN, "PUT", None, None),
        {ACAO: ORIGIN, ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    # origin refused: no CORS headers at all
    ({"allow_origin": ORIGIN}, (OTHER_ORIGIN, "PUT", "x-a", None), {}, PREFLIGHT_VARY),
    ({"allow_origin": ORIGIN}, ("null", "PUT", None, None), {}, PREFLIGHT_VARY),
    ({"allow_origin": ORIGIN}, ("https://bad/", "PUT", None, None), {}, PREFLIGHT_VARY),
    ({**CREDENTIALED, "max_age": 60}, (OTHER_ORIGIN, "PUT", None, None), {}, PREFLIGHT_VARY),
    # credentials
    (
        CREDENTIALED,
        (ORIGIN, "PUT", None, None),
        {ACAO: ORIGIN, ACAC: "true", ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    # allowed headers: case-insensitive, lowercased, request order, de-duplicated
    (
        {"allow_headers": ["X-Custom"]},
        (ORIGIN, "PUT", "x-custom", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-custom"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["X-Custom"]},
        (ORIGIN, "PUT", "X-CUSTOM", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-custom"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["x-b", "X-A"]},
        (ORIGIN, "PUT", "x-a,  X-B ,x-a", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a, x-b"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["X-Custom"]},
        (ORIGIN, "PUT", "x-custom,x-other", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-custom"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["X-Custom"]},
        (ORIGIN, "PUT", "x-other", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": ["X-Custom"]},
        (ORIGIN, "PUT", "authorization", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": []},
        (ORIGIN, "PUT", "x-custom", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_headers": "X-Custom"},
        (ORIGIN, "PUT", "x-custom", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-custom"},
        PREFLIGHT_VARY,
    ),
    # names that are not tokens are never echoed, even with "*"
    (
        {},
        (ORIGIN, "PUT", "x-a, (bad), a:b, x y", None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a"},
        PREFLIGHT_VARY,
    ),
    ({}, (ORIGIN, "PUT", "(bad)", None), {ACAO: "*", ACAM: DEFAULT_METHODS}, PREFLIGHT_VARY),
    # no requested headers: no (empty) ACAH
    ({}, (ORIGIN, "PUT", "", None), {ACAO: "*", ACAM: DEFAULT_METHODS}, PREFLIGHT_VARY),
    # max age, always an integer
    (
        {"max_age": 600},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACMA: "600"},
        PREFLIGHT_VARY,
    ),
    (
        {"max_age": 600.0},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACMA: "600"},
        PREFLIGHT_VARY,
    ),
    (
        {"max_age": timedelta(minutes=10)},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACMA: "600"},
        PREFLIGHT_VARY,
    ),
    (
        {"max_age": 0},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACMA: "0"},
        PREFLIGHT_VARY,
    ),
    # configured methods, joined; the six standard ones uppercased
    (
        {"allow_methods": ["GET", "PUT"]},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: "GET, PUT"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_methods": ["get", "put", "delete"]},
        (ORIGIN, "DELETE", None, None),
        {ACAO: "*", ACAM: "GET, PUT, DELETE"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_methods": "PUT"},
        (ORIGIN, "PUT", None, None),
        {ACAO: "*", ACAM: "PUT"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_methods": ["patch"]},
        (ORIGIN, "patch", None, None),
        {ACAO: "*", ACAM: "patch"},
        PREFLIGHT_VARY,
    ),
    # methods compare case-sensitively
    ({"allow_methods": ["patch"]}, (ORIGIN, "PATCH", None, None), {ACAO: "*"}, PREFLIGHT_VARY),
    ({"allow_methods": ["PATCH"]}, (ORIGIN, "patch", None, None), {ACAO: "*"}, PREFLIGHT_VARY),
    ({"allow_methods": ["PUT"]}, (ORIGIN, "put", None, None), {ACAO: "*"}, PREFLIGHT_VARY),
    # method not allowed: origin acknowledged, no ACAM, no ACAH
    (
        {"allow_methods": ["GET"]},
        (ORIGIN, "PUT", "x-custom", None),
        {ACAO: "*"},
        PREFLIGHT_VARY,
    ),
    (
        {**CREDENTIALED, "allow_methods": ["GET"], "max_age": 60},
        (ORIGIN, "PUT", "x-custom", None),
        {ACAO: ORIGIN, ACAC: "true"},
        PREFLIGHT_VARY,
    ),
    ({}, (ORIGIN, "PU T", None, None), {ACAO: "*"}, PREFLIGHT_VARY),
    ({"allow_methods": []}, (ORIGIN, "GET", None, None), {ACAO: "*"}, PREFLIGHT_VARY),
    # "*" methods: literal without credentials, the requested method with them
    (
        {"allow_methods": ["*"]},
        (ORIGIN, "PATCH", None, None),
        {ACAO: "*", ACAM: "*"},
        PREFLIGHT_VARY,
    ),
    (
        {"allow_methods": "*", **CREDENTIALED},
        (ORIGIN, "PATCH", None, None),
        {ACAO: ORIGIN, ACAC: "true", ACAM: "PATCH"},
        PREFLIGHT_VARY,
    ),
    # Private Network Access: opt-in, and only when the request asks
    (
        {"allow_private_network": True},
        (ORIGIN, "GET", None, "true"),
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAPN: "true"},
        PNA_VARY,
    ),
    (
        {"allow_private_network": True},
        (ORIGIN, "GET", None, None),
        {ACAO: "*", ACAM: DEFAULT_METHODS},
        PNA_VARY,
    ),
    (
        {"allow_private_network": False},
        (ORIGIN, "GET", None, "true"),
        {ACAO: "*", ACAM: DEFAULT_METHODS},
        PREFLIGHT_VARY,
    ),
    ({}, (ORIGIN, "GET", None, "true"), {ACAO: "*", ACAM: DEFAULT_METHODS}, PREFLIGHT_VARY),
    (
        {"allow_private_network": True, "allow_origin": ORIGIN},
        (OTHER_ORIGIN, "GET", None, "true"),
        {},
        PNA_VARY,
    ),
    (
        {"allow_private_network": True, **CREDENTIALED},
        (ORIGIN, "GET", None, "true"),
        {ACAO: ORIGIN, ACAC: "true", ACAM: DEFAULT_METHODS, ACAPN: "true"},
        PNA_VARY,
    ),
]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("arguments", "sent", "expected", "expected_vary"), PREFLIGHTS)
async def test_preflight(
    level: str,
    arguments: dict[str, Any],
    sent: tuple[str, str, str | None, str | None],
    expected: dict[str, str],
    expected_vary: list[str],
) -> None:
    app, path, spy = build(level, **arguments)
    response = await app.test_client().options(path, headers=preflight_headers(*sent))
    assert response.status_code == 200
    assert await response.get_data() == b""
    assert cors_headers(response) == expected
    assert vary(response) == expected_vary
    assert spy.calls == []


@pytest.mark.parametrize("level", LEVELS)
async def test_preflight_with_query_string(level: str) -> None:
    app, path, spy = build(level, allow_origin=ORIGIN)
    response = await app.test_client().options(
        path + "?a=1&b=2", headers=preflight_headers(ORIGIN, "PUT")
    )
    assert response.status_code == 200
    assert response.headers[ACAO] == ORIGIN
    assert spy.calls == []


@pytest.mark.parametrize("level", LEVELS)
async def test_several_request_method_headers_are_refused(level: str) -> None:
    app, path, spy = build(level, allow_origin=ORIGIN)
    headers = Headers({"Origin": ORIGIN})
    headers.add("Access-Control-Request-Method", "PUT")
    headers.add("Access-Control-Request-Method", "DELETE")
    response = await app.test_client().options(path, headers=headers)
    assert response.status_code == 200
    assert ACAM not in response.headers
    assert spy.calls == []


@pytest.mark.parametrize("level", ["app", "blueprint", "nested_blueprint"])
async def test_app_before_request_does_not_run_for_preflight_under_cors(level: str) -> None:
    app, path, spy = build(level, allow_origin=ORIGIN, allow_credentials=True)
    ran: list[str] = []

    @app.before_request
    async def authenticate() -> None:
        ran.append(request.method)
        if "Authorization" not in request.headers:
            abort(401)

    client = app.test_client()
    response = await client.options(path, headers=preflight_headers(ORIGIN, "PUT", "authorization"))
    assert response.status_code == 200
    assert cors_headers(response) == {
        ACAO: ORIGIN,
        ACAC: "true",
        ACAM: DEFAULT_METHODS,
        ACAH: "authorization",
    }
    assert ran == []
    assert spy.calls == []
    # The actual request does go through authentication, and its 401 is readable.
    actual = await client.put(path, headers={"Origin": ORIGIN})
    assert actual.status_code == 401
    assert ran == ["PUT"]
    assert cors_headers(actual) == {ACAO: ORIGIN, ACAC: "true"}


async def test_blueprint_before_request_does_not_run_for_preflight() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, allow_origin=ORIGIN)
    ran: list[str] = []

    @blueprint.before_request
    async def deny() -> None:
        ran.append("bp")
        abort(403)

    @app.before_request
    async def deny_app() -> None:
        ran.append("app")
        abort(403)

    @blueprint.route("/x", methods=["PUT"])
    async def view() -> str:
        return "x"

    app.register_blueprint(blueprint, url_prefix="/bp")
    response = await app.test_client().options("/bp/x", headers=preflight_headers(ORIGIN, "PUT"))
    assert response.status_code == 200
    assert response.headers[ACAO] == ORIGIN
    assert ran == []


async def test_route_cors_gets_fast_path_with_empty_app_cors() -> None:
    """The README's recipe: cors(app, allow_origin=[]) for a route_cors app."""
    app = Quart(__name__)
    cors(app, allow_origin=[])
    ran: list[str] = []

    @app.before_request
    async def deny() -> None:
        ran.append(request.method)
        abort(401)

    @app.route("/r", methods=["PUT"])
    @route_cors(allow_origin=ORIGIN, allow_methods=["PUT"])
    async def view() -> str:
        return "r"

    @app.route("/plain", methods=["PUT"])
    async def plain() -> str:
        return "plain"

    client = app.test_client()
    response = await client.options("/r", headers=preflight_headers(ORIGIN, "PUT"))
    assert response.status_code == 200
    assert cors_headers(response) == {ACAO: ORIGIN, ACAM: "PUT"}
    assert ran == []
    other = await client.options("/plain", headers=preflight_headers(ORIGIN, "PUT"))
    assert ACAO not in other.headers
    actual = await client.put("/plain", headers={"Origin": ORIGIN})
    assert ACAO not in actual.headers
    assert vary(actual) == ["Origin"]


@pytest.mark.parametrize("with_app_cors", [False, True])
async def test_provide_automatic_options_false_lets_the_view_answer(with_app_cors: bool) -> None:
    app = Quart(__name__)
    if with_app_cors:
        cors(app, allow_origin=OTHER_ORIGIN)
    calls: list[str] = []

    @app.route("/own", methods=["PUT", "OPTIONS"])
    @route_cors(allow_origin=ORIGIN, allow_methods=["PUT"], provide_automatic_options=False)
    async def own() -> tuple[str, int]:
        calls.append(request.method)
        return "own answer", 204

    response = await app.test_client().options("/own", headers=preflight_headers(ORIGIN, "PUT"))
    assert calls == ["OPTIONS"]
    assert response.status_code == 204
    assert response.headers[ACAO] == ORIGIN
    assert response.headers[ACAM] == "PUT"
    assert vary(response) == PREFLIGHT_VARY


@pytest.mark.parametrize("level", LEVELS)
async def test_preflight_never_calls_view_for_any_method(level: str) -> None:
    app, path, spy = build(level)
    client = app.test_client()
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "X-CUSTOM"]:
        response = await client.options(path, headers=preflight_headers(ORIGIN, method))
        assert response.status_code == 200
    assert spy.calls == []


async def test_fast_path_answer_skips_after_request_and_sets_content_length() -> None:
    app, path, spy = build("app", allow_origin=ORIGIN)
    after: list[str] = []

    @app.after_request
    async def mark(response: Response) -> Response:
        after.append(request.method)
        response.headers["X-After"] = "1"
        return response

    raw = await asgi_request(
        app,
        "OPTIONS",
        path,
        [(b"origin", ORIGIN.encode()), (b"access-control-request-method", b"PUT")],
    )
    assert raw.status == 200
    assert raw.body == b""
    assert raw.get_all("content-length") == [b"0"]
    assert raw.get_all("x-after") == []
    assert after == []
    assert spy.calls == []


@pytest.mark.parametrize("level", LEVELS)
async def test_preflight_under_root_path(level: str) -> None:
    app, path, spy = build(level, allow_origin=ORIGIN)
    response = await app.test_client().open(
        "/mounted" + path,
        method="OPTIONS",
        headers=preflight_headers(ORIGIN, "PUT"),
        root_path="/mounted",
        json=None,
    )
    assert response.status_code == 200
    assert cors_headers(response) == {ACAO: ORIGIN, ACAM: DEFAULT_METHODS}
    assert spy.calls == []
