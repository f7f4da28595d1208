"""Edge cases found in review: each pins a failure the library once had."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from quart import Blueprint, Quart

from conftest import ORIGIN, OTHER_ORIGIN, cors_headers, make_app, preflight_headers, vary
from quart_cors import cors, cors_exempt, cors_rejected, route_cors

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


async def test_405_takes_the_route_of_the_first_valid_method_in_sorted_order() -> None:
    # Valid methods are GET, HEAD, OPTIONS (the read view) and POST (exempt); "GET" sorts first,
    # whatever order the set of valid methods happens to have in this process.
    response = await method_split_app().test_client().put("/x", headers={"Origin": ORIGIN})
    assert response.status_code == 405
    assert cors_headers(response) == {ACAO: ORIGIN}
    assert vary(response) == ["Origin"]


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
