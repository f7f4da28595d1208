"""Shared helpers: app factories with a spy view, a raw ASGI client, header readers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quart import Blueprint, Quart, Response, request
from quart.testing import QuartClient
from quart.typing import TestClientProtocol

from quart_cors import cors, route_cors

ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
PREFLIGHT_VARY = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]
CORS_HEADERS = (
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",
    "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Private-Network",
)


@dataclass
class Spy:
    """Records each call of a view, so tests can tell whether it ran."""

    calls: list[str] = field(default_factory=list)


def make_app(**cors_arguments: Any) -> tuple[Quart, Spy]:
    """An app under ``cors(app, **cors_arguments)`` with a spy view on ``/``."""
    app = Quart(__name__)
    cors(app, **cors_arguments)
    spy = Spy()

    @app.route("/", methods=ALL_METHODS[:-1])
    async def index() -> str:
        spy.calls.append(request.method)
        return "index"

    return app, spy


def make_configured_app(config: Mapping[str, Any], **cors_arguments: Any) -> tuple[Quart, Spy]:
    """Like :func:`make_app`, with ``QUART_CORS_*`` keys set before ``cors()`` is called."""
    app = Quart(__name__)
    app.config.update(config)
    cors(app, **cors_arguments)
    spy = Spy()

    @app.route("/", methods=ALL_METHODS[:-1])
    async def index() -> str:
        spy.calls.append(request.method)
        return "index"

    return app, spy


def preflight_headers(
    origin: str | None = ORIGIN,
    method: str | None = "PUT",
    request_headers: str | None = None,
    private_network: str | None = None,
) -> dict[str, str]:
    """The headers of a browser preflight."""
    headers: dict[str, str] = {}
    if origin is not None:
        headers["Origin"] = origin
    if method is not None:
        headers["Access-Control-Request-Method"] = method
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    if private_network is not None:
        headers["Access-Control-Request-Private-Network"] = private_network
    return headers


async def preflight(
    client: TestClientProtocol,
    path: str = "/",
    *,
    origin: str | None = ORIGIN,
    method: str | None = "PUT",
    request_headers: str | None = None,
    private_network: str | None = None,
) -> Response:
    """Send a preflight through the Quart test client."""
    return await client.options(
        path, headers=preflight_headers(origin, method, request_headers, private_network)
    )


async def send(app: Quart, method: str, path: str, headers: Mapping[str, str]) -> Response:
    """One request of any method through Quart's test client."""
    client = QuartClient(app)
    return await client.open(path, method=method, headers=dict(headers))


def vary(response: Response) -> list[str]:
    """Every token of every ``Vary`` header, in order."""
    tokens: list[str] = []
    for value in response.headers.getlist("Vary"):
        tokens.extend(token.strip() for token in value.split(",") if token.strip())
    return tokens


def cors_headers(response: Response) -> dict[str, str]:
    """The ``Access-Control-*`` response headers, each asserted to appear at most once."""
    found: dict[str, str] = {}
    for name in CORS_HEADERS:
        values = response.headers.getlist(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values!r}"
        if values:
            found[name] = values[0]
    return found


@dataclass(frozen=True)
class RawResponse:
    """A response read straight off the ASGI interface, header bytes untouched."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def get_all(self, name: str) -> list[bytes]:
        wanted = name.lower().encode()
        return [value for key, value in self.headers if key.lower() == wanted]


async def asgi_request(
    app: Quart,
    method: str,
    path: str,
    headers: Iterable[tuple[bytes, bytes]],
) -> RawResponse:
    """Call the app's ASGI interface directly, bypassing the test client's header checks."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
        "extensions": {},
    }
    messages = await drive_asgi(app, scope)
    start = next(message for message in messages if message["type"] == "http.response.start")
    body = b"".join(
        message.get("body", b"") for message in messages if message["type"] == "http.response.body"
    )
    return RawResponse(int(start["status"]), [(k, v) for k, v in start["headers"]], body)


async def drive_asgi(app: Quart, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one ASGI HTTP exchange; the client disconnects once the response is complete."""
    done = asyncio.Event()
    requested = False
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    asgi: Any = app
    await asyncio.wait_for(asgi(scope, receive, send), timeout=10)
    return messages


LEVELS = ["app", "blueprint", "nested_blueprint", "route"]


def build(
    level: str,
    response_headers: Mapping[str, str] | None = None,
    **cors_arguments: Any,
) -> tuple[Quart, str, Spy]:
    """An app whose one endpoint gets ``cors_arguments`` at ``level``; returns its path.

    The view records its calls on the spy and answers "ok" with ``response_headers``.
    """
    app = Quart(__name__)
    spy = Spy()
    extra = dict(response_headers or {})

    async def view() -> Response:
        spy.calls.append(request.method)
        return Response("ok", headers=extra)

    methods = ALL_METHODS[:-1]
    if level == "app":
        cors(app, **cors_arguments)
        app.add_url_rule("/x", "view", view, methods=methods)
        return app, "/x", spy
    if level == "route":
        app.add_url_rule("/x", "view", route_cors(**cors_arguments)(view), methods=methods)
        return app, "/x", spy
    if level == "blueprint":
        blueprint = Blueprint("bp", __name__)
        cors(blueprint, **cors_arguments)
        blueprint.add_url_rule("/x", "view", view, methods=methods)
        app.register_blueprint(blueprint, url_prefix="/bp")
        return app, "/bp/x", spy
    if level == "nested_blueprint":
        parent = Blueprint("parent", __name__)
        child = Blueprint("child", __name__)
        cors(child, **cors_arguments)
        child.add_url_rule("/x", "view", view, methods=methods)
        parent.register_blueprint(child, url_prefix="/child")
        app.register_blueprint(parent, url_prefix="/parent")
        return app, "/parent/child/x", spy
    raise AssertionError(level)
