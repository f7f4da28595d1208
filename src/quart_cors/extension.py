"""Quart integration: cors(), route_cors(), websocket_cors(), cors_exempt() and their hooks.

Per app, one ``_AppCORS`` holds the cors() layers and a policy per endpoint, compiled once
(at start-up, or on the first request when the app is driven without a lifespan). The request
path only scans the raw ASGI headers and looks the policy up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from functools import partial, wraps
from inspect import iscoroutinefunction
from types import MappingProxyType
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast

from quart import Blueprint, Quart, abort, after_this_request, current_app
from quart.globals import websocket
from quart.typing import ResponseReturnValue, ResponseTypes
from quart.wrappers import BaseRequestWebsocket
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from . import errors
from ._compat import (
    current_app_and_request,
    default_options_response,
    header_list,
    wrap_process_response,
)
from .errors import ConfigProblem, CORSConfigError
from .origins import CORSRequest, RequestHeaders, canary_matched_by
from .policy import REFUSED_ORIGIN, RESPONSE_HEADER_NAMES, Answer, Policy
from .routing import (
    PreflightTarget,
    RoutingFacts,
    method_not_allowed_endpoint,
    preflight_target,
    redirect_endpoint,
)
from .settings import Layer, compile_policy, explicit_layer, read_config
from .signals import cors_rejected

logger = logging.getLogger("quart_cors")

EXTENSION_KEY = "quart_cors"
_ROUTE_LAYER = "_quart_cors_route_layer"
_WEBSOCKET_LAYER = "_quart_cors_websocket_layer"
_EXEMPT = "_quart_cors_exempt"
_OWN_OPTIONS = "_quart_cors_answers_options"
# Set on the function route_cors wraps, to notice route_cors placed above @app.route.
_WRAPPED_BY_ROUTE_CORS = "_quart_cors_wrapped_by_route_cors"

AppOrBlueprint = TypeVar("AppOrBlueprint", bound=Quart | Blueprint)
View = TypeVar("View", bound=Callable[..., Any])
P = ParamSpec("P")
RouteView: TypeAlias = Callable[P, ResponseReturnValue | Awaitable[ResponseReturnValue]]
# What a setting accepts; the values themselves are checked when the policy compiles.
OriginItem: TypeAlias = (
    str
    | re.Pattern[str]
    | Callable[[str], bool | Awaitable[bool]]
    | Callable[[str, CORSRequest], bool | Awaitable[bool]]
)
OriginSetting: TypeAlias = OriginItem | Iterable[OriginItem]
NamesSetting: TypeAlias = str | Iterable[str]
MaxAgeSetting: TypeAlias = int | float | str | timedelta
# The ASGI callables are typed loosely: Quart's TypedDict unions add nothing on this path.
Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

# Where a layer's settings came from, as describe() and `quart-cors routes` name them.
ROUTE_CORS_SOURCE = "route_cors"
WEBSOCKET_CORS_SOURCE = "websocket_cors"

_NOT_COMPILED = object()
# The CORS response header names as an ASGI server wants them: lowercase bytes.
_ASGI_NAMES: Mapping[str, bytes] = MappingProxyType(
    {name: name.lower().encode("latin-1") for name in RESPONSE_HEADER_NAMES}
)
_LOG_LIMIT = 200


def cors(
    app_or_blueprint: AppOrBlueprint,
    *,
    allow_origin: OriginSetting | None = None,
    allow_credentials: bool | None = None,
    allow_methods: NamesSetting | None = None,
    allow_headers: NamesSetting | None = None,
    expose_headers: NamesSetting | None = None,
    max_age: MaxAgeSetting | None = None,
    send_origin_wildcard: bool | None = None,
    allow_private_network: bool | None = None,
) -> AppOrBlueprint:
    """Enable CORS for every route and websocket of an app or blueprint; returns it."""
    where = f"cors({app_or_blueprint.name!r})"
    layer = explicit_layer(
        where,
        allow_origin=allow_origin,
        allow_credentials=allow_credentials,
        allow_methods=allow_methods,
        allow_headers=allow_headers,
        expose_headers=expose_headers,
        max_age=max_age,
        send_origin_wildcard=send_origin_wildcard,
        allow_private_network=allow_private_network,
    )
    if isinstance(app_or_blueprint, Quart):
        state = _AppCORS.of(app_or_blueprint)
        state.app_layer = layer
        state.install()
    else:
        blueprint = app_or_blueprint

        def register(setup: Any) -> None:
            name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
            state = _AppCORS.of(setup.app)
            state.blueprint_layers[name] = layer
            if setup.url_prefix:
                state.blueprint_prefixes[name] = setup.url_prefix.rstrip("/")
            state.install()

        blueprint.record(register)
    return app_or_blueprint


def route_cors(
    *,
    allow_origin: OriginSetting | None = None,
    allow_credentials: bool | None = None,
    allow_methods: NamesSetting | None = None,
    allow_headers: NamesSetting | None = None,
    expose_headers: NamesSetting | None = None,
    max_age: MaxAgeSetting | None = None,
    send_origin_wildcard: bool | None = None,
    allow_private_network: bool | None = None,
    provide_automatic_options: bool = True,
) -> Callable[[RouteView[P]], Callable[P, Awaitable[ResponseTypes]]]:
    """Enable CORS for one view; place it below ``@app.route``. Its settings win over all."""
    layer = explicit_layer(
        "route_cors()",
        allow_origin=allow_origin,
        allow_credentials=allow_credentials,
        allow_methods=allow_methods,
        allow_headers=allow_headers,
        expose_headers=expose_headers,
        max_age=max_age,
        send_origin_wildcard=send_origin_wildcard,
        allow_private_network=allow_private_network,
    )

    def decorator(view: RouteView[P]) -> Callable[P, Awaitable[ResponseTypes]]:
        view_is_async = iscoroutinefunction(view)

        async def call_view(app: Quart, method: str, args: Any, kwargs: Any) -> Any:
            if provide_automatic_options and method == "OPTIONS":
                # Quart's automatic answer is switched off so that OPTIONS reaches this wrapper.
                return await default_options_response(app)
            if view_is_async:  # skips ensure_async's check on every call
                return await cast(Awaitable[ResponseReturnValue], view(*args, **kwargs))
            return await app.ensure_async(view)(*args, **kwargs)

        @wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseTypes:
            app_, request_ = current_app_and_request()
            app: Quart = app_
            state = _AppCORS.of(app)
            if state.installed:
                # cors() on the app or a blueprint answers preflights and adds the headers.
                return await app.make_response(await call_view(app, request_.method, args, kwargs))
            # No cors() in this app: this wrapper does the hooks' work for its own view.
            if provide_automatic_options and request_.method == "OPTIONS":
                preflight = await state.answer_preflight_in_view(request_)
                if preflight is not None:
                    return preflight
            endpoint = request_.url_rule.endpoint  # this view was routed to, so a rule matched
            policy = state.policies.get(endpoint, _NOT_COMPILED)
            if policy is _NOT_COMPILED:
                policy = state.policy_for(endpoint)
            if policy is None:  # cors_exempt below route_cors
                # A Response either way, as 0.8.0 returned when the view is called directly.
                return await app.make_response(await call_view(app, request_.method, args, kwargs))
            try:
                if view_is_async and request_.method != "OPTIONS":  # the common case, inlined
                    result = await cast(Awaitable[ResponseReturnValue], view(*args, **kwargs))
                else:
                    result = await call_view(app, request_.method, args, kwargs)
            except Exception:
                # Quart turns it into an error response: the callback puts the headers on it.
                after_this_request(partial(state.add_headers, request_))
                raise
            response = await app.make_response(result)
            answer = static_answer(cast(Policy, policy), request_)
            if answer is None:
                return await state.add_headers(request_, response)
            apply_answer(response.headers, answer)
            return response

        setattr(wrapper, _ROUTE_LAYER, layer)
        # Marked after wraps() copied view.__dict__, so that only the inner function carries it.
        setattr(view, _WRAPPED_BY_ROUTE_CORS, True)
        if provide_automatic_options:
            wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
            required = set(getattr(view, "required_methods", ()))
            wrapper.required_methods = required | {"OPTIONS"}  # type: ignore[attr-defined]
        else:
            setattr(wrapper, _OWN_OPTIONS, True)
        return wrapper

    return decorator


def websocket_cors(
    *, allow_origin: OriginSetting | None = None, send_origin_wildcard: bool | None = None
) -> Callable[[View], View]:
    """Check the Origin of a websocket handshake; place it below ``@app.websocket``."""
    layer = explicit_layer(
        "websocket_cors()", allow_origin=allow_origin, send_origin_wildcard=send_origin_wildcard
    )

    def decorator(view: View) -> View:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            app: Quart = _current(current_app)
            await _AppCORS.of(app).check_websocket(_current(websocket))
            return await app.ensure_async(view)(*args, **kwargs)

        setattr(wrapper, _WEBSOCKET_LAYER, layer)
        return cast(View, wrapper)

    return decorator


def cors_exempt(view: View) -> View:
    """Exclude a view or websocket from CORS entirely; place it below ``@app.route``."""
    setattr(view, _EXEMPT, True)
    return view


class _AppCORS:
    """The CORS state of one app: its cors() layers and the compiled per-endpoint policies."""

    def __init__(self, app: Quart) -> None:
        self.app = app
        self.app_layer: Layer | None = None
        self.blueprint_layers: dict[str, Layer] = {}
        # blueprint name -> url_prefix, to give a 404 under the prefix the blueprint's policy.
        self.blueprint_prefixes: dict[str, str] = {}
        self.installed = False
        # endpoint (None: requests that matched no rule) -> policy, or None for "no CORS".
        self.policies: dict[str | None, Policy | None] = {}
        self.compiled = False
        # The QUART_CORS_* values, read once, on the first compile.
        self.config: Mapping[str, object] | None = None
        # Endpoints whose view answers OPTIONS itself: route_cors(provide_automatic_options=False).
        self.own_options: frozenset[str] = frozenset()

    @classmethod
    def of(cls, app: Quart) -> _AppCORS:
        state = app.extensions.get(EXTENSION_KEY)
        if state is None:
            state = app.extensions[EXTENSION_KEY] = cls(app)
        return cast(_AppCORS, state)

    def install(self) -> None:
        """Hook into the app once: preflight gate, response processing, websocket check."""
        if self.installed:
            return
        self.installed = True
        app = self.app
        # Quart builds each HTTP connection handler inside app.asgi_app, after every ASGI
        # middleware the user wrapped around it: the gate sees the scope they fixed.
        app.asgi_http_class = _PreflightGate(self, app.asgi_http_class)  # type: ignore[assignment]
        wrap_process_response(app, self.response_hook)
        app.before_websocket(self.before_websocket)
        app.before_serving(self.compile_at_startup)

    # --- policies ----------------------------------------------------------------------

    async def compile_at_startup(self) -> None:
        """Fail start-up with every configuration problem (async: no executor thread)."""
        self.compile_all()

    def compile_all(self) -> None:
        """Compile every endpoint's policy now, raising one error with all problems."""
        if self.compiled:
            return
        policies: dict[str | None, Policy | None] = {}
        problems: dict[str, ConfigProblem] = {}
        for endpoint in [None, *self.app.view_functions]:
            try:
                policies[endpoint] = self._compile(endpoint)
            except CORSConfigError as error:
                for problem in error.problems:
                    problems.setdefault(str(problem), problem)
        for endpoint in _misplaced_route_cors_endpoints(self.app.view_functions):
            problem = _misplaced_route_cors(endpoint)
            problems.setdefault(str(problem), problem)
        if problems:
            raise CORSConfigError(problems.values(), f"app {self.app.name!r}")
        self.policies = policies
        self.own_options = frozenset(
            endpoint
            for endpoint, view in self.app.view_functions.items()
            if getattr(view, _OWN_OPTIONS, False)
        )
        self.compiled = True
        warn_any_origin_regexes(policies.values())

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

    def _compile(self, endpoint: str | None) -> Policy | None:
        named = self.layers_of(endpoint)
        if not named:
            return None
        overrides: dict[str, object] = {}
        if any(source == WEBSOCKET_CORS_SOURCE for source, _ in named):
            # A websocket handshake only checks the origin; credentials do not apply.
            overrides["allow_credentials"] = False
        if self.config is None:
            self.config = read_config(self.app.config)
        layers = [layer for _, layer in named]
        return compile_policy(layers, self.config, f"endpoint {endpoint!r}", overrides)

    def layers_of(self, endpoint: str | None) -> list[tuple[str, Layer]] | None:
        """The layers that apply to an endpoint, most specific first, each with its source.

        Sources are "route_cors", "websocket_cors", "blueprint:NAME" (innermost first) and
        "app"; None means the endpoint is cors_exempt.
        """
        named: list[tuple[str, Layer]] = []
        if endpoint is not None:
            view = self.app.view_functions.get(endpoint)
            if getattr(view, _EXEMPT, False):
                return None
            route_layer = getattr(view, _ROUTE_LAYER, None)
            if route_layer is not None:
                named.append((ROUTE_CORS_SOURCE, route_layer))
            websocket_layer = getattr(view, _WEBSOCKET_LAYER, None)
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

    def endpoint_of(self, request_: BaseRequestWebsocket) -> str | None:
        """The endpoint a request is for, also when routing failed (404, 405, redirects).

        A 404 under a blueprint's url_prefix gets the pseudo-endpoint "<blueprint>.<unmatched>",
        which inherits that blueprint's settings; any other 404 gets None (the app's).
        """
        rule = request_.url_rule
        if rule is not None:
            return cast(str, rule.endpoint)
        error = request_.routing_exception
        adapter = self.app.create_url_adapter(request_)
        if adapter is None:
            return None
        if isinstance(error, MethodNotAllowed):
            return method_not_allowed_endpoint(adapter, error)
        if isinstance(error, RequestRedirect):
            return redirect_endpoint(adapter, error, request_)
        return self._unmatched_endpoint(request_.path)

    def _unmatched_endpoint(self, path: str) -> str | None:
        owner, longest = None, -1
        for name, prefix in self.blueprint_prefixes.items():
            if len(prefix) > longest and (path == prefix or path.startswith(prefix + "/")):
                owner, longest = name, len(prefix)
        return None if owner is None else f"{owner}.<unmatched>"

    # --- answers -----------------------------------------------------------------------

    async def answer(
        self,
        policy: Policy,
        endpoint: str | None,
        facts: RequestFacts,
        method: str,
        response_headers: Iterable[str] = (),
        *,
        serves_method: bool = True,
        scope: Scope = None,
    ) -> Answer:
        """The CORS answer for one request to an endpoint with a policy.

        ``serves_method`` is False for a preflight whose requested method no rule on the path
        serves: the method is then refused whatever the policy allows. ``scope`` is the
        request's ASGI scope, for origin callables that take the request.
        """
        origin = facts.origin
        preflight = facts.is_preflight(method)
        # A preflight asks on behalf of the actual request: callables see its method.
        allowed = origin is not None and await policy.match_origin_async(
            origin,
            self.cors_request(policy, scope, facts.request_method if preflight else None),
        )
        if preflight and origin is not None and facts.request_method:  # (narrows the types)
            answer = policy.preflight(
                origin,
                allowed,
                facts.request_method,
                facts.request_headers,
                facts.private_network,
                serves_method=serves_method,
            )
        elif policy.needs_response_header_names:
            answer = policy.actual_request(origin, allowed, response_headers)
        else:
            answer = policy.actual_request(origin, allowed)
        if answer.refusal is not None:
            await self._report(
                answer, endpoint, origin, method, preflight, requested_method=facts.request_method
            )
        return answer

    def cors_request(
        self, policy: Policy, scope: Scope, requested_method: str | None = None
    ) -> CORSRequest | None:
        """The request object for f(origin, request) callables; None when no callable takes it.

        Built from the ASGI scope alone, so a preflight answered before Quart makes its request
        objects gets the same object as the actual request; for a preflight, ``method`` is the
        method it asks for (Access-Control-Request-Method), so that a callable deciding by
        method answers the preflight as it will answer the actual request.
        """
        if scope is None or not policy.origins.needs_request:
            return None
        facts = RoutingFacts(scope, self.app.config["SERVER_NAME"])
        return CORSRequest(
            scheme=facts.scheme,
            host=facts.host.lower(),
            path=facts.path,
            method=requested_method or facts.method,
            headers=RequestHeaders(scope["headers"]),
        )

    async def _report(
        self,
        answer: Answer,
        endpoint: str | None,
        origin: str | None,
        method: str,
        preflight: bool,
        *,
        requested_method: str | None = None,
    ) -> None:
        if not _reporting():
            return
        if logger.isEnabledFor(logging.DEBUG):
            # A preflight is logged by the method it asks for, which is what was refused.
            shown = requested_method if preflight and requested_method is not None else method
            logger.debug(
                "CORS refused (%s) at endpoint %r: %s%r %r, origin %r",
                answer.refusal,
                endpoint,
                "preflight for " if preflight else "",
                shown[:_LOG_LIMIT],
                (answer.refused_value or "")[:_LOG_LIMIT],
                (origin or "")[:_LOG_LIMIT],
            )
        if not cors_rejected.receivers:
            return
        try:
            await cors_rejected.send_async(
                self.app,
                _sync_wrapper=self.app.ensure_async,  # type: ignore[arg-type]
                reason=answer.refusal,
                endpoint=endpoint,
                origin=origin,
                method=method,
                preflight=preflight,
                value=answer.refused_value,
            )
        except Exception:
            # A metrics receiver must never change the answer the browser gets.
            logger.exception("a cors_rejected receiver raised; the request is answered anyway")

    # --- hooks -------------------------------------------------------------------------

    def response_hook(self, request_: Any, response: ResponseTypes) -> Awaitable[object] | None:
        """Add the CORS headers to every response of a CORS-enabled endpoint, errors included.

        Runs after the app's after_request functions, also when one of them raised (the 500
        then gets the headers too). Synchronous in the common case: a coroutine per response
        costs more than the rest of it.
        """
        rule = request_.url_rule
        if rule is None or request_.method == "OPTIONS":
            return self.add_headers(request_, response)
        policy = self.policies.get(rule.endpoint, _NOT_COMPILED)
        if policy is None:
            return None
        if policy is _NOT_COMPILED:
            return self.add_headers(request_, response)
        answer = static_answer(cast(Policy, policy), request_)
        if answer is None:
            return self.add_headers(request_, response)
        apply_answer(response.headers, answer)
        return None

    async def add_headers(self, request_: Any, response: ResponseTypes) -> ResponseTypes:
        """Add the CORS headers of one request to its response: every case, awaited.

        Errors without a matched rule take the policy endpoint_of() finds; a preflight that
        reaches Quart takes the policy of the rule serving its requested method.
        """
        facts = RequestFacts.scan(request_.scope["headers"])
        method = request_.method
        endpoint = self.endpoint_of(request_)
        serves_method = True
        if facts.is_preflight(method):
            adapter = self.app.create_url_adapter(request_)
            target = None if adapter is None else _route_preflight(adapter, facts)
            if target is not None:
                endpoint, serves_method = target
            elif adapter is not None:
                endpoint = self._unrouted_preflight_endpoint(adapter, facts, request_)
        policy = self.policy_for(endpoint)
        if policy is None:
            return response
        answer = await self.answer(
            policy,
            endpoint,
            facts,
            method,
            response.headers.keys(),
            serves_method=serves_method,
            scope=request_.scope,
        )
        apply_answer(response.headers, answer)
        return response

    def _unrouted_preflight_endpoint(
        self, adapter: Any, facts: RequestFacts, request_: Any
    ) -> str | None:
        """endpoint_of() for the actual request a preflight announces, when routing it fails.

        Its redirect (or 404) takes the policy the actual request's redirect (or 404) gets, not
        that of the rule Quart redirected the OPTIONS request for.
        """
        method = cast(str, facts.request_method).upper()
        try:
            adapter.match(method=method)
        except RequestRedirect as redirect:
            return redirect_endpoint(adapter, redirect, request_, method)
        except HTTPException:
            pass
        return self._unmatched_endpoint(request_.path)

    async def answer_preflight_in_view(self, request_: Any) -> ResponseTypes | None:
        """A preflight's answer from inside a route_cors view (apps without cors()).

        Quart sends OPTIONS to the first rule on the path that accepts it; the answer is that of
        the rule serving the requested method. None for an OPTIONS request that is no preflight.
        """
        facts = RequestFacts.scan(request_.scope["headers"])
        if not facts.is_preflight("OPTIONS"):
            return None
        adapter = self.app.create_url_adapter(request_)
        target = None if adapter is None else _route_preflight(adapter, facts)
        endpoint = None if target is None else target.endpoint
        policy = None if endpoint is None else self.policy_for(endpoint)
        if target is None or policy is None:
            # That rule has no CORS: Quart's own answer, without CORS headers, refuses it.
            return await default_options_response(self.app)
        answer = await self.answer(
            policy,
            endpoint,
            facts,
            "OPTIONS",
            serves_method=target.serves_method,
            scope=request_.scope,
        )
        response = self.app.response_class("")
        apply_answer(response.headers, answer)
        return response

    async def before_websocket(self) -> None:
        websocket_ = _current(websocket)
        rule = websocket_.url_rule
        if rule is None:
            return
        view = self.app.view_functions.get(rule.endpoint)
        if getattr(view, _WEBSOCKET_LAYER, None) is None:  # websocket_cors checks its own
            await self.check_websocket(websocket_)

    async def check_websocket(self, websocket_: Any) -> None:
        """Refuse a handshake from an Origin that is not allowed (cross-site hijacking)."""
        endpoint = websocket_.url_rule.endpoint
        policy = self.policy_for(endpoint)
        if policy is None:
            return
        origin = origin_header(websocket_.scope["headers"])
        # Browsers always send Origin on a handshake; only other clients omit it.
        if origin is None or await policy.match_origin_async(
            origin, self.cors_request(policy, websocket_.scope)
        ):
            return
        await self._report(
            Answer(refusal=REFUSED_ORIGIN, refused_value=origin), endpoint, origin, "GET", False
        )
        abort(400)


