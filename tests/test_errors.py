"""Error responses carry the same CORS headers, for cors() and route_cors.

The contract: docs/behaviour.md, section 3.2 (Error responses).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from quart import Blueprint, Quart, Response, abort

from conftest import ORIGIN, OTHER_ORIGIN, cors_headers, vary
from quart_cors import cors, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACEH = "Access-Control-Expose-Headers"
POLICY: dict[str, Any] = {
    "allow_origin": ORIGIN,
    "allow_credentials": True,
    "expose_headers": ["X-Request-Id"],
}
ALLOWED = {ACAO: ORIGIN, ACAC: "true", ACEH: "X-Request-Id"}


class TeapotError(Exception):
    """Turned into a 418 by an error handler."""


def error_app(level: str) -> tuple[Quart, str]:
    """Views that fail in each way, with POLICY at ``level``; returns the URL prefix."""
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    views: dict[str, Callable[..., Any]] = {}

    async def aborts(code: int) -> str:
        abort(code)

    async def raises() -> str:
        raise RuntimeError("boom")

    async def teapot() -> str:
        raise TeapotError

    async def get_only() -> str:
        return "ok"

    views = {"aborts": aborts, "raises": raises, "teapot": teapot, "get_only": get_only}
    rules = {
        "aborts": "/abort/<int:code>",
        "raises": "/raise",
        "teapot": "/teapot",
        "get_only": "/get-only",
    }

    @app.errorhandler(TeapotError)
    async def handle_teapot(error: TeapotError) -> Response:
        return Response("short and stout", status=418, headers={"X-Handler": "1"})

    if level in ("app", "route"):
        if level == "app":
            cors(app, **POLICY)
        for name, view in views.items():
            endpoint = route_cors(**POLICY)(view) if level == "route" else view
            app.add_url_rule(rules[name], name, endpoint, methods=["GET"])
        return app, ""
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, **POLICY)
    for name, view in views.items():
        blueprint.add_url_rule(rules[name], name, view, methods=["GET"])
    if level == "blueprint":
        app.register_blueprint(blueprint, url_prefix="/bp")
        return app, "/bp"
    parent = Blueprint("parent", __name__)
    parent.register_blueprint(blueprint, url_prefix="/bp")
    app.register_blueprint(parent, url_prefix="/parent")
    return app, "/parent/bp"


ERROR_LEVELS = ["app", "blueprint", "nested_blueprint", "route"]


@pytest.mark.parametrize("level", ERROR_LEVELS)
@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422, 429, 500, 503])
async def test_abort_keeps_cors_headers(level: str, code: int) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().get(f"{prefix}/abort/{code}", headers={"Origin": ORIGIN})
    assert response.status_code == code
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ERROR_LEVELS)
async def test_abort_refused_origin_still_varies(level: str) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().get(f"{prefix}/abort/403", headers={"Origin": OTHER_ORIGIN})
    assert response.status_code == 403
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ERROR_LEVELS)
async def test_exception_becomes_500_with_cors_headers(level: str) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().get(f"{prefix}/raise", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ERROR_LEVELS)
async def test_exception_without_origin_still_varies(level: str) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().get(f"{prefix}/raise")
    assert response.status_code == 500
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ERROR_LEVELS)
async def test_error_handler_response_has_cors_headers(level: str) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().get(f"{prefix}/teapot", headers={"Origin": ORIGIN})
    assert response.status_code == 418
    assert response.headers["X-Handler"] == "1"
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ["app", "blueprint", "nested_blueprint"])
async def test_405_has_cors_headers(level: str) -> None:
    app, prefix = error_app(level)
    response = await app.test_client().delete(f"{prefix}/get-only", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


async def test_405_on_route_cors_endpoint_under_app_cors_uses_route_policy() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=OTHER_ORIGIN)

    @app.route("/r", methods=["GET"])
    @route_cors(allow_origin=ORIGIN)
    async def view() -> str:
        return "r"

    response = await app.test_client().post("/r", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert cors_headers(response) == {ACAO: ORIGIN}


@pytest.mark.parametrize("path", ["/missing", "/abort/notanumber", "/bp/missing"])
async def test_404_under_app_cors(path: str) -> None:
    app, _ = error_app("app")
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 404
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


async def test_404_handler_under_app_cors() -> None:
    app, _ = error_app("app")

    @app.errorhandler(404)
    async def not_found(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "not found"}, 404

    response = await app.test_client().get("/nowhere", headers={"Origin": ORIGIN})
    assert response.status_code == 404
    assert await response.get_json() == {"error": "not found"}
    assert cors_headers(response) == ALLOWED


async def test_before_request_abort_under_app_cors() -> None:
    app, _ = error_app("app")

    @app.before_request
    async def deny() -> None:
        abort(401)

    response = await app.test_client().get("/get-only", headers={"Origin": ORIGIN})
    assert response.status_code == 401
    assert cors_headers(response) == ALLOWED


async def test_preflight_to_missing_url_is_not_a_500() -> None:
    app, _ = error_app("app")
    response = await app.test_client().options(
        "/missing", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    # Quart's own 404 for the URL, not a 500 and not a 200 that pretends the URL exists; the
    # CORS headers let the browser report the status instead of a missing-origin error.
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert vary(response)[0] == "Origin"


@pytest.mark.parametrize("level", ["app", "blueprint"])
async def test_redirect_response_has_cors_headers(level: str) -> None:
    app = Quart(__name__)
    target: Quart | Blueprint = app
    prefix = ""
    blueprint = Blueprint("bp", __name__)
    if level == "blueprint":
        target, prefix = cors(blueprint, **POLICY), "/bp"
    else:
        cors(app, **POLICY)

    @target.route("/dir/")
    async def directory() -> str:
        return "dir"

    if level == "blueprint":
        app.register_blueprint(blueprint, url_prefix=prefix)
    response = await app.test_client().get(f"{prefix}/dir", headers={"Origin": ORIGIN})
    assert response.status_code in (301, 308)
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


def prefixed_blueprints_app() -> Quart:
    """Blueprint-only cors() under url prefixes, one nested, and an app without cors()."""
    app = Quart(__name__)
    api = Blueprint("api", __name__, url_prefix="/api/")
    v1 = Blueprint("v1", __name__, url_prefix="/v1")
    cors(api, allow_origin=ORIGIN)
    cors(v1, allow_origin=OTHER_ORIGIN)

    @api.route("/x")
    async def x() -> str:
        return "x"

    @v1.route("/y")
    async def y() -> str:
        return "y"

    @app.route("/plain")
    async def plain() -> str:
        return "plain"

    api.register_blueprint(v1)
    app.register_blueprint(api)
    return app


@pytest.mark.parametrize(
    ("path", "origin", "allowed", "varies"),
    [
        ("/api/nope", ORIGIN, True, True),  # under the blueprint's prefix: its policy
        ("/api", ORIGIN, True, True),
        ("/api/v1/nope", OTHER_ORIGIN, True, True),  # the innermost prefix wins
        ("/api/v1/nope", ORIGIN, False, True),
        ("/apix/nope", ORIGIN, False, False),  # prefixes match on segment boundaries
        ("/nope", ORIGIN, False, False),  # outside every blueprint, no app cors(): no CORS
    ],
)
async def test_404_under_a_blueprint_prefix_gets_the_blueprint_policy(
    path: str, origin: str, allowed: bool, varies: bool
) -> None:
    response = await prefixed_blueprints_app().test_client().get(path, headers={"Origin": origin})
    assert response.status_code == 404
    assert cors_headers(response) == ({ACAO: origin} if allowed else {})
    assert vary(response) == (["Origin"] if varies else [])


def failing_after_request_app(order: str, where: str) -> Quart:
    """An app whose own after_request function raises, registered before or after cors()."""
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    blueprint = Blueprint("bp", __name__)

    @blueprint.route("/x")
    async def view() -> Response:
        response = Response("ok")
        response.headers["Vary"] = "Accept-Encoding"
        return response

    async def broken(response: Response) -> Response:
        raise RuntimeError("a bug in the app's own after_request")

    owner = app if where == "app" else blueprint
    if order == "before cors()":
        owner.after_request(broken)
        cors(app, **POLICY)
    else:
        cors(app, **POLICY)
        owner.after_request(broken)
    app.register_blueprint(blueprint)
    return app


@pytest.mark.parametrize("where", ["app", "blueprint"])
@pytest.mark.parametrize("order", ["before cors()", "after cors()"])
async def test_500_from_the_apps_after_request_keeps_cors_headers(order: str, where: str) -> None:
    app = failing_after_request_app(order, where)
    response = await app.test_client().get("/x", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("where", ["app", "blueprint"])
@pytest.mark.parametrize("order", ["before cors()", "after cors()"])
async def test_500_from_after_request_varies_without_origin(order: str, where: str) -> None:
    app = failing_after_request_app(order, where)
    response = await app.test_client().get("/x")
    assert response.status_code == 500
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


async def test_headers_are_added_after_the_apps_after_request_functions() -> None:
    """A hook that replaces Vary runs first; the Origin entry is merged into its value."""
    app = Quart(__name__)
    cors(app, **POLICY)

    @app.route("/x")
    async def view() -> str:
        return "ok"

    @app.after_request
    async def replace_vary(response: Response) -> Response:
        response.headers["Vary"] = "Cookie"
        return response

    response = await app.test_client().get("/x", headers={"Origin": ORIGIN})
    assert cors_headers(response) == ALLOWED
    assert vary(response) == ["Cookie", "Origin"]
