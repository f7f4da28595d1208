"""Plumbing for the browser tests: Hypercorn servers, a request recorder, the page, JS probes.

Nothing here imports playwright or hypercorn at module level, so that the test modules can be
collected (and skipped with a helpful reason) on a machine without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from playwright.async_api import Page

    from quart_cors.testing import Browser as SimulatedBrowser
    from quart_cors.testing import FetchResult, HTTPRequest, HTTPResponse, Transport

    from .apps import Origins

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on purpose: Quart's and Hypercorn's own ASGI types are narrower than these.
ASGIApp = Callable[..., Awaitable[None]]

LOGGER = logging.getLogger("tests.browser")

# Debian's package; QUART_CORS_CHROMIUM points elsewhere (e.g. /usr/bin/chromium-browser).
CHROMIUM = os.environ.get("QUART_CORS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Host names that Chromium resolves to 127.0.0.1 only because we say so: origins that merely
# look like an allowed wildcard pattern. (`*.localhost` resolves to loopback without help.)
EVIL_HOSTS = ("evil-localhost", "a.localhost.evil.test")
INSTALL_HINT = (
    "to run them: `apt-get install -y chromium` (Debian/Ubuntu; gives /usr/bin/chromium, or "
    "point QUART_CORS_CHROMIUM at another Chromium) and `pip install -e '.[dev]'` (Playwright "
    "for Python; never `playwright install`); set QUART_CORS_REQUIRE_BROWSER=1 to make this "
    "a failure instead of a skip"
)


# --------------------------------------------------------------------------------------------
# Request recording: what the servers actually saw (preflights, requests the browser never
# sent, the headers of a preflight answer).


@dataclass
class Exchange:
    """One HTTP request or WebSocket handshake as the server saw it, with its answer."""

    kind: str  # "http" or "websocket"
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def is_preflight(self) -> bool:
        return (
            self.method == "OPTIONS"
            and "origin" in self.headers
            and "access-control-request-method" in self.headers
        )


def _header_dict(raw: Any) -> dict[str, str]:
    """ASGI headers (a list of byte pairs) as a dict; repeated names joined with ", "."""
    headers: dict[str, str] = {}
    for name, value in raw or ():
        key = bytes(name).decode("latin-1").lower()
        text = bytes(value).decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class Recorder:
    """ASGI middleware around a whole app: records every request and the status it got.

    Chromium's requests go to ``exchanges``; the simulated browser's (recognised by
    SIMULATOR_AGENT) go to ``simulated``, so that the tests' counts see only Chromium."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self.simulated: list[Exchange] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        exchange = Exchange(
            kind=scope["type"],
            method=scope.get("method", "GET"),
            path=scope["path"],
            query=bytes(scope.get("query_string", b"")).decode("latin-1"),
            headers=_header_dict(scope.get("headers")),
        )
        if exchange.headers.get("user-agent") == SIMULATOR_AGENT:
            self.simulated.append(exchange)
        else:
            self.exchanges.append(exchange)

        async def recording_send(message: Message) -> None:
            kind = message["type"]
            if kind in {"http.response.start", "websocket.http.response.start"}:
                exchange.status = int(message["status"])
                exchange.response_headers = _header_dict(message.get("headers"))
            elif kind == "websocket.accept":
                exchange.status = 101
                exchange.response_headers = _header_dict(message.get("headers"))
            elif kind == "websocket.close" and exchange.status is None:
                exchange.status = 403  # Hypercorn answers a close-before-accept with 403
            await send(message)

        await self.app(scope, receive, recording_send)

    def matching(self, target: str, method: str | None = None) -> list[Exchange]:
        """Exchanges for exactly this path and query string. The servers live for the whole
        session, so every test gives its URLs a query string of its own."""
        return [
            exchange
            for exchange in self.exchanges
            if exchange.target == target and (method is None or exchange.method == method)
        ]

    def preflights(self, target: str) -> list[Exchange]:
        return [exchange for exchange in self.matching(target) if exchange.is_preflight]

    def actual(self, target: str, method: str) -> list[Exchange]:
        """Non-preflight requests: the ones the browser sends only once CORS let it."""
        return [exchange for exchange in self.matching(target, method) if not exchange.is_preflight]


