"""The CORS state of one app: its cors() layers, and which compiled policy serves a request.

Per app, one ``AppCORS`` holds the cors() layers and a policy per endpoint (and per method of a
MethodView whose methods carry their own ``route_cors``), compiled once: at start-up, or on the
first request when the app is driven without a lifespan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, cast

from quart import Quart

from . import errors
from ._common import (
    EXEMPT,
    OWN_OPTIONS,
    ROUTE_CORS_SOURCE,
    ROUTE_LAYER,
    WEBSOCKET_CORS_SOURCE,
    WEBSOCKET_LAYER,
    logger,
)
from ._compat import rule_count
from .candidates import Candidates
from .errors import ConfigProblem, CORSConfigError
from .origins import OriginSource, any_origin_regex_warning
from .policy import Policy
from .routing import PlanMemo, RouteTable
from .settings import Layer, compile_policy, read_config
from .views import method_handler_layers, placement_problems

EXTENSION_KEY = "quart_cors"
# policies[endpoint] for an endpoint whose MethodView methods have policies of their own.
BY_METHOD: Any = object()
_NOT_COMPILED: Any = object()
# The route table's stand-in for the policy of an endpoint whose policy does not compile.
_BROKEN: Any = object()


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
        # The report_only candidates, compiled with the policies.
        self.candidates = Candidates(self)

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
                policies[endpoint] = self.compile_endpoint(endpoint)
                methods = _compile_methods(self, endpoint, policies[endpoint])
                if methods is not None:
                    by_method[cast(str, endpoint)] = methods
            except CORSConfigError as error:
                for problem in error.problems:
                    problems.setdefault(str(problem), problem)
        for problem in placement_problems(views, self.installed):
            if problem.code == errors.ROUTE_CORS_MISPLACED and not self.installed:
                # Without cors() nothing of quart-cors runs for that view: the app serves it
                # without CORS, as it would with no route_cors at all. Say so; refuse nothing.
                logger.warning("%s (the app serves it without CORS headers)", problem)
                continue
            problems.setdefault(str(problem), problem)
        self.candidates.compile_all([None, *views], problems)
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
        self.table = RouteTable(rules, partial(_policy_or_broken, self))
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
                _check_late_placement(self, endpoint)
                policy = self.compile_endpoint(endpoint)
                methods = _compile_methods(self, endpoint, policy)
                if methods is not None:  # a MethodView whose methods carry their own
                    self.by_method[cast(str, endpoint)] = methods
                    policy = BY_METHOD
                self.policies[endpoint] = policy
        return cast("Policy | None", policy)

    def policy_of(self, endpoint: str | None, method: str) -> Policy | None:
        """The policy that serves ``method`` at ``endpoint`` (MethodView methods included)."""
        policy = self.policy_for(endpoint)
        if policy is BY_METHOD:
            methods = self.by_method[cast(str, endpoint)]
            return methods.get(method, methods[""])
        return policy

    def compile_endpoint(
        self, endpoint: str | None, method_layer: Layer | None = None
    ) -> Policy | None:
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


def _policy_or_broken(state: AppCORS, endpoint: str | None, method: str) -> Policy | None:
    """policy_of() for the route table: an endpoint added after start-up whose policy does not
    compile differs from every policy (its own requests fail with the error), instead of
    failing the table, and with it every preflight to the app."""
    try:
        return state.policy_of(endpoint, method)
    except CORSConfigError:
        return cast(Policy, _BROKEN)


def origin_sources(state: AppCORS) -> list[OriginSource]:
    """The dynamic origin sets the compiled policies and candidates use, each once."""
    policies = [
        *state.policies.values(),
        *(p for methods in state.by_method.values() for p in methods.values()),
        *state.candidates.policies.values(),
        *(p for methods in state.candidates.by_method.values() for p in methods.values()),
    ]
    found: dict[OriginSource, None] = {}
    for policy in policies:
        if isinstance(policy, Policy):
            found.update(dict.fromkeys(policy.origins.sources))
    return list(found)


def _check_late_placement(state: AppCORS, endpoint: str | None) -> None:
    """Refuse a route_cors that cannot work on an endpoint added after start-up, as
    compile_all() refuses it at start-up (E070, E071)."""
    if endpoint is None or not state.installed:
        return
    problems = [
        problem
        for problem in placement_problems(state.app.view_functions, state.installed)
        if problem.value == endpoint
    ]
    if problems:
        raise CORSConfigError(problems, f"app {state.app.name!r}")


def _compile_methods(
    state: AppCORS, endpoint: str | None, default: Policy | None
) -> dict[str, Policy | None] | None:
    """For a MethodView whose handlers carry route_cors or cors_exempt: method -> policy.

    The "" key holds ``default``, for the methods whose handlers have no settings of their own.
    None for any other endpoint, and in an app without cors().
    """
    view = state.app.view_functions.get(endpoint) if endpoint is not None else None
    if view is None or not state.installed:
        return None
    handlers = method_handler_layers(view)
    if not handlers:
        return None
    methods = {
        method: None if layer is None else state.compile_endpoint(endpoint, layer)
        for method, layer in handlers.items()
    }
    methods[""] = default
    return methods


def _intern(policy: Policy | None, canonical: dict[Policy, Policy]) -> Policy | None:
    if policy is None:
        return None
    try:
        return canonical.setdefault(policy, policy)
    except TypeError:  # an unhashable origin callable: the policy stands alone
        return policy


def warn_any_origin_regexes(policies: Iterable[object]) -> None:
    """Log once per regex that matches origins no one controls, with the fix that fits it."""
    seen: set[re.Pattern[str]] = set()
    for policy in policies:
        if not isinstance(policy, Policy):
            continue
        for regex in policy.origins.any_origin_regexes:
            if regex not in seen:
                seen.add(regex)
                logger.warning("%s", any_origin_regex_warning(regex))
