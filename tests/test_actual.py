"""ACAO, ACAC, ACEH, Vary, exemption.

The contract: docs/behaviour.md, section 3.1 (Actual requests).
"""

from __future__ import annotations

from typing import Any

import pytest
from quart import Blueprint, Quart, Response

from conftest import LEVELS, ORIGIN, OTHER_ORIGIN, build, cors_headers, send, vary
from quart_cors import cors, cors_exempt, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACEH = "Access-Control-Expose-Headers"

# (cors arguments, request Origin or None, expected CORS headers, expected Vary tokens)
ACTUAL: list[tuple[dict[str, Any], str | None, dict[str, str], list[str]]] = [
    # defaults: origin "*", wildcard sent, no Vary on a "*" answer
    ({}, ORIGIN, {ACAO: "*"}, []),
    ({}, None, {}, ["Origin"]),
    ({"allow_origin": "*"}, "http://localhost:3000", {ACAO: "*"}, []),
    # echo when wildcard sending is off
    ({"send_origin_wildcard": False}, ORIGIN, {ACAO: ORIGIN}, ["Origin"]),
    ({"allow_origin": "*", "send_origin_wildcard": False}, None, {}, ["Origin"]),
    # exact origins
    ({"allow_origin": ORIGIN}, ORIGIN, {ACAO: ORIGIN}, ["Origin"]),
    ({"allow_origin": ORIGIN}, OTHER_ORIGIN, {}, ["Origin"]),
    ({"allow_origin": ORIGIN}, None, {}, ["Origin"]),
    ({"allow_origin": [ORIGIN, OTHER_ORIGIN]}, OTHER_ORIGIN, {ACAO: OTHER_ORIGIN}, ["Origin"]),
    ({"allow_origin": []}, ORIGIN, {}, ["Origin"]),
    # credentials: lowercase true, only with an allowed origin
    (
        {"allow_origin": ORIGIN, "allow_credentials": True},
        ORIGIN,
        {ACAO: ORIGIN, ACAC: "true"},
        ["Origin"],
    ),
    ({"allow_origin": ORIGIN, "allow_credentials": True}, OTHER_ORIGIN, {}, ["Origin"]),
    ({"allow_origin": ORIGIN, "allow_credentials": True}, None, {}, ["Origin"]),
    ({"allow_origin": ORIGIN, "allow_credentials": False}, ORIGIN, {ACAO: ORIGIN}, ["Origin"]),
    (
        {"allow_origin": "https://*.example.com", "allow_credentials": True},
        "https://x.example.com",
        {ACAO: "https://x.example.com", ACAC: "true"},
        ["Origin"],
    ),
    # exposed headers: listed names, in order, as spelled
    (
        {"allow_origin": ORIGIN, "expose_headers": ["X-Total", "X-Page"]},
        ORIGIN,
        {ACAO: ORIGIN, ACEH: "X-Total, X-Page"},
        ["Origin"],
    ),
    ({"expose_headers": ["X-Total"]}, ORIGIN, {ACAO: "*", ACEH: "X-Total"}, []),
    ({"expose_headers": "X-Total"}, ORIGIN, {ACAO: "*", ACEH: "X-Total"}, []),
    ({"expose_headers": ["*"]}, ORIGIN, {ACAO: "*", ACEH: "*"}, []),
    ({"allow_origin": ORIGIN, "expose_headers": ["X-Total"]}, OTHER_ORIGIN, {}, ["Origin"]),
    ({"allow_origin": ORIGIN, "expose_headers": []}, ORIGIN, {ACAO: ORIGIN}, ["Origin"]),
    # methods and preflight-only headers never appear on actual responses
    (
        {"allow_origin": ORIGIN, "allow_methods": ["GET"], "max_age": 600},
        ORIGIN,
        {ACAO: ORIGIN},
        ["Origin"],
    ),
    ({"allow_private_network": True}, ORIGIN, {ACAO: "*"}, []),
    # null, only when listed
    ({"allow_origin": ["null"]}, "null", {ACAO: "null"}, ["Origin"]),
    ({"allow_origin": "*"}, "null", {}, ["Origin"]),
]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("arguments", "origin", "expected", "expected_vary"), ACTUAL)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH"])
async def test_actual_request(
    *,
    level: str,
    method: str,
    arguments: dict[str, Any],
    origin: str | None,
    expected: dict[str, str],
    expected_vary: list[str],
) -> None:
    app, path, spy = build(level, **arguments)
    headers = {} if origin is None else {"Origin": origin}
    response = await send(app, method, path, headers)
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "ok"
    assert cors_headers(response) == expected
    assert vary(response) == expected_vary
    assert spy.calls == [method]


@pytest.mark.parametrize("level", LEVELS)
async def test_head_request(level: str) -> None:
    app, path, _ = build(level, allow_origin=ORIGIN)
    response = await app.test_client().head(path, headers={"Origin": ORIGIN})
    assert cors_headers(response) == {ACAO: ORIGIN}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", LEVELS)
async def test_expose_star_with_credentials_names_response_headers(level: str) -> None:
    app, path, _ = build(
        level,
        response_headers={"X-One": "1", "X-Two": "2", "Set-Cookie": "a=b"},
        allow_origin=ORIGIN,
        allow_credentials=True,
        expose_headers=["*"],
    )
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    assert response.headers[ACAO] == ORIGIN
    assert response.headers[ACAC] == "true"
    names = [name.strip().lower() for name in response.headers[ACEH].split(",")]
    assert "x-one" in names
    assert "x-two" in names
    assert "set-cookie" not in names
    assert "*" not in names
    assert len(names) == len(set(names))


