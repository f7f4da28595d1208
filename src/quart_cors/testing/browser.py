"""The simulated browser: fetch() and new WebSocket() from a page, with every rule applied
in the order of the Fetch Standard's main fetch (F#main-fetch, F#http-redirect-fetch)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from quart import Quart

from quart_cors.diagnose import diagnose

from .checks import cors_check, parse_token_list, preflight_check
from .classification import (
    TOKEN,
    checked_method,
    cors_unsafe_request_header_names,
    forbidden_request_header,
    needs_preflight,
    preflight_request_headers,
)
from .local_network import ADDRESS_SPACES, AddressSpace, local_network_check
from .messages import (
    Block,
    Credentials,
    FetchResult,
    FetchWarning,
    HTTPRequest,
    HTTPResponse,
    WebSocketResult,
)
from .origin import canonical_url, check_page_origin, redirect_tainted, serialize_origin
from .preflight_cache import (
    FAILED_PREFLIGHT_NOT_KEPT,
    PreflightCacheEntry,
    parse_max_age,
    preflight_reuse,
)
from .readable_headers import readable_response_headers
from .transports import QuartTransport, Transport

MAX_REDIRECTS = 20
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _header_list(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    if headers is None:
        return []
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    combined: dict[str, tuple[str, str]] = {}
    for name, raw_value in pairs:
        if not TOKEN.fullmatch(name):
            raise TypeError(f"{name!r} is not a valid header name")
        value = raw_value.strip(" \t\r\n")
        if "\r" in value or "\n" in value or "\0" in value:
            raise TypeError(f"{value!r} is not a valid value for header {name!r}")
        if any(ord(char) > 0xFF for char in value):
            # Header values are ByteStrings: fetch() throws on a character above U+00FF.
            raise TypeError(f"{value!r} has a character that is not Latin-1 (header {name!r})")
        key = name.lower()
        if key in combined:
            # Like a Headers object: a repeated name becomes one header joined with ', '.
            combined[key] = (combined[key][0], f"{combined[key][1]}, {value}")
        else:
            combined[key] = (name, value)
    return list(combined.values())


# The blocks a CORS policy causes (an origin, method, header or credentials it does not allow);
# the others (a redirect, a bad status, a malformed header) are the response's own doing.
_POLICY_BLOCKS = frozenset(
    prefix + code
    for prefix in ("", "preflight_")
    for code in (
        "missing_allow_origin",
        "wildcard_origin_not_allowed",
        "invalid_allow_credentials",
    )
) | {"method_not_allowed", "header_not_allowed"}


@dataclass
class _Fetch:
    """The request as it evolves through redirects (private, mutable)."""

    method: str
    headers: list[tuple[str, str]]
    body: bytes
    credentials: Credentials
    use_cors_preflight: bool


@dataclass
class _Trace:
    """What one fetch() has sent and received so far (private, mutable)."""

    url: str
    request: HTTPRequest
    preflight_request: HTTPRequest | None = None
    preflight: HTTPResponse | None = None
    response: HTTPResponse | None = None
    preflight_from_cache: bool = False
    redirects: list[HTTPResponse] = field(default_factory=list)
    warnings: list[FetchWarning] = field(default_factory=list)
    readable_headers: dict[str, str] = field(default_factory=dict)
    preflight_reuse: str = ""

    def result(self, block: Block | None, explanation: str = "") -> FetchResult:
        if block is not None:
            explanation = block.explanation
        if self.preflight_reuse:
            explanation = f"{explanation}; {self.preflight_reuse}"
        return FetchResult(
            ok=block is None,
            blocked_by=None if block is None else block.code,
            explanation=explanation,
            url=self.url,
            request=self.request,
            preflight_request=self.preflight_request,
            preflight=self.preflight,
            response=self.response,
            readable_headers=self.readable_headers if block is None else {},
            preflight_from_cache=self.preflight_from_cache,
            preflight_reuse=self.preflight_reuse,
            redirects=tuple(self.redirects),
            warnings=tuple(self.warnings),
        )


class Browser:
    """A page at ``origin`` that calls ``fetch()`` and ``new WebSocket()`` on a server.

    ``target`` is a Quart app (reached in process through ``QuartTransport``) or any
    ``Transport``.
    Relative paths resolve against ``base_url`` (for an app: ``http://localhost``, or the
    app's SERVER_NAME). The browser keeps a preflight cache and a cookie jar (``cookies``)
    between calls, as one tab would; ``clock`` lets tests move time forward.

    ``page_address_space`` turns on Chromium's Local Network Access check (off when None):
    it is the address space the page was loaded from ("public", "local" or "loopback"). A
    public page's fetch or WebSocket to a local or loopback address (see ``address_space``)
    then fails before anything is sent (``local_network_access_denied``), unless the user
    granted the page the local-network-access permission (``local_network_access=True``);
    after that, ordinary CORS applies.

    The reference, with every verdict code, is docs/testing.md.
    """

    def __init__(
        self,
        target: Quart | Transport,
        origin: str = "https://app.test",
        *,
        base_url: str | None = None,
        strict: bool = False,
        clock: Callable[[], float] = time.monotonic,
        page_address_space: AddressSpace | None = None,
        local_network_access: bool = False,
    ) -> None:
        self.transport: Transport
        if isinstance(target, Quart):
            self.transport = QuartTransport(target)
            if base_url is None:
                base_url = f"http://{target.config.get('SERVER_NAME') or 'localhost'}"
        else:
            self.transport = target
        check_page_origin(origin)
        self.origin = origin
        self.base_url = base_url or "http://localhost"
        self.strict = strict
        self.clock = clock
        if page_address_space is not None and page_address_space not in ADDRESS_SPACES:
            raise ValueError(
                "page_address_space must be 'public', 'local', 'loopback' or None, not "
                f"{page_address_space!r}"
            )
        self.page_address_space = page_address_space
        self.local_network_access = local_network_access
        self.preflight_cache: dict[tuple[str, str], PreflightCacheEntry] = {}
        self.cookies: dict[str, str] = {}

    def clear_cache(self) -> None:
        """Forget every cached preflight (a new browser context)."""
        self.preflight_cache.clear()

    def resolve(self, path: str, *, schemes: Iterable[str] = ("http", "https")) -> str:
        """The absolute URL a fetch() of ``path`` goes to (relative to ``base_url``)."""
        url = urljoin(self.base_url, path)
        parts = urlsplit(url)
        allowed = tuple(schemes)
        if parts.scheme not in allowed or not parts.hostname:
            raise ValueError(f"{url!r} is not a URL with a host and scheme {' or '.join(allowed)}")
        return canonical_url(url.split("#", 1)[0])

    def _local_network_check(self, url: str) -> Block | None:
        """Local Network Access, for a page whose address space is known (same-origin spared)."""
        if self.page_address_space is None:
            return None
        scheme, _, rest = url.partition(":")
        http_url = {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme) + ":" + rest
        if serialize_origin(http_url) == self.origin:
            return None
        return local_network_check(
            self.origin, self.page_address_space, url, permission=self.local_network_access
        )

    def _cookie_header(self) -> list[tuple[str, str]]:
        if not self.cookies:
            return []
        return [("Cookie", "; ".join(f"{name}={value}" for name, value in self.cookies.items()))]

    def _store_cookies(self, response: HTTPResponse) -> None:
        for line in response.get_all("set-cookie"):
            pair, *attributes = line.split(";")
            name, _, value = pair.strip().partition("=")
            expired = any(
                item.strip().lower().replace(" ", "") in {"max-age=0", "max-age=-1"}
                for item in attributes
            )
            if expired:
                self.cookies.pop(name, None)
            elif name:
                self.cookies[name] = value

    async def fetch(
        self,
        path: str,
        method: str = "GET",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: str | bytes | None = None,
        credentials: Credentials = "same-origin",
        *,
        use_cors_preflight: bool = False,
    ) -> FetchResult:
        """Run ``fetch(path, {method, headers, body, credentials, mode: "cors"})``.

        ``use_cors_preflight`` stands for the cases that force a preflight (a streaming body,
        XHR upload listeners). Raises TypeError where fetch() throws before sending (invalid
        header, forbidden method, GET with a body), ValueError for a URL a browser would not
        fetch, and TransportError when nothing answers.
        """
        if credentials not in ("omit", "same-origin", "include"):
            raise ValueError(
                f"credentials must be 'omit', 'same-origin' or 'include', not {credentials!r}"
            )
        method = checked_method(method, body)
        url = self.resolve(path)
        trace = _Trace(url=url, request=HTTPRequest(method, url))
        author_headers: list[tuple[str, str]] = []
        for name, value in _header_list(headers):
            if forbidden_request_header(name, value):
                trace.warnings.append(
                    FetchWarning(
                        "forbidden_header_dropped",
                        f"scripts cannot set {name!r}; fetch() drops it without an error",
                    )
                )
            else:
                author_headers.append((name, value))
        payload = b""
        if isinstance(body, str):
            payload = body.encode("utf-8")
            if not any(name.lower() == "content-type" for name, _ in author_headers):
                author_headers.append(("Content-Type", "text/plain;charset=UTF-8"))
        elif body is not None:
            payload = bytes(body)
        fetch = _Fetch(method, author_headers, payload, credentials, use_cors_preflight)
        result = await self._main_fetch(fetch, trace)
        return result if result.ok else await self._diagnosed(result, fetch)

    async def _diagnosed(self, result: FetchResult, fetch: _Fetch) -> FetchResult:
        """For an app in process: the explanation names the setting of the serving rule's
        effective policy that refuses the request (see quart_cors.diagnose), when one does."""
        transport = self.transport
        if not isinstance(transport, QuartTransport) or result.blocked_by not in _POLICY_BLOCKS:
            return result
        found = await diagnose(
            transport.app,
            result.url,  # after any redirects, with the method they left
            fetch.method,
            self.origin,
            unsafe_header_names=cors_unsafe_request_header_names(fetch.headers),
            credentials=fetch.credentials == "include",
        )
        if found is None:
            return result
        explanation = found.text
        if result.preflight_reuse:
            explanation = f"{explanation}; {result.preflight_reuse}"
        return replace(result, explanation=explanation, diagnosis=found)

    async def _main_fetch(self, fetch: _Fetch, trace: _Trace) -> FetchResult:
        """F#main-fetch and F#http-redirect-fetch: preflight, request, CORS check, redirects."""
        url_list = [trace.url]
        origin = self.origin
        cors_tainted = False
        while True:
            url = trace.url
            block = self._local_network_check(url)
            if block is not None:
                trace.request = HTTPRequest(fetch.method, url)
                return trace.result(block)
            same_origin = serialize_origin(url) == self.origin and not cors_tainted
            cors_tainted = not same_origin
            send_cookies = fetch.credentials == "include" or (
                fetch.credentials == "same-origin" and same_origin
            )
            if not same_origin and not self.strict:
                _warn_chromium_safelisted(fetch, trace)
            if not same_origin and needs_preflight(
                fetch.method,
                fetch.headers,
                use_cors_preflight=fetch.use_cors_preflight,
                strict=self.strict,
            ):
                block = await self._preflight(fetch, trace, origin)
                if block is not None:
                    trace.request = self._request(fetch, url, origin, send_cookies)
                    return trace.result(block)
            include_origin = not same_origin or fetch.method not in {"GET", "HEAD"}
            trace.request = self._request(
                fetch, url, origin if include_origin else None, send_cookies
            )
            response = await self.transport.send(trace.request)
            trace.response = response
            if send_cookies:
                self._store_cookies(response)
            if not same_origin and response.status not in {304, 407}:
                block = cors_check(
                    response.get_all("access-control-allow-origin"),
                    response.get("access-control-allow-credentials"),
                    origin,
                    fetch.credentials,
                )
                if block is not None and response.status in _REDIRECT_STATUSES:
                    block = Block(
                        block.code,
                        f"the redirect ({response.status} to {response.get('location')}) must "
                        f"pass the CORS check itself, but {block.explanation}",
                    )
                if block is not None:
                    # The Fetch Standard clears the (origin, URL) preflight cache entries here
                    # (F#main-fetch, "clear cache entries"); Chromium does not, and neither
                    # does the simulator: after a cached preflight and a PUT whose answer
                    # lacked ACAO, Chromium 156 sent the next PUT to that URL with no new
                    # OPTIONS (tests/browser/test_preflight.py,
                    # test_failed_cors_check_keeps_the_cached_preflight; Chromium's network
                    # team: "I don't see a path in Chrome to clear the entries on network
                    # errors", https://github.com/whatwg/fetch/pull/1101).
                    return trace.result(block)
            location = response.get("location")
            if response.status not in _REDIRECT_STATUSES or location is None:
                break
            block = self._redirect(fetch, trace, location, cors_tainted=cors_tainted)
            if block is not None:
                return trace.result(block)
            url_list.append(trace.url)
            # F#serializing-a-request-origin: a redirect-tainted origin becomes "null".
            if redirect_tainted(self.origin, url_list):
                origin = "null"
        response = trace.response
        status_note = ""
        if response.status >= 400:
            status_note = f" (JavaScript sees status {response.status})"
        explanation = (
            "the browser allows it: the response passed the CORS check"
            if cors_tainted
            else "the browser allows it: same-origin request, no CORS involved"
        )
        trace.readable_headers = readable_response_headers(
            response.headers, credentials=fetch.credentials, cors=cors_tainted
        )
        return trace.result(None, explanation + status_note)

    async def _preflight(self, fetch: _Fetch, trace: _Trace, origin: str) -> Block | None:
        """F#cors-preflight-fetch, unless the preflight cache already covers the request."""
        unsafe = cors_unsafe_request_header_names(fetch.headers, strict=self.strict)
        key = (origin, trace.url)
        cached = self.preflight_cache.get(key)
        now = self.clock()
        if cached is not None and cached.allows(
            fetch.method, unsafe, fetch.credentials, now, strict=self.strict
        ):
            trace.preflight_from_cache = True
            trace.preflight_reuse = (
                "a cached preflight answer covered it, which Chromium reuses for another "
                f"{math.ceil(cached.expires - now)} s"
            )
            return None
        request = HTTPRequest(
            "OPTIONS", trace.url, preflight_request_headers(origin, fetch.method, unsafe)
        )
        response = await self.transport.send(request)
        trace.preflight_request, trace.preflight = request, response
        trace.preflight_reuse = FAILED_PREFLIGHT_NOT_KEPT  # until it passes, below
        location = response.get("location")
        if response.status in _REDIRECT_STATUSES and location is not None:
            return Block(
                "preflight_disallowed_redirect",
                f"the preflight (OPTIONS) was answered with a redirect ({response.status} to "
                f"{location}) and browsers never follow redirects for preflights: call the "
                "final URL directly (a missing or extra trailing slash is the usual cause)",
            )
        block, warnings = preflight_check(
            response,
            origin=origin,
            method=fetch.method,
            unsafe_names=unsafe,
            credentials=fetch.credentials,
            use_cors_preflight=fetch.use_cors_preflight,
            strict=self.strict,
        )
        trace.warnings.extend(warnings)
        if block is None:
            trace.preflight_reuse = preflight_reuse(response.get("access-control-max-age"))
            max_age = parse_max_age(response.get("access-control-max-age"))
            methods = parse_token_list(response.get("access-control-allow-methods")) or ()
            if fetch.use_cors_preflight and not methods:
                # F#cors-preflight-fetch: with use-CORS-preflight and no ACAM, "methods" is the
                # request's method, and that is what the cache entry records.
                methods = (fetch.method,)
            names = parse_token_list(response.get("access-control-allow-headers")) or ()
            self.preflight_cache[key] = PreflightCacheEntry(
                methods=frozenset(methods),
                headers=frozenset(name.lower() for name in names),
                credentials=fetch.credentials == "include",
                expires=self.clock() + max_age,
            )
        return block

    def _redirect(
        self, fetch: _Fetch, trace: _Trace, location: str, *, cors_tainted: bool
    ) -> Block | None:
        """F#http-redirect-fetch: the next URL, and what the redirect changes in the request."""
        assert trace.response is not None
        status = trace.response.status
        if len(trace.redirects) >= MAX_REDIRECTS:
            return Block(
                "too_many_redirects", f"more than {MAX_REDIRECTS} redirects: fix the redirect loop"
            )
        trace.redirects.append(trace.response)
        try:
            next_url = canonical_url(urljoin(trace.url, location))
        except ValueError as error:
            return Block("redirect_invalid", f"the redirect to {location!r} is invalid: {error}")
        parts = urlsplit(next_url)
        if parts.scheme not in {"http", "https"}:
            return Block("redirect_invalid", f"the redirect to {location!r} is not http(s)")
        if cors_tainted and (parts.username or parts.password):
            return Block(
                "redirect_contains_credentials",
                f"the redirect to {location!r} contains a user name or password, which a "
                "cross-origin redirect may not: remove them from Location",
            )
        if (status in {301, 302} and fetch.method == "POST") or (
            status == 303 and fetch.method not in {"GET", "HEAD"}
        ):
            fetch.method, fetch.body = "GET", b""
            fetch.headers = [
                item for item in fetch.headers if not item[0].lower().startswith("content-")
            ]
        if serialize_origin(next_url) != serialize_origin(trace.url):
            fetch.headers = [item for item in fetch.headers if item[0].lower() != "authorization"]
        trace.url = next_url
        return None

    def _request(self, fetch: _Fetch, url: str, origin: str | None, cookies: bool) -> HTTPRequest:
        headers = list(fetch.headers)
        if not any(name.lower() == "accept" for name, _ in headers):
            headers.insert(0, ("Accept", "*/*"))
        if origin is not None:
            headers.append(("Origin", origin))
        if cookies:
            headers.extend(self._cookie_header())
        return HTTPRequest(fetch.method, url, tuple(headers), fetch.body)

    async def websocket(self, path: str) -> WebSocketResult:
        """Open ``new WebSocket(path)``: the handshake carries Origin and cookies, no preflight.

        Browsers do no CORS check on WebSockets, so the server's answer is the verdict.
        ``path`` may be a ws:// or wss:// URL, or http(s) as ``new WebSocket()`` accepts.
        """
        url = self.resolve(path, schemes=("ws", "wss", "http", "https"))
        headers = [("Origin", self.origin), *self._cookie_header()]
        request = HTTPRequest("GET", url, tuple(headers))
        block = self._local_network_check(url)
        if block is not None:  # nothing is sent: status 0
            return WebSocketResult(False, 0, (), block.code, block.explanation, request)
        status, answer = await self.transport.websocket(request)
        if status == 101:
            return WebSocketResult(
                True,
                status,
                answer,
                None,
                f"the server accepted the WebSocket handshake from origin {self.origin!r}",
                request,
            )
        block = _websocket_block(status, self.origin, url)
        return WebSocketResult(False, status, answer, block.code, block.explanation, request)


def _warn_chromium_safelisted(fetch: _Fetch, trace: _Trace) -> None:
    """Note, once per fetch, the headers that only Chromium sends without a preflight."""
    if any(warning.code == "chromium_safelisted_header" for warning in trace.warnings):
        return
    chromium = set(cors_unsafe_request_header_names(fetch.headers))
    standard = cors_unsafe_request_header_names(fetch.headers, strict=True)
    extra = [name for name in standard if name not in chromium]
    if extra:
        listed = ", ".join(repr(name) for name in extra)
        trace.warnings.append(
            FetchWarning(
                "chromium_safelisted_header",
                f"Chromium treats {listed} as CORS-safelisted (a client hint) and sends it "
                "without asking the server; the Fetch Standard and other browsers preflight "
                f"it: add {listed} to allow_headers if other browsers must send it",
            )
        )


def _websocket_block(status: int, origin: str, url: str) -> Block:
    """Why a handshake failed. Browsers do no CORS check on WebSockets: the server's answer
    is the verdict, and only a 400 is what quart-cors answers to an Origin it refuses."""
    if status == 0:
        return Block(
            "websocket_handshake_timeout",
            f"the server took the connection to {url} but never answered the handshake, so "
            "the page's WebSocket stays connecting (CORS is not involved): the websocket "
            "handler must accept (call websocket.accept(), or send or receive, which accept) "
            "or refuse; look for a hook or handler that waits before doing either",
        )
    if status == 404:
        return Block(
            "websocket_not_found",
            f"the server has no WebSocket route at {url} (status 404; CORS is not involved): "
            "check the path, and that the route is declared with @app.websocket (an "
            "@app.route path does not take WebSockets)",
        )
    if status >= 500:
        return Block(
            "websocket_server_error",
            f"the server failed while answering the handshake (status {status}; CORS is not "
            "involved): the websocket handler or a before_websocket hook raised an exception; "
            "the server's log has the traceback",
        )
    if status == 400:
        return Block(
            "websocket_refused",
            f"the server refused the WebSocket handshake from origin {origin!r} with status "
            "400, which is how quart-cors refuses an Origin it does not allow (browsers do no "
            f"CORS check here; the server decides): add {origin!r} to allow_origin of "
            "websocket_cors() or cors(); if it is already allowed, the handler or a hook "
            "refused the handshake itself",
        )
    return Block(
        "websocket_rejected",
        f"the server rejected the WebSocket handshake with status {status}, which is not how "
        "quart-cors refuses an origin (400): the handler or a before_websocket hook refused it "
        "(closing before accept() gives 403); check its conditions, such as authentication",
    )