class RequestFacts:
    """The CORS request headers of one request, read from the raw ASGI header list."""

    __slots__ = ("origin", "private_network", "request_headers", "request_method")

    def __init__(
        self,
        origin: str | None,
        request_method: str | None,
        request_headers: str | None,
        private_network: bool,
    ) -> None:
        self.origin = origin
        self.request_method = request_method
        self.request_headers = request_headers
        self.private_network = private_network

    @classmethod
    def scan(cls, raw_headers: Iterable[tuple[bytes, bytes]]) -> RequestFacts:
        method = names = None
        private_network = False
        for name, value in raw_headers:
            if name[:15] == b"access-control-":
                if name == b"access-control-request-method":
                    text = value.decode("latin-1").strip()
                    method = text if method is None else f"{method}, {text}"
                elif name == b"access-control-request-headers":
                    text = value.decode("latin-1")
                    names = text if names is None else f"{names},{text}"
                elif name == b"access-control-request-private-network":
                    private_network = value.strip().lower() == b"true"
        return cls(origin_header(raw_headers), method, names, private_network)

    def is_preflight(self, method: str) -> bool:
        # F#http-requests: OPTIONS + Origin + a non-empty Access-Control-Request-Method.
        return method == "OPTIONS" and bool(self.request_method) and self.origin is not None


