"""Which rule a request belongs to, and what a preflight answer for its URL may promise.

A browser preflights a URL, not a route, and keeps the answer per (origin, URL, credentials)
for every method and header name it lists (F#cors-preflight-cache). So:

- a preflight is answered by the policy of the rule that will serve the actual request: the
  rule that matches the path and the Access-Control-Request-Method;
- on a URL where every rule (and every method of a MethodView) has the same policy, the answer
  lists what that policy allows, and the browser may keep it for max_age;
- on a URL whose rules have different policies, the answer lists exactly the method and header
  names that were asked (when the serving rule allows them) with ``Access-Control-Max-Age: 0``,
  so that the browser keeps nothing another rule on the URL would refuse.

Which URLs can be served by several rules is decided once per app from the rules' shapes
(``RouteTable``); only for URLs whose rules may differ is the path routed once per method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect, Rule
from werkzeug.sansio.utils import get_host

from ._compat import request_path, rule_path_tokens
from .policy import Policy

# Quart's ASGI scopes are TypedDicts; this layer only reads a few keys.
Scope = Any
# policy_of(endpoint, method): the policy serving that method at that endpoint (None: no CORS).
PolicyOf = Callable[[str | None, str], "Policy | None"]
# A method no rule names, to find the rules that accept any method.
_ANY_METHOD = "QUART-CORS-ANY-METHOD"


class PreflightPlan(NamedTuple):
    """How to answer one preflight: by which policy, and how much it may promise.

    ``narrow`` is True on URLs whose rules have different policies: the answer then lists only
    what was asked, with Max-Age 0.
    """

    endpoint: str | None
    policy: Policy
    narrow: bool


class _Shape(NamedTuple):
    """A rule's path as segments: static text, or None where a converter sits."""

    segments: tuple[str | None, ...]
    # Index of the first converter that may match "/" (a path converter), else None.
    spans_at: int | None
    # strict_slashes=False: the rule also serves its path with the trailing slash toggled
    # ('/a/' serves '/a', and '/a' serves '/a/'), without a redirect.
    loose_slash: bool = False


def _shape(rule: Rule) -> _Shape:
    """The rule's path as Werkzeug matches it: its parsed tokens, not the rule's raw text.

    The raw text differs where Werkzeug merged slashes ('/a//b' is '/a/b') and where a
    converter's arguments hold a "/" (``<regex("[a-z]+/[a-z]+"):name>``).
    """
    tokens = rule_path_tokens(rule)
    converters = getattr(rule, "_converters", None)
    if tokens is None or converters is None:
        # Not bound to a map: nothing is known after the root, so it may share any URL.
        return _Shape(("",), 1, loose_slash=True)
    segments: list[str | None] = []
    static: str | None = ""
    spans_at = None
    for is_variable, data in tokens:
        if not is_variable and data == "/":
            segments.append(static)
            static = ""
        elif is_variable:
            static = None
            # A converter that is not part-isolating may match "/": Werkzeug then matches
            # the rest of the path against one regex, so the rest is unknown.
            if spans_at is None and not getattr(converters.get(data), "part_isolating", False):
                spans_at = len(segments)
        elif static is not None:
            static += data
    segments.append(static)
    return _Shape(tuple(segments), spans_at, rule.strict_slashes is False)


def _slash_variants(shape: _Shape) -> tuple[_Shape, ...]:
    """The shape, and for a rule without strict slashes the shape of its other spelling."""
    if not shape.loose_slash or shape.spans_at is not None:
        return (shape,)  # a converter matching "/" takes a trailing slash already
    segments = shape.segments
    toggled = segments[:-1] if segments[-1:] == ("",) else (*segments, "")
    return (shape, shape._replace(segments=toggled))


def _may_overlap(first: _Shape, second: _Shape) -> bool:
    """Whether some path could match both shapes (a converter is assumed to match anything)."""
    return any(
        _may_overlap_exactly(one, other)
        for one in _slash_variants(first)
        for other in _slash_variants(second)
    )


def _may_overlap_exactly(first: _Shape, second: _Shape) -> bool:
    if first.spans_at is None and second.spans_at is None:
        if len(first.segments) != len(second.segments):
            return False
        common = len(first.segments)
    else:
        common = min(
            first.spans_at if first.spans_at is not None else len(first.segments),
            second.spans_at if second.spans_at is not None else len(second.segments),
        )
    return all(
        a is None or b is None or a == b
        for a, b in zip(first.segments[:common], second.segments[:common], strict=False)
    )


def _rule_methods(rule: Rule) -> Iterable[str]:
    return rule.methods if rule.methods is not None else (_ANY_METHOD,)


class RouteTable:
    """For each HTTP rule: whether every rule that can share a URL with it has its policy.

    Rules whose URLs may be shared with a rule of another policy are "mixed": their preflights
    are planned by routing the path once per method the neighbouring rules name.
    """

    def __init__(self, rules: Sequence[Rule], policy_of: PolicyOf) -> None:
        self.rule_count = len(rules)
        http_rules = [rule for rule in rules if not getattr(rule, "websocket", False)]
        shapes = {id(rule): _shape(rule) for rule in http_rules}
        policies = {
            id(rule): {policy_of(rule.endpoint, method) for method in _rule_methods(rule)}
            for rule in http_rules
        }
        self.uniform: set[int] = set()
        # For mixed rules: every method some rule that may share its URL names.
        self.neighbour_methods: dict[int, frozenset[str]] = {}
        everything_alike = len({id(p) for ps in policies.values() for p in ps}) <= 1
        for rule in http_rules:
            if everything_alike:
                self.uniform.add(id(rule))
                continue
            shape = shapes[id(rule)]
            neighbours = [other for other in http_rules if _may_overlap(shape, shapes[id(other)])]
            seen = {id(p) for other in neighbours for p in policies[id(other)]}
            if len(seen) <= 1:
                self.uniform.add(id(rule))
            else:
                self.neighbour_methods[id(rule)] = frozenset(
                    method for other in neighbours for method in _rule_methods(other)
                )


