"""What the Quart integration modules share: markers, ASGI types, and the request's CORS headers.

It sits below the decorators, the app state, the preflight gate and the response hook, so that
none of them needs to import another one for these small pieces.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from werkzeug.datastructures import Headers

from ._compat import header_list
from .policy import RESPONSE_HEADER_NAMES, Answer
from .signals import cors_rejected

logger = logging.getLogger("quart_cors")

# Attributes the decorators set on view functions.
ROUTE_LAYER = "_quart_cors_route_layer"
WEBSOCKET_LAYER = "_quart_cors_websocket_layer"
EXEMPT = "_quart_cors_exempt"
OWN_OPTIONS = "_quart_cors_answers_options"
# route_cors(report_only=...): the candidate settings of that view.
REPORT_LAYER = "_quart_cors_report_layer"
# Set on the function route_cors wraps, to notice route_cors placed above @app.route.
WRAPPED_BY_ROUTE_CORS = "_quart_cors_wrapped_by_route_cors"

# Where a layer's settings came from, as describe() and `quart-cors routes` name them.
ROUTE_CORS_SOURCE = "route_cors"
WEBSOCKET_CORS_SOURCE = "websocket_cors"

# The ASGI callables are typed loosely: Quart's TypedDict unions add nothing on this path.
Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

# The CORS response header names as an ASGI server wants them: lowercase bytes.
ASGI_NAMES: Mapping[str, bytes] = MappingProxyType(
    {name: name.lower().encode("latin-1") for name in RESPONSE_HEADER_NAMES}
)
LOG_LIMIT = 200


class RequestFacts:
    """The CORS request headers of one request, read from the raw ASGI header list.

    ``host`` is the raw Host header (lowercase name only), a part of the routing memo's key.
    """

    __slots__ = ("host", "origin", "private_network", "request_headers", "request_method")

    def __init__(
        self,
        origin: str | None,
        request_method: str | None,
        request_headers: str | None,
        private_network: bool,
        host: bytes | None = None,
    ) -> None:
        self.origin = origin
        self.request_method = request_method
        self.request_headers = request_headers
        self.private_network = private_network
        self.host = host

    @classmethod
    def scan(cls, raw_headers: Iterable[tuple[bytes, bytes]]) -> RequestFacts:
        method = names = origin = host = None
        private_network = False
        for name, value in raw_headers:
            if name == b"origin":
                # Several Origin headers join into a value that matches nothing.
                text = value.decode("latin-1")
                origin = text if origin is None else f"{origin}, {text}"
            elif name == b"host":
                host = value if host is None else host + b"\0" + value
            elif name[:15] == b"access-control-":
                if name == b"access-control-request-method":
                    text = value.decode("latin-1").strip()
                    method = text if method is None else f"{method}, {text}"
                elif name == b"access-control-request-headers":
                    text = value.decode("latin-1")
                    names = text if names is None else f"{names},{text}"
                elif name == b"access-control-request-private-network":
                    private_network = value.strip().lower() == b"true"
        return cls(origin, method, names, private_network, host)

    def is_preflight(self, method: str) -> bool:
        # F#http-requests: OPTIONS + Origin + a non-empty Access-Control-Request-Method.
        return method == "OPTIONS" and bool(self.request_method) and self.origin is not None


def origin_header(raw_headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The request's Origin; several Origin headers join into a value that matches nothing."""
    origin = None
    for name, value in raw_headers:
        if name == b"origin":
            text = value.decode("latin-1")
            origin = text if origin is None else f"{origin}, {text}"
    return origin


def apply_answer(headers: Headers, answer: Answer) -> None:
    """Set the answer's headers on a response and merge its names into Vary."""
    items = header_list(headers)
    for name, _ in items:
        lowered = name.lower()
        if lowered == "vary" or lowered.startswith("access-control-"):
            break
    else:
        # Nothing to replace or merge: append. Every value was validated when the policy was
        # compiled or when the request's value passed the origin grammar and token rules,
        # which is what Werkzeug's set() would check again, header by header.
        items.extend(answer.block())
        return
    for name, value in answer.headers:
        headers[name] = value
    if answer.vary:
        merge_vary(headers, answer.vary)


def merge_vary(headers: Headers, names: Iterable[str]) -> None:
    """Add names to Vary without replacing it or repeating one already there."""
    current = headers.getlist("Vary")
    if not current:
        headers["Vary"] = ", ".join(names)
        return
    present = {item.strip().lower() for value in current for item in value.split(",")}
    if "*" in present:
        return
    missing = [name for name in names if name.lower() not in present]
    if missing or len(current) > 1:
        headers["Vary"] = ", ".join([*(value for value in current if value.strip()), *missing])


def reporting() -> bool:
    """Whether a refusal is logged or signalled, so that unobserved refusals cost nothing."""
    return bool(cors_rejected.receivers) or logger.isEnabledFor(logging.DEBUG)