# (Vary already set by the view, CORS arguments, expected Vary tokens)
VARY_MERGE: list[tuple[str, dict[str, Any], list[str]]] = [
    ("Accept-Encoding", {"allow_origin": ORIGIN}, ["Accept-Encoding", "Origin"]),
    ("Accept, Cookie", {"allow_origin": ORIGIN}, ["Accept", "Cookie", "Origin"]),
    ("Origin", {"allow_origin": ORIGIN}, ["Origin"]),
    ("Accept-Encoding, Origin", {"allow_origin": ORIGIN}, ["Accept-Encoding", "Origin"]),
    ("Accept-Encoding", {}, ["Accept-Encoding"]),  # "*" answer: untouched, no Origin added
    ("*", {"allow_origin": ORIGIN}, ["*"]),  # "Vary: *" already covers Origin
]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(("existing", "arguments", "expected"), VARY_MERGE)
async def test_vary_merged_never_replaced_never_duplicated(
    level: str, existing: str, arguments: dict[str, Any], expected: list[str]
) -> None:
    app, path, _ = build(level, response_headers={"Vary": existing}, **arguments)
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    assert vary(response) == expected


@pytest.mark.parametrize("level", LEVELS)
async def test_vary_merged_without_origin(level: str) -> None:
    app, path, _ = build(level, response_headers={"Vary": "Accept-Encoding"}, allow_origin=ORIGIN)
    response = await app.test_client().get(path)
    assert vary(response) == ["Accept-Encoding", "Origin"]


@pytest.mark.parametrize("level", LEVELS)
async def test_options_without_request_method_is_ordinary(level: str) -> None:
    app, path, _ = build(level, allow_origin=ORIGIN)
    response = await app.test_client().options(path, headers={"Origin": ORIGIN})
    assert response.status_code == 200
    # Quart's own automatic OPTIONS answer, with actual-request CORS headers
    assert "GET" in response.headers["Allow"]
    assert cors_headers(response) == {ACAO: ORIGIN}
    assert vary(response) == ["Origin"]


async def test_options_without_request_method_reaches_the_view() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)
    calls: list[str] = []

    @app.route("/o", methods=["GET", "OPTIONS"])
    async def view() -> str:
        calls.append("called")
        return "own options"

    client = app.test_client()
    for headers in ({"Origin": ORIGIN}, {"Origin": ORIGIN, "Access-Control-Request-Method": ""}):
        response = await client.options("/o", headers=headers)
        assert await response.get_data(as_text=True) == "own options"
        assert cors_headers(response) == {ACAO: ORIGIN}
    assert calls == ["called", "called"]


async def test_credentials_header_is_lowercase_true() -> None:
    app, path, _ = build("app", allow_origin=ORIGIN, allow_credentials=True)
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    assert response.headers.getlist(ACAC) == ["true"]


async def test_no_empty_cors_headers() -> None:
    app, path, _ = build("app", allow_origin=ORIGIN)
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    for name, value in response.headers.items():
        if name.lower().startswith("access-control-"):
            assert value.strip(), name


# --- cors_exempt -------------------------------------------------------------------------


def _exempt_app() -> Quart:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN, allow_credentials=True)
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, allow_origin="*")

    @app.route("/exempt", methods=["GET", "POST", "PUT"])
    @cors_exempt
    async def exempt() -> Response:
        return Response("exempt", headers={"Vary": "Accept-Encoding"})

    @app.route("/exempt-route", methods=["GET", "PUT"])
    @cors_exempt
    @route_cors(allow_origin=ORIGIN)
    async def exempt_route() -> str:
        return "exempt-route"

    @blueprint.route("/exempt")
    @cors_exempt
    async def blueprint_exempt() -> str:
        return "bp-exempt"

    app.register_blueprint(blueprint, url_prefix="/bp")
    return app


@pytest.mark.parametrize("path", ["/exempt", "/exempt-route", "/bp/exempt"])
@pytest.mark.parametrize("origin", [ORIGIN, OTHER_ORIGIN, None, "https://bad/"])
async def test_exempt_gets_no_cors_headers_and_no_vary(path: str, origin: str | None) -> None:
    app = _exempt_app()
    headers = {} if origin is None else {"Origin": origin}
    response = await app.test_client().get(path, headers=headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Origin" not in vary(response)


async def test_exempt_keeps_the_views_own_vary() -> None:
    app = _exempt_app()
    response = await app.test_client().get("/exempt", headers={"Origin": ORIGIN})
    assert vary(response) == ["Accept-Encoding"]


@pytest.mark.parametrize("path", ["/exempt", "/exempt-route", "/bp/exempt"])
async def test_exempt_preflight_is_not_answered_by_cors(path: str) -> None:
    app = _exempt_app()
    response = await app.test_client().options(
        path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert cors_headers(response) == {}
    assert "Origin" not in vary(response)
    assert "Access-Control-Request-Method" not in vary(response)


async def test_non_exempt_neighbour_still_gets_cors() -> None:
    app = _exempt_app()

    @app.route("/normal")
    async def normal() -> str:
        return "normal"

    response = await app.test_client().get("/normal", headers={"Origin": ORIGIN})
    assert cors_headers(response) == {ACAO: ORIGIN, ACAC: "true"}


def test_cors_exempt_returns_the_function() -> None:
    async def view() -> str:
        return "x"

    marked = cors_exempt(view)
    assert marked is view  # as 0.8.0: the same function, so it can sit under @app.route
