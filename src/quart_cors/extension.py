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
from typing import Any, ParamSpec, TypeAlias, TypeVar, cast
from urllib.parse import unquote, urlsplit

from quart import Blueprint, Quart, Response, abort, after_this_request, current_app
from quart.globals import request, websocket
from quart.typing import ResponseReturnValue, ResponseTypes
from quart.wrappers import BaseRequestWebsocket
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect
from werkzeug.sansio.utils import get_host

from ._compat import default_options_response, header_list
from .errors import ConfigProblem, CORSConfigError
from .policy import REFUSED_ORIGIN, Answer, Policy
from .settings import Layer, compile_policy, explicit_layer, read_config
from .signals import cors_rejected

logger = logging.getLogger("quart_cors")

EXTENSION_KEY = "quart_cors"
_ROUTE_LAYER = "_quart_cors_route_layer"
_WEBSOCKET_LAYER = "_quart_cors_websocket_layer"
_EXEMPT = "_quart_cors_exempt"
_OWN_OPTIONS = "_quart_cors_answers_options"

AppOrBlueprint = TypeVar("AppOrBlueprint", bound=Quart | Blueprint)
View = TypeVar("View", bound=Callable[..., Any])
P = ParamSpec("P")
RouteView: TypeAlias = Callable[P, ResponseReturnValue | Awaitable[ResponseReturnValue]]
# What a setting accepts; the values themselves are checked when the policy compiles.
OriginItem: TypeAlias = str | re.Pattern[str] | Callable[[str], bool | Awaitable[bool]]
OriginSetting: TypeAlias = OriginItem | Iterable[OriginItem]
NamesSetting: TypeAlias = str | Iterable[str]
MaxAgeSetting: TypeAlias = int | float | str | timedelta
# The ASGI callables are typed loosely: Quart's TypedDict unions add nothing on this path.
Scope = Any
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NOT_COMPILED = object()
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
                return await default_options_response(app, request)
            if view_is_async:  # skips ensure_async's check on every call
                return await cast(Awaitable[ResponseReturnValue], view(*args, **kwargs))
            return await app.ensure_async(view)(*args, **kwargs)

        @wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseTypes:
            app: Quart = _current(current_app)
            request_ = _current(request)
            state = _AppCORS.of(app)
            # With cors() on the app its hooks answer preflights and add the headers; otherwise
            # this wrapper does their work (policy None: cors_exempt below route_cors).
            endpoint = None if state.installed else state.endpoint_of(request_)
            policy = None if state.installed else state.policy_for(endpoint)
            if policy is None:
                # A Response either way, as 0.8.0 returned when the view is called directly.
                return await app.make_response(await call_view(app, request_.method, args, kwargs))
            if provide_automatic_options and request_.method == "OPTIONS":
                preflight = await state.answer_preflight(policy, endpoint, request_)
                if preflight is not None:
                    return preflight
            try:
                if view_is_async and request_.method != "OPTIONS":  # the common case, inlined
                    result = await cast(Awaitable[ResponseReturnValue], view(*args, **kwargs))
                else:
                    result = await call_view(app, request_.method, args, kwargs)
            except Exception:
                # Quart turns it into an error response: the callback puts the headers on it.
                after_this_request(partial(state.add_headers, policy, endpoint, request_))
                raise
            response = await app.make_response(result)
            answer = static_answer(policy, request_)
            if answer is None:
                answer = await state.awaited_answer(policy, endpoint, request_, response)
            apply_answer(response.headers, answer)
            return response

        setattr(wrapper, _ROUTE_LAYER, layer)
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

    @classmethod
    def of(cls, app: Quart) -> _AppCORS:
        state = app.extensions.get(EXTENSION_KEY)
        if state is None:
            state = app.extensions[EXTENSION_KEY] = cls(app)
        return cast(_AppCORS, state)

    def install(self) -> None:
        """Hook into the app once: preflight fast path, response hook, websocket check."""
        if self.installed:
            return
        self.installed = True
        app = self.app
        app.asgi_app = _PreflightFastPath(app.asgi_app, self)  # type: ignore[method-assign]
        app.after_request(self.after_request)
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
        if problems:
            raise CORSConfigError(problems.values(), f"app {self.app.name!r}")
        self.policies = policies
        self.compiled = True

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
        layers: list[Layer] = []
        overrides: dict[str, object] = {}
        if endpoint is not None:
            view = self.app.view_functions.get(endpoint)
            if getattr(view, _EXEMPT, False):
                return None
            route_layer = getattr(view, _ROUTE_LAYER, None)
            websocket_layer = getattr(view, _WEBSOCKET_LAYER, None)
            layers.extend(layer for layer in (route_layer, websocket_layer) if layer is not None)
            if websocket_layer is not None:
                # A websocket handshake only checks the origin; credentials do not apply.
                overrides["allow_credentials"] = False
            blueprint = endpoint.rpartition(".")[0]
            while blueprint:
                if blueprint in self.blueprint_layers:
                    layers.append(self.blueprint_layers[blueprint])
                blueprint = blueprint.rpartition(".")[0]
        if self.app_layer is not None:
            layers.append(self.app_layer)
        if not layers:
            return None
        if self.config is None:
            self.config = read_config(self.app.config)
        return compile_policy(layers, self.config, f"endpoint {endpoint!r}", overrides)

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
        try:
            if isinstance(error, MethodNotAllowed) and error.valid_methods:
                # The first method in sorted order: a set's order would vary between runs.
                method = sorted(error.valid_methods)[0]
                matched = adapter.match(method=method, return_rule=True)
            elif isinstance(error, RequestRedirect):
                path = unquote(urlsplit(error.new_url).path).removeprefix(request_.root_path)
                matched = adapter.match(path, method=request_.method, return_rule=True)
            else:
                return self._unmatched_endpoint(request_.path)
        except HTTPException:
            return None
        return cast(str, matched[0].endpoint)

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
    ) -> Answer:
        """The CORS answer for one request to an endpoint with a policy."""
        origin = facts.origin
        allowed = origin is not None and await policy.match_origin_async(origin)
        preflight = facts.is_preflight(method)
        if preflight and origin is not None and facts.request_method:  # (narrows the types)
            answer = policy.preflight(
                origin, allowed, facts.request_method, facts.request_headers, facts.private_network
            )
        elif policy.needs_response_header_names:
            answer = policy.actual_request(origin, allowed, response_headers)
        else:
            answer = policy.actual_request(origin, allowed)
        if answer.refusal is not None:
            await self._report(answer, endpoint, origin, method, preflight)
        return answer

    async def _report(
        self, answer: Answer, endpoint: str | None, origin: str | None, method: str, preflight: bool
    ) -> None:
        if not _reporting():
            return
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "CORS refused (%s) at endpoint %r: %s%s %r, origin %r",
                answer.refusal,
                endpoint,
                "preflight for " if preflight else "",
                method[:_LOG_LIMIT],
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

    async def after_request(self, response: ResponseTypes) -> ResponseTypes:
        """Add the CORS headers to every response of a CORS-enabled endpoint, errors included."""
        request_ = _current(request)
        # endpoint_of() and policy_for() inlined for their common case: this runs per response.
        rule = request_.url_rule
        endpoint = rule.endpoint if rule is not None else self.endpoint_of(request_)
        found = self.policies.get(endpoint, _NOT_COMPILED)
        policy = self.policy_for(endpoint) if found is _NOT_COMPILED else cast(Policy, found)
        if policy is None:
            return response
        answer = static_answer(policy, request_)
        if answer is None:
            answer = await self.awaited_answer(policy, endpoint, request_, response)
        apply_answer(response.headers, answer)
        return response

    async def add_headers(
        self, policy: Policy, endpoint: str | None, request_: Any, response: ResponseTypes
    ) -> ResponseTypes:
        """Add the CORS headers of one request to its response (also an error response)."""
        # Callers on the hot path inline these lines: a coroutine per response costs more than
        # the rest of the common case.
        answer = static_answer(policy, request_)
        if answer is None:
            answer = await self.awaited_answer(policy, endpoint, request_, response)
        apply_answer(response.headers, answer)
        return response

    async def awaited_answer(
        self, policy: Policy, endpoint: str | None, request_: Any, response: ResponseTypes
    ) -> Answer:
        """The answer when static_answer() has none: preflights, callables, observed refusals."""
        facts = RequestFacts.scan(request_.scope["headers"])
        return await self.answer(policy, endpoint, facts, request_.method, response.headers.keys())

    async def answer_preflight(
        self, policy: Policy, endpoint: str | None, request_: Any
    ) -> Response | None:
        """A preflight's answer from inside a route_cors view; None for other OPTIONS."""
        facts = RequestFacts.scan(request_.scope["headers"])
        if not facts.is_preflight("OPTIONS"):
            return None
        answer = await self.answer(policy, endpoint, facts, "OPTIONS")
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
        if origin is None or await policy.match_origin_async(origin):
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

    None for preflights, for origins only callables can judge, and for refusals that someone
    observes (DEBUG logging or a cors_rejected receiver); Quart-side code then awaits answer().
    """
    if request_.method == "OPTIONS":
        return None
    answer = policy.answer_actual_request(origin_header(request_.scope["headers"]))
    if answer is None or (answer.refusal is not None and _reporting()):
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
        items.extend(answer.headers)
        if answer.vary:
            items.append(("Vary", ", ".join(answer.vary)))
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


class _RoutingFacts:
    """What Quart's URL adapter reads from a request, taken from an ASGI scope."""

    __slots__ = ("host", "method", "path", "query_string", "root_path", "scheme")

    def __init__(self, scope: Scope, host_header: str | None) -> None:
        self.scheme: str = scope.get("scheme", "http")
        server = scope.get("server")
        self.host = get_host(self.scheme, host_header, tuple(server) if server else None)
        self.method: str = scope["method"]
        path: str = scope["path"]
        path = path if path[:1] == "/" else urlsplit(path).path
        self.root_path: str = scope.get("root_path", "")
        if self.root_path:
            if path == self.root_path or not path.startswith(self.root_path):
                path = " "  # as Quart: a path outside the root matches nothing
            else:
                path = path[len(self.root_path) :]
        self.path = path
        self.query_string: bytes = scope.get("query_string", b"")


