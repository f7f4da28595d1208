"""Transports: how the simulated browser's requests reach a server (an app in process, or a
live URL over the network). They deliver requests exactly as given."""

from __future__ import annotations

import asyncio
import base64
import os
import ssl
import time
from typing import Protocol
from urllib.parse import urlsplit

from quart import Quart
from quart.testing.connections import WebsocketDisconnectError, WebsocketResponseError
from quart.testing.utils import sentinel
from werkzeug.datastructures import Headers as WerkzeugHeaders

from .messages import Headers, HTTPRequest, HTTPResponse


class TransportError(Exception):
    """The request could not be delivered (unreachable, timeout, TLS, bad URL): one line."""


class Transport(Protocol):
    """Delivers requests exactly as given; follows no redirect, adds no CORS header."""

    async def send(self, request: HTTPRequest) -> HTTPResponse: ...

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        """Perform a handshake; return its status (101 when accepted) and headers."""
        ...


class QuartTransport:
    """Sends requests to a Quart app through its test client; no network involved."""

    def __init__(self, app: Quart) -> None:
        self.app = app

    async def send(self, request: HTTPRequest) -> HTTPResponse:
        parts = urlsplit(request.url)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        headers = WerkzeugHeaders(list(request.headers))
        if "host" not in headers:
            headers["Host"] = parts.netloc
        client = self.app.test_client(use_cookies=False)
        response = await client.open(
            path,
            method=request.method,
            headers=headers,
            data=request.body,
            scheme=parts.scheme or "http",
            json=sentinel,
        )
        body = await response.get_data(as_text=False)
        return HTTPResponse(
            status=response.status_code,
            headers=tuple(response.headers.items()),
            body=body,
            url=request.url,
        )

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        parts = urlsplit(request.url)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        headers = WerkzeugHeaders(list(request.headers))
        headers.setdefault("Host", parts.netloc)
        client = self.app.test_client(use_cookies=False)
        scheme = "wss" if parts.scheme in {"https", "wss"} else "ws"
        status: int = 101
        answer: Headers = ()
        try:
            async with client.websocket(path, headers=headers, scheme=scheme) as connection:
                receive = asyncio.ensure_future(connection.receive())
                deadline = time.monotonic() + 5
                while not connection.accepted and not receive.done():  # type: ignore[attr-defined]
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.001)
                if receive.done():
                    error = receive.exception()
                    if isinstance(error, WebsocketResponseError):
                        status = error.response.status_code
                        answer = tuple(error.response.headers.items())
                    elif isinstance(error, WebsocketDisconnectError):
                        # A close before accept is an HTTP 403 in ASGI.
                        status = 101 if connection.accepted else 403  # type: ignore[attr-defined]
                else:
                    receive.cancel()
                    if not connection.accepted:  # type: ignore[attr-defined]
                        status = 504
        except (WebsocketResponseError, WebsocketDisconnectError):
            pass
        return status, answer


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
                    headers=list(request.headers),
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
            try:
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.timeout)
            finally:
                writer.close()
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
            raise TransportError(_describe_network_error(request.url, error)) from error
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
