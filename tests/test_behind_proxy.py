"""Preflights are answered before before_request wherever the user's ASGI middleware sits.

Through a real Hypercorn server: a proxy fix (Hypercorn's ProxyFixMiddleware) that rewrites Host
and scheme, with SERVER_NAME or subdomain routing that only matches the rewritten host, and a
mount that sets root_path. Each is installed on ``app.asgi_app`` before and after ``cors()``; in
every case the preflight is routed as Quart routes the actual request, and the app's
authentication in before_request never sees it.
"""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.middleware import ProxyFixMiddleware
from quart import Quart, abort, request

from quart_cors import cors

ORIGIN = "https://app.example.com"
PUBLIC_HOST = "api.example.com"
ASGI = Callable[..., Any]


class Mount:
    """Serves the app under /api, as a dispatcher middleware does: it sets root_path."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and scope["path"].startswith("/api/"):
            scope = {**scope, "root_path": "/api"}
        await self.app(scope, receive, send)


def _proxy_fix(app: ASGI) -> ASGI:
    return ProxyFixMiddleware(app, mode="legacy", trusted_hops=1)


def build(setup: str, middleware_first: bool) -> tuple[Quart, list[str], list[str]]:
    """An app with one PUT route, auth in before_request, and the setup's routing and middleware."""
    if setup == "subdomain":
        app = Quart(__name__, subdomain_matching=True)
        app.config["SERVER_NAME"] = "example.com"
        route_options: dict[str, Any] = {"subdomain": "api"}
    else:
        app = Quart(__name__)
        route_options = {}
        if setup == "server_name":
            app.config["SERVER_NAME"] = PUBLIC_HOST
    authenticated: list[str] = []
    views: list[str] = []

    @app.before_request
    async def authenticate() -> None:
        authenticated.append(request.method)
        if request.headers.get("Authorization") != "Bearer token":
            abort(401)

    @app.route("/items", methods=["PUT"], **route_options)
    async def items() -> str:
        views.append(request.method)
        return "stored"

    wrap = Mount if setup == "mount" else _proxy_fix
    if middleware_first:
        app.asgi_app = wrap(app.asgi_app)  # type: ignore[method-assign]
        cors(app, allow_origin=ORIGIN, allow_credentials=True)
    else:
        cors(app, allow_origin=ORIGIN, allow_credentials=True)
        app.asgi_app = wrap(app.asgi_app)  # type: ignore[method-assign]
    return app, authenticated, views


@contextmanager
def hypercorn_server(app: Quart) -> Iterator[int]:
    """Serve the app with Hypercorn on a free loopback port, in a thread; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    async def run() -> None:
        ready.set()
        await serve(app, config, shutdown_trigger=stop.wait)

    thread = threading.Thread(target=lambda: loop.run_until_complete(run()), daemon=True)
    thread.start()
    ready.wait(5)
    for _ in range(200):  # until the socket accepts, at most about 5 s
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            threading.Event().wait(0.025)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def send(port: int, method: str, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request(method, path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def forwarded_headers(setup: str) -> dict[str, str]:
    if setup == "mount":
        return {}
    # The proxy received the request for the public host over https.
    return {"X-Forwarded-Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}


SETUPS = ["server_name", "subdomain", "mount"]


@pytest.mark.parametrize("middleware_first", [True, False], ids=["before cors()", "after cors()"])
@pytest.mark.parametrize("setup", SETUPS)
def test_preflight_is_answered_before_authentication(setup: str, middleware_first: bool) -> None:
    app, authenticated, views = build(setup, middleware_first)
    path = "/api/items" if setup == "mount" else "/items"
    with hypercorn_server(app) as port:
        preflight = send(
            port,
            "OPTIONS",
            path,
            {
                **forwarded_headers(setup),
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status == 200
        assert preflight.getheader("Access-Control-Allow-Origin") == ORIGIN
        assert preflight.getheader("Access-Control-Allow-Credentials") == "true"
        assert preflight.getheader("Access-Control-Allow-Headers") == "authorization"
        assert authenticated == []
        assert views == []
        # The actual request is routed the same way, and does go through authentication.
        actual = send(
            port,
            "PUT",
            path,
            {**forwarded_headers(setup), "Origin": ORIGIN, "Authorization": "Bearer token"},
        )
        assert actual.status == 200
        assert actual.getheader("Access-Control-Allow-Origin") == ORIGIN
        assert authenticated == ["PUT"]
        assert views == ["PUT"]
