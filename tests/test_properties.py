"""Hypothesis properties: refused origins get no ACAO, invalid ones are never echoed,
arbitrary CORS request headers never cause a 500 or a CR/LF in a response header."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart

from conftest import ORIGIN, RawResponse, asgi_request
from quart_cors import cors, route_cors

# A reference for the serialized-origin grammar (F#origin-header), written independently.
_LABEL = r"[a-z0-9_-]+"
REFERENCE_GRAMMAR = re.compile(
    rf"[a-z][a-z0-9+.-]*://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::([0-9]{{1,5}}))?"
)
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# `python3 dev.py matrix` runs fewer examples per cell; the full search runs in `check`.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("QUART_CORS_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

latin1_text = st.text(alphabet=st.characters(max_codepoint=255), max_size=80)
origin_like = st.one_of(
    st.from_regex(
        r"\A(https?|HTTP|ftp|chrome-extension)://[a-zA-Z0-9.\-_*]{0,24}"
        r"(\.example\.(org|com))?(:[0-9]{0,6})?[/?#@ ]?\Z",
        fullmatch=True,
    ),
    st.sampled_from(
        [
            ORIGIN,
            "https://a.example.org",
            "https://example.org",
            "https://evil-example.org",
            "http://localhost:3000",
            "http://localhost",
            "http://localhost:99999",
            "http://localhost.evil.net",
            "null",
            "*",
        ]
    ),
    latin1_text,
)
any_bytes = st.one_of(
    st.binary(max_size=120),
    latin1_text.map(lambda text: text.encode("latin-1")),
    origin_like.map(lambda text: text.encode("latin-1")),
    st.sampled_from([b"PUT", b"GET", b"put", b"PU T", b"x-a, authorization", b"true", b""]),
    st.sampled_from([b"https://a.com\r\nX-Evil: 1", b"PUT\r\nX: y", b"x-a\n", b"\r"]),
)
# ASGI servers (h11, h2) and Quart's own request builder refuse CR and LF in header values,
# so only the preflight fast path, which runs before Quart, can ever see them.
raw_values = any_bytes.map(lambda value: value.replace(b"\r", b"").replace(b"\n", b""))


def reference_wellformed(origin: str) -> bool:
    """Scheme://host[:port], lowercase ASCII, port 1-65535 without leading zeros."""
    found = REFERENCE_GRAMMAR.fullmatch(origin)
    if found is None or len(origin) > 2048:
        return False
    port_text = found.group(1)
    return not port_text or (not port_text.startswith("0") and int(port_text) <= 65535)


def reference_allowed(origin: str) -> bool:
    """Whether [ORIGIN, https://*.example.org, http://localhost:*] allows an origin."""
    if not reference_wellformed(origin):
        return False
    if origin == ORIGIN:
        return True
    if re.fullmatch(rf"https://{_LABEL}(?:\.{_LABEL})*\.example\.org", origin):
        return True
    return re.fullmatch(r"http://localhost(?::[0-9]+)?", origin) is not None


def _patterned_app(route: bool) -> Quart:
    """One endpoint '/' with origins [ORIGIN, https://*.example.org, http://localhost:*]."""
    app = Quart(__name__)
    arguments: dict[str, Any] = {
        "allow_origin": [ORIGIN, "https://*.example.org", "http://localhost:*"],
        "allow_credentials": True,
        "expose_headers": ["X-A"],
        "allow_private_network": True,
    }

    async def view() -> str:
        return "ok"

    if route:
        app.add_url_rule("/", "view", route_cors(**arguments)(view), methods=["GET", "PUT"])
    else:
        cors(app, **arguments)
        app.add_url_rule("/", "view", view, methods=["GET", "PUT"])
    return app


def _run(app: Quart, method: str, headers: list[tuple[bytes, bytes]]) -> RawResponse:
    return asyncio.run(asgi_request(app, method, "/", headers))


def _assert_clean(response: RawResponse) -> None:
    assert response.status != 500
    for name, value in response.headers:
        for byte in (b"\r", b"\n", b"\x00"):
            assert byte not in name
            assert byte not in value


