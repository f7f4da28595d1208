"""The CORS state of one app: its cors() layers, and which compiled policy serves a request.

Per app, one ``AppCORS`` holds the cors() layers and a policy per endpoint (and per method of a
MethodView whose methods carry their own ``route_cors``), compiled once: at start-up, or on the
first request when the app is driven without a lifespan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from quart import Quart
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect

from . import errors
from ._common import (
    EXEMPT,
    OWN_OPTIONS,
    ROUTE_CORS_SOURCE,
    ROUTE_LAYER,
    WEBSOCKET_CORS_SOURCE,
    WEBSOCKET_LAYER,
    WRAPPED_BY_ROUTE_CORS,
    logger,
)
from ._compat import rule_count
from .errors import ConfigProblem, CORSConfigError
from .origins import canary_matched_by
from .policy import Policy
from .routing import (
    PlanMemo,
    PreflightPlan,
    RouteTable,
    RoutingFacts,
    method_not_allowed_policy,
    plan_preflight,
    redirect_endpoint,
)
from .settings import Layer, compile_policy, read_config

EXTENSION_KEY = "quart_cors"
# policies[endpoint] for an endpoint whose MethodView methods have policies of their own.
BY_METHOD: Any = object()
_NOT_COMPILED: Any = object()
# The methods a MethodView answers with a handler of another name (F#concept-method-normalize
# aside, Quart falls back from HEAD to get()).
_HANDLER_FALLBACK = {"HEAD": "get"}


class AppCORS:
    """The cors() layers of one app and the policies compiled from them."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.app_layer: Layer | None = None
        self.blueprint_layers: dict[str, Layer] = {}
        # blueprint name -> url_prefix, to give a 404 under the prefix the blueprint's policy.
        self.blueprint_prefixes: dict[str, str] = {}
        self.installed = False
        # endpoint (None: requests that matched no rule) -> policy, None for "no CORS", or
        # BY_METHOD (see by_method).
        self.policies: dict[str | None, Policy | None] = {}
        self.by_method: dict[str, dict[str, Policy | None]] = {}
        self.compiled = False
        # The QUART_CORS_* values, read once, on the first compile.
        self.config: Mapping[str, object] | None = None
        # ids of the rules whose view answers OPTIONS itself (route_cors(provide_automatic_
        # options=False) on a rule that Quart gives no automatic OPTIONS answer).
        self.own_options_rules: frozenset[int] = frozenset()
        self.table = RouteTable((), self.policy_of)
        self.plans = PlanMemo()

    @classmethod
    def of(cls, app: Quart) -> AppCORS:
        state = app.extensions.get(EXTENSION_KEY)
        if state is None:
            state = app.extensions[EXTENSION_KEY] = cls(app)
        return cast(AppCORS, state)

    # --- compiling -----------------------------------------------------------------------

    def compile_all(self) -> None:
        """Compile every endpoint's policy now, raising one error with all problems."""
        if self.compiled:
            return
        views = self.app.view_functions
        policies: dict[str | None, Policy | None] = {}
        by_method: dict[str, dict[str, Policy | None]] = {}
        problems: dict[str, ConfigProblem] = {}
        for endpoint in [None, *views]:
            try:
                policies[endpoint] = self._compile(endpoint)
                if endpoint is not None and self.installed:
                    handlers = method_handler_layers(views[endpoint])
                    if handlers:
                        by_method[endpoint] = {
                            method: None if layer is None else self._compile(endpoint, layer)
                            for method, layer in handlers.items()
                        }
                        # "": the methods whose handlers have no settings of their own.
                        by_method[endpoint][""] = policies[endpoint]
            except CORSConfigError as error:
                for problem in error.problems:
                    problems.setdefault(str(problem), problem)
        for problem in placement_problems(views, self.installed):
            problems.setdefault(str(problem), problem)
        if problems:
            raise CORSConfigError(problems.values(), f"app {self.app.name!r}")
        # One object per distinct policy: "same policy" is then an identity check.
        canonical: dict[Policy, Policy] = {}
        self.policies = {endpoint: _intern(p, canonical) for endpoint, p in policies.items()}
        self.by_method = {
            endpoint: {method: _intern(p, canonical) for method, p in methods.items()}
            for endpoint, methods in by_method.items()
        }
        for endpoint in by_method:
            self.policies[endpoint] = BY_METHOD
        self.compiled = True
        self.refresh_routes()
        warn_any_origin_regexes(self.policies.values())

    def refresh_routes(self) -> None:
        """Re-read the URL map: which rules share URLs, which answer OPTIONS themselves."""
        rules = list(self.app.url_map.iter_rules())
        views = self.app.view_functions
        self.own_options_rules = frozenset(
            id(rule)
            for rule in rules
            if getattr(views.get(rule.endpoint), OWN_OPTIONS, False)
            and not getattr(rule, "provide_automatic_options", False)
            and "OPTIONS" in (rule.methods or ())
        )
        self.table = RouteTable(rules, self.policy_of)
        self.plans.clear()

    def routes_changed(self) -> bool:
        """Whether rules were added since the table was built (apps may add them late)."""
        return self.table.rule_count != rule_count(self.app.url_map)

    def policy_for(self, endpoint: str | None) -> Policy | None:
        """The policy of an endpoint (None: no CORS there); compiles the app on first use."""
        policy = self.policies.get(endpoint, _NOT_COMPILED)
        if policy is _NOT_COMPILED:
            if not self.compiled:
                self.compile_all()
            policy = self.policies.get(endpoint, _NOT_COMPILED)
            if policy is _NOT_COMPILED:  # an endpoint added after start-up
                policy = self.policies[endpoint] = self._compile(endpoint)
        return cast("Policy | None", policy)

    def policy_of(self, endpoint: str | None, method: str) -> Policy | None:
        """The policy that serves ``method`` at ``endpoint`` (MethodView methods included)."""
        policy = self.policy_for(endpoint)
        if policy is BY_METHOD:
            methods = self.by_method[cast(str, endpoint)]
            return methods.get(method, methods[""])
        return policy

    def _compile(self, endpoint: str | None, method_layer: Layer | None = None) -> Policy | None:
        named = self.layers_of(endpoint)
        if named is None or (not named and method_layer is None):
            return None
        overrides: dict[str, object] = {}
        if any(source == WEBSOCKET_CORS_SOURCE for source, _ in named):
            # A websocket handshake only checks the origin; credentials do not apply.
            overrides["allow_credentials"] = False
        if self.config is None:
            self.config = read_config(self.app.config)
        layers = [layer for _, layer in named]
        if method_layer is not None:
            layers.insert(0, method_layer)
        return compile_policy(layers, self.config, f"endpoint {endpoint!r}", overrides)

    def layers_of(self, endpoint: str | None) -> list[tuple[str, Layer]] | None:
        """The layers that apply to an endpoint, most specific first, each with its source.

        Sources are "route_cors", "websocket_cors", "blueprint:NAME" (innermost first) and
        "app"; None means the endpoint is cors_exempt.
        """
        named: list[tuple[str, Layer]] = []
        if endpoint is not None:
            view = self.app.view_functions.get(endpoint)
            if getattr(view, EXEMPT, False):
                return None
            route_layer = getattr(view, ROUTE_LAYER, None)
            if route_layer is not None:
                named.append((ROUTE_CORS_SOURCE, route_layer))
            websocket_layer = getattr(view, WEBSOCKET_LAYER, None)
            if websocket_layer is not None:
                named.append((WEBSOCKET_CORS_SOURCE, websocket_layer))
            blueprint = endpoint.rpartition(".")[0]
            while blueprint:
                if blueprint in self.blueprint_layers:
                    named.append((f"blueprint:{blueprint}", self.blueprint_layers[blueprint]))
                blueprint = blueprint.rpartition(".")[0]
        if self.app_layer is not None:
            named.append(("app", self.app_layer))
        return named

    # --- which policy serves a request ---------------------------------------------------

    def url_adapter(self, request: Any) -> MapAdapter | None:
        """Quart's URL adapter for a request (or RoutingFacts); None for a Host it refuses."""
        try:
            return self.app.create_url_adapter(request)
        except HTTPException:
            # Quart answers 400 for it (untrusted or invalid Host); its answer stays as it is.
            return None

    def scope_adapter(self, scope: Any) -> MapAdapter | None:
        """url_adapter() for an ASGI scope, before Quart builds a request from it."""
        app = self.app
        try:
            facts = RoutingFacts(scope, app.config["SERVER_NAME"], app.request_class.trusted_hosts)
        except HTTPException:
            return None  # a Host outside trusted_hosts: Quart refuses it, with its own answer
        return self.url_adapter(facts)

    def plan(self, adapter: MapAdapter, requested_method: str) -> PreflightPlan | None:
        """The plan for a preflight to the adapter's URL (see routing.plan_preflight)."""
        if self.routes_changed():
            self.refresh_routes()
        return plan_preflight(
            adapter, requested_method, self.table, self.policy_of, self.enclosing_policy
        )

    def enclosing_policy(self, endpoints: Iterable[str]) -> Policy | None:
        """The policy of the innermost blueprint enclosing every endpoint, else the app's."""
        blueprints = [endpoint.split(".")[:-1] for endpoint in endpoints]
        common: list[str] = []
        for names in zip(*blueprints, strict=False):
            if len(set(names)) != 1:
                break
            common.append(names[0])
        return self.policy_for(".".join([*common, "<unmatched>"]) if common else None)

    def served_by(self, request_: Any) -> tuple[str | None, Policy | None]:
        """The endpoint and policy of an actual request, also when routing failed.

        A 405 takes the policy all rules on the path share, else that of the scope enclosing
        them; a redirect that of the rule it points at; a 404 that of the innermost blueprint
        whose url_prefix contains the path, else the app's.
        """
        rule = request_.url_rule
        if rule is not None:
            return rule.endpoint, self.policy_of(rule.endpoint, request_.method)
        error = request_.routing_exception
        adapter = self.url_adapter(request_)
        endpoint: str | None = None
        if adapter is None:
            return None, None  # Quart refused the Host: its 400 stays as it is
        if isinstance(error, MethodNotAllowed):
            found = method_not_allowed_policy(adapter, error, self.policy_of, self.enclosing_policy)
            return (None, None) if found is None else found[:2]
        if isinstance(error, RequestRedirect):
            endpoint = redirect_endpoint(adapter, error, request_)
            return endpoint, self.policy_of(endpoint, request_.method)
        endpoint = self.unmatched_endpoint(request_.path)
        return endpoint, self.policy_for(endpoint)

    def unmatched_endpoint(self, path: str) -> str | None:
        """The pseudo-endpoint of a 404: "<blueprint>.<unmatched>", or None for the app's."""
        owner, best = None, (-1, -1)
        for name, prefix in self.blueprint_prefixes.items():
            if path == prefix or path.startswith(prefix + "/"):
                # The longest prefix wins; for equal prefixes, the innermost blueprint.
                rank = (len(prefix), name.count("."))
                if rank > best:
                    owner, best = name, rank
        return None if owner is None else f"{owner}.<unmatched>"


