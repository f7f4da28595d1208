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
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from playwright.async_api import Page

    from quart_cors.testing import Browser as SimulatedBrowser
    from quart_cors.testing import (
        FetchResult,
        HTTPRequest,
        HTTPResponse,
        Transport,
        WebSocketResult,
    )

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
# An mDNS-style name, also mapped to 127.0.0.1: Chromium counts `*.local` as local.
MDNS_HOST = "printer.local"
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


# --------------------------------------------------------------------------------------------
# The simulated browser (quart_cors.testing) as Chromium's twin. Every probe below runs in the
# page first and then, with the same arguments, in a simulated browser that has the page's
# origin and talks to the same live servers; the two verdicts must agree.

# The simulator's User-Agent: how the Recorder tells its requests from Chromium's.
SIMULATOR_AGENT = "quart-cors-simulator (tests/browser)"
# Response headers whose values may differ between two requests (their names still count).
VOLATILE_HEADERS = frozenset({"date"})
FETCH_INIT = frozenset({"method", "headers", "body", "credentials"})


# How long the page's WebSocket probe waits for a handshake (PROBES_JS), and the simulator
# a little less: a handshake that never completes costs both this long.
HANDSHAKE_SECONDS = 5.0


class SimulatorTransport:
    """The simulator's HTTPXTransport to the live servers, with SIMULATOR_AGENT as the
    User-Agent (no CORS rule reads it; Chromium sends its own). Nothing else changes."""

    def __init__(self) -> None:
        from quart_cors.testing import HTTPXTransport

        self.inner: Transport = HTTPXTransport(timeout=HANDSHAKE_SECONDS - 1)

    @staticmethod
    def _mark(request: HTTPRequest) -> HTTPRequest:
        return replace(request, headers=(*request.headers, ("User-Agent", SIMULATOR_AGENT)))

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        parts = urlsplit(request.url)
        if not (parts.hostname or "").endswith(".localhost"):
            return await self.inner.send(self._mark(request))
        # Chromium resolves *.localhost to loopback itself; the system resolver may not.
        # Connect to 127.0.0.1 and send the Host Chromium sends.
        marked = self._mark(request)
        rewritten = replace(
            marked,
            url=urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}")),
            headers=(*marked.headers, ("Host", parts.netloc)),
        )
        response = await self.inner.send(rewritten)
        return replace(response, url=request.url)

    async def websocket(self, request: HTTPRequest) -> tuple[int, Sequence[tuple[str, str]]]:
        return await self.inner.websocket(self._mark(request))


@dataclass
class Twin:
    """The simulated browser shadowing one page: the page's origin, a cookie jar and a
    preflight cache of its own that start as empty as the page's fresh context."""

    simulator: SimulatedBrowser
    recorders: Sequence[Recorder]
    # The simulator's verdict on the page's last probe, for tests that check its wording.
    last_fetch: FetchResult | None = None
    last_websocket: WebSocketResult | None = None

    def mark(self) -> list[int]:
        return [len(recorder.exchanges) for recorder in self.recorders]

    def since(self, mark: Sequence[int]) -> list[Exchange]:
        """What Chromium sent to any API server since ``mark`` (one page runs at a time)."""
        return [
            exchange
            for recorder, start in zip(self.recorders, mark, strict=True)
            for exchange in recorder.exchanges[start:]
        ]


_TWINS: dict[int, Twin] = {}
# How many probes ran in both browsers, by kind: the suite prints these at the end.
COMPARED: dict[str, int] = {"fetch": 0, "xhr": 0, "websocket": 0}
# Probes started (compared or not): open_page checks that every test ran at least one.
PROBES = [0]
# Seconds spent in the simulator (the suite's budget is 2 minutes on 2 cores).
SIMULATOR_SECONDS = [0.0]


def attach_twin(page: Page, twin: Twin) -> None:
    _TWINS[id(page)] = twin


def detach_twin(page: Page) -> None:
    _TWINS.pop(id(page), None)


def _twin(page: Page) -> Twin:
    PROBES[0] += 1
    try:
        return _TWINS[id(page)]
    except KeyError:
        raise AssertionError(
            "open pages with the open_page fixture: it attaches the simulator"
        ) from None


def simulated(page: Page) -> Twin:
    """The simulator twin of a page opened with open_page (its last verdicts included)."""
    return _TWINS[id(page)]


def _comparable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name: "<varies>" if name in VOLATILE_HEADERS else value for name, value in headers.items()
    }


