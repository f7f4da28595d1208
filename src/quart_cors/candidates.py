"""Report-only candidate policies: for each endpoint, the policy ``report_only=`` describes.

A ``report_only`` given to ``cors()`` or ``route_cors`` changes the settings of that one level:
the candidate of an endpoint is compiled from the same layers as its enforced policy, with each
level that has a ``report_only`` seeing those settings over its own. Endpoints under no
``report_only`` have no candidate, and nothing is evaluated for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from quart import Quart

from ._common import REPORT_LAYER, ROUTE_CORS_SOURCE, WEBSOCKET_CORS_SOURCE
from .errors import ConfigProblem, CORSConfigError
from .policy import Policy
from .settings import Layer, compile_policy, read_config
from .views import method_handler_layers

_NOT_COMPILED: Any = object()


class _State(Protocol):
    """What a Candidates table reads from the app's CORS state (app_state.AppCORS)."""

    app: Quart
    installed: bool
    config: Any

    def layers_of(self, endpoint: str | None) -> list[tuple[str, Layer]] | None: ...


class Candidates:
    """The candidate policy of each endpoint that some ``report_only`` covers."""

    def __init__(self, state: _State) -> None:
        self.state = state
        # "app" or "blueprint:NAME" -> the report_only settings given to that cors() call.
        self.layers: dict[str, Layer] = {}
        # True once any report_only was given (route_cors ones are found when compiling).
        self.active = False
        self.policies: dict[str | None, Policy | None] = {}
        self.by_method: dict[str, dict[str, Policy | None]] = {}

    def compile_all(self, endpoints: list[str | None], problems: dict[str, ConfigProblem]) -> None:
        """Compile every endpoint's candidate, adding each problem to ``problems``."""
        views = self.state.app.view_functions
        if not self.layers and not any(
            getattr(view, REPORT_LAYER, None) is not None
            or any(_handler_report(view, method) is not None for method in _handlers(view))
            for view in views.values()
        ):
            return
        self.active = True
        for endpoint in endpoints:
            try:
                self.policies[endpoint] = self._compile(endpoint)
                view = views.get(endpoint or "")
                handlers = method_handler_layers(view) if view is not None else {}
                if endpoint is not None and self.state.installed and handlers:
                    self.by_method[endpoint] = {
                        method: None
                        if layer is None
                        else self._compile(endpoint, layer, _handler_report(view, method))
                        for method, layer in handlers.items()
                    }
            except CORSConfigError as error:
                # Named as the candidate's, so that it is not taken for the enforced policy's.
                for found in error.problems:
                    problem = replace(found, setting=f"{found.setting} (report_only candidate)")
                    problems.setdefault(str(problem), problem)

    def of(self, endpoint: str | None, method: str) -> Policy | None:
        """The candidate serving ``method`` at ``endpoint``; None when there is none."""
        methods = self.by_method.get(endpoint or "")
        if methods is not None and method in methods:
            return methods[method]
        policy = self.policies.get(endpoint, _NOT_COMPILED)
        if policy is _NOT_COMPILED:  # a 404 pseudo-endpoint, or one added after start-up
            policy = self.policies[endpoint] = self._compile(endpoint)
        return policy  # type: ignore[no-any-return]

    def _compile(
        self,
        endpoint: str | None,
        method_layer: Layer | None = None,
        method_report: Layer | None = None,
    ) -> Policy | None:
        state = self.state
        named = state.layers_of(endpoint)
        if not named:
            return None
        view = state.app.view_functions.get(endpoint or "")
        layers: list[Layer] = []
        changed = method_report is not None
        for source, layer in named:
            if source == ROUTE_CORS_SOURCE:
                report = getattr(view, REPORT_LAYER, None)
            else:
                report = self.layers.get(source)
            if report is not None:
                changed = True
            layers.append(layer if report is None else {**layer, **report})
        if not changed:
            return None
        if method_layer is not None:
            layers.insert(0, {**method_layer, **(method_report or {})})
        overrides: dict[str, object] = {}
        if any(source == WEBSOCKET_CORS_SOURCE for source, _ in named):
            overrides["allow_credentials"] = False
        if state.config is None:
            state.config = read_config(state.app.config)
        return compile_policy(
            layers, state.config, f"report_only candidate of endpoint {endpoint!r}", overrides
        )


def _handlers(view: object) -> list[str]:
    """The methods of a MethodView (none for a plain view)."""
    return sorted(getattr(getattr(view, "view_class", None), "methods", None) or ())


def _handler_report(view: object, method: str) -> Layer | None:
    """The report_only settings of route_cors on a MethodView's handler for ``method``."""
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, method.lower(), None)
    if handler is None and method == "HEAD":
        handler = getattr(view_class, "get", None)
    report: Layer | None = getattr(handler, REPORT_LAYER, None)
    return report