# --------------------------------------------------------------------------------------------
# The page origin: the same tiny document, with the JS probes, for every host and path.

PROBES_JS = r"""
const noResult = (error, status) => ({
  blocked: true, error: String(error), status: status || 0, body: null, headers: {},
  redirected: false, url: null,
});
window.probeFetch = async (url, init) => {
  let response;
  try {
    response = await fetch(url, init || {});
  } catch (error) {
    return noResult(error);
  }
  const headers = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  return {
    blocked: false, error: null, status: response.status, body: await response.text(),
    headers, redirected: response.redirected, url: response.url,
  };
};
window.probeXhr = (method, url, options) => new Promise((resolve) => {
  const request = new XMLHttpRequest();
  request.open(method, url);
  request.withCredentials = Boolean(options.credentials);
  for (const [name, value] of Object.entries(options.headers || {})) {
    request.setRequestHeader(name, value);
  }
  request.onload = () => {
    const headers = {};
    for (const line of request.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
    resolve({
      blocked: false, error: null, status: request.status, body: request.responseText, headers,
      redirected: false, url: request.responseURL,
    });
  };
  request.onerror = () => resolve(noResult("XMLHttpRequest error", request.status));
  request.send(options.body === undefined ? null : options.body);
});
window.probeWebSocket = (url, message) => new Promise((resolve) => {
  const events = [];
  let opened = false;
  let reply = null;
  const socket = new WebSocket(url);
  const finish = (code) => { clearTimeout(timer); resolve({ opened, reply, events, code }); };
  const timer = setTimeout(() => { events.push("timeout"); finish(null); }, 5000);
  socket.onopen = () => { opened = true; events.push("open"); socket.send(message); };
  socket.onmessage = (event) => { events.push("message"); reply = event.data; socket.close(1000); };
  socket.onerror = () => { events.push("error"); };
  socket.onclose = (event) => { events.push("close"); finish(event.code); };
});
window.probesReady = true;
"""

PAGE_HTML = (
    "<!doctype html><html><head><meta charset='utf-8'><title>quart-cors browser test page"
    f"</title><script>{PROBES_JS}</script></head><body>probe page</body></html>"
).encode()


