"""A simulated browser: the browser's side of CORS, for tests and for `quart-cors check`.

``Browser`` sends requests the way Chromium does (preflight decision, preflight request,
preflight cache, redirects) through a pluggable transport, and applies the browser's checks
to the answers. Every rule is a small pure function in this module, named after the Fetch
Standard section it implements (https://fetch.spec.whatwg.org/), so that it can be tested on
its own. Where Chromium differs from the standard, the simulator follows Chromium (the
verdicts are compared against a real Chromium in tests/browser) and says so in a warning.

    browser = Browser(app, origin="https://app.test")
    result = await browser.fetch("/items/1", method="PUT", headers={"X-Token": "t"})
    result.ok, result.blocked_by, result.explanation
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import itertools
import os
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urljoin, urlsplit

from quart import Quart
from quart.testing.connections import WebsocketResponseError
from quart.testing.utils import sentinel
from werkzeug.datastructures import Headers as WerkzeugHeaders

from ._compat import WEBSOCKET_DISCONNECT_ERRORS, websocket_app_returned
from .origins import DEFAULT_PORTS, serialize_ipv6, split_origin

__all__ = [
    "Block",
    "Browser",
    "FetchResult",
    "FetchWarning",
    "HTTPRequest",
    "HTTPResponse",
    "HTTPXTransport",
    "PreflightCacheEntry",
    "QuartTransport",
    "Transport",
    "TransportError",
    "WebSocketResult",
    "address_space",
    "checked_method",
    "cors_check",
    "cors_unsafe_request_header_names",
    "forbidden_request_header",
    "is_cors_safelisted_method",
    "is_cors_safelisted_request_header",
    "needs_preflight",
    "normalize_method",
    "parse_max_age",
    "parse_token_list",
    "preflight_check",
    "preflight_request_headers",
    "readable_response_headers",
    "serialize_origin",
]

Credentials = Literal["omit", "same-origin", "include"]
# Local Network Access's IP address spaces, from the least to the most private.
AddressSpace = Literal["public", "local", "loopback"]
Headers = Sequence[tuple[str, str]]

# Chromium's preflight cache defaults (services/network/cors/preflight_result.cc).
DEFAULT_MAX_AGE = 5
MAX_MAX_AGE = 7200
MAX_REDIRECTS = 20

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CORS_UNSAFE_BYTES = frozenset('"():<>?@[\\]{}\x7f')
_LANGUAGE_VALUE = re.compile(r"[0-9A-Za-z *,\-.;=]*")
_SIMPLE_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# F#forbidden-request-header (names), plus the Sec- and Proxy- prefixes.
_FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
    }
)
_METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)
# F#cors-safelisted-response-header-name
_SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_PRIVACY = {"public": 0, "local": 1, "loopback": 2}
# URL host parser: a last label like this makes the host an IPv4 address.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*", re.ASCII)


# ---------------------------------------------------------------------------------------------
# Messages on the wire


@dataclass(frozen=True)
class HTTPRequest:
    """A request as the browser puts it on the wire."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def get(self, name: str) -> str | None:
        """The header's values joined with ', ', or None when absent."""
        return _get(self.headers, name)


@dataclass(frozen=True)
class HTTPResponse:
    """A response as the browser receives it, before any CORS filtering."""

    status: int
    headers: Headers = ()
    body: bytes = b""
    url: str = ""

    def get(self, name: str) -> str | None:
        """The header's values joined with ', ' (as JavaScript sees them), or None."""
        return _get(self.headers, name)

    def get_all(self, name: str) -> list[str]:
        """Every value of the header, one item per header line."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (replacing undecodable bytes)."""
        return self.body.decode("utf-8", "replace")


