"""Origin callables that see the request: f(origin, request), sync or async.

A multi-tenant API decides by the host the request came to: tenant A's API accepts tenant A's
front end. The request object is built from the ASGI scope alone, so a preflight answered
before Quart builds its request gets the same object as the actual request.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from quart import Quart, websocket
from quart.testing import WebsocketResponseError

from quart_cors import CORSConfigError, cors, describe, route_cors, websocket_cors
from quart_cors.origins import CORSRequest, compile_origins, predicate_arity

FRONT_ENDS = {"a.api.test": "https://a.shop.test", "b.api.test": "https://b.shop.test"}


def tenant_front_end(origin: str, request: CORSRequest) -> bool:
    return FRONT_ENDS.get(request.host) == origin


async def tenant_front_end_async(origin: str, request: CORSRequest) -> bool:
    return FRONT_ENDS.get(request.host) == origin


def tenant_app(callable_: Any, *, under: str) -> Quart:
    app = Quart(__name__)
    settings: dict[str, Any] = {
        "allow_origin": callable_,
        "allow_credentials": True,
        "allow_headers": ["content-type"],
    }
    if under == "cors":
        cors(app, **settings)

        @app.route("/items", methods=["GET", "PUT"])
        async def items() -> str:
            return "items"

    else:
        if under == "route_cors under cors":
            # Preflights are then answered before Quart; the route's own origins still win.
            cors(app, allow_origin=[])

        @app.route("/items", methods=["GET", "PUT"])
        @route_cors(**settings)
        async def items_with_route_cors() -> str:
            return "items"

    return app


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type",
    }


# (Host the request came to, Origin) -> allowed
TENANT_CASES = [
    ("a.api.test", "https://a.shop.test", True),
    ("b.api.test", "https://b.shop.test", True),
    ("a.api.test", "https://b.shop.test", False),
    ("b.api.test", "https://a.shop.test", False),
    ("c.api.test", "https://a.shop.test", False),
    ("A.API.TEST", "https://a.shop.test", True),  # Host compares case-insensitively
]


@pytest.mark.parametrize("under", ["cors", "route_cors", "route_cors under cors"])
@pytest.mark.parametrize("callable_", [tenant_front_end, tenant_front_end_async])
@pytest.mark.parametrize(("host", "origin", "allowed"), TENANT_CASES)
async def test_tenant_decides_by_host_on_preflights_and_actual_requests(
    under: str, callable_: Any, host: str, origin: str, allowed: bool
) -> None:
    client = tenant_app(callable_, under=under).test_client()
    answered = await client.options("/items", headers={"Host": host, **preflight(origin)})
    actual = await client.put("/items", headers={"Host": host, "Origin": origin})
    for response in (answered, actual):
        assert response.status_code == 200
        assert response.headers.get("Access-Control-Allow-Origin") == (origin if allowed else None)
    assert ("Access-Control-Allow-Methods" in answered.headers) is allowed
    assert "Origin" in actual.headers["Vary"]


@pytest.mark.parametrize("under", ["cors", "route_cors", "route_cors under cors"])
async def test_the_request_object_on_a_preflight_and_the_actual_request(under: str) -> None:
    seen: list[CORSRequest] = []

    def record(origin: str, request: CORSRequest) -> bool:
        seen.append(request)
        return True

    client = tenant_app(record, under=under).test_client()
    origin = "https://a.shop.test"
    await client.options(
        "/mount/items",
        headers={"Host": "A.Api.Test:8443", **preflight(origin)},
        root_path="/mount",
        scheme="https",
    )
    await client.put(
        "/mount/items",
        headers={"Host": "a.api.test:443", "Origin": origin, "X-Tenant": "one", "x-tenant": "two"},
        root_path="/mount",
        scheme="https",
    )
    assert [type(request) for request in seen] == [CORSRequest, CORSRequest]
    on_preflight, on_actual = seen
    # A cached preflight answer covers every method and header of later requests to the URL,
    # so the callable sees only what they share: https drops the default port, and the path
    # excludes the app's root path.
    assert (on_preflight.scheme, on_preflight.host, on_preflight.path) == (
        "https",
        "a.api.test:8443",
        "/items",
    )
    assert (on_actual.scheme, on_actual.host, on_actual.path) == ("https", "a.api.test", "/items")


def test_the_request_object_holds_only_what_one_cached_answer_covers() -> None:
    request = CORSRequest("http", "a.test", "/")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.host = "b.test"  # type: ignore[misc]
    assert [field.name for field in dataclasses.fields(CORSRequest)] == ["scheme", "host", "path"]


async def test_websocket_handshake_decided_by_host() -> None:
    app = Quart(__name__)

    @app.websocket("/ws")
    @websocket_cors(allow_origin=tenant_front_end)
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hello")

    client = app.test_client()
    headers = {"Host": "a.api.test", "Origin": "https://a.shop.test"}
    async with client.websocket("/ws", headers=headers) as connection:
        assert await connection.receive() == "hello"
    with pytest.raises(WebsocketResponseError) as refused:
        async with client.websocket("/ws", headers={**headers, "Host": "b.api.test"}) as socket:
            await socket.receive()
    assert refused.value.response.status_code == 400


@pytest.mark.parametrize(("scheme", "seen_as"), [("ws", "http"), ("wss", "https")])
async def test_a_handshake_has_the_scheme_fetch_would_use(scheme: str, seen_as: str) -> None:
    # A tenant rule "https only" must accept the tenant's own wss:// socket.
    seen: list[str] = []

    def https_only(origin: str, request: CORSRequest) -> bool:
        seen.append(request.scheme)
        return request.scheme == "https"

    app = Quart(__name__)
    cors(app, allow_origin=https_only)

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hello")

    client = app.test_client()
    headers = {"Origin": "https://a.shop.test"}
    if seen_as == "https":
        async with client.websocket("/ws", headers=headers, scheme=scheme) as connection:
            assert await connection.receive() == "hello"
    else:
        with pytest.raises(WebsocketResponseError):
            async with client.websocket("/ws", headers=headers, scheme=scheme) as socket:
                await socket.receive()
    assert seen == [seen_as]


async def test_one_parameter_callables_get_the_origin_alone() -> None:
    calls: list[tuple[Any, ...]] = []

    def one(*arguments: Any) -> bool:
        calls.append(arguments)
        return True

    app = tenant_app(one, under="cors")
    response = await app.test_client().get("/items", headers={"Origin": "https://a.shop.test"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.shop.test"
    assert calls == [("https://a.shop.test",)]


async def test_arity_is_read_once_when_the_policy_compiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[object] = []
    real_signature = inspect.signature

    def counting_signature(target: Any) -> inspect.Signature:
        reads.append(target)
        return real_signature(target)

    monkeypatch.setattr("quart_cors.origins.inspect.signature", counting_signature)
    app = tenant_app(tenant_front_end, under="cors")
    await app.startup()
    compiled = reads.count(tenant_front_end)
    client = app.test_client()
    for host in ("a.api.test", "b.api.test", "a.api.test"):
        await client.options("/items", headers={"Host": host, **preflight("https://a.shop.test")})
        await client.get("/items", headers={"Host": host, "Origin": "https://a.shop.test"})
    assert reads.count(tenant_front_end) == compiled
    await app.shutdown()


def three(origin: str, request: CORSRequest | None, extra: int) -> bool:
    return False


def keyword_only(origin: str, *, tenant: str) -> bool:
    return False


def with_default(origin: str, request: CORSRequest | None = None) -> bool:
    return False


class Checker:
    def __call__(self, origin: str) -> bool:
        return False


class RequestChecker:
    def __call__(self, origin: str, request: CORSRequest) -> bool:
        return False


ARITIES: list[tuple[Callable[..., Any], int | None]] = [
    (lambda origin: True, 1),
    (lambda origin, request: True, 2),
    (tenant_front_end_async, 2),
    (with_default, 2),
    (Checker(), 1),
    (RequestChecker(), 2),
    (partial(three, "https://x.test", None), 1),
    (partial(three, "https://x.test"), 2),
    (lambda *arguments: True, 1),
    (str.isascii, 1),
    (max, 1),  # a builtin without a signature: called with the origin, as before
    (lambda: True, None),
    (three, None),
    (keyword_only, None),
]


@pytest.mark.parametrize(("callable_", "arity"), ARITIES)
def test_arity(callable_: Callable[..., Any], arity: int | None) -> None:
    assert predicate_arity(callable_) == arity
    matcher, problems = compile_origins(callable_)
    if arity is None:
        assert [problem.code for problem in problems] == ["E010"]
        assert matcher.predicates == ()
    else:
        assert problems == []
        assert matcher.predicates == ((callable_, arity == 2),)
        assert matcher.needs_request is (arity == 2)


def test_a_callable_that_cannot_take_the_origin_is_a_config_error() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=["https://a.test", three])  # type: ignore[list-item]
    assert caught.value.codes == ("E010",)
    assert "f(origin, request)" in str(caught.value)


async def test_a_raising_request_callable_refuses_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(origin: str, request: CORSRequest) -> bool:
        raise LookupError(request.host)

    client = tenant_app(broken, under="cors").test_client()
    response = await client.get("/items", headers={"Origin": "https://a.shop.test"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert any("raised" in record.getMessage() for record in caplog.records)


def test_describe_names_the_request_callable() -> None:
    records = {
        record.endpoint: record for record in describe(tenant_app(tenant_front_end, under="cors"))
    }
    policy = records["items"].policy
    assert policy is not None
    assert policy.allow_origin == ("callable:tenant_front_end",)