def _intern(policy: Policy | None, canonical: dict[Policy, Policy]) -> Policy | None:
    if policy is None:
        return None
    try:
        return canonical.setdefault(policy, policy)
    except TypeError:  # an unhashable origin callable: the policy stands alone
        return policy


def method_handler_layers(view: Callable[..., Any]) -> dict[str, Layer | None]:
    """For a MethodView whose handlers carry route_cors or cors_exempt: method -> their layer.

    None marks an exempt handler. Empty for any other view, or when no handler carries either.
    """
    view_class = getattr(view, "view_class", None)
    methods = getattr(view_class, "methods", None)
    if view_class is None or not methods:
        return {}
    found: dict[str, Layer | None] = {}
    for method in methods:
        handler = getattr(view_class, method.lower(), None)
        if handler is None:
            handler = getattr(view_class, _HANDLER_FALLBACK.get(method, ""), None)
        if getattr(handler, EXEMPT, False):
            found[method] = None
        elif getattr(handler, ROUTE_LAYER, None) is not None:
            found[method] = getattr(handler, ROUTE_LAYER)
    if found and "HEAD" not in found and "GET" in found and "HEAD" in {m.upper() for m in methods}:
        found["HEAD"] = found["GET"]
    return found


def placement_problems(
    views: Mapping[str, Callable[..., Any]], installed: bool
) -> list[ConfigProblem]:
    """route_cors where it cannot work: above @app.route, or on a class-based view's method
    that no request reaches through it (or in an app without cors(), which would never see the
    preflight for it)."""
    problems = [
        ConfigProblem(
            errors.ROUTE_CORS_MISPLACED,
            "route_cors",
            endpoint,
            "route_cors is above @app.route, so the app registered the undecorated view and "
            "route_cors does nothing; put @route_cors below @app.route (nearest the function)",
        )
        for endpoint in _misplaced_route_cors_endpoints(views)
    ]
    for endpoint, view in views.items():
        view_class = getattr(view, "view_class", None)
        if view_class is None:
            continue
        handled = {method.lower() for method in getattr(view_class, "methods", None) or ()}
        for name in dir(view_class):
            handler = getattr(view_class, name, None)
            if getattr(handler, ROUTE_LAYER, None) is None:
                continue
            if name not in handled:
                fix = (
                    f"{view_class.__name__}.{name} is not a method handler of the view, so "
                    "route_cors there is never applied; for the whole view put route_cors in "
                    "the class's `decorators` list"
                )
            elif not installed:
                fix = (
                    f"route_cors on {view_class.__name__}.{name} needs cors() on the app or "
                    "blueprint to answer its preflights; add cors(app, allow_origin=[]) (it "
                    "allows nothing by itself), or decorate the whole view"
                )
            else:
                continue
            problems.append(
                ConfigProblem(errors.ROUTE_CORS_VIEW_CLASS, "route_cors", endpoint, fix)
            )
    return problems


