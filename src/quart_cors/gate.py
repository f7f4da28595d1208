"""The preflight gate: preflights to CORS-enabled rules are answered before Quart runs.

Installed as the app's ``asgi_http_class``: Quart calls it with (app, scope) for each HTTP
request, inside ``app.asgi_app``, so any middleware the user wrapped around ``asgi_app`` (a proxy
fix, a mount under a root path) has already rewritten the scope. Requests that are not
preflights get Quart's own connection handler at the cost of one call.
"""

from __future__ import annotations

from typing import Any

from quart import Quart
from werkzeug.exceptions import HTTPException

from ._common import ASGI_NAMES, Receive, RequestFacts, Scope, Send, logger
from .answering import answer
from .app_state import AppCORS
from .errors import CORSConfigError
from .policy import Answer
from .report_only import compare
from .routing import PreflightPlan
from .serving import plan_for, scope_adapter


class PreflightGate:
    """Quart's ``asgi_http_class``, with preflights taken out of its hands.

    It also compiles the app's policies on the first HTTP request when no lifespan did, so that
    a configuration error is one logged error and a 500, not a failure inside Quart's hooks.
    """

    def __init__(self, state: AppCORS, connection_class: Any) -> None:
        self.state = state
        self.connection_class = connection_class

    def __call__(self, app: Quart, scope: Scope) -> Any:
        if not self.state.compiled:
            try:
                self.state.compile_all()
            except CORSConfigError:
                logger.exception("CORS configuration error; answering with 500")
                return PlainAnswer(500, b"Internal Server Error")
        if scope["method"] != "OPTIONS":
            return self.connection_class(app, scope)
        return _Preflight(self, app, scope)


class PlainAnswer:
    """An ASGI HTTP handler that sends one fixed plain-text response."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    async def __call__(self, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class _Preflight:
    """An OPTIONS request: answered here when it is a preflight to a CORS-enabled rule."""

    __slots__ = ("app", "gate", "scope")

    def __init__(self, gate: PreflightGate, app: Quart, scope: Scope) -> None:
        self.gate = gate
        self.app = app
        self.scope = scope

    async def __call__(self, receive: Receive, send: Send) -> None:
        facts = RequestFacts.scan(self.scope["headers"])
        result = None
        if facts.is_preflight("OPTIONS"):
            try:
                plan = self._plan(facts)
            except CORSConfigError:
                # A rule added after start-up whose policy does not compile: its preflights
                # fail as a configuration error does at the first request.
                logger.exception("CORS configuration error; answering with 500")
                await PlainAnswer(500, b"Internal Server Error")(receive, send)
                return
            if plan is not None:
                result = await answer(
                    self.app,
                    plan.policy,
                    plan.endpoint,
                    facts,
                    "OPTIONS",
                    narrow=plan.narrow,
                    scope=self.scope,
                )
                candidates = self.gate.state.candidates
                if candidates.active:
                    candidate = candidates.of(plan.endpoint, facts.request_method or "")
                    if candidate is not None:
                        await compare(
                            self.app,
                            candidate,
                            plan.policy,
                            result,
                            facts,
                            method="OPTIONS",
                            scope=self.scope,
                            narrow=plan.narrow,
                            endpoint=plan.endpoint,
                        )
        if result is None:  # Quart answers, and the response hook adds the headers
            await self.gate.connection_class(self.app, self.scope)(receive, send)
            return
        await _send_answer(result, send)

    def _plan(self, facts: RequestFacts) -> PreflightPlan | None:
        """The plan for this preflight, memoized by what routing reads from the scope."""
        state = self.gate.state
        scope = self.scope
        key = None
        if facts.host is not None and not state.routes_changed():
            key = (
                scope["path"],
                scope.get("root_path", ""),
                scope.get("scheme"),
                facts.host,
                facts.request_method,
            )
            known = state.plans.get(key)
            if known is not False:
                return known  # type: ignore[return-value]
        adapter = scope_adapter(state, scope)
        if adapter is None:
            return None  # a Host Quart refuses (untrusted, or no valid name): Quart answers
        plan = plan_for(state, adapter, facts.request_method or "")
        if (
            plan is not None
            and state.own_options_rules
            and _options_rule(adapter) in (state.own_options_rules)
        ):
            plan = None  # the view Quart calls for OPTIONS answers it itself
        if key is not None:
            state.plans.put(key, plan)
        return plan


async def _send_answer(result: Answer, send: Send) -> None:
    # ASGI: header names as lowercase bytes (the names are the policy's constants).
    headers = [(ASGI_NAMES[name], value.encode("latin-1")) for name, value in result.headers]
    headers.append((b"vary", ", ".join(result.vary).encode("latin-1")))
    headers.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _options_rule(adapter: Any) -> int | None:
    """The id of the rule Quart calls for an OPTIONS request to this path."""
    try:
        rule, _ = adapter.match(method="OPTIONS", return_rule=True)
    except HTTPException:
        return None
    return id(rule)
