"""What the decorators left on the app's view functions, and where they cannot work.

route_cors and cors_exempt mark functions; a MethodView's handlers may carry them per method.
This module reads those marks; it decides nothing about requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import errors
from ._common import EXEMPT, ROUTE_LAYER, WRAPPED_BY_ROUTE_CORS
from .errors import ConfigProblem
from .settings import Layer

# The methods a MethodView answers with a handler of another name: Quart falls back from HEAD
# to get().
_HANDLER_FALLBACK = {"HEAD": "get"}


def method_handler_layers(view: Callable[..., Any]) -> dict[str, Layer | None]:
    """For a MethodView whose handlers carry route_cors or cors_exempt: method -> their layer.

    None marks an exempt handler. Empty for any other view, or when no handler carries either.
    """
    view_class = getattr(view, "view_class", None)
    methods = getattr(view_class, "methods", None)
    if view_class is None or not methods:
        return {}
    found: dict[str, Layer | None] = {}
    served = {method.upper() for method in methods}
    if "GET" in served:
        # Werkzeug adds HEAD to a rule that serves GET, and MethodView.methods leaves it out
        # when the class defines no head(): Quart then calls get() for it.
        served.add("HEAD")
    for method in sorted(served):
        handler = getattr(view_class, method.lower(), None)
        if handler is None:
            handler = getattr(view_class, _HANDLER_FALLBACK.get(method, ""), None)
        if getattr(handler, EXEMPT, False):
            found[method] = None
        elif getattr(handler, ROUTE_LAYER, None) is not None:
            found[method] = getattr(handler, ROUTE_LAYER)
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
        for endpoint in misplaced_route_cors_endpoints(views)
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


def misplaced_route_cors_endpoints(views: Mapping[str, Callable[..., Any]]) -> list[str]:
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
