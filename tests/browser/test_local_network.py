"""Private Network Access / Local Network Access in this Chromium (156).

Chromium 156 has no PNA preflights: `Access-Control-Request-Private-Network` is not even in
the binary, and no flag brings it back. Its successor, Local Network Access, gates a public
page's requests to loopback on a permission instead, with no server opt-in header. So this
browser can show LNA, and that ordinary CORS still decides once the permission is granted;
the `allow_private_network` opt-in can be checked at the HTTP level only.

The public page is served on its own port, which Chromium is told is public with
`--ip-address-space-overrides` (see conftest.py); `/local` on `api` allows that page's origin
with `allow_private_network=True`.
"""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch, js_websocket

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

PNA_REQUEST_HEADER = "access-control-request-private-network"


async def test_public_page_cannot_reach_loopback_without_permission(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.public)
    seen = await js_fetch(page, servers.url("api", "/local?t=no-permission"))
    seen.assert_blocked()
    # Blocked before anything was sent: no PNA preflight, no request.
    assert servers.recorders["api"].matching("/local?t=no-permission") == []


async def test_public_page_with_local_network_permission(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.public, permissions=["local-network-access"])
    target = "/local?t=permission"
    seen = await js_fetch(page, servers.url("api", target))
    seen.assert_readable(200)
    assert seen.body == "local network"
    exchanges = servers.recorders["api"].matching(target)
    assert exchanges, "the request reached the server"
    for exchange in exchanges:
        if PNA_REQUEST_HEADER in exchange.headers:
            # A Chromium that sends PNA preflights again: the opt-in must answer them.
            assert exchange.response_headers["access-control-allow-private-network"] == "true"


async def test_permission_does_not_bypass_cors(open_page: OpenPage, servers: Servers) -> None:
    # The permission lets the request out; CORS still refuses an origin the API never allowed.
    page = await open_page(servers.origins.public, permissions=["local-network-access"])
    target = "/simple?t=lna-refused"
    seen = await js_fetch(page, servers.url("api", target))
    seen.assert_blocked()
    assert len(servers.recorders["api"].actual(target, "GET")) == 1


@pytest.mark.parametrize("granted", [False, True], ids=["no-permission", "permission"])
async def test_local_network_access_gates_websockets(
    open_page: OpenPage, servers: Servers, granted: bool
) -> None:
    # Local Network Access covers WebSockets too: without the permission the handshake is
    # never sent, even to an endpoint that accepts every origin (`cors_exempt`).
    permissions = ["local-network-access"] if granted else []
    page = await open_page(servers.origins.public, permissions=permissions)
    target = f"/ws-exempt?t=lna-{'granted' if granted else 'denied'}"
    seen = await js_websocket(page, servers.ws("api", target), "ping")
    assert seen.opened is granted, seen
    handshakes = servers.recorders["api"].matching(target)
    assert [handshake.status for handshake in handshakes] == ([101] if granted else [])