def assert_agreement(
    seen: Seen,
    result: FetchResult,
    *,
    probe: str,
    request: str,
    origin: str,
    sent: Sequence[Exchange],
) -> None:
    """Chromium (``seen``, and ``sent`` as the servers recorded it) against the simulator:
    same verdict; when allowed, the same status, body, readable headers and final URL; and
    a preflight on the wire for both or for neither."""
    chromium: dict[str, Any] = {
        "ok": not seen.blocked,
        "preflighted": any(exchange.is_preflight for exchange in sent),
    }
    simulator: dict[str, Any] = {"ok": result.ok, "preflighted": result.preflighted}
    if not seen.blocked:
        chromium |= {
            "status": seen.status,
            "body": seen.body,
            "readable_headers": _comparable_headers(seen.headers),
            "url": seen.url,
        }
    if result.ok and result.response is not None:
        simulator |= {
            "status": result.status,
            "body": result.response.text,
            "readable_headers": _comparable_headers(result.readable_headers),
            "url": result.url,
        }
    if probe == "fetch":  # XMLHttpRequest cannot tell whether it was redirected
        chromium["redirected"] = seen.redirected
        simulator["redirected"] = bool(result.redirects) and result.ok
    if chromium != simulator:
        differences = "\n".join(
            f"  {key}: Chromium {chromium.get(key)!r}, simulator {simulator.get(key)!r}"
            for key in sorted(chromium.keys() | simulator.keys())
            if chromium.get(key) != simulator.get(key)
        )
        raise AssertionError(
            f"the simulated browser disagrees with Chromium on {probe} {request} from "
            f"{origin}:\n{differences}\n  Chromium's error: {seen.error}\n  simulator: "
            f"{result.blocked_by}: {result.explanation}"
        )
    COMPARED[probe] += 1


async def js_fetch(page: Page, url: str, **init: Any) -> Seen:
    """Run fetch(url, init) in the page, and in the simulator; assert that they agree.
    Blocked requests give `TypeError: Failed to fetch`."""
    unknown = set(init) - FETCH_INIT
    if unknown:
        raise ValueError(f"the simulator comparison does not know fetch() options {unknown}")
    twin = _twin(page)
    mark = twin.mark()
    data = await page.evaluate("([url, init]) => window.probeFetch(url, init)", [url, init])
    seen = Seen.from_js(data)
    sent = twin.since(mark)
    method = str(init.get("method", "GET"))
    started = time.perf_counter()
    result = await twin.simulator.fetch(
        url,
        method=method,
        headers=init.get("headers"),
        body=init.get("body"),
        credentials=init.get("credentials", "same-origin"),
    )
    SIMULATOR_SECONDS[0] += time.perf_counter() - started
    twin.last_fetch = result
    assert_agreement(
        seen,
        result,
        probe="fetch",
        request=f"{method} {url}",
        origin=twin.simulator.origin,
        sent=sent,
    )
    return seen


async def js_xhr(
    page: Page,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    credentials: bool = False,
    body: str | None = None,
) -> Seen:
    """Run an XMLHttpRequest in the page, and the equivalent fetch in the simulator
    (withCredentials is credentials "include", else "same-origin"); assert that they agree."""
    twin = _twin(page)
    mark = twin.mark()
    options: dict[str, Any] = {"headers": headers or {}, "credentials": credentials}
    if body is not None:
        options["body"] = body
    data = await page.evaluate(
        "([method, url, options]) => window.probeXhr(method, url, options)",
        [method, url, options],
    )
    seen = Seen.from_js(data)
    sent = twin.since(mark)
    started = time.perf_counter()
    result = await twin.simulator.fetch(
        url,
        method=method,
        headers=headers,
        body=body,
        credentials="include" if credentials else "same-origin",
    )
    SIMULATOR_SECONDS[0] += time.perf_counter() - started
    assert_agreement(
        seen,
        result,
        probe="xhr",
        request=f"{method} {url}",
        origin=twin.simulator.origin,
        sent=sent,
    )
    return seen


async def js_websocket(page: Page, url: str, message: str = "ping") -> SocketSeen:
    """Open a WebSocket in the page, and in the simulator; assert that both see the same
    handshake outcome (opened or not, and the status the server answered Chromium with)."""
    twin = _twin(page)
    mark = twin.mark()
    data = await page.evaluate(
        "([url, message]) => window.probeWebSocket(url, message)", [url, message]
    )
    seen = SocketSeen(
        opened=bool(data["opened"]),
        reply=data["reply"],
        events=tuple(data["events"]),
        code=data["code"],
    )
    handshakes = [exchange for exchange in twin.since(mark) if exchange.kind == "websocket"]
    started = time.perf_counter()
    result = await twin.simulator.websocket(url)
    SIMULATOR_SECONDS[0] += time.perf_counter() - started
    twin.last_websocket = result
    # The server's answer to each handshake Chromium sent (None: it never answered).
    chromium = {"opened": seen.opened, "status": [exchange.status for exchange in handshakes]}
    statuses: list[int | None] = [result.status]
    if result.blocked_by == "local_network_access_denied":
        statuses = []  # the simulator sent no handshake; nor may Chromium have
    elif result.blocked_by == "websocket_handshake_timeout":
        statuses = [None]
    simulator = {"opened": result.accepted, "status": statuses}
    if chromium != simulator:
        raise AssertionError(
            f"the simulated browser disagrees with Chromium on WebSocket {url} from "
            f"{twin.simulator.origin}: Chromium {chromium}, simulator {simulator} "
            f"({result.blocked_by}: {result.explanation})"
        )
    COMPARED["websocket"] += 1
    return seen


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