def plan_preflight(
    adapter: MapAdapter,
    requested_method: str,
    table: RouteTable,
    policy_of: PolicyOf,
    enclosing: Callable[[Iterable[str]], Policy | None],
) -> PreflightPlan | None:
    """Route a preflight by its Access-Control-Request-Method, as the actual request will be.

    None when the path matches no rule (or redirects), or when the rule that serves the request
    has no CORS: Quart then answers, with whatever CORS headers its answer gets.
    ``enclosing(endpoints)`` is the policy of the scope that encloses those endpoints, for a 405
    on a path whose rules differ.
    """
    # Werkzeug uppercases a request's method before routing it, so the actual request does too.
    method = requested_method.upper()
    try:
        rule, _ = adapter.match(method=method, return_rule=True)
    except MethodNotAllowed as error:
        return _plan_405(adapter, error, table, policy_of, enclosing)
    except HTTPException:
        return None
    policy = policy_of(rule.endpoint, method)
    if policy is None:
        return None
    neighbour_methods = table.neighbour_methods.get(id(rule))
    narrow = neighbour_methods is not None and not _alike(
        path_policies(adapter, neighbour_methods, policy_of).values()
    )
    return PreflightPlan(rule.endpoint, policy, narrow)


def _plan_405(
    adapter: MapAdapter,
    error: MethodNotAllowed,
    table: RouteTable,
    policy_of: PolicyOf,
    enclosing: Callable[[Iterable[str]], Policy | None],
) -> PreflightPlan | None:
    found = method_not_allowed_policy(adapter, error, policy_of, enclosing)
    if found is None:
        return None
    endpoint, policy, alike = found
    if policy is None:
        return None
    if alike:
        # Werkzeug's valid methods leave out rules that share the URL through
        # strict_slashes=False ('/a/' also serving '/a'): ask the table which rules may.
        alike = not _neighbours_differ(adapter, error.valid_methods or (), table, policy_of)
    # The page will see the 405: the answer lets the request go, by the 405's own policy.
    return PreflightPlan(endpoint, policy, narrow=not alike)


def _neighbours_differ(
    adapter: MapAdapter, methods: Iterable[str], table: RouteTable, policy_of: PolicyOf
) -> bool:
    """Whether the rules that may share this URL with the rules serving ``methods`` here
    serve it with different policies."""
    neighbour_methods: set[str] = set()
    for method in methods:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        neighbour_methods.update(table.neighbour_methods.get(id(rule), ()))
    return bool(neighbour_methods) and not _alike(
        path_policies(adapter, neighbour_methods, policy_of).values()
    )


def method_not_allowed_policy(
    adapter: MapAdapter,
    error: MethodNotAllowed,
    policy_of: PolicyOf,
    enclosing: Callable[[Iterable[str]], Policy | None],
) -> tuple[str | None, Policy | None, bool] | None:
    """The policy a 405 on this path gets: (endpoint to name, policy, whether all rules agree).

    When every rule on the path has one policy, the 405 takes it (as 0.8.0 did for a path of
    one rule). When they differ, it takes the policy of the scope enclosing them all: the
    innermost blueprint with them all inside, else the app. Never the order of method names.
    """
    found = path_policies(adapter, error.valid_methods or (), policy_of)
    if not found:
        return None
    endpoints = sorted({endpoint for endpoint, _ in found.values()})
    if _alike(found.values()):
        return endpoints[0], next(iter(found.values()))[1], True
    return None, enclosing(endpoints), False


def path_policies(
    adapter: MapAdapter, methods: Iterable[str], policy_of: PolicyOf
) -> dict[str, tuple[str, Policy | None]]:
    """Route the adapter's path once per method: method -> (endpoint, policy) where served."""
    found: dict[str, tuple[str, Policy | None]] = {}
    for method in methods:
        try:
            rule, _ = adapter.match(method=method, return_rule=True)
        except HTTPException:
            continue
        found[method] = (rule.endpoint, policy_of(rule.endpoint, method))
    return found


def _alike(found: Iterable[tuple[str, Policy | None]]) -> bool:
    return len({id(policy) for _, policy in found}) <= 1


class PlanMemo:
    """Preflight plans by what routing reads (path, root path, scheme, Host, method), bounded.

    An attacker can send any path or Host: past the limit the oldest entry goes.
    """

    LIMIT = 1024

    def __init__(self) -> None:
        self._plans: dict[tuple[object, ...], PreflightPlan | None] = {}

    def get(self, key: tuple[object, ...]) -> PreflightPlan | bool | None:
        """The plan memoized for ``key``; False when there is none."""
        return self._plans.get(key, False)

    def put(self, key: tuple[object, ...], plan: PreflightPlan | None) -> None:
        plans = self._plans
        if len(plans) >= self.LIMIT:
            del plans[next(iter(plans))]
        plans[key] = plan

    def clear(self) -> None:
        self._plans.clear()


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
