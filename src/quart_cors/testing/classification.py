"""Request classification: safelisted methods and headers, forbidden names, the preflight
decision (Fetch Standard: F#methods, F#terminology-headers, F#main-fetch)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .messages import Headers

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
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
# Chromium safelists more request headers than the Fetch Standard: client hints and its own
# Intervention header (services/network/public/cpp/cors/cors.cc, IsCorsSafelistedHeader), each
# with a value rule. (Its Sec-CH-* hints are forbidden names for scripts anyway.)
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)  # 1*DIGIT [ "." 1*DIGIT ]
_INTEGER = re.compile(r"[0-9]+", re.ASCII)  # 1*DIGIT
_EFFECTIVE_CONNECTION_TYPES = frozenset({"slow-2g", "2g", "3g", "4g"})  # compared as written
CHROMIUM_SAFELISTED_REQUEST_HEADERS = frozenset(
    {"device-memory", "downlink", "dpr", "ect", "intervention", "rtt", "save-data"}
    | {"viewport-width", "width"}
)


def byte_length(value: str) -> int:
    """A header value's length in bytes. Header values are byte strings: a script's characters
    up to U+00FF are one byte each (``fetch()`` refuses the others), so ``é`` counts 1."""
    try:
        return len(value.encode("latin-1"))
    except UnicodeEncodeError:
        return len(value.encode("utf-8"))


def checked_method(method: str, body: object = None) -> str:
    """The method fetch() would send, or TypeError where fetch() throws before sending."""
    if not TOKEN.fullmatch(method):
        raise TypeError(f"{method!r} is not a valid HTTP method")
    method = normalize_method(method)
    if method.upper() in _FORBIDDEN_METHODS:
        raise TypeError(f"fetch() refuses the forbidden method {method!r}")
    if body is not None and method in {"GET", "HEAD"}:
        raise TypeError("fetch() refuses a body with GET or HEAD")
    return method


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


def is_cors_safelisted_request_header(name: str, value: str, *, strict: bool = False) -> bool:
    """F#cors-safelisted-request-header: the name and its value rules, 128 bytes at most.

    Without ``strict``, Chromium's extra names count too (see ``chromium_safelisted_header``);
    with it, only the Fetch Standard's.
    """
    if byte_length(value) > 128:
        return False
    lowered = name.lower()
    if not strict and lowered in CHROMIUM_SAFELISTED_REQUEST_HEADERS:
        return chromium_safelisted_header(lowered, value)
    if lowered == "accept":
        return not _has_unsafe_byte(value)
    if lowered in {"accept-language", "content-language"}:
        return _LANGUAGE_VALUE.fullmatch(value) is not None
    if lowered == "content-type":
        if _has_unsafe_byte(value):
            return False
        essence = value.split(";", 1)[0].strip(" \t\r\n").lower()
        type_, _, subtype = essence.partition("/")
        if not (TOKEN.fullmatch(type_) and TOKEN.fullmatch(subtype)):
            return False
        return essence in _SAFELISTED_CONTENT_TYPES
    if lowered == "range":
        match = _SIMPLE_RANGE.fullmatch(value)
        if match is None:
            return False
        return not match.group(2) or int(match.group(1)) <= int(match.group(2))
    return False


def chromium_safelisted_header(name: str, value: str) -> bool:
    """Whether Chromium sends this client hint or Intervention header without a preflight.

    Not in the Fetch Standard: other browsers preflight these names. Values follow Chromium's
    rules: DPR, Device-Memory and Downlink a decimal number, Width, Viewport-Width and RTT
    an integer, ECT one of slow-2g, 2g, 3g, 4g, Save-Data "on" (any case), Intervention
    anything (128 bytes at most, like every safelisted value).
    """
    lowered = name.lower()
    if lowered not in CHROMIUM_SAFELISTED_REQUEST_HEADERS or byte_length(value) > 128:
        return False
    if lowered in {"device-memory", "downlink", "dpr"}:
        return _DECIMAL.fullmatch(value) is not None
    if lowered in {"rtt", "viewport-width", "width"}:
        return _INTEGER.fullmatch(value) is not None
    if lowered == "ect":
        return value in _EFFECTIVE_CONNECTION_TYPES
    if lowered == "save-data":
        return value.lower() == "on"
    return True  # intervention: Chromium checks nothing but the length


def cors_unsafe_request_header_names(headers: Headers, *, strict: bool = False) -> list[str]:
    """F#cors-unsafe-request-header-names: lowercased, de-duplicated, sorted by byte.

    Safelisted headers whose values add up to more than 1024 bytes all become unsafe. Without
    ``strict``, Chromium's extra safelisted names count as safelisted.
    """
    unsafe: set[str] = set()
    safelisted: set[str] = set()
    safelisted_size = 0
    for name, value in headers:
        if is_cors_safelisted_request_header(name, value, strict=strict):
            safelisted.add(name.lower())
            safelisted_size += byte_length(value)
        else:
            unsafe.add(name.lower())
    if safelisted_size > 1024:
        unsafe |= safelisted
    return sorted(unsafe, key=lambda name: name.encode("latin-1", "replace"))


def needs_preflight(
    method: str, headers: Headers, *, use_cors_preflight: bool = False, strict: bool = False
) -> bool:
    """F#main-fetch: an unsafe method, an unsafe header, or the use-CORS-preflight flag."""
    if use_cors_preflight:
        return True
    unsafe = cors_unsafe_request_header_names(headers, strict=strict)
    return not is_cors_safelisted_method(method) or bool(unsafe)


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