class _PreflightFastPath:
    """Answers preflights to CORS-enabled endpoints before Quart builds a request.

    It also compiles the app's policies on the first HTTP request when no lifespan did, so that
    a configuration error is one logged error and a 500, not a failure inside Quart's hooks.
    """

    def __init__(self, asgi_app: ASGIApp, state: _AppCORS) -> None:
        self.asgi_app = asgi_app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.asgi_app(scope, receive, send)
            return
        state = self.state
        if not state.compiled:
            try:
                state.compile_all()
            except CORSConfigError:
                logger.exception("CORS configuration error; answering with 500")
                await _send_plain(send, 500, b"Internal Server Error")
                return
        if scope["method"] != "OPTIONS":
            await self.asgi_app(scope, receive, send)
            return
        raw_headers = scope["headers"]
        facts = RequestFacts.scan(raw_headers)
        if not facts.is_preflight("OPTIONS"):
            await self.asgi_app(scope, receive, send)
            return
        endpoint = self._match(scope, raw_headers)
        policy = None if endpoint is None else state.policy_for(endpoint)
        if policy is None or getattr(
            state.app.view_functions.get(endpoint or ""), _OWN_OPTIONS, False
        ):
            await self.asgi_app(scope, receive, send)
            return
        answer = await state.answer(policy, endpoint, facts, "OPTIONS")
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers
        ]
        headers.append((b"vary", ", ".join(answer.vary).encode("latin-1")))
        headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _match(self, scope: Scope, raw_headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        app = self.state.app
        host = None
        for name, value in raw_headers:
            if name == b"host":
                host = value.decode("latin-1")
                break
        subdomain = None if app.subdomain_matching else (app.url_map.default_subdomain or None)
        adapter = app.url_map.bind_to_request(  # type: ignore[attr-defined]
            _RoutingFacts(scope, host), subdomain, app.config["SERVER_NAME"]
        )
        try:
            rule, _ = adapter.match(method="OPTIONS", return_rule=True)
        except HTTPException:
            return None  # 404, 405, redirects: Quart answers them, with CORS headers
        return cast(str, rule.endpoint)


def _reporting() -> bool:
    """Whether a refusal is logged or signalled, so that unobserved refusals cost nothing."""
    return bool(cors_rejected.receivers) or logger.isEnabledFor(logging.DEBUG)


def _current(proxy: Any) -> Any:
    """The object behind a Quart context proxy, so that later reads skip the proxy."""
    return proxy._get_current_object()


async def _send_plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