def _misplaced_route_cors_endpoints(views: Mapping[str, Callable[..., Any]]) -> list[str]:
    """Endpoints whose view route_cors wrapped, while the app registered the unwrapped function.

    A function may also be registered twice on purpose, once plain and once wrapped: it is
    misplaced only when no registered view is its route_cors wrapper.
    """
    wrapped = {
        id(getattr(view, "__wrapped__", None))
        for view in views.values()
        if hasattr(view, ROUTE_LAYER)
    }
    return [
        endpoint
        for endpoint, view in views.items()
        if getattr(view, WRAPPED_BY_ROUTE_CORS, False)
        and not hasattr(view, ROUTE_LAYER)
        and id(view) not in wrapped
    ]


def warn_any_origin_regexes(policies: Iterable[object]) -> None:
    """Log once per regex that matches any site: without credentials it is '*' in disguise."""
    seen: set[re.Pattern[str]] = set()
    for policy in policies:
        if not isinstance(policy, Policy):
            continue
        for regex in policy.origins.any_origin_regexes:
            if regex not in seen:
                seen.add(regex)
                logger.warning(
                    "CORS allow_origin regex %r matches every origin (for example %r); if "
                    "that is what you mean write '*', otherwise narrow it to your sites",
                    regex.pattern,
                    canary_matched_by(regex),
                )
