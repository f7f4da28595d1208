"""What users call: cors(), route_cors(), websocket_cors() and cors_exempt()."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from functools import partial, wraps
from inspect import iscoroutinefunction
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast

from quart import Blueprint, Quart, after_this_request, current_app
from quart.globals import websocket
from quart.typing import ResponseReturnValue, ResponseTypes

from ._common import (
    EXEMPT,
    OWN_OPTIONS,
    REPORT_LAYER,
    ROUTE_LAYER,
    WEBSOCKET_LAYER,
    WRAPPED_BY_ROUTE_CORS,
    apply_answer,
)
from ._compat import current_app_and_request, default_options_response, wrap_process_response
from .answering import static_answer
from .app_state import EXTENSION_KEY, AppCORS, origin_sources
from .dynamic import DynamicOrigins, start_sources, stop_sources
from .gate import PreflightGate
from .hooks import ResponseHook, WebsocketCheck, add_headers, answer_preflight_in_view
from .origins import CORSRequest
from .policy import Answer, Policy
from .report_only import ReportOnly, compare_static, report_only_layer
from .settings import explicit_layer

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
    | DynamicOrigins
)
OriginSetting: TypeAlias = OriginItem | Iterable[OriginItem]
NamesSetting: TypeAlias = str | Iterable[str]
MaxAgeSetting: TypeAlias = int | float | str | timedelta
# A candidate policy: ReportOnly(...) or a dict of the same keyword settings as cors().
ReportOnlySetting: TypeAlias = ReportOnly | Mapping[str, Any]
# Where QuartCORS.init_app keeps its instance, named like the QUART_CORS_* config keys.
EXTENSION_NAME = "QUART_CORS"


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
    report_only: ReportOnlySetting | None = None,
) -> AppOrBlueprint:
    """Enable CORS for every route and websocket of an app or blueprint; returns it.

    ``report_only`` is a candidate policy judged beside this one and never answering (see
    ReportOnly): where their verdicts differ, it is logged, signalled and counted.
    """
    where = f"cors({app_or_blueprint.name!r})"
    report_layer = report_only_layer(where, report_only)
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
        state = AppCORS.of(app_or_blueprint)
        if state.app_layer is not None:
            # A second app-level policy would silently replace the first one.
            raise RuntimeError(
                f"CORS is already set up on app {app_or_blueprint.name!r} (by cors() or "
                "QuartCORS.init_app()); give one call all the app-level settings"
            )
        state.app_layer = layer
        if report_layer is not None:
            state.candidates.layers["app"] = report_layer
        install(state)
    else:
        blueprint = app_or_blueprint

        def register(setup: Any) -> None:
            name = f"{setup.name_prefix}.{setup.name}".lstrip(".")
            state = AppCORS.of(setup.app)
            state.blueprint_layers[name] = layer
            if report_layer is not None:
                state.candidates.layers[f"blueprint:{name}"] = report_layer
            if setup.url_prefix:
                state.blueprint_prefixes[name] = setup.url_prefix.rstrip("/")
            install(state)

        blueprint.record(register)
    return app_or_blueprint


def install(state: AppCORS) -> None:
    """Hook into the app once: preflight gate, response processing, websocket check."""
    if state.installed:
        return
    state.installed = True
    app = state.app
    # Quart builds each HTTP connection handler inside app.asgi_app, after every ASGI
    # middleware the user wrapped around it: the gate sees the scope they fixed.
    app.asgi_http_class = PreflightGate(state, app.asgi_http_class)  # type: ignore[assignment]
    wrap_process_response(app, ResponseHook(state))
    check = WebsocketCheck(state)

    async def before_websocket() -> None:
        await check.before_websocket(_current(websocket))

    app.before_websocket(before_websocket)

    async def compile_at_startup() -> None:
        """Fail start-up with every configuration problem (async: no executor thread), then
        load the dynamic origin sets (a first load that fails stops start-up too)."""
        state.compile_all()
        await start_sources(app, origin_sources(state))

    async def stop_refreshing() -> None:
        await stop_sources(app)

    app.before_serving(compile_at_startup)
    app.after_serving(stop_refreshing)


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
    report_only: ReportOnlySetting | None = None,
) -> Callable[[RouteView[P]], Callable[P, Awaitable[ResponseTypes]]]:
    """Enable CORS for one view; place it below ``@app.route``. Its settings win over all."""
    report_layer = report_only_layer("route_cors()", report_only)
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

        # The view as a coroutine function, for the common case (typed once, not per call).
        async_view = cast(Callable[P, Awaitable[ResponseReturnValue]], view)

        @wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseTypes:
            app_, request_ = current_app_and_request()
            app: Quart = app_
            method = request_.method
            state = app.extensions.get(EXTENSION_KEY) or AppCORS.of(app)
            if state.installed:
                # cors() on the app or a blueprint answers preflights and adds the headers.
                return await app.make_response(await call_view(app, method, args, kwargs))
            # No cors() in this app: this wrapper does the hooks' work for its own view.
            if provide_automatic_options and method == "OPTIONS":
                preflight = await answer_preflight_in_view(state, request_)
                if preflight is not None:
                    return preflight
            endpoint = request_.url_rule.endpoint  # this view was routed to, so a rule matched
            policy = state.policies.get(endpoint)
            if not isinstance(policy, Policy):
                policy = state.policy_of(endpoint, method)
            if policy is None:  # cors_exempt below route_cors
                # A Response either way, as 0.8.0 returned when the view is called directly.
                return await app.make_response(await call_view(app, method, args, kwargs))
            try:
                if view_is_async and method != "OPTIONS":  # the common case, inlined
                    result = await async_view(*args, **kwargs)
                else:
                    result = await call_view(app, method, args, kwargs)
            except Exception:
                # Quart turns it into an error response: the callback puts the headers on it.
                after_this_request(partial(add_headers, state, request_))
                raise
            response = await app.make_response(result)
            answer = static_answer(policy, request_)
            if answer is None:
                return await add_headers(state, request_, response)
            apply_answer(response.headers, answer)
            if state.candidates.active:
                await _judge_by_candidate(state, endpoint, policy, answer, request_)
            return response

        setattr(wrapper, ROUTE_LAYER, layer)
        if report_layer is not None:
            setattr(wrapper, REPORT_LAYER, report_layer)
        # Marked after wraps() copied view.__dict__, so that only the inner function carries it.
        setattr(view, WRAPPED_BY_ROUTE_CORS, True)
        if provide_automatic_options:
            wrapper.provide_automatic_options = False  # type: ignore[attr-defined]
            required = set(getattr(view, "required_methods", ()))
            wrapper.required_methods = required | {"OPTIONS"}  # type: ignore[attr-defined]
        else:
            setattr(wrapper, OWN_OPTIONS, True)
        return wrapper

    return decorator


async def _judge_by_candidate(
    state: AppCORS, endpoint: str, policy: Policy, answer: Answer, request_: Any
) -> None:
    """route_cors in an app without cors(): the report_only check the response hook does."""
    candidate = state.candidates.of(endpoint, request_.method)
    if candidate is not None:
        pending = compare_static(state.app, candidate, policy, answer, request_)
        if pending is not None:
            await pending


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
            await WebsocketCheck(AppCORS.of(app)).check(_current(websocket))
            return await app.ensure_async(view)(*args, **kwargs)

        setattr(wrapper, WEBSOCKET_LAYER, layer)
        return cast(View, wrapper)

    return decorator


def cors_exempt(view: View) -> View:
    """Exclude a view or websocket from CORS entirely; place it below ``@app.route``."""
    setattr(view, EXEMPT, True)
    return view


def _current(proxy: Any) -> Any:
    """The object behind a Quart context proxy, so that later reads skip the proxy."""
    return proxy._get_current_object()