def static_answer(policy: Policy, request_: Any) -> Answer | None:
    """The answer to an actual request when nothing needs awaiting: one scan, one lookup.

    None for preflights, for origins only callables can judge, for several Origin headers, and
    for refusals that someone observes (DEBUG logging or a cors_rejected receiver); Quart-side
    code then awaits answer().
    """
    if request_.method == "OPTIONS":
        return None
    raw_origin = None
    for name, value in request_.scope["headers"]:
        if name == b"origin":
            if raw_origin is not None:
                return None
            raw_origin = value
    answer = policy.answer_raw_origin(raw_origin)
    if answer is None:
        return None
    # _reporting(), inlined: refusals that nobody observes are answered here.
    if answer.refusal is not None and (
        cors_rejected.receivers or logger.isEnabledFor(logging.DEBUG)
    ):
        return None
    return answer


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


class _PreflightGate:
    """Answers preflights to CORS-enabled endpoints before Quart builds a request.

    Installed as the app's ``asgi_http_class``: Quart calls it with (app, scope) for each HTTP
    request, inside ``app.asgi_app``, so any middleware the user wrapped around ``asgi_app``
    (a proxy fix, a mount under a root path) has already rewritten the scope. Requests that are
    not preflights get Quart's own connection handler at the cost of one call.

    It also compiles the app's policies on the first HTTP request when no lifespan did, so that
    a configuration error is one logged error and a 500, not a failure inside Quart's hooks.
    """

    def __init__(self, state: _AppCORS, connection_class: Any) -> None:
        self.state = state
        self.connection_class = connection_class

    def __call__(self, app: Quart, scope: Scope) -> Any:
        if not self.state.compiled:
            try:
                self.state.compile_all()
            except CORSConfigError:
                logger.exception("CORS configuration error; answering with 500")
                return _PlainAnswer(500, b"Internal Server Error")
        if scope["method"] != "OPTIONS":
            return self.connection_class(app, scope)
        return _Preflight(self, app, scope)


