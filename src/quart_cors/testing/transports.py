"""Transports: how the simulated browser's requests reach a server (an app in process, or a
live URL over the network). They deliver requests exactly as given."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import ssl
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from quart import Quart

from .messages import Headers, HTTPRequest, HTTPResponse


class TransportError(Exception):
    """The request could not be delivered (unreachable, timeout, TLS, bad URL): one line."""


class Transport(Protocol):
    """Delivers requests exactly as given; follows no redirect, adds no CORS header."""

    async def send(self, request: HTTPRequest) -> HTTPResponse: ...

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        """Perform a handshake; return its status (101 when accepted) and headers.

        The status is 0 when the server took the connection but never answered the handshake
        in time; raise TransportError when nothing could be reached at all.
        """
        ...


class QuartTransport:
    """Sends requests to a Quart app in process, through its ASGI interface as a server would.

    The response is what the app hands the server (status, headers, body), so it shows the
    headers a real server sends, without the ``Date`` and ``Server`` headers a server adds
    itself and with names lowercased as HTTP/1.1 servers send them. An exception that escapes
    the app becomes a 500, as in Hypercorn. No network, no lifespan start-up: run the app's
    start-up yourself (``async with app.test_app():``) when its routes need it.

    ``handshake_timeout`` is how long a WebSocket handshake may wait for the app to accept
    or refuse it; a handshake still unanswered then has status 0.
    """

    def __init__(self, app: Quart, *, handshake_timeout: float = 5.0) -> None:
        self.app = app
        self.handshake_timeout = handshake_timeout

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        scope = _asgi_scope("http", request)
        scope["method"] = request.method
        delivered = False
        finished = asyncio.Event()
        status = 500
        headers: list[tuple[str, str]] = []
        body = bytearray()

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": request.body, "more_body": False}
            await finished.wait()
            return {"type": "http.disconnect"}

        async def send(message: Mapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers[:] = _decode_headers(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    finished.set()

        try:
            await self.app(scope, receive, send)  # type: ignore[arg-type]
        except Exception:
            if not headers:  # nothing sent yet: the server answers 500 itself
                return HTTPResponse(500, (("content-length", "0"),), b"", request.url)
        finally:
            finished.set()
        if request.method == "HEAD":
            body.clear()
        return HTTPResponse(status, tuple(headers), bytes(body), request.url)

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        scope = _asgi_scope("websocket", request)
        scope["scheme"] = "wss" if scope["scheme"] in {"https", "wss"} else "ws"
        scope["subprotocols"] = []
        scope["extensions"] = {"websocket.http.response": {}}
        connected = False
        answered = asyncio.Event()
        closed = asyncio.Event()
        answer: list[tuple[int, Headers]] = []

        async def receive() -> dict[str, Any]:
            nonlocal connected
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            await closed.wait()
            return {"type": "websocket.disconnect", "code": 1000}

        async def send(message: Mapping[str, Any]) -> None:
            if answer:
                return
            kind = message["type"]
            headers = tuple(_decode_headers(message.get("headers", ())))
            if kind == "websocket.accept":
                answer.append((101, headers))
            elif kind == "websocket.close":
                answer.append((403, ()))  # a close before accept: servers answer 403
            elif kind == "websocket.http.response.start":
                answer.append((int(message["status"]), headers))
            answered.set()

        task = asyncio.ensure_future(self.app(scope, receive, send))  # type: ignore[arg-type]
        waiter = asyncio.ensure_future(answered.wait())
        try:
            await asyncio.wait(
                {task, waiter}, timeout=self.handshake_timeout, return_when="FIRST_COMPLETED"
            )
            ended = task.done()  # the app finished before answering or before the timeout
        finally:
            waiter.cancel()
            closed.set()  # the client goes away: the app winds its handler down itself
            try:
                await asyncio.wait_for(asyncio.shield(task), 1.0)
            except Exception:  # a slow or failing end of the app is not the verdict
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if answer:
            return answer[0]
        if ended:
            # The app returned or raised without answering: servers answer 500.
            return 500, ()
        return 0, ()  # the handshake never completed


def _asgi_scope(kind: str, request: HTTPRequest) -> dict[str, Any]:
    """The ASGI connection scope a server builds for ``request``."""
    parts = urlsplit(request.url)
    secure = parts.scheme in {"https", "wss"}
    try:
        port = parts.port or (443 if secure else 80)
    except ValueError:
        port = 443 if secure else 80
    raw_path = (parts.path or "/").encode("ascii", "replace")
    headers = [(b"host", parts.netloc.encode("idna"))]
    headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1", "replace"))
        for name, value in request.headers
        if name.lower() != "host"
    ]
    return {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": parts.scheme or "http",
        "path": unquote(parts.path or "/"),
        "raw_path": raw_path,
        "query_string": parts.query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": (parts.hostname or "localhost", port),
        "extensions": {},
    }


def _decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """ASGI response headers as an HTTP/1.1 server writes them: names lowercased."""
    return [
        (bytes(name).decode("latin-1").lower(), bytes(value).decode("latin-1"))
        for name, value in raw
    ]


class HTTPXTransport:
    """Sends requests over the network with httpx (the optional ``http`` extra)."""

    def __init__(self, *, timeout: float = 10.0, verify: bool | ssl.SSLContext = True) -> None:
        try:
            import httpx  # noqa: F401, PLC0415 - optional extra, checked early
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise TransportError("live URLs need httpx: pip install 'quart-cors[http]'") from error
        self.timeout = timeout
        self.verify = verify
        self._context: ssl.SSLContext | None = None

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings, made once: loading the CA certificates takes tens of
        milliseconds, which every request (even over plain http) would otherwise pay."""
        if self._context is None:
            import httpx  # noqa: PLC0415 - the optional `http` extra

            self._context = httpx.create_ssl_context(verify=self.verify)
        return self._context

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        import httpx  # noqa: PLC0415 - the optional `http` extra

        try:
            async with httpx.AsyncClient(
                timeout=self.timeout, verify=self.ssl_context(), follow_redirects=False
            ) as client:
                response = await client.request(
                    request.method,
                    request.url,
                    # Bytes as the browser sends them: httpx would encode str values as ASCII.
                    headers=[
                        (name.encode("latin-1"), value.encode("latin-1", "replace"))
                        for name, value in request.headers
                    ],
                    content=request.body or None,
                )
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError) as error:
            raise TransportError(_describe_network_error(request.url, error)) from error
        return HTTPResponse(
            status=response.status_code,
            headers=tuple(response.headers.multi_items()),
            body=response.content,
            url=request.url,
        )

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        parts = urlsplit(request.url)
        secure = parts.scheme in {"https", "wss"}
        host = parts.hostname or ""
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError as error:
            raise TransportError(f"bad URL {request.url!r}: invalid port") from error
        context = self.ssl_context() if secure else None
        key = base64.b64encode(os.urandom(16)).decode()
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in request.headers),
        ]
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=context), self.timeout
            )
        except (OSError, asyncio.TimeoutError) as error:
            raise TransportError(_describe_network_error(request.url, error)) from error
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
        except asyncio.TimeoutError:
            return 0, ()  # connected, but the handshake was never answered
        except (OSError, asyncio.IncompleteReadError) as error:
            raise TransportError(_describe_network_error(request.url, error)) from error
        finally:
            writer.close()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError) as error:
            raise TransportError(f"{request.url}: not an HTTP answer: {status_line!r}") from error
        headers = tuple(
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines if line)
        )
        return status, headers


def _describe_network_error(url: str, error: BaseException) -> str:
    """One line for a failed delivery: what happened and to which URL."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    name = type(error).__name__
    if any(isinstance(item, ssl.SSLError) for item in chain) or "SSL" in str(error):
        detail = next((str(item) for item in chain if isinstance(item, ssl.SSLError)), str(error))
        return f"TLS handshake with {url} failed: {detail}"
    if "Timeout" in name or any(isinstance(item, asyncio.TimeoutError) for item in chain):
        return f"timed out waiting for {url}"
    if "InvalidURL" in name or "UnsupportedProtocol" in name or isinstance(error, ValueError):
        return f"bad URL {url!r}: {error}"
    detail = str(error) or name
    return f"cannot connect to {url}: {detail}"
