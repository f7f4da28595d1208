"""Which compiled policy serves a request: routed, refused (404, 405), redirected, or a
preflight planned by the URL it asks about."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect

from .app_state import AppCORS
from .policy import Policy
from .routing import (
    PreflightPlan,
    RoutingFacts,
    method_not_allowed_policy,
    plan_preflight,
    redirect_endpoint,
)


def url_adapter(state: AppCORS, request: Any) -> MapAdapter | None:
    """Quart's URL adapter for a request (or RoutingFacts); None for a Host it refuses."""
    try:
        return state.app.create_url_adapter(request)
    except HTTPException:
        # Quart answers 400 for it (untrusted or invalid Host); its answer stays as it is.
        return None


def scope_adapter(state: AppCORS, scope: Any) -> MapAdapter | None:
    """url_adapter() for an ASGI scope, before Quart builds a request from it."""
    app = state.app
    try:
        facts = RoutingFacts(scope, app.config["SERVER_NAME"], app.request_class.trusted_hosts)
    except HTTPException:
        return None  # a Host outside trusted_hosts: Quart refuses it, with its own answer
    return url_adapter(state, facts)


def plan_for(state: AppCORS, adapter: MapAdapter, requested_method: str) -> PreflightPlan | None:
    """The plan for a preflight to the adapter's URL (see routing.plan_preflight)."""
    if state.routes_changed():
        state.refresh_routes()
    return plan_preflight(
        adapter, requested_method, state.table, state.policy_of, partial(enclosing_policy, state)
    )


def enclosing_policy(state: AppCORS, endpoints: Iterable[str]) -> Policy | None:
    """The policy of the innermost blueprint enclosing every endpoint, else the app's."""
    blueprints = [endpoint.split(".")[:-1] for endpoint in endpoints]
    common: list[str] = []
    for names in zip(*blueprints, strict=False):
        if len(set(names)) != 1:
            break
        common.append(names[0])
    return state.policy_for(".".join([*common, "<unmatched>"]) if common else None)


def served_by(state: AppCORS, request_: Any) -> tuple[str | None, Policy | None]:
    """The endpoint and policy of an actual request, also when routing failed.

    A 405 takes the policy all rules on the path share, else that of the scope enclosing
    them; a redirect that of the rule it points at; a 404 that of the innermost blueprint
    whose url_prefix contains the path, else the app's.
    """
    rule = request_.url_rule
    if rule is not None:
        return rule.endpoint, state.policy_of(rule.endpoint, request_.method)
    error = request_.routing_exception
    adapter = url_adapter(state, request_)
    endpoint: str | None = None
    if adapter is None:
        return None, None  # Quart refused the Host: its 400 stays as it is
    if isinstance(error, MethodNotAllowed):
        found = method_not_allowed_policy(
            adapter, error, state.policy_of, partial(enclosing_policy, state)
        )
        return (None, None) if found is None else found[:2]
    if isinstance(error, RequestRedirect):
        endpoint = redirect_endpoint(adapter, error, request_)
        return endpoint, state.policy_of(endpoint, request_.method)
    endpoint = unmatched_endpoint(state, request_.path)
    return endpoint, state.policy_for(endpoint)


def unmatched_endpoint(state: AppCORS, path: str) -> str | None:
    """The pseudo-endpoint of a 404: "<blueprint>.<unmatched>", or None for the app's.

    A url_prefix with a converter (``/<tenant>``) is a pattern for the blueprint's rules, not a
    path: no 404 is "under" it, so its blueprint never takes one.
    """
    owner, best = None, (-1, -1)
    for name, prefix in state.blueprint_prefixes.items():
        if "<" in prefix:
            continue
        if path == prefix or path.startswith(prefix + "/"):
            # The longest prefix wins; for equal prefixes, the innermost blueprint.
            rank = (len(prefix), name.count("."))
            if rank > best:
                owner, best = name, rank
    return None if owner is None else f"{owner}.<unmatched>"
