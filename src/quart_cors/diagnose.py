"""Why a request is refused, read from the effective policy of the rule that serves it.

The simulated browser sees only headers: "no Access-Control-Allow-Origin" can mean the origin is
not listed, the route is exempt, a stricter route_cors refuses it, or no rule serves the method
at all. For an app in process, ``diagnose()`` routes the request as Quart will and names the
setting that refuses it, where that setting comes from (a route's route_cors, a blueprint's or
the app's cors(), app.config, the default), and a change that lets the request through, or
says that no CORS setting can.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from quart import Quart
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import MapAdapter, RequestRedirect

from ._common import EXEMPT, ROUTE_LAYER, WRAPPED_BY_ROUTE_CORS
from .app_state import EXTENSION_KEY, AppCORS
from .errors import CORSConfigError
from .origins import CORSRequest
from .policy import Policy
from .serving import scope_adapter
from .settings import Layer, field_sources
from .views import method_handler_layers

_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})


@dataclass(frozen=True)
class Change:
    """One edit to the app: add ``value`` to ``setting`` at ``source`` (True sets a bool)."""

    source: str
    setting: str
    value: str | bool


@dataclass(frozen=True)
class Diagnosis:
    """The cause of a refusal, its explanation, and the changes that fix it (none: no CORS
    setting can; ``text`` then says what can)."""

    cause: str
    text: str
    changes: tuple[Change, ...] = ()


async def diagnose(
    app: Quart,
    url: str,
    method: str,
    origin: str,
    *,
    unsafe_header_names: Sequence[str] = (),
    credentials: bool = False,
    private_network: bool = False,
) -> Diagnosis | None:
    """The refusal the app's own configuration makes for this request; None when it makes none.

    ``unsafe_header_names`` are the request's CORS-unsafe header names (lowercase), as the
    preflight lists them.
    """
    if not _uses_quart_cors(app):
        return None  # the app sets its CORS headers itself: the browser's reason stands
    state = AppCORS.of(app)
    try:
        state.compile_all()
    except CORSConfigError as error:
        return Diagnosis("config_error", f"the app's CORS configuration is invalid: {error}")
    parts = urlsplit(url)
    path = parts.path or "/"
    # Bound as Quart binds a request's (subdomains, host_matching, SERVER_NAME included).
    scope = {
        "type": "http",
        "http_version": "1.1",
        "scheme": parts.scheme or "http",
        "method": method.upper(),
        "path": path,
        "root_path": "",
        "query_string": parts.query.encode("latin-1", "replace"),
        "headers": [(b"host", parts.netloc.encode("latin-1", "replace"))],
    }
    adapter = scope_adapter(state, scope)
    if adapter is None:
        adapter = app.url_map.bind(parts.netloc, url_scheme=parts.scheme or "http")
    preflighted = method.upper() not in _SAFELISTED_METHODS or bool(unsafe_header_names)
    try:
        try:
            rule, _ = adapter.match(path, method=method.upper(), return_rule=True)
        except RequestRedirect as redirect:
            if preflighted and _redirected(adapter, path, "OPTIONS"):
                raise
            # The browser's preflight (if any) is answered at this URL, and the request
            # follows the redirect: the rule it points at answers for it, and refuses.
            path = urlsplit(redirect.new_url).path
            rule, _ = adapter.match(path, method=method.upper(), return_rule=True)
    except MethodNotAllowed as error:
        served = ", ".join(sorted(error.valid_methods or ()))
        return Diagnosis(
            "method_not_allowed",
            f"no rule on {path} serves {method} (it serves {served}), so the request gets a "
            "405 whatever CORS allows; no CORS setting changes that: call it with one of those "
            "methods, or add a rule for it",
        )
    except RequestRedirect as redirect:
        return Diagnosis(
            "redirect",
            f"{path} redirects to {redirect.new_url} (a trailing slash): call that URL; a "
            "preflight is never redirected",
        )
    except NotFound:
        return Diagnosis(
            "not_found",
            f"no rule matches {path}, so the request gets a 404; no CORS setting changes that: "
            "check the URL",
        )
    except HTTPException:
        return None
    endpoint = rule.endpoint
    view = app.view_functions.get(endpoint)
    if getattr(view, EXEMPT, False):
        return Diagnosis(
            "exempt",
            f"the route {endpoint!r} is cors_exempt, so it sends no CORS headers whatever "
            "allow_origin says: remove @cors_exempt from it to let its policy apply",
        )
    handlers = method_handler_layers(view) if view is not None and state.installed else {}
    if method.upper() in handlers and handlers[method.upper()] is None:
        view_class: Any = getattr(view, "view_class", view)
        # Quart calls get() for HEAD when the class defines no head().
        name = method.lower() if hasattr(view_class, method.lower()) else "get"
        return Diagnosis(
            "exempt",
            f"{view_class.__name__}.{name} (the {method.upper()} handler of {endpoint!r}) is "
            "cors_exempt, so its answers carry no CORS headers whatever allow_origin says: "
            "remove @cors_exempt from it to let its policy apply",
        )
    if getattr(view, WRAPPED_BY_ROUTE_CORS, False) and not hasattr(view, ROUTE_LAYER):
        return Diagnosis(
            "misplaced_route_cors",
            f"the @route_cors of {endpoint!r} is above @app.route, so the app registered the "
            "undecorated view and its route_cors does nothing: put @route_cors below "
            "@app.route (nearest the function)",
        )
    policy = state.policy_of(endpoint, method.upper())
    named = _named_layers(state, endpoint, method.upper())
    if policy is None or not named:
        return Diagnosis(
            "no_cors",
            f"the route {endpoint!r} has no CORS policy (no route_cors, and no cors() on its "
            f"blueprints or the app): add @route_cors(allow_origin=[{origin!r}]) below its "
            "@app.route, or cors(app, ...)",
        )
    # A setting left at its default is changed in the most specific layer the route has.
    innermost = named[0][0]
    sources = {
        setting: innermost if source == "default" else source
        for setting, source in field_sources(named, state.config or {}).items()
    }
    request = CORSRequest(parts.scheme or "http", parts.netloc.lower(), path)
    return await _refusal(
        policy,
        sources,
        endpoint,
        _Asked(origin, method, request),
        unsafe_header_names=unsafe_header_names,
        credentials=credentials,
        private_network=private_network,
    )


def _redirected(adapter: MapAdapter, path: str, method: str) -> bool:
    try:
        adapter.match(path, method=method)
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return False


def _uses_quart_cors(app: Quart) -> bool:
    if app.extensions.get(EXTENSION_KEY) is not None:
        return True
    return any(
        hasattr(view, ROUTE_LAYER) or getattr(view, WRAPPED_BY_ROUTE_CORS, False)
        for view in app.view_functions.values()
    )


class _Asked(NamedTuple):
    origin: str
    method: str
    request: CORSRequest


def _named_layers(state: AppCORS, endpoint: str, method: str) -> list[tuple[str, Layer]]:
    named = list(state.layers_of(endpoint) or [])
    view = state.app.view_functions.get(endpoint)
    handler_layer = method_handler_layers(view).get(method) if view is not None else None
    if handler_layer is not None and state.installed:
        named.insert(0, ("route_cors", handler_layer))
    return named


async def _refusal(
    policy: Policy,
    sources: dict[str, str],
    endpoint: str,
    asked: _Asked,
    *,
    unsafe_header_names: Sequence[str],
    credentials: bool,
    private_network: bool,
) -> Diagnosis | None:
    """The first setting of the policy that refuses the request, in the order browsers check."""
    origin, method, request = asked

    def where(setting: str) -> str:
        return _where(sources[setting], endpoint)

    def fix(setting: str, value: str | bool) -> Change:
        return Change(sources[setting], setting, value)

    if not await policy.match_origin_async(origin, request):
        return Diagnosis(
            "origin",
            f"origin {origin!r} is not allowed on {endpoint!r}: add {origin!r} to "
            f"allow_origin in {where('allow_origin')}",
            (fix("allow_origin", origin),),
        )
    if credentials and not policy.allow_credentials:
        changes: tuple[Change, ...] = (fix("allow_credentials", True),)
        text = (
            f"the request sends credentials, which {endpoint!r} does not allow: set "
            f"allow_credentials=True in {where('allow_credentials')}"
        )
        if policy.origins.any_origin:
            changes = (fix("allow_origin", origin), *changes)
            text += f", with {origin!r} listed in allow_origin instead of '*'"
        return Diagnosis("credentials", text, changes)
    # F#methods: GET, HEAD and POST need no listing; any other method is compared exactly.
    listed = "*" in policy.allow_methods or method in policy.allow_methods
    if method not in _SAFELISTED_METHODS and not listed:
        return Diagnosis(
            "method",
            f"method {method!r} is not allowed on {endpoint!r}: add {method!r} to "
            f"allow_methods in {where('allow_methods')}",
            (fix("allow_methods", method),),
        )
    names = {name.lower() for name in policy.allow_headers}
    refused = [name for name in unsafe_header_names if "*" not in names and name not in names]
    if refused:
        return Diagnosis(
            "headers",
            f"request header(s) {', '.join(map(repr, refused))} not allowed on {endpoint!r}: "
            f"add {', '.join(map(repr, refused))} to allow_headers in {where('allow_headers')}",
            tuple(fix("allow_headers", name) for name in refused),
        )
    if private_network and not policy.allow_private_network:
        return Diagnosis(
            "private_network",
            f"the page asks for private network access, which {endpoint!r} does not allow: set "
            f"allow_private_network=True in {where('allow_private_network')}",
            (fix("allow_private_network", True),),
        )
    return None


def _where(source: str, endpoint: str) -> str:
    """Where a setting's value came from, as the place to change it."""
    if source == "route_cors":
        return f"the @route_cors of {endpoint!r}"
    if source == "websocket_cors":
        return f"the @websocket_cors of {endpoint!r}"
    if source.startswith("blueprint:"):
        return f"cors() on blueprint {source.partition(':')[2]!r}"
    if source == "app":
        return "cors(app)"
    return f"app.config[{source.partition(':')[2]!r}]"
