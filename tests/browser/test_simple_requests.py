"""Simple (non-preflighted) requests: what JavaScript may read, with fetch and XMLHttpRequest."""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch, js_xhr

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_simple_get_from_allowed_origin(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/simple?t=allowed"))
    seen.assert_readable(200)
    assert seen.body == "simple from api"
    assert seen.headers["content-type"].startswith("text/plain")


async def test_simple_get_from_refused_origin(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_fetch(page, servers.url("api", "/simple?t=refused"))
    seen.assert_blocked()
    assert seen.error is not None
    assert "Failed to fetch" in seen.error
    # The request went out (no preflight for a simple GET); only the answer was withheld.
    [exchange] = servers.recorders["api"].actual("/simple?t=refused", "GET")
    assert exchange.headers["origin"] == servers.origins.other
    assert exchange.status == 200
    assert "access-control-allow-origin" not in exchange.response_headers


async def test_simple_post_is_not_preflighted(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    target = "/item?t=simple-post"
    # A string body is sent as text/plain: a simple request, no preflight.
    seen = await js_fetch(page, servers.url("api", target), method="POST", body="x")
    seen.assert_readable(200)
    assert seen.body == "POST item, X-Custom=-"
    recorder = servers.recorders["api"]
    assert recorder.preflights(target) == []
    assert len(recorder.actual(target, "POST")) == 1


async def test_xhr_get_from_allowed_origin(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_xhr(page, "GET", servers.url("api", "/simple?t=xhr-allowed"))
    seen.assert_readable(200)
    assert seen.body == "simple from api"
    assert seen.headers.get("x-exposed") == "exposed-value"
    assert "x-hidden" not in seen.headers


async def test_xhr_get_from_refused_origin(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_xhr(page, "GET", servers.url("api", "/simple?t=xhr-refused"))
    seen.assert_blocked()
