"""Issue 2: each defect of quart-cors 0.8.0 that we must not repeat, one named test each."""

from __future__ import annotations

import re
from typing import Any

import pytest
from quart import Quart, abort, websocket
from quart.config import Config

from conftest import ORIGIN, OTHER_ORIGIN, PREFLIGHT_VARY, cors_headers, make_app, vary
from quart_cors import CORSConfigError, cors, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"


async def test_regex_is_fullmatched_not_prefix_matched() -> None:
    app, _ = make_app(allow_origin=re.compile(r"https://.*\.quart\.com"))
    client = app.test_client()
    good = await client.get("/", headers={"Origin": "https://a.quart.com"})
    evil = await client.get("/", headers={"Origin": "https://a.quart.com.evil.net"})
    assert good.headers.get(ACAO) == "https://a.quart.com"
    assert ACAO not in evil.headers


async def test_explicit_send_origin_wildcard_false_is_honoured() -> None:
    app, _ = make_app(allow_origin="*", send_origin_wildcard=False)
    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert response.headers[ACAO] == ORIGIN
    assert vary(response) == ["Origin"]


async def test_explicit_send_origin_wildcard_false_beats_config_true() -> None:
    app = Quart(__name__)
    app.config["QUART_CORS_SEND_ORIGIN_WILDCARD"] = True

    @app.route("/")
    @route_cors(send_origin_wildcard=False)
    async def index() -> str:
        return "index"

    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert response.headers[ACAO] == ORIGIN


async def test_explicit_allow_credentials_false_is_honoured() -> None:
    app = Quart(__name__)
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = True
    app.config["QUART_CORS_ALLOW_ORIGIN"] = [ORIGIN]
    cors(app, allow_credentials=False)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/r")
    @route_cors(allow_credentials=False)
    async def route() -> str:
        return "r"

    client = app.test_client()
    for path in ("/", "/r"):
        response = await client.get(path, headers={"Origin": ORIGIN})
        assert response.headers[ACAO] == ORIGIN
        assert ACAC not in response.headers


def test_credentials_with_any_origin_raise_at_the_call() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin="*", allow_credentials=True)
    assert caught.value.codes == ("E001",)
    with pytest.raises(CORSConfigError):
        route_cors(allow_origin="*", allow_credentials=True)


class CountingConfig(Config):
    """An app.config that counts reads of QUART_CORS_* keys."""

    cors_reads = 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str) and key.startswith("QUART_CORS_"):
            CountingConfig.cors_reads += 1
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if isinstance(key, str) and key.startswith("QUART_CORS_"):
            CountingConfig.cors_reads += 1
        return super().get(key, default)


async def test_config_is_not_reread_per_request() -> None:
    app = Quart(__name__)
    app.config = CountingConfig(app.config.root_path, app.config)
    app.config["QUART_CORS_ALLOW_ORIGIN"] = [ORIGIN]
    cors(app)

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/r")
    @route_cors(max_age=5)
    async def route() -> str:
        return "r"

    client = app.test_client()
    await client.get("/", headers={"Origin": ORIGIN})
    CountingConfig.cors_reads = 0
    for _ in range(5):
        for path in ("/", "/r"):
            response = await client.get(path, headers={"Origin": ORIGIN})
            assert response.headers[ACAO] == ORIGIN
            await client.options(
                path, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
            )
    assert CountingConfig.cors_reads == 0


async def test_config_read_once_for_cors_and_route_cors_alike() -> None:
    app = Quart(__name__)
    cors(app)
    app.config["QUART_CORS_ALLOW_ORIGIN"] = [ORIGIN]

    @app.route("/")
    async def index() -> str:
        return "index"

    @app.route("/r")
    @route_cors()
    async def route() -> str:
        return "r"

    client = app.test_client()
    before = [await client.get(path, headers={"Origin": ORIGIN}) for path in ("/", "/r")]
    assert [response.headers.get(ACAO) for response in before] == [ORIGIN, ORIGIN]
    app.config["QUART_CORS_ALLOW_ORIGIN"] = [OTHER_ORIGIN]
    after = [await client.get(path, headers={"Origin": OTHER_ORIGIN}) for path in ("/", "/r")]
    assert [response.headers.get(ACAO) for response in after] == [None, None]


async def test_config_origin_string_is_one_origin_not_characters() -> None:
    app = Quart(__name__)
    app.config["QUART_CORS_ALLOW_ORIGIN"] = "https://a.com"
    cors(app)

    @app.route("/")
    async def index() -> str:
        return "index"

    client = app.test_client()
    allowed = await client.get("/", headers={"Origin": "https://a.com"})
    assert allowed.headers[ACAO] == "https://a.com"
    refused = await client.get("/", headers={"Origin": "https://b.com"})
    assert ACAO not in refused.headers


async def test_no_empty_expose_headers_by_default() -> None:
    app, _ = make_app(allow_origin=ORIGIN)
    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert "Access-Control-Expose-Headers" not in response.headers


async def test_no_empty_allow_headers_when_none_requested() -> None:
    app, _ = make_app(allow_origin=ORIGIN, allow_headers=["X-A"])
    response = await app.test_client().options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert response.headers[ACAO] == ORIGIN
    assert "Access-Control-Allow-Headers" not in response.headers


async def test_preflight_vary_names_request_method_and_headers() -> None:
    app, _ = make_app(allow_origin=ORIGIN)
    response = await app.test_client().options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert vary(response) == PREFLIGHT_VARY


async def test_allow_methods_star_with_credentials_sends_the_requested_method() -> None:
    app, _ = make_app(allow_origin=ORIGIN, allow_credentials=True, allow_methods="*")
    response = await app.test_client().options(
        "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert response.headers["Access-Control-Allow-Methods"] == "PUT"


def _route_cors_app() -> Quart:
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/abort")
    @route_cors(allow_origin=ORIGIN, allow_credentials=True)
    async def aborts() -> str:
        abort(403)

    @app.route("/raise")
    @route_cors(allow_origin=ORIGIN, allow_credentials=True)
    async def raises() -> str:
        raise RuntimeError("boom")

    return app


async def test_route_cors_headers_kept_on_abort() -> None:
    response = await _route_cors_app().test_client().get("/abort", headers={"Origin": ORIGIN})
    assert response.status_code == 403
    assert cors_headers(response) == {ACAO: ORIGIN, ACAC: "true"}


async def test_route_cors_headers_kept_on_exception() -> None:
    response = await _route_cors_app().test_client().get("/raise", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert cors_headers(response) == {ACAO: ORIGIN, ACAC: "true"}


async def test_websocket_without_origin_is_accepted() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    async with app.test_client().websocket("/ws") as connection:
        await connection.send("hello")
        assert await connection.receive() == "hello"
