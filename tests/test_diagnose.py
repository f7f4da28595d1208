"""Every "Fix:" names the real cause: the diagnosis reads the serving rule's effective policy.

Each row is an app shape and a request the simulated browser blocks. The test applies the fix the
diagnosis prints (its changes, or the structural change its cause names) to the app's shape and
checks that the request then passes, or that the diagnosis says, correctly, that no CORS setting
can make it pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from quart import Blueprint, Quart

from quart_cors import cors, cors_exempt, route_cors
from quart_cors.diagnose import Change, diagnose
from quart_cors.testing import Browser

PAGE = "https://page.example"
ADMIN = "https://admin.example"


@dataclass(frozen=True)
class Shape:
    """An app: where the target route lives and which CORS settings each layer gives it."""

    app_layer: dict[str, Any] | None = field(default_factory=dict)  # None: no cors(app)
    config: dict[str, Any] = field(default_factory=dict)
    blueprint_layer: dict[str, Any] | None = None  # not None: the route is in blueprint "bp"
    route_layer: dict[str, Any] | None = None  # route_cors on the target view
    methods: tuple[str, ...] = ("GET", "PUT")
    exempt: bool = False
    misplaced: bool = False  # route_cors above @app.route
    # Another rule on the same path: (methods, its route_cors settings).
    neighbour: tuple[tuple[str, ...], dict[str, Any]] | None = None
    # A route_cors view elsewhere, so that an app without cors() still uses quart-cors.
    elsewhere: bool = False

    def build(self) -> Quart:
        app = Quart(__name__)
        app.config.update(self.config)
        if self.app_layer is not None:
            cors(app, **self.app_layer)
        routes: Quart | Blueprint = app
        if self.blueprint_layer is not None:
            routes = Blueprint("bp", __name__, url_prefix="/bp")
            cors(routes, **self.blueprint_layer)

        async def target() -> str:
            return "target"

        view: Any = target
        if self.exempt:
            view = cors_exempt(view)
        if self.route_layer is not None and not self.misplaced:
            view = route_cors(**self.route_layer)(view)
        routes.add_url_rule("/r", "target", view, methods=list(self.methods))
        if self.route_layer is not None and self.misplaced:
            route_cors(**self.route_layer)(target)  # the wrapper is thrown away
        if self.neighbour is not None:
            methods, layer = self.neighbour

            async def neighbour() -> str:
                return "neighbour"

            routes.add_url_rule("/r", "neighbour", route_cors(**layer)(neighbour), methods=methods)
        if self.elsewhere:

            async def other() -> str:
                return "other"

            app.add_url_rule("/elsewhere", "elsewhere", route_cors()(other))
        if isinstance(routes, Blueprint):
            app.register_blueprint(routes)
        return app

    @property
    def path(self) -> str:
        return "/bp/r" if self.blueprint_layer is not None else "/r"


def _added(current: object, value: str | bool) -> object:
    if isinstance(value, bool):
        return value
    items = [] if current is None else [current] if isinstance(current, str) else list(current)  # type: ignore[call-overload]
    items = [item for item in items if item != "*"]  # a listed value replaces the wildcard
    return [*items, value]


def apply(shape: Shape, cause: str, changes: tuple[Change, ...]) -> Shape:
    """The shape after the fix the diagnosis names."""
    if cause == "exempt":
        return replace(shape, exempt=False)
    if cause == "misplaced_route_cors":
        return replace(shape, misplaced=False)
    if cause == "no_cors":
        return replace(shape, route_layer={"allow_origin": [PAGE]})
    assert changes, cause
    for change in changes:
        if change.source == "route_cors":
            layer = dict(shape.route_layer or {})
            layer[change.setting] = _added(layer.get(change.setting), change.value)
            shape = replace(shape, route_layer=layer)
        elif change.source == "blueprint:bp":
            layer = dict(shape.blueprint_layer or {})
            layer[change.setting] = _added(layer.get(change.setting), change.value)
            shape = replace(shape, blueprint_layer=layer)
        elif change.source == "app":
            layer = dict(shape.app_layer or {})
            layer[change.setting] = _added(layer.get(change.setting), change.value)
            shape = replace(shape, app_layer=layer)
        else:
            key = change.source.removeprefix("config:")
            config = dict(shape.config)
            config[key] = _added(config.get(key), change.value)
            shape = replace(shape, config=config)
    return shape


JSON = {"Content-Type": "application/json"}

# (name, shape, method, headers, credentials, expected cause, expected source of the change)
ROWS: list[tuple[str, Shape, str, dict[str, str], bool, str, str | None]] = [
    (
        "exempt route, origin listed",
        Shape(app_layer={"allow_origin": [PAGE]}, exempt=True),
        "GET",
        {},
        False,
        "exempt",
        None,
    ),
    (
        "the serving rule's route_cors refuses an origin the app allows",
        Shape(app_layer={"allow_origin": [PAGE]}, route_layer={"allow_origin": [ADMIN]}),
        "PUT",
        {},
        False,
        "origin",
        "route_cors",
    ),
    (
        "a stricter DELETE rule beside the GET rule",
        Shape(
            app_layer={"allow_origin": [PAGE]},
            methods=("GET",),
            neighbour=(("DELETE",), {"allow_origin": [ADMIN]}),
        ),
        "DELETE",
        {},
        False,
        "origin",
        None,  # the DELETE rule is the neighbour: checked separately below
    ),
    (
        "a blueprint's cors() replaces the app's origins",
        Shape(app_layer={"allow_origin": [PAGE]}, blueprint_layer={"allow_origin": [ADMIN]}),
        "GET",
        {},
        False,
        "origin",
        "blueprint:bp",
    ),
    (
        "a 405: no rule on the path serves the method",
        Shape(
            app_layer={"allow_origin": [PAGE], "allow_methods": ["GET"]},
            methods=("GET",),
            neighbour=(("DELETE",), {"allow_origin": [PAGE]}),
        ),
        "PUT",
        {},
        False,
        "method_not_allowed",
        None,
    ),
    (
        "route_cors above @app.route in an app without cors()",
        Shape(app_layer=None, route_layer={"allow_origin": [PAGE]}, misplaced=True, elsewhere=True),
        "GET",
        {},
        False,
        "misplaced_route_cors",
        None,
    ),
    (
        "no CORS on the route (route_cors elsewhere only)",
        Shape(app_layer=None, elsewhere=True),
        "GET",
        {},
        False,
        "no_cors",
        None,
    ),
    (
        "a method the route's route_cors does not list",
        Shape(app_layer={"allow_origin": [PAGE]}, route_layer={"allow_methods": ["GET"]}),
        "PUT",
        {},
        False,
        "method",
        "route_cors",
    ),
    (
        "a header the app does not allow",
        Shape(app_layer={"allow_origin": [PAGE], "allow_headers": ["x-a"]}),
        "GET",
        {"X-Token": "t"},
        False,
        "headers",
        "app",
    ),
    (
        "credentials the app leaves off",
        Shape(app_layer={"allow_origin": [PAGE]}),
        "GET",
        {},
        True,
        "credentials",
        "app",
    ),
    (
        "credentials with the default '*'",
        Shape(app_layer={}),
        "GET",
        JSON,
        True,
        "credentials",
        "app",
    ),
    (
        "origins from app.config",
        Shape(app_layer={}, config={"QUART_CORS_ALLOW_ORIGIN": [ADMIN]}),
        "GET",
        {},
        False,
        "origin",
        "config:QUART_CORS_ALLOW_ORIGIN",
    ),
]


async def _fetch(shape: Shape, method: str, headers: dict[str, str], credentials: bool) -> Any:
    body = "{}" if method not in ("GET", "HEAD") else None
    return await Browser(shape.build(), PAGE).fetch(
        shape.path,
        method=method,
        headers=headers,
        body=body,
        credentials="include" if credentials else "omit",
    )


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
async def test_the_printed_fix_is_the_one_that_works(
    row: tuple[str, Shape, str, dict[str, str], bool, str, str | None],
) -> None:
    _, shape, method, headers, credentials, cause, source = row
    blocked = await _fetch(shape, method, headers, credentials)
    assert not blocked.ok
    found = blocked.diagnosis
    assert found is not None, blocked.explanation
    assert found.cause == cause
    assert found.text in blocked.explanation
    if source is not None:
        assert {change.source for change in found.changes} == {source}
    if cause in ("method_not_allowed", "not_found"):
        assert found.changes == ()
        assert "no CORS setting changes that" in found.text
        return
    if shape.neighbour is not None and cause == "origin":
        # The refusing rule is the neighbour's route_cors: its change names it.
        assert found.changes == (Change("route_cors", "allow_origin", PAGE),)
        assert "'neighbour'" in found.text
        methods, layer = shape.neighbour
        fixed = replace(shape, neighbour=(methods, {**layer, "allow_origin": [ADMIN, PAGE]}))
    else:
        fixed = apply(shape, cause, found.changes)
    passed = await _fetch(fixed, method, headers, credentials)
    assert passed.ok, (found.text, passed.explanation)


async def test_a_404_names_the_missing_route() -> None:
    app = Shape(app_layer={"allow_origin": [PAGE]}).build()
    found = await diagnose(app, "http://localhost/nowhere", "PUT", PAGE)
    assert found is not None
    assert found.cause == "not_found"
    assert "no CORS setting changes that" in found.text


async def test_an_app_without_quart_cors_keeps_the_browsers_reason() -> None:
    app = Quart(__name__)

    @app.get("/r")
    async def plain() -> str:
        return "r"

    result = await Browser(app, PAGE).fetch("/r")
    assert not result.ok
    assert result.diagnosis is None
    assert "add 'https://page.example' to allow_origin" in result.explanation