def _get(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    values = [value for key, value in headers if key.lower() == lowered]
    return ", ".join(values) if values else None


@dataclass(frozen=True)
class Block:
    """Why the browser refuses: a stable code and a sentence that says what to change."""

    code: str
    explanation: str


@dataclass(frozen=True)
class FetchWarning:
    """Something the browser lets through but reports in the console (or a simulator note)."""

    code: str
    message: str


@dataclass(frozen=True)
class FetchResult:
    """What a page's ``fetch()`` would get, and why.

    ``ok`` is True when the browser hands the response to JavaScript (whatever its status);
    ``blocked_by`` is then None. Otherwise ``blocked_by`` is one of the codes listed in the
    README of this module's tests (e.g. ``header_not_allowed``) and ``explanation`` says what
    to change on the server.
    """

    ok: bool
    blocked_by: str | None
    explanation: str
    url: str
    request: HTTPRequest
    preflight_request: HTTPRequest | None
    preflight: HTTPResponse | None
    response: HTTPResponse | None
    readable_headers: Mapping[str, str]
    preflight_from_cache: bool = False
    redirects: tuple[HTTPResponse, ...] = ()
    warnings: tuple[FetchWarning, ...] = ()

    @property
    def status(self) -> int | None:
        """The status JavaScript sees: the response's status when ok, else None."""
        return self.response.status if self.ok and self.response is not None else None

    @property
    def preflighted(self) -> bool:
        """Whether a preflight went on the wire for this fetch."""
        return self.preflight_request is not None

    def summary(self) -> dict[str, Any]:
        """A stable, JSON-friendly digest for comparing verdicts with a real browser."""
        return {
            "ok": self.ok,
            "blocked_by": self.blocked_by,
            "preflighted": self.preflighted,
            "status": self.status,
            "readable_headers": sorted(self.readable_headers),
            "warnings": [warning.code for warning in self.warnings],
        }


@dataclass(frozen=True)
class WebSocketResult:
    """The server's answer to a WebSocket handshake (browsers do no CORS check here).

    ``status`` is 0 when the browser sent no handshake (Local Network Access refused it).
    """

    accepted: bool
    status: int
    headers: Headers
    blocked_by: str | None
    explanation: str
    request: HTTPRequest


class TransportError(Exception):
    """The request could not be delivered (unreachable, timeout, TLS, bad URL): one line."""


class Transport(Protocol):
    """Delivers requests exactly as given; follows no redirect, adds no CORS header."""

    async def send(self, request: HTTPRequest) -> HTTPResponse: ...

    async def websocket(self, request: HTTPRequest) -> tuple[int, Headers]:
        """Perform a handshake; return its status (101 when accepted) and headers."""
        ...


# ---------------------------------------------------------------------------------------------
# Pure rules: origins, methods and request headers (CORS-NOTES sections 1-3)


def checked_method(method: str, body: object = None) -> str:
    """The method fetch() would send, or TypeError where fetch() throws before sending."""
    if not _TOKEN.fullmatch(method):
        raise TypeError(f"{method!r} is not a valid HTTP method")
    method = normalize_method(method)
    if method.upper() in _FORBIDDEN_METHODS:
        raise TypeError(f"fetch() refuses the forbidden method {method!r}")
    if body is not None and method in {"GET", "HEAD"}:
        raise TypeError("fetch() refuses a body with GET or HEAD")
    return method


def serialize_origin(url: str) -> str:
    """The ASCII serialization of a URL's origin: scheme://host[:port], default port omitted."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        raise ValueError(f"{url!r} has no scheme or host")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{url!r} has an invalid port") from error
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _origin_problem(origin: str) -> str | None:
    """Why a browser never sends ``origin`` as its Origin, or None when it could."""
    if origin == "null":
        return None
    parts = split_origin(origin)
    if parts is None:
        url = urlsplit(origin)
        if url.scheme and url.netloc and (url.path or url.query or url.fragment):
            return "browsers send no path, query or trailing slash"
        if not origin.isascii():
            return "browsers send international domain names as xn-- labels"
        if origin != origin.lower():
            return "browsers send the scheme and host in lowercase"
        return "it is not scheme://host[:port]"
    scheme, host, port = parts
    if port is not None and DEFAULT_PORTS.get(scheme) == port:
        return f"browsers omit the default port {port} of {scheme}"
    if host.startswith("["):
        try:
            compressed = f"[{serialize_ipv6(ipaddress.IPv6Address(host[1:-1]))}]"
        except ValueError:
            return f"{host} is not an IPv6 address"
        if compressed != host:
            return f"browsers write the IPv6 address {host} as {compressed}"
    elif _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # URL host parser: a host whose last label is a number is an IPv4 address.
        try:
            ipaddress.IPv4Address(host)  # only the dotted decimal form a browser writes
        except ValueError:
            return f"browsers read {host} as an IPv4 address and write it in dotted decimal"
    return None


def _suggested_origin(value: str) -> str | None:
    """The serialized origin a browser would send for what ``value`` seems to mean, if any."""
    text = value.strip()
    if text.lower() == "null":
        return "null"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in {"file", "data"}:
        return "null"  # opaque origins
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not scheme or not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if any(char in host for char in "\u00df\u03c2\u200c\u200d"):
            return None  # IDNA 2003 maps these unlike browsers (UTS 46): do not guess
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
    else:
        host = f"[{serialize_ipv6(address)}]" if address.version == 6 else str(address)
    suggestion = f"{scheme}://{host}"
    if port is not None and str(port) != DEFAULT_PORTS.get(scheme):
        suggestion += f":{port}"
    return suggestion if _origin_problem(suggestion) is None else None


def address_space(url: str) -> AddressSpace:
    """The IP address space of a URL's host, as Local Network Access sorts addresses.

    ``localhost``, ``*.localhost`` and loopback addresses are "loopback"; private, link-local
    and unique-local addresses are "local"; other addresses are "public". The simulator does
    not resolve names, so any other host name counts as "public".
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "local"
    return "public"


def normalize_method(method: str) -> str:
    """F#concept-method-normalize: uppercase the six standard methods, keep others as written."""
    upper = method.upper()
    return upper if upper in _NORMALIZED_METHODS else method


def is_cors_safelisted_method(method: str) -> bool:
    """F#cors-safelisted-method: GET, HEAD and POST, case-sensitively."""
    return method in _SAFELISTED_METHODS


def forbidden_request_header(name: str, value: str = "") -> bool:
    """F#forbidden-request-header: headers a script cannot set (fetch drops them silently)."""
    lowered = name.lower()
    if lowered in _FORBIDDEN_REQUEST_HEADERS:
        return True
    if lowered.startswith(("proxy-", "sec-")):
        return True
    if lowered in _METHOD_OVERRIDE_HEADERS:
        return any(item.strip().upper() in _FORBIDDEN_METHODS for item in value.split(","))
    return False


def _has_unsafe_byte(value: str) -> bool:
    # F#cors-unsafe-request-header-byte
    return any((ord(char) < 0x20 and char != "\t") or char in _CORS_UNSAFE_BYTES for char in value)


def is_cors_safelisted_request_header(name: str, value: str) -> bool:
    """F#cors-safelisted-request-header: the name and its value rules, 128 bytes at most."""
    if len(value.encode("utf-8")) > 128:
        return False
    lowered = name.lower()
    if lowered == "accept":
        return not _has_unsafe_byte(value)
    if lowered in {"accept-language", "content-language"}:
        return _LANGUAGE_VALUE.fullmatch(value) is not None
    if lowered == "content-type":
        if _has_unsafe_byte(value):
            return False
        essence = value.split(";", 1)[0].strip(" \t\r\n").lower()
        type_, _, subtype = essence.partition("/")
        if not (_TOKEN.fullmatch(type_) and _TOKEN.fullmatch(subtype)):
            return False
        return essence in _SAFELISTED_CONTENT_TYPES
    if lowered == "range":
        match = _SIMPLE_RANGE.fullmatch(value)
        if match is None:
            return False
        return not match.group(2) or int(match.group(1)) <= int(match.group(2))
    return False


def cors_unsafe_request_header_names(headers: Headers) -> list[str]:
    """F#cors-unsafe-request-header-names: lowercased, de-duplicated, sorted by byte.

    Safelisted headers whose values add up to more than 1024 bytes all become unsafe.
    """
    unsafe: set[str] = set()
    safelisted: set[str] = set()
    safelisted_size = 0
    for name, value in headers:
        if is_cors_safelisted_request_header(name, value):
            safelisted.add(name.lower())
            safelisted_size += len(value.encode("utf-8"))
        else:
            unsafe.add(name.lower())
    if safelisted_size > 1024:
        unsafe |= safelisted
    return sorted(unsafe, key=lambda name: name.encode("latin-1", "replace"))


def needs_preflight(method: str, headers: Headers, *, use_cors_preflight: bool = False) -> bool:
    """F#main-fetch: an unsafe method, an unsafe header, or the use-CORS-preflight flag."""
    if use_cors_preflight:
        return True
    return not is_cors_safelisted_method(method) or bool(cors_unsafe_request_header_names(headers))


def preflight_request_headers(origin: str, method: str, unsafe_names: Sequence[str]) -> Headers:
    """F#cors-preflight-fetch: Origin, Accept, ACRM and (only when non-empty) ACRH."""
    headers: list[tuple[str, str]] = [
        ("Origin", origin),
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", method),
    ]
    if unsafe_names:
        headers.append(("Access-Control-Request-Headers", ",".join(unsafe_names)))
    return tuple(headers)


# ---------------------------------------------------------------------------------------------
# Pure rules: the browser's checks of the answers (CORS-NOTES section 4)


def parse_token_list(value: str | None) -> tuple[str, ...] | None:
    """Parse ACAM / ACAH / ACEH as Chromium does: split on ',', trim, skip empty items.

    Returns () for a missing header and None when an item is not a token (a network error).
    """
    if value is None:
        return ()
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    if not all(_TOKEN.fullmatch(item) for item in items):
        return None
    return tuple(items)


def parse_max_age(value: str | None) -> int:
    """Access-Control-Max-Age as Chromium reads it: default 5 s, capped at 7200 s.

    A missing or unparsable value means 5 s; a negative value means no caching (0).
    """
    if value is None or re.fullmatch(r"-?\d+", value.strip()) is None:
        return DEFAULT_MAX_AGE
    seconds = int(value.strip())
    return max(0, min(seconds, MAX_MAX_AGE))


def _quote(value: str) -> str:
    return repr(value) if len(value) <= 200 else repr(value[:200] + "...")


def cors_check(
    allow_origin: Sequence[str],
    allow_credentials: str | None,
    origin: str,
    credentials: Credentials,
    *,
    preflight: bool = False,
) -> Block | None:
    """F#cors-check, in Chromium's order and with Chromium's error kinds.

    ``allow_origin`` holds every Access-Control-Allow-Origin header line of the response.
    """
    prefix = "preflight_" if preflight else ""
    where = "the preflight response" if preflight else "the response"
    include = credentials == "include"
    if not allow_origin:
        return Block(
            f"{prefix}missing_allow_origin",
            f"{where} has no Access-Control-Allow-Origin header, so origin {origin!r} is not "
            f"allowed: add {origin!r} to allow_origin (and check that the route is covered by "
            "cors() or route_cors() and is not cors_exempt)",
        )
    value = ", ".join(allow_origin)
    if value == "*":
        if not include:
            return None
        return Block(
            f"{prefix}wildcard_origin_not_allowed",
            f"{where} allows origin '*', which never applies to a request with "
            f"credentials: 'include': list {origin!r} in allow_origin with "
            "allow_credentials=True, or fetch without credentials",
        )
    if value != origin:
        if "," in value or " " in value:
            return Block(
                f"{prefix}multiple_allow_origin_values",
                f"{where} has several Access-Control-Allow-Origin values ({_quote(value)}) and "
                "a browser accepts exactly one: let only quart-cors set the header (not the "
                "view, a proxy or another middleware as well)",
            )
        if value != "null" and _ORIGIN_SHAPE.fullmatch(value) is None:
            return Block(
                f"{prefix}invalid_allow_origin_value",
                f"{where} has Access-Control-Allow-Origin {_quote(value)}, which is not an "
                f"origin: the server must send exactly {origin!r} (scheme://host[:port], no "
                "path, no trailing slash)",
            )
        return Block(
            f"{prefix}allow_origin_mismatch",
            f"{where} has Access-Control-Allow-Origin {_quote(value)} but the page's origin "
            f"is {origin!r}, and they must match byte for byte: add {origin!r} to allow_origin",
        )
    if include and allow_credentials != "true":
        got = "no Access-Control-Allow-Credentials header"
        if allow_credentials is not None:
            got = f"Access-Control-Allow-Credentials {_quote(allow_credentials)}"
        return Block(
            f"{prefix}invalid_allow_credentials",
            f"the request was sent with credentials: 'include' but {where} has {got} (it must "
            "be exactly 'true'): set allow_credentials=True, or fetch without credentials",
        )
    return None


# Chromium reports a value that is not even a URL (GURL invalid) as a separate error kind.
_ORIGIN_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


def preflight_check(
    response: HTTPResponse,
    *,
    origin: str,
    method: str,
    unsafe_names: Sequence[str],
    credentials: Credentials,
    use_cors_preflight: bool = False,
    strict: bool = False,
) -> tuple[Block | None, tuple[FetchWarning, ...]]:
    """F#cors-preflight-fetch: CORS check, ok status, then ACAM and ACAH against the request.

    With ``strict`` the Fetch Standard decides where Chromium differs (``*`` covering
    Authorization); otherwise Chromium 156 decides and the difference becomes a warning.
    """
    block = cors_check(
        response.get_all("access-control-allow-origin"),
        response.get("access-control-allow-credentials"),
        origin,
        credentials,
        preflight=True,
    )
    if block is not None:
        return block, ()
    if not 200 <= response.status <= 299:
        return (
            Block(
                "preflight_invalid_status",
                f"the preflight (OPTIONS) got status {response.status}, and a preflight needs "
                "a 2xx status: make sure the route accepts OPTIONS (cors() and route_cors() "
                "answer preflights themselves unless provide_automatic_options=False) and that "
                "no before_request hook rejects it (preflights never carry cookies or "
                "Authorization)",
            ),
            (),
        )
    include = credentials == "include"
    warnings: list[FetchWarning] = []
    acam_value = response.get("access-control-allow-methods")
    methods = parse_token_list(acam_value)
    if methods is None:
        return (
            Block(
                "invalid_allow_methods",
                f"the preflight's Access-Control-Allow-Methods ({_quote(acam_value or '')}) is "
                "not a comma-separated list of method names: give allow_methods valid tokens",
            ),
            (),
        )
    acah_value = response.get("access-control-allow-headers")
    header_names = parse_token_list(acah_value)
    if header_names is None:
        return (
            Block(
                "invalid_allow_headers",
                f"the preflight's Access-Control-Allow-Headers ({_quote(acah_value or '')}) is "
                "not a comma-separated list of header names: give allow_headers valid tokens",
            ),
            (),
        )
    if not methods and use_cors_preflight:
        methods = (method,)
    method_ok = (
        method in methods or is_cors_safelisted_method(method) or (not include and "*" in methods)
    )
    if not method_ok and method.upper() in methods:
        # Chromium still uppercases the request method before comparing (crbug 1228178).
        method_ok = True
        warnings.append(
            FetchWarning(
                "method_matched_uppercase",
                f"{method!r} matched only after uppercasing (Chromium's legacy rule; the Fetch "
                f"Standard compares case-sensitively): list {method!r} in allow_methods",
            )
        )
    if not method_ok:
        if not methods:
            listed = "has no Access-Control-Allow-Methods, which allows only GET, HEAD and POST"
        elif "*" in methods:
            listed = (
                "allows '*' in Access-Control-Allow-Methods, which does not apply to requests "
                "with credentials: 'include'"
            )
        else:
            listed = f"Access-Control-Allow-Methods ({acam_value}) does not list {method!r}"
        return (
            Block(
                "method_not_allowed",
                f"the preflight's {listed}: add {method!r} to allow_methods"
                if methods
                else f"the preflight response {listed}: add {method!r} to allow_methods",
            ),
            tuple(warnings),
        )
    lowered = {name.lower() for name in header_names}
    wildcard = "*" in lowered and not include
    for name in unsafe_names:
        if name in lowered:
            continue
        if wildcard and name != "authorization":
            continue
        if wildcard and name == "authorization" and not strict:
            warnings.append(
                FetchWarning(
                    "authorization_covered_by_wildcard",
                    "Access-Control-Allow-Headers '*' does not cover 'authorization' by the "
                    "Fetch Standard; Chromium still allows it with a deprecation warning "
                    "(AuthorizationCoveredByWildcard) and other browsers refuse it: add "
                    "'authorization' to allow_headers",
                )
            )
            continue
        if not header_names:
            listed = "Access-Control-Allow-Headers is missing, so it does not list " + repr(name)
        elif "*" in lowered and name == "authorization":
            listed = (
                "Access-Control-Allow-Headers '*' never covers 'authorization', which must be "
                "listed by name"
            )
        elif "*" in lowered:
            listed = (
                "Access-Control-Allow-Headers '*' does not apply to requests with "
                f"credentials: 'include', so it does not cover {name!r}"
            )
        else:
            listed = f"Access-Control-Allow-Headers ({acah_value}) does not list {name!r}"
        return (
            Block(
                "header_not_allowed",
                f"the preflight's {listed}: add {name!r} to allow_headers",
            ),
            tuple(warnings),
        )
    return None, tuple(warnings)


def readable_response_headers(
    headers: Headers, *, credentials: Credentials, cors: bool = True
) -> dict[str, str]:
    """F#concept-filtered-response-cors: what ``response.headers`` shows to JavaScript.

    Safelisted response headers plus Access-Control-Expose-Headers (``*`` means all of them,
    without credentials only); never Set-Cookie. A same-origin (basic) response shows all but
    Set-Cookie. Names are lowercased; repeated headers are joined with ', '.
    """
    names = [name.lower() for name, _ in headers]
    if cors:
        exposed = parse_token_list(_get(headers, "access-control-expose-headers")) or ()
        allowed = set(_SAFELISTED_RESPONSE_HEADERS)
        lowered = {name.lower() for name in exposed}
        if "*" in lowered and credentials != "include":
            allowed.update(names)
        allowed.update(lowered)
    else:
        allowed = set(names)
    readable: dict[str, str] = {}
    for name in names:
        if name in allowed and name not in _FORBIDDEN_RESPONSE_HEADERS and name not in readable:
            value = _get(headers, name)
            if value is not None:
                readable[name] = value
    return readable


# ---------------------------------------------------------------------------------------------
# The preflight cache (Chromium's shape: one result per origin and URL)


@dataclass(frozen=True)
class PreflightCacheEntry:
    """One cached preflight result, as Chromium's PreflightResult holds it."""

    methods: frozenset[str]
    headers: frozenset[str]
    credentials: bool
    expires: float

    def allows(
        self,
        method: str,
        unsafe_names: Sequence[str],
        credentials: Credentials,
        now: float,
        *,
        strict: bool = False,
    ) -> bool:
        """Whether this entry lets the request skip its preflight (not expired, covering it)."""
        include = credentials == "include"
        if now >= self.expires or (include and not self.credentials):
            return False
        wildcard = not include and "*" in self.methods
        if not (
            is_cors_safelisted_method(method)
            or method in self.methods
            or method.upper() in self.methods
            or wildcard
        ):
            return False
        header_wildcard = not include and "*" in self.headers
        for name in unsafe_names:
            if name in self.headers:
                continue
            if header_wildcard and (name != "authorization" or not strict):
                continue
            return False
        return True


# ---------------------------------------------------------------------------------------------
# Transports


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
                    if websocket_app_returned(connection):  # Quart 0.23: nothing to receive
                        await asyncio.wait([receive], timeout=0.05)
                        break
                    await asyncio.sleep(0.001)
                if receive.done():
                    error = receive.exception()
                    if isinstance(error, WebsocketResponseError):
                        status = error.response.status_code
                        answer = tuple(error.response.headers.items())
                    elif isinstance(error, WEBSOCKET_DISCONNECT_ERRORS):
                        # A close before accept is an HTTP 403 in ASGI.
                        status = 101 if connection.accepted else 403  # type: ignore[attr-defined]
                else:
                    receive.cancel()
                    if not connection.accepted:  # type: ignore[attr-defined]
                        status = 403 if websocket_app_returned(connection) else 504
        except WEBSOCKET_DISCONNECT_ERRORS + (WebsocketResponseError,):  # noqa: RUF005 (mypy)
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


# ---------------------------------------------------------------------------------------------
# The browser


def _header_list(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    if headers is None:
        return []
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    combined: dict[str, tuple[str, str]] = {}
    for name, raw_value in pairs:
        if not _TOKEN.fullmatch(name):
            raise TypeError(f"{name!r} is not a valid header name")
        value = raw_value.strip(" \t\r\n")
        if "\r" in value or "\n" in value or "\0" in value:
            raise TypeError(f"{value!r} is not a valid value for header {name!r}")
        key = name.lower()
        if key in combined:
            # Like a Headers object: a repeated name becomes one header joined with ', '.
            combined[key] = (combined[key][0], f"{combined[key][1]}, {value}")
        else:
            combined[key] = (name, value)
    return list(combined.values())


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

    def result(self, block: Block | None, explanation: str = "") -> FetchResult:
        return FetchResult(
            ok=block is None,
            blocked_by=None if block is None else block.code,
            explanation=explanation if block is None else block.explanation,
            url=self.url,
            request=self.request,
            preflight_request=self.preflight_request,
            preflight=self.preflight,
            response=self.response,
            readable_headers=self.readable_headers if block is None else {},
            preflight_from_cache=self.preflight_from_cache,
            redirects=tuple(self.redirects),
            warnings=tuple(self.warnings),
        )


class Browser:
    """A page at ``origin`` that calls ``fetch()`` and ``new WebSocket()`` on a server.

    ``target`` is a Quart app (requests go through its test client) or any ``Transport``.
    Relative paths resolve against ``base_url`` (for an app: ``http://localhost``, or the
    app's SERVER_NAME). The browser keeps a preflight cache and a cookie jar (``cookies``)
    between calls, as one tab would; ``clock`` lets tests move time forward.

    ``page_address_space`` turns on Chromium's Local Network Access check (off when None):
    it is the address space the page was loaded from ("public", "local" or "loopback"). A
    fetch or WebSocket to a more private address (see ``address_space``) then fails before
    anything is sent (``local_network_access_denied``), unless the user granted the page the
    local-network-access permission (``local_network_access=True``); after that, ordinary
    CORS applies.
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
        problem = _origin_problem(origin)
        if problem is not None:
            suggestion = _suggested_origin(origin)
            use = (
                f"use {suggestion!r}"
                if suggestion is not None
                else "use scheme://host[:port], or 'null' for an opaque origin"
            )
            raise ValueError(
                f"origin {origin!r} is not a serialized origin as browsers send it "
                f"({problem}): {use}"
            )
        self.origin = origin
        self.base_url = base_url or "http://localhost"
        self.strict = strict
        self.clock = clock
        if page_address_space is not None and page_address_space not in _PRIVACY:
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
        return url.split("#", 1)[0]

    def _local_network_check(self, url: str) -> Block | None:
        """Chromium's Local Network Access: a request to a more private address space needs
        the user's permission, and is refused before it is sent without it."""
        if self.page_address_space is None or self.local_network_access:
            return None
        scheme, _, rest = url.partition(":")
        http_url = {"ws": "http", "wss": "https"}.get(scheme.lower(), scheme) + ":" + rest
        if serialize_origin(http_url) == self.origin:
            return None
        target = address_space(url)
        if _PRIVACY[target] <= _PRIVACY[self.page_address_space]:
            return None
        return Block(
            "local_network_access_denied",
            f"the page {self.origin!r} was loaded from the {self.page_address_space} address "
            f"space and {url} is a {target} address, so Chromium's Local Network Access "
            "refuses the request before sending it unless the user grants the page the "
            "local-network-access permission; no server header can lift this "
            "(allow_private_network only answers the retired Private Network Access "
            "preflight): serve the page from a local address as well, or ask users to allow "
            "local network access",
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
        header, forbidden method, GET with a body) and TransportError when nothing answers.
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
        return await self._main_fetch(fetch, trace)

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
            if not same_origin and needs_preflight(
                fetch.method, fetch.headers, use_cors_preflight=fetch.use_cors_preflight
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
            if _redirect_tainted(self.origin, url_list):
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
        unsafe = cors_unsafe_request_header_names(fetch.headers)
        key = (origin, trace.url)
        cached = self.preflight_cache.get(key)
        if cached is not None and cached.allows(
            fetch.method, unsafe, fetch.credentials, self.clock(), strict=self.strict
        ):
            trace.preflight_from_cache = True
            return None
        request = HTTPRequest(
            "OPTIONS", trace.url, preflight_request_headers(origin, fetch.method, unsafe)
        )
        response = await self.transport.send(request)
        trace.preflight_request, trace.preflight = request, response
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
        next_url = urljoin(trace.url, location)
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
        return WebSocketResult(
            False,
            status,
            answer,
            "websocket_refused",
            f"the server refused the WebSocket handshake from origin {self.origin!r} with status "
            f"{status} (browsers do no CORS check here; the server decides): add "
            f"{self.origin!r} to allow_origin of websocket_cors() or cors()",
            request,
        )


def _redirect_tainted(origin: str, url_list: Sequence[str]) -> bool:
    """F#concept-request-tainted-origin: a cross-origin URL led to yet another origin."""
    origins = [serialize_origin(url) for url in url_list]
    return any(last not in (current, origin) for last, current in itertools.pairwise(origins))
