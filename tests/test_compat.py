"""The Quart and Werkzeug internals quart_cors._compat relies on, checked on the installed versions.

A failure here means a new Quart or Werkzeug release changed one of them: update _compat.py
(and the versions it names) rather than the test.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import time

import pytest
from quart import Quart, Response, request, websocket
from quart import session as quart_session
from quart.asgi import ASGIHTTPConnection
from quart.testing import connections
from quart.typing import ResponseTypes
from werkzeug.datastructures import Headers

from quart_cors import _compat, cors, route_cors
from quart_cors._compat import ProcessResponse
from quart_cors.testing import Browser


def quart_version() -> tuple[int, ...]:
    return tuple(int(part) for part in importlib.metadata.version("quart").split(".")[:2])


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_process_response_signature() -> None:
    expected = (
        ["self", "ctx", "response"]
        if quart_version() >= (0, 23)
        else ["self", "response", "request_context"]
    )
    assert parameters(Quart.process_response) == expected
    assert _compat.PROCESS_RESPONSE_TAKES_CONTEXT is (quart_version() >= (0, 23))


def test_make_default_options_response_signature() -> None:
    # default_options_response rebuilds this answer from public parts instead of calling it.
    expected = ["self", "ctx"] if quart_version() >= (0, 23) else ["self"]
    assert parameters(Quart.make_default_options_response) == expected


def test_websocket_disconnect_error() -> None:
    present = hasattr(connections, "WebsocketDisconnectError")
    assert present is (quart_version() < (0, 23))
    assert bool(_compat.WEBSOCKET_DISCONNECT_ERRORS) is present


def test_asgi_http_class_protocol() -> None:
    assert Quart.asgi_http_class is ASGIHTTPConnection
    assert parameters(ASGIHTTPConnection.__init__) == ["self", "app", "scope"]
    assert parameters(ASGIHTTPConnection.__call__) == ["self", "receive", "send"]


def test_header_list_is_the_list_behind_headers() -> None:
    headers = Headers([("Content-Type", "text/plain")])
    items = _compat.header_list(headers)
    assert items == [("Content-Type", "text/plain")]
    items.append(("Vary", "Origin"))
    assert headers.get("vary") == "Origin"
    assert list(headers.items()) == [("Content-Type", "text/plain"), ("Vary", "Origin")]


def options_app() -> Quart:
    app = Quart(__name__)

    @app.route("/plain", methods=["GET", "PUT"])
    async def plain() -> str:
        return "plain"

    @app.route("/cors", methods=["GET", "PUT"])
    @route_cors(allow_origin="https://app.example.com")
    async def with_cors() -> str:
        return "cors"

    @app.route("/direct", methods=["GET", "DELETE"])
    async def direct() -> Response:
        return await _compat.default_options_response(app, request)

    return app


async def test_default_options_response_matches_quarts_own() -> None:
    client = options_app().test_client()
    quart_answer = await client.options("/plain")
    ours = await client.options("/cors")  # route_cors answers OPTIONS with the helper
    assert quart_answer.status_code == ours.status_code == 200
    assert await quart_answer.get_data() == await ours.get_data() == b""
    assert quart_answer.headers["Allow"] == ours.headers["Allow"]
    assert set(ours.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}
    direct = await client.get("/direct")
    assert set(direct.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("session", [False, True])
async def test_wrap_process_response_runs_around_quarts_step(session: bool) -> None:
    app = Quart(__name__)
    app.secret_key = "test"
    steps: list[str] = []

    @app.route("/")
    async def index() -> str:
        if session:
            quart_session["seen"] = True
        return "index"

    @app.after_request
    async def after(response: ResponseTypes) -> ResponseTypes:
        steps.append(f"after_request saw {response.headers.get('X-Before')}")
        return response

    async def around(response: ResponseTypes, proceed: ProcessResponse) -> ResponseTypes:
        response.headers["X-Before"] = "1"
        response = await proceed(response)
        steps.append("after proceed")
        response.headers["X-After"] = "1"
        return response

    _compat.wrap_process_response(app, around)
    response = await app.test_client().get("/")
    assert steps == ["after_request saw 1", "after proceed"]
    assert response.headers["X-After"] == "1"
    assert ("Set-Cookie" in response.headers) is session


async def test_websocket_close_before_accept_is_a_403_in_the_simulator() -> None:
    # ASGI: a close before accept is an HTTP 403. Quart 0.19-0.22's test client raises
    # WebsocketDisconnectError for it and 0.23's raises nothing; the answer is the same.
    app = Quart(__name__)
    cors(app, allow_origin="https://app.example.com")

    @app.websocket("/closes")
    async def closes() -> None:
        await websocket.close(1000)

    @app.websocket("/accepts")
    async def accepts() -> None:
        await websocket.accept()
        await websocket.send("hello")

    browser = Browser(app, "https://app.example.com")
    started = time.monotonic()
    refused = await browser.websocket("ws://localhost/closes")
    assert (refused.accepted, refused.status) == (False, 403)
    assert time.monotonic() - started < 2  # not the simulator's 5 s wait for an answer
    accepted = await browser.websocket("ws://localhost/accepts")
    assert (accepted.accepted, accepted.status) == (True, 101)


async def test_websocket_app_returned_reads_the_test_connection() -> None:
    app = Quart(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.receive()

    async with app.test_client().websocket("/ws") as connection:
        assert _compat.websocket_app_returned(connection) is False  # waiting to receive
    assert _compat.websocket_app_returned(connection) is True
    assert _compat.websocket_app_returned(object()) is False
