"""DEBUG log records on 'quart_cors' and the cors_rejected signal.

The contract: docs/behaviour.md, section 5 (Observability).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from quart import Quart, websocket
from quart.testing import WebsocketResponseError

from conftest import ORIGIN, OTHER_ORIGIN, asgi_request, build, preflight_headers, send
from quart_cors import cors, cors_rejected

# (cors arguments, method, headers, reason, offending value)
REFUSALS: list[tuple[dict[str, Any], str, dict[str, str], str, str]] = [
    ({"allow_origin": ORIGIN}, "GET", {"Origin": OTHER_ORIGIN}, "origin", OTHER_ORIGIN),
    (
        {"allow_origin": ORIGIN},
        "OPTIONS",
        preflight_headers(OTHER_ORIGIN, "PUT"),
        "origin",
        OTHER_ORIGIN,
    ),
    (
        {"allow_origin": ORIGIN, "allow_methods": ["GET"]},
        "OPTIONS",
        preflight_headers(ORIGIN, "PURGE"),
        "method",
        "PURGE",
    ),
    (
        {"allow_origin": ORIGIN, "allow_headers": ["x-ok"]},
        "OPTIONS",
        preflight_headers(ORIGIN, "PUT", "x-ok, x-other"),
        "headers",
        "x-other",
    ),
    (
        {"allow_origin": ORIGIN},
        "OPTIONS",
        preflight_headers(ORIGIN, "GET", None, "true"),
        "private_network",
        "true",
    ),
]


@pytest.mark.parametrize("level", ["app", "blueprint", "route"])
@pytest.mark.parametrize(("arguments", "method", "headers", "reason", "value"), REFUSALS)
async def test_refusal_logged_at_debug(
    *,
    caplog: pytest.LogCaptureFixture,
    level: str,
    arguments: dict[str, Any],
    method: str,
    headers: dict[str, str],
    reason: str,
    value: str,
) -> None:
    app, path, _ = build(level, **arguments)
    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        await send(app, method, path, headers)
    records = [record for record in caplog.records if record.name == "quart_cors"]
    assert len(records) == 1
    (record,) = records
    assert record.levelno == logging.DEBUG
    message = record.getMessage()
    assert reason in message
    assert ("bp.view" if level == "blueprint" else "view") in message
    assert repr(value) in message


@pytest.mark.parametrize("level", ["app", "blueprint", "route"])
async def test_allowed_requests_log_nothing(caplog: pytest.LogCaptureFixture, level: str) -> None:
    app, path, _ = build(level, allow_origin=ORIGIN)
    client = app.test_client()
    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        await client.get(path, headers={"Origin": ORIGIN})
        await client.get(path)
        await client.options(path, headers=preflight_headers(ORIGIN, "PUT", "x-a"))
    assert [record for record in caplog.records if record.name == "quart_cors"] == []


# Quart itself refuses to build a request whose header holds CR or LF (and servers such as
# h11 refuse them earlier), so those reach only the preflight fast path, which runs first.
CONTROL_ORIGINS = [
    b"\x1b[31mred\x1b[0m",
    b"https://a.com\x00",
    b"https://a.com\x7f",
    b"https://a.com\t",
    "https://\u00e9vil.com".encode("latin-1"),
    b"https://" + b"a" * 10_000 + b".com",
]
NEWLINE_ORIGINS = [
    b"https://a.com\r\nX-Injected: 1",
    b"https://a.com\nSet-Cookie: x=1",
    b"https://a.com\r",
]


@pytest.mark.parametrize(
    ("origin", "preflight"),
    [
        *((origin, False) for origin in CONTROL_ORIGINS),
        *((origin, True) for origin in CONTROL_ORIGINS + NEWLINE_ORIGINS),
    ],
)
async def test_log_lines_are_quoted_and_bounded(
    caplog: pytest.LogCaptureFixture, origin: bytes, preflight: bool
) -> None:
    app, path, _ = build("app", allow_origin=ORIGIN)
    headers = [(b"origin", origin)]
    if preflight:
        headers.append((b"access-control-request-method", b"PUT"))
    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        response = await asgi_request(app, "OPTIONS" if preflight else "GET", path, headers)
    assert response.status == 200
    records = [record for record in caplog.records if record.name == "quart_cors"]
    assert len(records) == 1
    message = records[0].getMessage()
    for control in ("\r", "\n", "\x1b", "\x00", "\x7f", "\t"):
        assert control not in message
    assert len(message) < 1000


@pytest.mark.parametrize("value", NEWLINE_ORIGINS + CONTROL_ORIGINS)
async def test_log_lines_quote_refused_method_and_headers(
    caplog: pytest.LogCaptureFixture, value: bytes
) -> None:
    app, path, _ = build("app", allow_origin=ORIGIN, allow_methods=["GET"])
    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        await asgi_request(
            app,
            "OPTIONS",
            path,
            [(b"origin", ORIGIN.encode()), (b"access-control-request-method", value)],
        )
        app2, path2, _ = build("app", allow_origin=ORIGIN, allow_headers=["x-a"])
        await asgi_request(
            app2,
            "OPTIONS",
            path2,
            [
                (b"origin", ORIGIN.encode()),
                (b"access-control-request-method", b"GET"),
                (b"access-control-request-headers", value),
            ],
        )
    records = [record for record in caplog.records if record.name == "quart_cors"]
    assert len(records) == 2
    for record in records:
        message = record.getMessage()
        for control in ("\r", "\n", "\x1b", "\x00", "\x7f"):
            assert control not in message
        assert len(message) < 1000


@pytest.mark.parametrize("level", ["app", "blueprint", "route"])
@pytest.mark.parametrize(("arguments", "method", "headers", "reason", "value"), REFUSALS)
async def test_cors_rejected_signal(
    *,
    level: str,
    arguments: dict[str, Any],
    method: str,
    headers: dict[str, str],
    reason: str,
    value: str,
) -> None:
    app, path, _ = build(level, **arguments)
    received: list[tuple[object, dict[str, Any]]] = []

    def receiver(sender: object, **facts: Any) -> None:
        received.append((sender, facts))

    with cors_rejected.connected_to(receiver):
        await send(app, method, path, headers)
    assert len(received) == 1
    sender, facts = received[0]
    assert sender is app
    assert facts == {
        "reason": reason,
        "endpoint": "bp.view" if level == "blueprint" else "view",
        "origin": headers["Origin"],
        "method": method,
        "preflight": method == "OPTIONS",
        "value": value,
    }


async def test_cors_rejected_async_receiver() -> None:
    app, path, _ = build("app", allow_origin=ORIGIN)
    received: list[str] = []

    async def receiver(sender: object, **facts: Any) -> None:
        received.append(facts["reason"])

    with cors_rejected.connected_to(receiver):
        await app.test_client().get(path, headers={"Origin": OTHER_ORIGIN})
    assert received == ["origin"]


async def test_cors_rejected_not_sent_for_allowed_or_missing_origin() -> None:
    app, path, _ = build("app", allow_origin=ORIGIN)
    received: list[dict[str, Any]] = []

    def receiver(sender: object, **facts: Any) -> None:
        received.append(facts)

    client = app.test_client()
    with cors_rejected.connected_to(receiver):
        await client.get(path, headers={"Origin": ORIGIN})
        await client.get(path)
        await client.options(path, headers=preflight_headers(ORIGIN, "PUT"))
    assert received == []


async def test_cors_rejected_for_websocket() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN)

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(await websocket.receive())

    received: list[dict[str, Any]] = []

    def receiver(sender: object, **facts: Any) -> None:
        received.append(facts)

    async def handshake() -> None:
        async with app.test_client().websocket("/ws", headers={"Origin": OTHER_ORIGIN}) as ws:
            await ws.send("hi")
            await ws.receive()

    with cors_rejected.connected_to(receiver), pytest.raises(WebsocketResponseError) as caught:
        await handshake()
    assert caught.value.response.status_code == 400
    assert len(received) == 1
    assert received[0]["reason"] == "origin"
    assert received[0]["origin"] == OTHER_ORIGIN
    assert received[0]["endpoint"] == "echo"
    assert received[0]["preflight"] is False


async def test_signal_value_is_the_raw_header(caplog: pytest.LogCaptureFixture) -> None:
    app, path, _ = build("app", allow_origin=ORIGIN)
    received: list[dict[str, Any]] = []

    def receiver(sender: object, **facts: Any) -> None:
        received.append(facts)

    raw = b"https://a.com\x00\x1b"
    with cors_rejected.connected_to(receiver):
        await asgi_request(app, "GET", path, [(b"origin", raw)])
    assert received[0]["origin"] == raw.decode("latin-1")
    assert received[0]["reason"] == "origin"


async def test_refused_preflight_log_names_the_requested_method(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Quart(__name__)
    cors(app, allow_origin=ORIGIN, allow_methods=["GET"])

    @app.route("/x", methods=["GET", "PATCH"])
    async def view() -> str:
        return "x"

    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        await app.test_client().options(
            "/x", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PATCH"}
        )
    messages = [record.getMessage() for record in caplog.records if record.name == "quart_cors"]
    assert messages == [
        f"CORS refused (method) at endpoint 'view': preflight for 'PATCH' 'PATCH', "
        f"origin {ORIGIN!r}"
    ]
