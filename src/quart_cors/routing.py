"""Which endpoint's policy applies to a request: Quart's own URL routing, asked the CORS way.

A browser preflights by URL, not by route: when several rules share a path, the preflight for
method M must be answered with the policy of the rule that will serve the actual M request
(F#cors-preflight-fetch), never with that of whichever rule accepts OPTIONS first.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect
from werkzeug.sansio.utils import get_host

from ._compat import request_path

# Quart's ASGI scopes are TypedDicts; this layer only reads a few keys.
Scope = Any


class PreflightTarget(NamedTuple):
    """The endpoint whose policy answers a preflight, and whether it serves the method asked."""

    endpoint: str
    serves_method: bool


def preflight_target(adapter: MapAdapter, requested_method: str) -> PreflightTarget | None:
    """Route a preflight by its Access-Control-Request-Method, as the actual request will be.

    None when the path matches no rule (or redirects): Quart answers that request itself. When
    rules match the path but none serves the method, the target is the endpoint whose policy the
    actual request's 405 gets, and the method is refused.
    """
    # Werkzeug uppercases a request's method before routing it, so the actual request does too.
    method = requested_method.upper()
    try:
        rule, _ = adapter.match(method=method, return_rule=True)
    except MethodNotAllowed as error:
        endpoint = method_not_allowed_endpoint(adapter, error)
        return None if endpoint is None else PreflightTarget(endpoint, serves_method=False)
    except HTTPException:
        return None
    return PreflightTarget(rule.endpoint, serves_method=True)


def method_not_allowed_endpoint(adapter: MapAdapter, error: MethodNotAllowed) -> str | None:
    """The endpoint a 405 is charged to: the rule of the first allowed method, in sorted order.

    Sorted, because a set's order would change between runs.
    """
    if not error.valid_methods:
        return None
    try:
        rule, _ = adapter.match(method=sorted(error.valid_methods)[0], return_rule=True)
    except HTTPException:
        return None
    return str(rule.endpoint)


def redirect_endpoint(
    adapter: MapAdapter, redirect: RequestRedirect, request: Any, method: str | None = None
) -> str | None:
    """The endpoint a trailing-slash redirect points at (its response takes that policy).

    ``method``: the method to route the new URL with, when not the request's (a preflight's
    requested method).
    """
    path = unquote(urlsplit(redirect.new_url).path).removeprefix(request.root_path)
    try:
        rule, _ = adapter.match(path, method=method or request.method, return_rule=True)
    except HTTPException:
        return None
    return str(rule.endpoint)


class RoutingFacts:
    """What Quart's URL adapter reads from a request, taken from an ASGI scope.

    It stands in for a Quart request in ``app.create_url_adapter()`` so that a preflight is
    routed before Quart builds its request objects, with the same host, scheme and path rules.
    """

    __slots__ = ("host", "method", "path", "query_string", "root_path", "scheme")

    def __init__(
        self, scope: Scope, server_name: str | None, trusted_hosts: list[str] | None = None
    ) -> None:
        self.scheme: str = scope.get("scheme", "http")
        host_header = None
        for name, value in scope["headers"]:
            # Any case, as Quart reads it: middleware may not write names in lowercase.
            if name.lower() == b"host":
                host_header = value.decode("latin-1")
                break
        if host_header is None and scope.get("http_version", "1.1") < "1.1":
            host_header = server_name or ""  # as Quart does for HTTP/1.0 requests
        server = scope.get("server")
        # trusted_hosts: the app's request class refuses other hosts (SecurityError, a 400).
        self.host = get_host(
            self.scheme, host_header, tuple(server) if server else None, trusted_hosts
        )
        self.method: str = scope.get("method", "GET")  # a websocket handshake is a GET
        self.root_path: str = scope.get("root_path", "")
        # As Werkzeug's request does: one leading slash.
        self.path = "/" + request_path(scope["path"], self.root_path).lstrip("/")
        self.query_string: bytes = scope.get("query_string", b"")
