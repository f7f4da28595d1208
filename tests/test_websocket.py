"""Refused Origin -> 400, missing Origin let through.

The contract: docs/behaviour.md, section 3.4 (WebSockets).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from quart import Blueprint, Quart, websocket
from quart.testing import WebsocketResponseError

from conftest import ORIGIN, OTHER_ORIGIN, Spy
from quart_cors import cors, cors_exempt, route_cors, websocket_cors


async def echo_once(app: Quart, path: str, origin: str | None) -> int:
    """Open a websocket; return 101 when the handshake was accepted, else the HTTP status."""
    headers = {} if origin is None else {"Origin": origin}
    try:
        async with app.test_client().websocket(path, headers=headers) as connection:
            await connection.send("ping")
            assert await connection.receive() == "ping"
    except WebsocketResponseError as error:
        return error.response.status_code
    return 101


def websocket_app(level: str, **arguments: Any) -> tuple[Quart, str, Spy]:
    app = Quart(__name__)
    spy = Spy()

    async def echo() -> None:
        spy.calls.append("ws")
        await websocket.send(await websocket.receive())

    if level == "app":
        cors(app, **arguments)
        app.add_websocket("/ws", "ws", echo)
        return app, "/ws", spy
    if level == "websocket_cors":
        app.add_websocket("/ws", "ws", websocket_cors(**arguments)(echo))
        return app, "/ws", spy
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, **arguments)
    blueprint.add_websocket("/ws", "ws", echo)
    if level == "blueprint":
        app.register_blueprint(blueprint, url_prefix="/bp")
        return app, "/bp/ws", spy
    parent = Blueprint("parent", __name__)
    parent.register_blueprint(blueprint, url_prefix="/bp")
    app.register_blueprint(parent, url_prefix="/p")
    return app, "/p/bp/ws", spy


async def allow_async(origin: str) -> bool:
    return origin == "https://async.example"


WS_LEVELS = ["app", "blueprint", "nested_blueprint", "websocket_cors"]

# (allow_origin, Origin or None, expected: 101 accepted or 400 refused)
HANDSHAKES: list[tuple[Any, str | None, int]] = [
    (ORIGIN, ORIGIN, 101),
    (ORIGIN, OTHER_ORIGIN, 400),
    (ORIGIN, None, 101),  # non-browser clients omit Origin (and could forge any)
    (ORIGIN, "null", 400),
    (ORIGIN, "https://app.example.com/", 400),
    (ORIGIN, "HTTPS://APP.EXAMPLE.COM", 400),
    ([ORIGIN, "null"], "null", 101),
    ("*", OTHER_ORIGIN, 101),
    ("*", "null", 400),
    ("*", None, 101),
    ([], ORIGIN, 400),
    ([], None, 101),
    ("https://*.example.com", "https://chat.example.com", 101),
    ("https://*.example.com", "https://example.com", 400),
    ("https://*.example.com", "https://evil-example.com", 400),
    (re.compile(r"https://[a-z]+\.quart\.com"), "https://a.quart.com", 101),
    (re.compile(r"https://[a-z]+\.quart\.com"), "https://a.quart.com.evil.net", 400),
    (allow_async, "https://async.example", 101),
    (allow_async, "https://other.example", 400),
    (lambda origin: origin.startswith("http://localhost"), "http://localhost:3000", 101),
    (lambda origin: origin.startswith("http://localhost"), "http://127.0.0.1:3000", 400),
]


@pytest.mark.parametrize("level", WS_LEVELS)
@pytest.mark.parametrize(("allow_origin", "origin", "expected"), HANDSHAKES)
async def test_websocket_handshake(
    level: str, allow_origin: Any, origin: str | None, expected: int
) -> None:
    app, path, spy = websocket_app(level, allow_origin=allow_origin)
    assert await echo_once(app, path, origin) == expected
    assert spy.calls == (["ws"] if expected == 101 else [])


async def test_websocket_default_policy_allows_any_origin() -> None:
    app, path, _ = websocket_app("app")
    assert await echo_once(app, path, OTHER_ORIGIN) == 101


async def test_websocket_under_credentialed_app_policy() -> None:
    app, path, _ = websocket_app("app", allow_origin=ORIGIN, allow_credentials=True)
    assert await echo_once(app, path, ORIGIN) == 101
    assert await echo_once(app, path, OTHER_ORIGIN) == 400


async def test_websocket_cors_beats_app_cors() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=OTHER_ORIGIN)

    @app.websocket("/ws")
    @websocket_cors(allow_origin=ORIGIN)
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    assert await echo_once(app, "/ws", ORIGIN) == 101
    assert await echo_once(app, "/ws", OTHER_ORIGIN) == 400


async def test_websocket_cors_inherits_app_origin() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.websocket("/ws")
    @websocket_cors(send_origin_wildcard=False)
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    assert await echo_once(app, "/ws", ORIGIN) == 101
    assert await echo_once(app, "/ws", OTHER_ORIGIN) == 400


async def test_websocket_cors_reads_app_config() -> None:
    app = Quart(__name__)
    app.config["QUART_CORS_ALLOW_ORIGIN"] = ORIGIN

    @app.websocket("/ws")
    @websocket_cors()
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    assert await echo_once(app, "/ws", ORIGIN) == 101
    assert await echo_once(app, "/ws", OTHER_ORIGIN) == 400


async def test_exempt_websocket_accepts_any_origin() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.websocket("/open")
    @cors_exempt
    async def open_socket() -> None:
        await websocket.send(await websocket.receive())

    assert await echo_once(app, "/open", OTHER_ORIGIN) == 101
    assert await echo_once(app, "/open", "null") == 101


async def test_blueprint_policy_does_not_reach_app_websockets() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, allow_origin=ORIGIN)

    @blueprint.websocket("/ws")
    async def inside() -> None:
        await websocket.send(await websocket.receive())

    @app.websocket("/ws")
    async def outside() -> None:
        await websocket.send(await websocket.receive())

    app.register_blueprint(blueprint, url_prefix="/bp")
    assert await echo_once(app, "/bp/ws", OTHER_ORIGIN) == 400
    assert await echo_once(app, "/ws", OTHER_ORIGIN) == 101


async def test_http_route_cors_does_not_touch_websockets() -> None:
    app = Quart(__name__)

    @app.route("/http")
    @route_cors(allow_origin=ORIGIN)
    async def http_view() -> str:
        return "http"

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    assert await echo_once(app, "/ws", OTHER_ORIGIN) == 101
