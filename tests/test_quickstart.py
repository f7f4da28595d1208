"""The 0.8.0 quickstart runs unchanged and behaves as documented.

The contract: docs/behaviour.md, section 1 (Public API).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from conftest import PREFLIGHT_VARY, cors_headers, vary

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"

# The README of quart-cors 0.8.0, character for character.
VERBATIM_080 = """\
from quart import Quart, request
from quart_cors import cors, route_cors

app = Quart(__name__)
app = cors(app, allow_origin='*')

@app.route('/')
async def hello():
    return 'Hello, Quart-CORS!'

@app.route('/api/data', methods=['GET', 'POST'])
@route_cors(allow_origin='https://example.com', allow_methods=['GET', 'POST'], allow_headers=['Content-Type'])
async def api_data():
    if request.method == 'GET':
        return {'message': 'This is your data!'}
    elif request.method == 'POST':
        data = await request.get_json()
        return {'received': data, 'message': 'Data posted successfully!'}

if __name__ == '__main__':
    app.run()
"""  # noqa: E501

ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"
EXAMPLE_ORIGIN = "https://example.com"


def load_example() -> Quart:
    spec = importlib.util.spec_from_file_location("quickstart_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    assert isinstance(app, Quart)
    return app


def load_verbatim() -> Quart:
    namespace: dict[str, Any] = {"__name__": "quickstart_080"}
    exec(compile(VERBATIM_080, "quickstart_080.py", "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, Quart)
    return app


@pytest.fixture(params=["examples/quickstart.py", "0.8.0 README verbatim"])
def app(request: pytest.FixtureRequest) -> Quart:
    return load_example() if request.param == "examples/quickstart.py" else load_verbatim()


async def test_hello_is_shared_with_any_origin(app: Quart) -> None:
    response = await app.test_client().get("/", headers={"Origin": "https://anyone.example"})
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "Hello, Quart-CORS!"
    assert cors_headers(response) == {ACAO: "*"}
    assert vary(response) == []


async def test_hello_preflight(app: Quart) -> None:
    response = await app.test_client().options(
        "/",
        headers={
            "Origin": "https://anyone.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )
    assert response.status_code == 200
    assert cors_headers(response) == {
        ACAO: "*",
        ACAM: DEFAULT_METHODS,
        ACAH: "x-requested-with",
    }


async def test_hello_preflight_for_a_method_the_route_does_not_serve(app: Quart) -> None:
    # "/" serves GET only: a PUT there is a 405, and the preflight is answered as that 405 is
    # (as 0.8.0 answered it), so the page sees the 405 rather than a CORS error.
    response = await app.test_client().options(
        "/", headers={"Origin": "https://anyone.example", "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 200
    assert cors_headers(response) == {
        ACAO: "*",
        "Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE",
    }


async def test_api_data_get_from_example_com(app: Quart) -> None:
    response = await app.test_client().get("/api/data", headers={"Origin": EXAMPLE_ORIGIN})
    assert response.status_code == 200
    assert await response.get_json() == {"message": "This is your data!"}
    assert cors_headers(response) == {ACAO: EXAMPLE_ORIGIN}
    assert vary(response) == ["Origin"]


async def test_api_data_post_from_example_com(app: Quart) -> None:
    response = await app.test_client().post(
        "/api/data", json={"a": 1}, headers={"Origin": EXAMPLE_ORIGIN}
    )
    assert response.status_code == 200
    assert await response.get_json() == {
        "received": {"a": 1},
        "message": "Data posted successfully!",
    }
    assert cors_headers(response) == {ACAO: EXAMPLE_ORIGIN}


async def test_api_data_refuses_other_origins(app: Quart) -> None:
    response = await app.test_client().get("/api/data", headers={"Origin": "https://other.example"})
    assert response.status_code == 200  # the data is served; the browser withholds it
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


async def test_api_data_without_origin(app: Quart) -> None:
    response = await app.test_client().get("/api/data")
    assert await response.get_json() == {"message": "This is your data!"}
    assert cors_headers(response) == {}
    assert vary(response) == ["Origin"]


@pytest.mark.parametrize(
    ("origin", "method", "request_headers", "expected"),
    [
        (
            EXAMPLE_ORIGIN,
            "POST",
            "content-type",
            {ACAO: EXAMPLE_ORIGIN, ACAM: "GET, POST", ACAH: "content-type"},
        ),
        (EXAMPLE_ORIGIN, "POST", None, {ACAO: EXAMPLE_ORIGIN, ACAM: "GET, POST"}),
        (EXAMPLE_ORIGIN, "POST", "x-other", {ACAO: EXAMPLE_ORIGIN, ACAM: "GET, POST"}),
        (EXAMPLE_ORIGIN, "PUT", "content-type", {ACAO: EXAMPLE_ORIGIN}),
        ("https://other.example", "POST", "content-type", {}),
    ],
)
async def test_api_data_preflight(
    app: Quart,
    origin: str,
    method: str,
    request_headers: str | None,
    expected: dict[str, str],
) -> None:
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    response = await app.test_client().options("/api/data", headers=headers)
    assert response.status_code == 200
    assert await response.get_data() == b""
    assert cors_headers(response) == expected
    assert vary(response) == PREFLIGHT_VARY
