"""WebSockets: no CORS in the browser, so the server's Origin check is the only gate."""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_websocket

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SOCKETS = pytest.mark.parametrize(
    "app", [pytest.param("api", id="app-cors"), pytest.param("routes", id="websocket_cors")]
)


@SOCKETS
async def test_websocket_from_allowed_origin(
    open_page: OpenPage, servers: Servers, app: str
) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_websocket(page, servers.ws(app, "/ws?t=allowed"), "ping")
    assert seen.opened, seen
    assert seen.reply == "echo ping"
    [handshake] = servers.recorders[app].matching("/ws?t=allowed")
    assert handshake.kind == "websocket"
    assert handshake.headers["origin"] == servers.origins.page


@SOCKETS
async def test_websocket_from_refused_origin(
    open_page: OpenPage, servers: Servers, app: str
) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_websocket(page, servers.ws(app, "/ws?t=refused"), "ping")
    assert not seen.opened, seen
    assert seen.reply is None
    assert seen.code == 1006  # abnormal closure: the handshake failed
    [handshake] = servers.recorders[app].matching("/ws?t=refused")
    assert handshake.headers["origin"] == servers.origins.other
    assert handshake.status == 400  # quart-cors refuses a handshake with 400


async def test_exempt_websocket_accepts_any_origin(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_websocket(page, servers.ws("api", "/ws-exempt"), "ping")
    assert seen.opened, seen
    assert seen.reply == "exempt ping"
