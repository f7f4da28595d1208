"""The simulated browser's in-process transport against a real server: for the same app and
request, `QuartTransport` must show what Hypercorn puts on the wire (status, headers and
body), except the Date header that a server adds itself. `quart-cors check --app` shows these
headers, so a difference would show a user headers their server never sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from quart import Quart

from .support import Servers

if TYPE_CHECKING:
    from quart_cors.testing import HTTPResponse

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SERVER_HEADERS = frozenset({"date", "server"})


def _wire(response: HTTPResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [
        (name.lower(), value)
        for name, value in response.headers
        if name.lower() not in SERVER_HEADERS
    ]
    return response.status, headers, response.body


@pytest.mark.parametrize("app", ["api", "routes"])
async def test_in_process_answers_are_what_hypercorn_sends(servers: Servers, app: str) -> None:
    from quart_cors.testing import HTTPRequest, HTTPXTransport, QuartTransport

    page, other = servers.origins.page, servers.origins.other
    quart_app = servers.recorders[app].app
    assert isinstance(quart_app, Quart)
    in_process = QuartTransport(quart_app)
    live = HTTPXTransport(timeout=5)
    preflight = {"Origin": page, "Access-Control-Request-Method": "PUT"}
    requests = [
        ("OPTIONS", "/item", {**preflight, "Access-Control-Request-Headers": "x-custom"}),
        ("OPTIONS", "/item", {**preflight, "Origin": other}),
        ("GET", "/simple", {"Origin": page}),
        ("HEAD", "/simple", {"Origin": page}),
        ("GET", "/simple", {"Origin": other}),
        ("PUT", "/item", {"Origin": page, "X-Custom": "1"}),
        ("GET", "/no-such-route", {"Origin": page}),
        ("GET", "/forbidden", {"Origin": page}),
        ("GET", "/boom", {"Origin": page}),
    ]
    differences = []
    for method, path, headers in requests:
        url = servers.url(app, f"{path}?t=transport")
        request = HTTPRequest(method, url, tuple(headers.items()), b"x" if method == "PUT" else b"")
        wire = _wire(await live.send(request))
        simulated = _wire(await in_process.send(request))
        if simulated != wire:
            differences.append(f"{method} {path}:\n  Hypercorn {wire}\n  in-process {simulated}")
    assert not differences, "\n".join(differences)


async def test_in_process_handshakes_are_what_hypercorn_answers(servers: Servers) -> None:
    from quart_cors.testing import HTTPRequest, HTTPXTransport, QuartTransport

    quart_app = servers.recorders["api"].app
    assert isinstance(quart_app, Quart)
    in_process = QuartTransport(quart_app)
    live = HTTPXTransport(timeout=5)
    statuses = {}
    for path, origin in [
        ("/ws", servers.origins.page),
        ("/ws", servers.origins.other),  # refused by cors(): 400
        ("/ws-missing", servers.origins.page),
        ("/ws-raises", servers.origins.page),
    ]:
        request = HTTPRequest(
            "GET", servers.ws("api", f"{path}?t=transport"), (("Origin", origin),)
        )
        statuses[f"{path} from {origin}"] = (
            (await live.websocket(request))[0],
            (await in_process.websocket(request))[0],
        )
    assert {key: wire for key, (wire, _) in statuses.items()} == {
        f"/ws from {servers.origins.page}": 101,
        f"/ws from {servers.origins.other}": 400,
        f"/ws-missing from {servers.origins.page}": 404,
        f"/ws-raises from {servers.origins.page}": 500,
    }
    assert all(wire == simulated for wire, simulated in statuses.values()), statuses