class _PlainAnswer:
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

    def __init__(self, gate: _PreflightGate, app: Quart, scope: Scope) -> None:
        self.gate = gate
        self.app = app
        self.scope = scope

    async def __call__(self, receive: Receive, send: Send) -> None:
        state = self.gate.state
        facts = RequestFacts.scan(self.scope["headers"])
        answer = None
        if facts.is_preflight("OPTIONS"):
            answer = await self._answer(state, facts)
        if answer is None:  # Quart answers, and the response hook adds the headers
            await self.gate.connection_class(self.app, self.scope)(receive, send)
            return
        # ASGI: header names as lowercase bytes (the names are the policy's constants).
        headers = [(_ASGI_NAMES[name], value.encode("latin-1")) for name, value in answer.headers]
        headers.append((b"vary", ", ".join(answer.vary).encode("latin-1")))
        headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _answer(self, state: _AppCORS, facts: RequestFacts) -> Answer | None:
        app = self.app
        try:
            adapter = app.create_url_adapter(
                RoutingFacts(  # type: ignore[arg-type]
                    self.scope, app.config["SERVER_NAME"], app.request_class.trusted_hosts
                )
            )
        except HTTPException:
            return None  # a Host Quart refuses (untrusted, or no valid name): Quart answers
        target = None if adapter is None else _route_preflight(adapter, facts)
        if target is None:
            return None  # 404 or redirect: Quart answers, with CORS headers
        policy = state.policy_for(target.endpoint)
        if policy is None:
            return None  # no CORS for that rule: Quart's answer carries no CORS headers
        if state.own_options and _options_endpoint(adapter) in state.own_options:
            return None  # the view Quart calls for OPTIONS answers it itself
        return await state.answer(
            policy,
            target.endpoint,
            facts,
            "OPTIONS",
            serves_method=target.serves_method,
            scope=self.scope,
        )