@PROPERTY_SETTINGS
@given(origin=origin_like, route=st.booleans(), preflight=st.booleans())
def test_only_allowed_origins_get_allow_origin(origin: str, route: bool, preflight: bool) -> None:
    app = _patterned_app(route)
    headers = [(b"origin", origin.encode("latin-1").replace(b"\r", b"").replace(b"\n", b""))]
    origin = headers[0][1].decode("latin-1")
    if preflight:
        headers.append((b"access-control-request-method", b"PUT"))
    response = _run(app, "OPTIONS" if preflight else "GET", headers)
    _assert_clean(response)
    acao = response.get_all("access-control-allow-origin")
    if reference_allowed(origin):
        assert acao == [origin.encode("latin-1")]
        assert response.get_all("access-control-allow-credentials") == [b"true"]
    else:
        assert acao == []
        assert response.get_all("access-control-allow-credentials") == []


@PROPERTY_SETTINGS
@given(origin=origin_like, preflight=st.booleans())
def test_invalid_origin_is_never_echoed(origin: str, preflight: bool) -> None:
    app = Quart(__name__)
    cors(app, allow_origin=lambda value: True)

    @app.route("/", methods=["GET", "PUT"])
    async def view() -> str:
        return "ok"

    origin = origin.replace("\r", "").replace("\n", "")
    headers = [(b"origin", origin.encode("latin-1"))]
    if preflight:
        headers.append((b"access-control-request-method", b"PUT"))
    response = _run(app, "OPTIONS" if preflight else "GET", headers)
    _assert_clean(response)
    acao = response.get_all("access-control-allow-origin")
    if acao:
        assert acao == [origin.encode("latin-1")]
        assert reference_wellformed(origin)
    else:
        assert origin == "null" or not reference_wellformed(origin)


@PROPERTY_SETTINGS
@given(
    origin=st.one_of(st.none(), raw_values),
    request_method=st.one_of(st.none(), raw_values),
    request_headers=st.one_of(st.none(), raw_values),
    private_network=st.one_of(st.none(), raw_values),
    method=st.sampled_from(["GET", "PUT", "OPTIONS", "DELETE"]),
    route=st.booleans(),
)
def test_arbitrary_cors_headers_never_500_never_crlf(
    *,
    origin: bytes | None,
    request_method: bytes | None,
    request_headers: bytes | None,
    private_network: bytes | None,
    method: str,
    route: bool,
) -> None:
    app = _patterned_app(route)
    headers: list[tuple[bytes, bytes]] = []
    for name, value in (
        (b"origin", origin),
        (b"access-control-request-method", request_method),
        (b"access-control-request-headers", request_headers),
        (b"access-control-request-private-network", private_network),
    ):
        if value is not None:
            headers.append((name, value))
    response = _run(app, method, headers)
    _assert_clean(response)
    assert response.status in (200, 405)


@PROPERTY_SETTINGS
@given(origins=st.lists(raw_values, min_size=2, max_size=4))
def test_several_origin_headers_never_echoed(origins: list[bytes]) -> None:
    app = Quart(__name__)
    cors(app, allow_origin=lambda value: True)

    @app.route("/")
    async def view() -> str:
        return "ok"

    response = _run(app, "GET", [(b"origin", value) for value in origins])
    _assert_clean(response)
    assert response.get_all("access-control-allow-origin") == []


@PROPERTY_SETTINGS
@given(
    origin=any_bytes,
    request_method=st.one_of(
        st.sampled_from([b"PUT", b"GET", b"PURGE", b"put"]),
        latin1_text.filter(lambda text: text.strip() != "").map(
            lambda text: text.encode("latin-1").replace(b"\r", b"x").replace(b"\n", b"x")
        ),
    ),
    request_headers=st.one_of(st.none(), any_bytes),
    private_network=st.one_of(st.none(), any_bytes),
)
def test_fast_path_preflight_with_any_bytes_never_500_never_crlf(
    origin: bytes,
    request_method: bytes,
    request_headers: bytes | None,
    private_network: bytes | None,
) -> None:
    app = _patterned_app(route=False)
    headers = [(b"origin", origin), (b"access-control-request-method", request_method)]
    if request_headers is not None:
        headers.append((b"access-control-request-headers", request_headers))
    if private_network is not None:
        headers.append((b"access-control-request-private-network", private_network))
    response = _run(app, "OPTIONS", headers)
    _assert_clean(response)
    assert response.status == 200
    assert response.body == b""
    for value in response.get_all("access-control-allow-headers"):
        assert all(TOKEN.fullmatch(item) for item in value.decode("latin-1").split(", "))
    if not reference_allowed(origin.decode("latin-1")):
        assert response.get_all("access-control-allow-origin") == []
