"""Edge cases found in review: each pins a failure the library once had."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from quart import Blueprint, Quart

from conftest import (
    ORIGIN,
    OTHER_ORIGIN,
    cors_headers,
    make_app,
    make_configured_app,
    preflight_headers,
    send,
    vary,
)
from quart_cors import CORSConfigError, cors, cors_exempt, cors_rejected, route_cors

ACAO = "Access-Control-Allow-Origin"


def origins() -> Iterator[str]:
    yield ORIGIN


@pytest.mark.parametrize(
    "arguments",
    [
        {"allow_origin": origins()},
        {"allow_origin": (origin for origin in [ORIGIN])},
        {"allow_origin": ORIGIN, "allow_methods": map(str.upper, ["get", "put"])},
    ],
    ids=["generator function", "generator expression", "map object"],
)
async def test_one_shot_iterables_are_kept_for_every_compile(arguments: dict[str, Any]) -> None:
    app, _ = make_app(**arguments)

    @app.route("/second", methods=["PUT"])
    async def second() -> str:
        return "second"

    client = app.test_client()
    for path in ("/", "/second"):  # two endpoints, two compiles of the same layer
        response = await client.get(path, headers={"Origin": ORIGIN})
        assert cors_headers(response).get(ACAO) == ORIGIN
    answered = await client.options("/second", headers=preflight_headers(ORIGIN, "PUT"))
    assert cors_headers(answered)[ACAO] == ORIGIN
    assert "PUT" in cors_headers(answered)["Access-Control-Allow-Methods"]


async def test_config_generator_is_kept_for_every_compile() -> None:
    app = Quart(__name__)
    app.config["QUART_CORS_ALLOW_ORIGIN"] = (origin for origin in [ORIGIN])
    cors(app)

    @app.route("/a")
    async def a() -> str:
        return "a"

    @app.route("/b")
    async def b() -> str:
        return "b"

    client = app.test_client()
    for path in ("/a", "/b"):
        response = await client.get(path, headers={"Origin": ORIGIN})
        assert cors_headers(response) == {ACAO: ORIGIN}


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
async def test_a_raising_signal_receiver_does_not_change_the_answer(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_app(allow_origin=ORIGIN)
    headers = (
        preflight_headers(OTHER_ORIGIN, "PUT") if method == "OPTIONS" else {"Origin": OTHER_ORIGIN}
    )

    def broken(sender: object, **facts: Any) -> None:
        raise RuntimeError("metrics backend down")

    with cors_rejected.connected_to(broken), caplog.at_level(logging.ERROR, "quart_cors"):
        client = app.test_client()
        if method == "OPTIONS":
            response = await client.options("/", headers=headers)
        else:
            response = await client.get("/", headers=headers)
    assert response.status_code == 200
    assert cors_headers(response) == {}
    assert "Origin" in vary(response)
    assert any("cors_rejected receiver raised" in record.getMessage() for record in caplog.records)


def method_split_app() -> Quart:
    """One path, two views: GET under route_cors, POST exempt, and no app cors()."""
    app = Quart(__name__)
    cors(app, allow_origin=[])

    @app.route("/x", methods=["GET"])
    @route_cors(allow_origin=ORIGIN)
    async def read() -> str:
        return "read"

    @app.route("/x", methods=["POST"])
    @cors_exempt
    async def write() -> str:
        return "write"

    return app


async def test_a_405_on_a_path_whose_rules_differ_takes_the_enclosing_policy() -> None:
    # GET under route_cors, POST exempt: neither rule's policy speaks for a PUT, so the app's
    # cors() does (it allows nothing here), whatever order the valid methods sort in.
    response = await method_split_app().test_client().put("/x", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


ADMIN = "https://admin.example"


def account_under(scope: str) -> Quart:
    """GET under the enclosing policy, DELETE under a stricter route_cors, on one path."""
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN if scope == "app" else [])
    routes: Quart | Blueprint = app
    if scope == "blueprint":
        routes = Blueprint("api", __name__, url_prefix="/api")
        cors(routes, allow_origin=ORIGIN)

    @routes.route("/account", methods=["GET"])
    async def read() -> str:
        return "read"

    @routes.route("/account", methods=["DELETE"])
    @route_cors(allow_origin=ADMIN)
    async def delete() -> str:
        return "deleted"

    if isinstance(routes, Blueprint):
        app.register_blueprint(routes)
    return app


@pytest.mark.parametrize(("scope", "path"), [("app", "/account"), ("blueprint", "/api/account")])
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_a_405_beside_a_stricter_rule_keeps_the_enclosing_policy(
    scope: str, path: str, method: str
) -> None:
    # 0.8.0 sent the app's headers on such a 405; the DELETE rule's stricter policy (which
    # "PUT" would have picked by sorting after "DELETE") has no say over it.
    app = account_under(scope)
    client = app.test_client()
    response = await send(app, method, path, {"Origin": ORIGIN})
    assert response.status_code == 405
    assert cors_headers(response) == {ACAO: ORIGIN}
    preflight = await client.options(
        path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": method}
    )
    assert cors_headers(preflight) == {
        ACAO: ORIGIN,
        "Access-Control-Allow-Methods": method,
        "Access-Control-Max-Age": "0",
    }


@pytest.mark.parametrize("path", ["/api/caf%C3%A9", "/api/sp%20ace", "/api/plain"])
async def test_trailing_slash_redirects_to_escaped_paths_keep_cors_headers(path: str) -> None:
    app = Quart(__name__)
    api = Blueprint("api", __name__, url_prefix="/api")
    cors(api, allow_origin=ORIGIN)

    @api.route("/<name>/")
    async def item(name: str) -> str:
        return name

    app.register_blueprint(api)
    response = await app.test_client().get(path, headers={"Origin": ORIGIN})
    assert response.status_code == 308
    assert cors_headers(response) == {ACAO: ORIGIN}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize("level", ["app", "route"])
async def test_a_views_own_allow_origin_is_replaced_not_duplicated(level: str) -> None:
    app = Quart(__name__)
    if level == "app":
        cors(app, allow_origin=ORIGIN)

    @app.route("/")
    @route_cors(allow_origin=ORIGIN)
    async def index() -> tuple[str, dict[str, str]]:
        return "index", {ACAO: "https://stale.example"}

    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert cors_headers(response) == {ACAO: ORIGIN}  # exactly one value: ours
    assert vary(response) == ["Origin"]


async def test_a_sync_view_under_route_cors() -> None:
    app = Quart(__name__)

    @app.route("/")
    @route_cors(allow_origin=ORIGIN)
    def index() -> str:
        return "sync"

    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert await response.get_data(as_text=True) == "sync"
    assert cors_headers(response) == {ACAO: ORIGIN}


async def test_cors_exempt_below_route_cors_wins() -> None:
    app = Quart(__name__)

    @app.route("/")
    @route_cors(allow_origin=ORIGIN)
    @cors_exempt
    async def index() -> str:
        return "exempt"

    client = app.test_client()
    response = await client.get("/", headers={"Origin": ORIGIN})
    assert cors_headers(response) == {}
    assert vary(response) == []
    answered = await client.options("/", headers=preflight_headers(ORIGIN, "PUT"))
    assert cors_headers(answered) == {}


async def test_preflight_outside_the_root_path_is_left_to_quart() -> None:
    app, _ = make_app(allow_origin=ORIGIN)
    response = await app.test_client().options(
        "/elsewhere/", headers=preflight_headers(ORIGIN, "PUT"), root_path="/mounted"
    )
    assert response.status_code == 404
    assert cors_headers(response)[ACAO] == ORIGIN  # the 404 is readable, as any error


async def test_websocket_to_an_unknown_path_under_cors() -> None:
    app, _ = make_app(allow_origin=ORIGIN)
    client = app.test_client()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - Quart's test client error type
        async with client.websocket("/nowhere", headers={"Origin": OTHER_ORIGIN}) as socket:
            await socket.receive()
    assert getattr(getattr(caught.value, "response", None), "status_code", None) == 404


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (re.compile(rb"https://a\.com"), "E010"),  # a bytes pattern
        ("http*://a.com", "E016"),
        ("1http://a.com", "E011"),
        ("http://[::1", "E011"),
        ("https://*.*.example.com", "E016"),
    ],
)
def test_more_configured_origin_problems(item: Any, code: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=[item])
    assert caught.value.codes == (code,)


async def test_private_network_refusal_does_not_hide_a_headers_refusal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = make_app(allow_origin=ORIGIN, allow_headers=["x-ok"])
    headers = preflight_headers(ORIGIN, "PUT", "x-other")
    headers["Access-Control-Request-Private-Network"] = "true"
    with caplog.at_level(logging.DEBUG, "quart_cors"):
        response = await app.test_client().options("/", headers=headers)
    assert "Access-Control-Allow-Private-Network" not in response.headers
    assert [record.getMessage().split(")")[0] for record in caplog.records] == [
        "CORS refused (headers"
    ]


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
async def test_a_config_error_on_the_first_request_is_logged_once(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = make_configured_app({"QUART_CORS_ALLOW_CREDENTIALS": "yes"}, allow_origin=ORIGIN)
    client = app.test_client()
    headers = preflight_headers(ORIGIN, "PUT") if method == "OPTIONS" else {"Origin": ORIGIN}
    with caplog.at_level(logging.ERROR):
        if method == "OPTIONS":
            response = await client.options("/", headers=headers)
        else:
            response = await client.get("/", headers=headers)
    assert response.status_code == 500
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == "quart_cors"
    assert "E050" in caplog.text
