"""The Quart and Werkzeug details quart_cors._compat relies on, checked against the installed ones.

If one of these fails after an upgrade, _compat.py needs a new entry for that version.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quart import Quart, Response, request, websocket
from quart.asgi import ASGIHTTPConnection
from werkzeug.datastructures import Headers
from werkzeug.routing import Rule

from conftest import drive_asgi
from quart_cors import _compat, cors, route_cors
from quart_cors.testing import Browser

ORIGIN = "https://app.example.com"


def test_process_response_signature_is_one_the_wrapper_knows() -> None:
    parameters = list(inspect.signature(Quart.process_response).parameters)
    if _compat.PROCESS_RESPONSE_TAKES_CTX:
        assert parameters == ["self", "ctx", "response"]
    else:
        assert parameters == ["self", "response", "request_context"]


def test_quart_builds_http_connections_through_asgi_http_class() -> None:
    # The preflight gate is installed as the app's asgi_http_class.
    source = inspect.getsource(Quart.asgi_app)
    assert "self.asgi_http_class(self, scope)" in source


def test_make_default_options_response_signature() -> None:
    parameters = list(inspect.signature(Quart.make_default_options_response).parameters)
    expected = ["self", "ctx"] if _compat.PROCESS_RESPONSE_TAKES_CTX else ["self"]
    assert parameters == expected


def _recording_app() -> tuple[Quart, list[str]]:
    app = Quart(__name__)
    seen: list[str] = []

    @app.before_request
    async def record() -> None:
        seen.append(request.path)

    @app.route("/<path:rest>")
    async def anything(rest: str) -> str:
        return rest

    return app, seen


async def _quart_path(app: Quart, seen: list[str], path: str, root_path: str) -> str | None:
    """The path Quart itself routes for an ASGI scope (None: it never reached before_request)."""
    seen.clear()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": root_path,
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }
    await drive_asgi(app, scope)
    return seen[0] if seen else None


SEGMENTS = st.sampled_from(["", "api", "ap", "api2", "x", "a", "a;v", ";v"])
ORIGIN_FORM = st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
# A server passes an absolute-form request target (``OPTIONS http://host/a;v HTTP/1.1``) on as
# the scope's path; Quart keeps urlparse()'s path, which drops the last segment's ";params".
PATHS = st.one_of(ORIGIN_FORM, ORIGIN_FORM.map(lambda path: "http://localhost" + path))
ROOTS = st.sampled_from(["", "/api", "/ap", "/x/api", "/api/"])


@settings(max_examples=80, deadline=None)
@given(path=PATHS, root_path=ROOTS)
def test_request_path_is_the_path_quart_routes(path: str, root_path: str) -> None:
    app, seen = _recording_app()
    quart_path = asyncio.run(_quart_path(app, seen, path, root_path))
    # The routing layer adds the leading slash as Werkzeug's request does.
    assert quart_path == "/" + _compat.request_path(path, root_path).lstrip("/")


@pytest.mark.parametrize("raises", [False, True])
async def test_wrap_process_response_runs_the_hook_also_when_processing_raises(
    raises: bool,
) -> None:
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    hooked: list[int] = []

    def hook(request_: Any, response: Any) -> None:
        hooked.append(response.status_code)
        response.headers["X-Hooked"] = request_.path

    _compat.wrap_process_response(app, hook)

    @app.route("/x")
    async def view() -> str:
        return "x"

    @app.after_request
    async def maybe_raise(response: Response) -> Response:
        if raises:
            raise RuntimeError("after_request bug")
        return response

    response = await app.test_client().get("/x")
    assert response.headers["X-Hooked"] == "/x"
    assert response.status_code == (500 if raises else 200)
    assert hooked[-1] == response.status_code


async def test_default_options_response_is_quarts_automatic_answer() -> None:
    app = Quart(__name__)

    @app.route("/x", methods=["GET", "PUT"])
    async def view() -> str:
        return "x"

    async with app.test_request_context("/x", method="OPTIONS"):
        response = await _compat.default_options_response(app)
    assert response.status_code == 200
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "PUT",
    }


async def test_gate_sends_complete_asgi_messages() -> None:
    """more_body on every body message, header names as lowercase bytes (ASGI spec)."""
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.route("/x", methods=["PUT"])
    async def view() -> str:
        return "x"

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "OPTIONS",
        "scheme": "http",
        "path": "/x",
        "raw_path": b"/x",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"origin", ORIGIN.encode()),
            (b"access-control-request-method", b"PUT"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("localhost", 80),
    }

    start, body = await drive_asgi(app, scope)
    assert start["type"] == "http.response.start"
    for name, value in start["headers"]:
        assert isinstance(name, bytes)
        assert isinstance(value, bytes)
        assert name == name.lower()
    assert body == {"type": "http.response.body", "body": b"", "more_body": False}


def quart_version() -> tuple[int, ...]:
    return tuple(int(part) for part in importlib.metadata.version("quart").split(".")[:2])


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_version_checks_agree_with_the_versions_compat_names() -> None:
    assert _compat.PROCESS_RESPONSE_TAKES_CTX is (quart_version() >= (0, 23))
    assert (_compat._cv_request is None) is (quart_version() >= (0, 23))


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


def test_rule_path_tokens_are_werkzeugs_parse_of_the_path() -> None:
    # Rule._trace: slashes merged as the rule matches, converter arguments kept whole.
    app = Quart(__name__)
    app.add_url_rule("/a//b/<any(x, y):c>.<path:rest>", "r", lambda **_: "")
    (rule,) = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "r"]
    assert _compat.rule_path_tokens(rule) == [
        (False, "/"),
        (False, "a"),
        (False, "/"),
        (False, "b"),
        (False, "/"),
        (True, "c"),
        (False, "."),
        (True, "rest"),
    ]
    assert rule._converters["c"].part_isolating is True
    assert rule._converters["rest"].part_isolating is False
    assert _compat.rule_path_tokens(Rule("/unbound")) is None


async def test_route_cors_options_answer_matches_quarts_own() -> None:
    app = Quart(__name__)

    @app.route("/plain", methods=["GET", "PUT"])
    async def plain() -> str:
        return "plain"

    @app.route("/cors", methods=["GET", "PUT"])
    @route_cors(allow_origin=ORIGIN)
    async def with_cors() -> str:
        return "cors"

    client = app.test_client()
    quart_answer = await client.options("/plain")
    ours = await client.options("/cors")  # route_cors answers with default_options_response
    assert quart_answer.status_code == ours.status_code == 200
    assert await quart_answer.get_data() == await ours.get_data() == b""
    assert quart_answer.headers["Allow"] == ours.headers["Allow"]
    assert set(ours.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "PUT"}


async def test_websocket_close_before_accept_is_a_403_in_the_simulator() -> None:
    # ASGI: a close before accept is an HTTP 403, on every Quart (0.23's own test client no
    # longer reports it at all).
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.websocket("/closes")
    async def closes() -> None:
        await websocket.close(1000)

    @app.websocket("/accepts")
    async def accepts() -> None:
        await websocket.accept()
        await websocket.send("hello")

    browser = Browser(app, ORIGIN)
    started = time.monotonic()
    refused = await browser.websocket("ws://localhost/closes")
    assert (refused.accepted, refused.status) == (False, 403)
    assert time.monotonic() - started < 2  # not the simulator's 5 s wait for an answer
    accepted = await browser.websocket("ws://localhost/accepts")
    assert (accepted.accepted, accepted.status) == (True, 101)
