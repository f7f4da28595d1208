"""The response hook, the in-view preflight answer and the websocket handshake check.

The response hook adds the CORS headers to every response of a CORS-enabled endpoint, errors
included; it runs after the app's after_request functions, also when one of them raised.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, cast

from quart import Quart, abort
from quart.typing import ResponseTypes
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import MapAdapter, RequestRedirect

from ._common import WEBSOCKET_LAYER, RequestFacts, apply_answer, origin_header
from ._compat import default_options_response
from .answering import answer, cors_request, report, static_answer
from .app_state import AppCORS
from .policy import REFUSED_ORIGIN, Answer, Policy
from .report_only import compare, compare_static
from .routing import redirect_endpoint
from .serving import plan_for, served_by, unmatched_endpoint, url_adapter


class ResponseHook:
    """Adds the CORS headers of each request to its response (see wrap_process_response)."""

    def __init__(self, state: AppCORS) -> None:
        self.state = state

    def __call__(self, request_: Any, response: ResponseTypes) -> Awaitable[object] | None:
        """Synchronous in the common case: a coroutine per response costs more than the rest."""
        rule = request_.url_rule
        if rule is None or request_.method == "OPTIONS":
            return add_headers(self.state, request_, response)
        policy = self.state.policies.get(rule.endpoint)
        if policy is None:
            if rule.endpoint in self.state.policies:
                return None  # no CORS on this endpoint
            return add_headers(self.state, request_, response)
        if not isinstance(policy, Policy):  # per-method policies (a MethodView)
            return add_headers(self.state, request_, response)
        result = static_answer(policy, request_)
        if result is None:
            return add_headers(self.state, request_, response)
        apply_answer(response.headers, result)
        candidates = self.state.candidates
        if candidates.active:  # report_only: judge it by the candidate too
            candidate = candidates.of(rule.endpoint, request_.method)
            if candidate is not None:
                return compare_static(self.state.app, candidate, policy, result, request_)
        return None


async def add_headers(state: AppCORS, request_: Any, response: ResponseTypes) -> ResponseTypes:
    """Add the CORS headers of one request to its response: every case, awaited.

    Errors without a matched rule take the policy served_by() finds; a preflight that reaches
    Quart takes the plan of the rule serving its requested method.
    """
    facts = RequestFacts.scan(request_.scope["headers"])
    method = request_.method
    narrow = False
    policy: Policy | None
    if facts.is_preflight(method):
        adapter = url_adapter(state, request_)
        if adapter is None:
            return response  # Quart refused the Host: its 400 stays as it is
        plan = plan_for(state, adapter, cast(str, facts.request_method))
        if plan is not None:
            endpoint, policy, narrow = plan
        else:
            endpoint, policy, narrow = _unplanned_preflight(state, adapter, facts, request_)
    else:
        endpoint, policy = served_by(state, request_)
    if policy is None:
        return response
    result = await answer(
        state.app,
        policy,
        endpoint,
        facts,
        method,
        response_headers=response.headers.keys(),
        narrow=narrow,
        scope=request_.scope,
    )
    apply_answer(response.headers, result)
    if state.candidates.active:
        await _compare_candidate(
            state, request_, endpoint, policy, result, facts=facts, method=method, narrow=narrow
        )
    return response


async def _compare_candidate(
    state: AppCORS,
    request_: Any,
    endpoint: str | None,
    policy: Policy,
    result: Answer,
    *,
    facts: RequestFacts,
    method: str,
    narrow: bool,
) -> None:
    """Judge a request by the report_only candidate of its endpoint, if it has one."""
    preflight = facts.is_preflight(method)
    serving_method = facts.request_method if preflight and facts.request_method else method
    candidate = state.candidates.of(endpoint, serving_method)
    if candidate is None:
        return
    rule = request_.url_rule
    await compare(
        state.app,
        candidate,
        policy,
        result,
        facts,
        method=method,
        scope=request_.scope,
        narrow=narrow,
        rule=None if rule is None or preflight else rule.rule,
        endpoint=endpoint,
    )


def _unplanned_preflight(
    state: AppCORS, adapter: MapAdapter, facts: RequestFacts, request_: Any
) -> tuple[str | None, Policy | None, bool]:
    """The policy for a preflight no plan covers: its rule has no CORS, or routing failed.

    A redirect (or 404) takes the policy the actual request's redirect (or 404) gets, not that
    of the rule Quart redirected the OPTIONS request for. The third item is ``narrow``: a
    redirect's answer comes from a rule at another URL, and a 404's from the enclosing scope,
    while the browser keeps it for this URL, where rules answer (the OPTIONS request itself
    reached one: with strict_slashes=False Werkzeug routes a method that '/a/' lacks to a 404
    at '/a', not a 405, and answers OPTIONS there).
    """
    method = cast(str, facts.request_method).upper()
    try:
        rule, _ = adapter.match(method=method, return_rule=True)
    except RequestRedirect as redirect:
        endpoint = redirect_endpoint(adapter, redirect, request_, method)
        return endpoint, state.policy_of(endpoint, method), True
    except MethodNotAllowed:
        return None, None, False  # the path's 405 has no CORS policy
    except HTTPException:
        endpoint = unmatched_endpoint(state, request_.path)
        return endpoint, state.policy_for(endpoint), True
    return rule.endpoint, state.policy_of(rule.endpoint, method), False


async def answer_preflight_in_view(state: AppCORS, request_: Any) -> ResponseTypes | None:
    """A preflight's answer from inside a route_cors view (apps without cors()).

    Quart sends OPTIONS to the first rule on the path that accepts it; the answer is that of
    the rule serving the requested method. None for an OPTIONS request that is no preflight.
    """
    facts = RequestFacts.scan(request_.scope["headers"])
    if not facts.is_preflight("OPTIONS"):
        return None
    app = state.app
    adapter = url_adapter(state, request_)
    plan = None if adapter is None else plan_for(state, adapter, cast(str, facts.request_method))
    if plan is None:
        # That rule has no CORS: Quart's own answer, without CORS headers, refuses it.
        return await default_options_response(app)
    result = await answer(
        app, plan.policy, plan.endpoint, facts, "OPTIONS", narrow=plan.narrow, scope=request_.scope
    )
    response = app.response_class("")
    apply_answer(response.headers, result)
    if state.candidates.active:
        await _compare_candidate(
            state,
            request_,
            plan.endpoint,
            plan.policy,
            result,
            facts=facts,
            method="OPTIONS",
            narrow=plan.narrow,
        )
    return response


class WebsocketCheck:
    """Refuses a handshake from an Origin that is not allowed (cross-site hijacking)."""

    def __init__(self, state: AppCORS) -> None:
        self.state = state

    async def before_websocket(self, websocket_: Any) -> None:
        rule = websocket_.url_rule
        if rule is None:
            return
        view = self.state.app.view_functions.get(rule.endpoint)
        if getattr(view, WEBSOCKET_LAYER, None) is None:  # websocket_cors checks its own
            await self.check(websocket_)

    async def check(self, websocket_: Any) -> None:
        endpoint = websocket_.url_rule.endpoint
        policy = self.state.policy_for(endpoint)
        if policy is None:
            return
        origin = origin_header(websocket_.scope["headers"])
        app: Quart = self.state.app
        # Browsers always send Origin on a handshake; only other clients omit it.
        if origin is None or await policy.match_origin_async(
            origin, cors_request(app, policy, websocket_.scope)
        ):
            return
        refusal = Answer(refusal=REFUSED_ORIGIN, refused_value=origin)
        await report(app, refusal, endpoint, origin, method="GET", preflight=False)
        abort(400)