def _route_preflight(adapter: Any, facts: RequestFacts) -> PreflightTarget | None:
    # Callers checked is_preflight(), so the requested method is a non-empty string.
    return preflight_target(adapter, cast(str, facts.request_method))


def _options_endpoint(adapter: Any) -> str | None:
    """The endpoint Quart calls for an OPTIONS request to this path."""
    try:
        rule, _ = adapter.match(method="OPTIONS", return_rule=True)
    except HTTPException:
        return None
    return cast(str, rule.endpoint)


def _misplaced_route_cors_endpoints(views: Mapping[str, Callable[..., Any]]) -> list[str]:
    """Endpoints whose view route_cors wrapped, while the app registered the unwrapped function.

    A function may also be registered twice on purpose, once plain and once wrapped: it is
    misplaced only when no registered view is its route_cors wrapper.
    """
    wrapped = {
        id(getattr(view, "__wrapped__", None))
        for view in views.values()
        if hasattr(view, _ROUTE_LAYER)
    }
    return [
        endpoint
        for endpoint, view in views.items()
        if getattr(view, _WRAPPED_BY_ROUTE_CORS, False)
        and not hasattr(view, _ROUTE_LAYER)
        and id(view) not in wrapped
    ]


def _misplaced_route_cors(endpoint: str) -> ConfigProblem:
    return ConfigProblem(
        errors.ROUTE_CORS_MISPLACED,
        "route_cors",
        endpoint,
        "route_cors is above @app.route, so the app registered the undecorated view and "
        "route_cors does nothing; put @route_cors below @app.route (nearest the function)",
    )


def _reporting() -> bool:
    """Whether a refusal is logged or signalled, so that unobserved refusals cost nothing."""
    return bool(cors_rejected.receivers) or logger.isEnabledFor(logging.DEBUG)


def _current(proxy: Any) -> Any:
    """The object behind a Quart context proxy, so that later reads skip the proxy."""
    return proxy._get_current_object()


def warn_any_origin_regexes(policies: Iterable[Policy | None]) -> None:
    """Log once per regex that matches any site: without credentials it is '*' in disguise."""
    seen: set[re.Pattern[str]] = set()
    for policy in policies:
        for regex in () if policy is None else policy.origins.any_origin_regexes:
            if regex not in seen:
                seen.add(regex)
                logger.warning(
                    "CORS allow_origin regex %r matches every origin (for example %r); if "
                    "that is what you mean write '*', otherwise narrow it to your sites",
                    regex.pattern,
                    canary_matched_by(regex),
                )
