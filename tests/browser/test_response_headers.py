"""Which response headers JavaScript may read: `expose_headers`, with and without credentials."""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch, js_xhr

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_exposed_and_unexposed_headers(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/simple?t=expose"))
    seen.assert_readable(200)
    assert seen.headers["x-exposed"] == "exposed-value"
    assert "x-hidden" not in seen.headers
    assert "x-other" not in seen.headers
    assert "content-type" in seen.headers  # CORS-safelisted response header


async def test_exposed_header_with_xhr(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_xhr(page, "GET", servers.url("routes", "/simple?t=xhr-expose"))
    seen.assert_readable(200)
    assert seen.headers["x-exposed"] == "exposed-value"
    assert "x-hidden" not in seen.headers


async def test_expose_all_without_credentials(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/expose-all"))
    seen.assert_readable(200)
    for name in ("x-one", "x-two", "x-exposed", "x-hidden", "x-other"):
        assert name in seen.headers, name


async def test_expose_all_with_credentials(open_page: OpenPage, servers: Servers) -> None:
    # A literal "*" exposes nothing to a credentialed request: the server must list the
    # response's own header names instead, and never Set-Cookie.
    page = await open_page(servers.origins.page)
    seen = await js_fetch(
        page, servers.url("creds", "/headers?t=credentials"), credentials="include"
    )
    seen.assert_readable(200)
    assert seen.headers["x-one"] == "1"
    assert seen.headers["x-two"] == "2"
    assert seen.headers["x-hidden"] == "hidden-value"
    assert "set-cookie" not in seen.headers
    [exchange] = servers.recorders["creds"].actual("/headers?t=credentials", "GET")
    exposed = exchange.response_headers["access-control-expose-headers"].lower()
    assert "set-cookie" not in exposed


async def test_expose_all_with_credentials_read_without_credentials(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("creds", "/headers?t=anonymous"))
    seen.assert_readable(200)
    assert seen.headers["x-one"] == "1"
    assert "set-cookie" not in seen.headers