async def page_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Serves PAGE_HTML on every path (404 for the favicon); no CORS headers of its own."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    found = scope["path"] != "/favicon.ico"
    body = PAGE_HTML if found else b"not found"
    await send(
        {
            "type": "http.response.start",
            "status": 200 if found else 404,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --------------------------------------------------------------------------------------------
# Hypercorn, in the test event loop, on pre-bound loopback sockets (no port race).


def reserve_port() -> tuple[int, int]:
    """Bind a loopback socket on a free port; return (port, file descriptor) for Hypercorn."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    return port, sock.detach()


@dataclass
class Server:
    name: str
    port: int
    task: asyncio.Task[None]
    stop: asyncio.Event


class ServerGroup:
    """Hypercorn servers for several ASGI apps, started and stopped together."""

    def __init__(self) -> None:
        self.servers: list[Server] = []

    async def start(self, name: str, app: ASGIApp, port: int, fd: int) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"fd://{fd}"]
        config.accesslog = None
        config.errorlog = logging.getLogger(f"tests.browser.hypercorn.{name}")
        config.graceful_timeout = 1.0
        config.include_server_header = False
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
        self.servers.append(Server(name, port, task, stop))

    async def wait_ready(self, timeout: float = 15.0) -> None:
        """Wait until every server accepts connections (after its app's lifespan startup)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for server in self.servers:
            while True:
                if server.task.done():
                    server.task.result()  # raises the startup error
                    raise RuntimeError(f"server {server.name!r} stopped during startup")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
                except OSError:
                    if loop.time() > deadline:
                        raise TimeoutError(f"server {server.name!r} did not start") from None
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                break

    async def close(self) -> None:
        for server in self.servers:
            server.stop.set()
        for server in self.servers:
            try:
                await asyncio.wait_for(server.task, timeout=10)
            except Exception:
                LOGGER.exception("server %s did not shut down cleanly", server.name)


# --------------------------------------------------------------------------------------------
# What JavaScript saw.


@dataclass(frozen=True)
class Seen:
    """The outcome of a fetch or XMLHttpRequest, as the page's JavaScript saw it."""

    blocked: bool
    error: str | None
    status: int
    body: str | None
    headers: dict[str, str]
    redirected: bool
    url: str | None

    @classmethod
    def from_js(cls, data: Any) -> Seen:
        return cls(
            blocked=bool(data["blocked"]),
            error=data["error"],
            status=int(data["status"]),
            body=data["body"],
            headers={str(k).lower(): str(v) for k, v in dict(data["headers"]).items()},
            redirected=bool(data["redirected"]),
            url=data["url"],
        )

    def assert_blocked(self) -> None:
        """The browser refused to hand the response to JavaScript: a network error."""
        assert self.blocked, f"expected the browser to block it, but JS read {self}"
        assert self.status == 0

    def assert_readable(self, status: int = 200) -> None:
        assert not self.blocked, f"the browser blocked it: {self.error}"
        assert self.status == status, self


@dataclass(frozen=True)
class SocketSeen:
    opened: bool
    reply: str | None
    events: tuple[str, ...]
    code: int | None


async def js_fetch(page: Page, url: str, **init: Any) -> Seen:
    """Run fetch(url, init) in the page. Blocked requests give `TypeError: Failed to fetch`."""
    data = await page.evaluate("([url, init]) => window.probeFetch(url, init)", [url, init])
    return Seen.from_js(data)


async def js_xhr(
    page: Page,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    credentials: bool = False,
    body: str | None = None,
) -> Seen:
    options: dict[str, Any] = {"headers": headers or {}, "credentials": credentials}
    if body is not None:
        options["body"] = body
    data = await page.evaluate(
        "([method, url, options]) => window.probeXhr(method, url, options)",
        [method, url, options],
    )
    return Seen.from_js(data)


async def js_websocket(page: Page, url: str, message: str = "ping") -> SocketSeen:
    data = await page.evaluate(
        "([url, message]) => window.probeWebSocket(url, message)", [url, message]
    )
    return SocketSeen(
        opened=bool(data["opened"]),
        reply=data["reply"],
        events=tuple(data["events"]),
        code=data["code"],
    )


# --------------------------------------------------------------------------------------------
# Fixture types (the fixtures are in conftest.py).


@dataclass(frozen=True)
class Servers:
    origins: Origins
    urls: dict[str, str]  # app name -> "http://localhost:PORT"
    recorders: dict[str, Recorder]

    def url(self, app: str, path: str) -> str:
        return f"{self.urls[app]}{path}"

    def ws(self, app: str, path: str) -> str:
        return f"ws{self.urls[app].removeprefix('http')}{path}"


class OpenPage(Protocol):
    async def __call__(self, origin: str, *, permissions: Sequence[str] = ()) -> Page: ...


BLOCKED = "blocked"


async def outcomes(page: Page, urls: dict[str, str]) -> dict[str, int | str]:
    """Fetch each URL from the page: its status when JavaScript may read it, else BLOCKED.

    Comparing the whole dict with the expected one shows every mismatch in one failure."""
    seen: dict[str, int | str] = {}
    for label, url in urls.items():
        result = await js_fetch(page, url)
        seen[label] = BLOCKED if result.blocked else result.status
    return seen
