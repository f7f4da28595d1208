"""The simulated browser where Chromium 156 decides: method case, its extra safelisted request
headers, Access-Control-Max-Age parsing, Local Network Access address spaces, WebSocket
failures that are not CORS, and the headers the in-process transport shows.

Each rule here is also pinned against a real Chromium in tests/browser.
"""

from __future__ import annotations

import asyncio
import socket
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from quart import Quart, Response, request, websocket

from quart_cors import cors
from quart_cors.cli import main as cli_main
from quart_cors.testing import (
    Browser,
    HTTPRequest,
    HTTPXTransport,
    PreflightCacheEntry,
    QuartTransport,
    TransportError,
    address_space,
    cors_unsafe_request_header_names,
    is_cors_safelisted_request_header,
    needs_preflight,
    parse_max_age,
)
from quart_cors.testing.origin import canonical_url, parse_ipv4_host

ORIGIN = "https://app.test"


@dataclass
class Server:
    """A scripted server: fixed answers to preflights and requests, and what it received."""

    preflight: dict[str, str] = field(default_factory=dict)
    response: dict[str, str] = field(
        default_factory=lambda: {"Access-Control-Allow-Origin": ORIGIN}
    )
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Quart:
        app = Quart(__name__)
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "patch", "OPTIONS"]

        @app.route("/<path:path>", methods=methods, provide_automatic_options=False)
        async def anything(path: str) -> Response:
            self.received.append((request.method, request.path, dict(request.headers)))
            if request.method == "OPTIONS":
                return Response("", 200, self.preflight)
            return Response("body", 200, self.response)

        return app

    @property
    def preflights(self) -> int:
        return sum(1 for method, _, _ in self.received if method == "OPTIONS")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------------------------
# Method case: byte for byte against Access-Control-Allow-Methods, and in the preflight cache


async def test_lowercase_method_is_not_covered_by_its_uppercase_listing() -> None:
    server = Server(
        preflight={"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Methods": "PATCH"}
    )
    result = await Browser(server.app(), ORIGIN).fetch("/r", method="patch")
    assert result.blocked_by == "method_not_allowed"
    assert result.preflight_request is not None
    assert result.preflight_request.get("Access-Control-Request-Method") == "patch"
    assert [method for method, _, _ in server.received] == ["OPTIONS"]
    assert result.warnings == ()


async def test_cached_uppercase_method_does_not_serve_the_lowercase_one() -> None:
    server = Server(
        preflight={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Methods": "PATCH",
            "Access-Control-Max-Age": "600",
        }
    )
    browser = Browser(server.app(), ORIGIN, clock=Clock())
    assert (await browser.fetch("/r", method="PATCH")).ok
    assert (await browser.fetch("/r", method="PATCH")).preflight_from_cache
    lowercase = await browser.fetch("/r", method="patch")
    assert not lowercase.preflight_from_cache
    assert lowercase.preflighted  # a new preflight went out
    assert lowercase.blocked_by == "method_not_allowed"
    assert server.preflights == 2


@pytest.mark.parametrize(
    ("cached", "method", "allowed"),
    [
        ({"PATCH"}, "PATCH", True),
        ({"PATCH"}, "patch", False),
        ({"patch"}, "PATCH", False),
        ({"patch"}, "patch", True),
        ({"put"}, "PUT", False),  # fetch() sends PUT; a lowercase listing never matches it
        (set(), "POST", True),  # safelisted methods need no listing
    ],
)
def test_cache_entry_compares_methods_byte_for_byte(
    cached: set[str], method: str, allowed: bool
) -> None:
    entry = PreflightCacheEntry(
        methods=frozenset(cached), headers=frozenset(), credentials=False, expires=10
    )
    assert entry.allows(method, [], "omit", 0) is allowed


# --------------------------------------------------------------------------------------------
# Chromium's extra safelisted request headers (client hints and Intervention)


@pytest.mark.parametrize(
    ("name", "value", "chromium"),
    [
        ("DPR", "2", True),
        ("DPR", "1.5", True),
        ("dpr", "1.", False),
        ("DPR", ".5", False),
        ("DPR", "-1", False),
        ("DPR", "1,5", False),
        ("Device-Memory", "0.25", True),
        ("Device-Memory", "8GB", False),
        ("Downlink", "10.0", True),
        ("Downlink", "fast", False),
        ("Width", "1280", True),
        ("Width", "12.5", False),
        ("Viewport-Width", "980", True),
        ("Viewport-Width", "", False),
        ("RTT", "50", True),
        ("RTT", "50ms", False),
        ("ECT", "4g", True),
        ("ECT", "slow-2g", True),
        ("ECT", "4G", False),  # compared as written
        ("ECT", "5g", False),
        ("Save-Data", "on", True),
        ("Save-Data", "ON", True),
        ("Save-Data", "off", False),
        ("Intervention", "<https://example.com/why>; level=warning", True),
        ("Intervention", "x" * 129, False),  # 128 bytes at most, like every safelisted value
        ("Width", "1" * 129, False),
    ],
)
def test_chromium_safelisted_request_headers(name: str, value: str, chromium: bool) -> None:
    assert is_cors_safelisted_request_header(name, value) is chromium
    # The Fetch Standard safelists none of them.
    assert is_cors_safelisted_request_header(name, value, strict=True) is False
    assert needs_preflight("GET", [(name, value)]) is not chromium
    assert needs_preflight("GET", [(name, value)], strict=True)


def test_chromium_safelisted_values_count_towards_the_1024_byte_budget() -> None:
    headers = [("Intervention", "i" * 120)] + [("Accept-Language", "b" * 120)] * 8
    assert cors_unsafe_request_header_names(headers) == ["accept-language", "intervention"]


async def test_save_data_needs_no_preflight_in_chromium() -> None:
    server = Server()
    result = await Browser(server.app(), ORIGIN).fetch("/r", headers={"Save-Data": "on"})
    assert result.ok
    assert not result.preflighted
    assert [warning.code for warning in result.warnings] == ["chromium_safelisted_header"]
    assert "'save-data'" in result.warnings[0].message
    assert "allow_headers" in result.warnings[0].message
    assert server.received[0][2]["Save-Data"] == "on"


async def test_strict_browser_preflights_client_hints() -> None:
    server = Server(preflight={"Access-Control-Allow-Origin": ORIGIN})
    result = await Browser(server.app(), ORIGIN, strict=True).fetch(
        "/r", headers={"Save-Data": "on"}
    )
    assert result.blocked_by == "header_not_allowed"
    assert result.preflight_request is not None
    assert result.preflight_request.get("Access-Control-Request-Headers") == "save-data"


async def test_ill_formed_client_hint_is_preflighted() -> None:
    server = Server(preflight={"Access-Control-Allow-Origin": ORIGIN})
    result = await Browser(server.app(), ORIGIN).fetch("/r", headers={"DPR": "high"})
    assert result.blocked_by == "header_not_allowed"
    assert result.warnings == ()


async def test_same_origin_client_hint_has_no_warning() -> None:
    result = await Browser(Server().app(), "http://localhost").fetch(
        "/r", headers={"Save-Data": "on"}
    )
    assert result.ok
    assert result.warnings == ()


# Header values are byte strings: one byte per character up to U+00FF


@pytest.mark.parametrize(
    ("value", "safelisted"),
    [("\u00e9" * 128, True), ("\u00e9" * 129, False), ("a" * 128, True), ("a" * 129, False)],
)
def test_safelisted_value_length_counts_latin1_bytes(value: str, safelisted: bool) -> None:
    assert is_cors_safelisted_request_header("Accept", value) is safelisted
    assert needs_preflight("GET", [("Accept", value)]) is not safelisted


def test_safelisted_budget_counts_latin1_bytes() -> None:
    # 8 values of 128 characters are 1024 bytes: within the budget, though 2048 in UTF-8.
    headers = [("Accept-Language", "a" * 128)] * 7 + [("Accept", "\u00e9" * 128)]
    assert cors_unsafe_request_header_names(headers) == []
    assert cors_unsafe_request_header_names([*headers, ("Content-Language", "x")]) == [
        "accept",
        "accept-language",
        "content-language",
    ]


async def test_header_value_beyond_latin1_throws_like_fetch() -> None:
    with pytest.raises(TypeError, match="Latin-1"):
        await Browser(Server().app(), ORIGIN).fetch("/r", headers={"X-Price": "10 \u20ac"})


async def test_live_transport_sends_latin1_header_bytes() -> None:
    seen: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
            b"Access-Control-Allow-Origin: https://app.test\r\n\r\nok"
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        browser = Browser(HTTPXTransport(timeout=2), ORIGIN, base_url=f"http://127.0.0.1:{port}")
        result = await browser.fetch("/r", headers={"Accept": "caf\u00e9"})
    finally:
        server.close()
        await server.wait_closed()
    assert result.ok, result.explanation
    assert not result.preflighted
    assert b"\r\naccept: caf\xe9\r\n" in seen[0].lower()


# --------------------------------------------------------------------------------------------
# Access-Control-Max-Age, as Chromium parses it


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("+600", 600),
        (" 600\t", 600),  # surrounding whitespace belongs to HTTP, not to the value
        ("0600", 600),
        ("-0", 0),
        ("-600", 0),
        ("7199", 7199),
        ("9223372036854775807", 7200),  # the largest 64-bit value is valid, then capped
        ("9223372036854775808", 5),  # too large to parse: invalid, the 5 s default
        ("99999999999999999999", 5),
        ("-9223372036854775809", 5),
        ("+", 5),
        ("++600", 5),
        ("6 00", 5),
        ("600s", 5),
        ("1e3", 5),
        ("600, 600", 5),  # two header lines joined: not a number
        ("\u0663", 5),  # a non-ASCII digit
    ],
)
def test_parse_max_age_like_chromium(value: str, seconds: int) -> None:
    assert parse_max_age(value) == seconds


@pytest.mark.parametrize(
    ("max_age", "elapsed", "cached"),
    [
        ("+600", 599, True),
        ("+600", 600, False),
        ("99999999999999999999", 4.9, True),
        ("99999999999999999999", 5, False),
    ],
)
async def test_browser_caches_for_the_parsed_max_age(
    max_age: str, elapsed: float, cached: bool
) -> None:
    server = Server(
        preflight={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Methods": "PUT",
            "Access-Control-Max-Age": max_age,
        }
    )
    clock = Clock()
    browser = Browser(server.app(), ORIGIN, clock=clock)
    assert (await browser.fetch("/r", method="PUT")).ok
    clock.now += elapsed
    assert (await browser.fetch("/r", method="PUT")).preflight_from_cache is cached


# --------------------------------------------------------------------------------------------
# Local Network Access: hosts read as the URL Standard reads them, Chromium's table


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f000001", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),  # one trailing dot
        ("0x", "0.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("example.com", None),
        ("localhost", None),
        ("1.2.3.example", None),
        ("0xg", None),  # not a number: a domain
        ("::1", None),  # IPv6: not this parser's
    ],
)
def test_parse_ipv4_host(host: str, address: str | None) -> None:
    parsed = parse_ipv4_host(host)
    assert (str(parsed) if parsed is not None else None) == address


@pytest.mark.parametrize(
    "host", ["1.2.3.256", "256.1.1.1", "1.2.3.4.5", "1..2.3", "08.1.1.1", "4294967296", "1.09"]
)
def test_invalid_ipv4_host_makes_the_url_invalid(host: str) -> None:
    with pytest.raises(ValueError, match="IPv4"):
        parse_ipv4_host(host)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.1:8000/x", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://0.0.0.0/", "loopback"),
        ("http://[::]/", "loopback"),
        ("http://0.1.2.3/", "local"),
        ("http://100.64.0.1/", "local"),  # carrier-grade NAT
        ("http://100.127.255.255/", "local"),
        ("http://100.63.255.255/", "public"),
        ("http://100.128.0.0/", "public"),
        ("http://[2001:db8::1]/", "local"),  # IPv6 documentation
        ("http://[3fff::1]/", "local"),
        ("http://[fec0::1]/", "local"),  # site-local
        ("http://[fe80::1]/", "local"),
        ("http://[::ffff:10.0.0.1]/", "local"),  # IPv4-mapped
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://192.0.2.1/", "public"),  # IPv4 documentation ranges are public to Chromium
        ("http://198.51.100.1/", "public"),
        ("http://203.0.113.1/", "public"),
        ("http://198.18.0.1/", "public"),  # benchmarking
        ("http://192.0.0.1/", "public"),
        ("http://240.0.0.1/", "public"),  # reserved
        ("http://255.255.255.255/", "public"),
        ("http://[64:ff9b::1]/", "public"),  # NAT64
        ("http://printer.local/", "local"),  # mDNS names
        ("http://local/", "local"),
        ("http://localhost.example/", "public"),
    ],
)
def test_address_space_follows_chromium(url: str, expected: str) -> None:
    assert address_space(url) == expected


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.1"])
async def test_public_page_cannot_reach_ipv4_shorthand_for_loopback(host: str) -> None:
    server = Server()
    browser = Browser(server.app(), ORIGIN, page_address_space="public")
    result = await browser.fetch(f"http://{host}/r")
    assert result.blocked_by == "local_network_access_denied"
    assert result.url == "http://127.0.0.1/r"  # the URL as the browser parsed it
    assert server.received == []


async def test_shorthand_url_is_sent_to_the_canonical_host() -> None:
    server = Server()
    result = await Browser(server.app(), ORIGIN).fetch("http://0x7f.1:8000/r?q=1")
    assert result.ok
    assert result.url == "http://127.0.0.1:8000/r?q=1"
    assert server.received[0][2]["Host"] == "127.0.0.1:8000"


async def test_invalid_ipv4_url_is_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="IPv4"):
        await Browser(Server().app(), ORIGIN).fetch("http://1.2.3.256/r")


async def test_redirect_to_an_invalid_ipv4_host_is_a_network_error() -> None:
    app = Quart(__name__)

    @app.get("/away")
    async def away() -> Response:
        headers = {"Location": "http://1.2.3.999/", "Access-Control-Allow-Origin": ORIGIN}
        return Response("", 302, headers)

    result = await Browser(app, ORIGIN).fetch("/away")
    assert result.blocked_by == "redirect_invalid"


@pytest.mark.parametrize(
    ("page", "target", "blocked"),
    [
        ("public", "http://127.0.0.1/r", True),
        ("public", "http://10.0.0.1/r", True),
        ("public", "http://8.8.8.8/r", False),
        # Chromium's LNA counts local and loopback as one level: no permission between them.
        ("local", "http://127.0.0.1/r", False),
        ("loopback", "http://10.0.0.1/r", False),
    ],
)
async def test_local_network_access_levels(page: str, target: str, blocked: bool) -> None:
    browser = Browser(Server().app(), ORIGIN, page_address_space=page)  # type: ignore[arg-type]
    result = await browser.fetch(target)
    assert (result.blocked_by == "local_network_access_denied") is blocked
    assert result.ok is not blocked


def test_canonical_url_keeps_everything_but_the_host() -> None:
    assert canonical_url("http://u:p@0X7F.1:81/a%20b?c=d") == "http://u:p@127.0.0.1:81/a%20b?c=d"
    assert canonical_url("https://example.com/x") == "https://example.com/x"
    assert canonical_url("http://[::1]:80/") == "http://[::1]:80/"


# --------------------------------------------------------------------------------------------
# WebSocket failures that are not CORS


def socket_app() -> Quart:
    app = cors(Quart(__name__), allow_origin=ORIGIN)

    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.accept()

    @app.websocket("/ws-raises")
    async def raises() -> None:
        raise RuntimeError("broken handler")

    @app.websocket("/ws-hangs")
    async def hangs() -> None:
        await asyncio.sleep(3600)

    @app.websocket("/ws-closes")
    async def closes() -> None:
        await websocket.close(1008)

    return app


def socket_browser(origin: str = ORIGIN) -> Browser:
    transport = QuartTransport(socket_app(), handshake_timeout=0.3)
    return Browser(transport, origin, base_url="http://localhost")


@pytest.mark.parametrize(
    ("path", "status", "code", "fix"),
    [
        ("/no-such-socket", 404, "websocket_not_found", "@app.websocket"),
        ("/ws-raises", 500, "websocket_server_error", "raised an exception"),
        ("/ws-hangs", 0, "websocket_handshake_timeout", "never answered the handshake"),
        ("/ws-closes", 403, "websocket_rejected", "closing before accept() gives 403"),
    ],
)
async def test_websocket_failures_that_are_not_cors(
    path: str, status: int, code: str, fix: str
) -> None:
    result = await socket_browser().websocket(path)
    assert not result.accepted
    assert result.status == status
    assert result.blocked_by == code
    assert fix in result.explanation
    assert "allow_origin" not in result.explanation  # the origin is allowed: not the fix


async def test_websocket_refused_origin_is_still_blamed_on_allow_origin() -> None:
    result = await socket_browser("https://evil.test").websocket("/ws")
    assert (result.status, result.blocked_by) == (400, "websocket_refused")
    assert "add 'https://evil.test' to allow_origin" in result.explanation
    assert (await socket_browser().websocket("/ws")).accepted


async def test_app_that_raises_under_testing_still_answers_500() -> None:
    app = socket_app()
    app.config["TESTING"] = True  # Quart lets exceptions escape to the server
    result = await Browser(QuartTransport(app), ORIGIN, base_url="http://localhost").websocket(
        "/ws-raises"
    )
    assert (result.status, result.blocked_by) == (500, "websocket_server_error")


# --------------------------------------------------------------------------------------------
# The in-process transport shows what the app sends a server, not a test client's reconstruction


async def test_preflight_shows_no_content_type_the_app_did_not_send() -> None:
    app = cors(Quart(__name__), allow_origin=ORIGIN, allow_methods=["PUT"])

    @app.route("/items", methods=["PUT"])
    async def items() -> dict[str, int]:
        return {"a": 1}

    result = await Browser(app, ORIGIN).fetch("/items", method="PUT")
    assert result.ok
    assert result.preflight is not None
    names = [name for name, _ in result.preflight.headers]
    assert "content-type" not in names
    assert names == [name.lower() for name in names]  # as an HTTP/1.1 server writes them
    assert result.response is not None
    assert result.response.get("content-type") == "application/json"


async def test_head_response_has_no_body_but_keeps_its_length() -> None:
    app = cors(Quart(__name__), allow_origin=ORIGIN)

    @app.get("/text")
    async def text() -> str:
        return "hello"

    result = await Browser(app, ORIGIN).fetch("/text", method="HEAD")
    assert result.response is not None
    assert result.response.body == b""
    assert result.response.get("content-length") == "5"


async def test_app_exception_under_testing_is_a_500() -> None:
    app = Quart(__name__)
    app.config["TESTING"] = True

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("boom")

    result = await Browser(app, ORIGIN).fetch("/boom")
    assert result.blocked_by == "missing_allow_origin"
    assert result.response is not None
    assert result.response.status == 500


async def test_request_body_and_query_reach_the_app() -> None:
    app = cors(Quart(__name__), allow_origin=ORIGIN)

    @app.post("/echo")
    async def echo() -> str:
        data = await request.get_data(as_text=True)
        return f"{request.args.get('q')}:{data!s}:{request.headers.get('X-Token')}"

    result = await Browser(app, ORIGIN).fetch("/echo?q=1", method="POST", body="payload")
    assert result.ok
    assert result.response is not None
    assert result.response.text == "1:payload:None"


async def test_live_handshake_that_is_never_answered() -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)  # takes the connection, then never answers the handshake
        await done.wait()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        browser = Browser(HTTPXTransport(timeout=0.3), ORIGIN, base_url=f"http://127.0.0.1:{port}")
        result = await browser.websocket("/ws")
    finally:
        done.set()
        server.close()
        await server.wait_closed()
    assert (result.status, result.blocked_by) == (0, "websocket_handshake_timeout")


async def test_live_server_that_refuses_connections_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it once closed
    browser = Browser(HTTPXTransport(timeout=1), ORIGIN, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(TransportError, match="cannot connect"):
        await browser.websocket("/ws")


# --------------------------------------------------------------------------------------------
# The same verdicts through `quart-cors check`

CLI_APP = textwrap.dedent(
    """
    from quart import Quart, websocket
    from quart_cors import cors

    app = cors(Quart(__name__), allow_origin="https://app.test", allow_methods=["PUT"])

    @app.route("/items", methods=["GET", "PUT"])
    async def items():
        return {"items": []}

    @app.websocket("/ws-raises")
    async def raises():
        raise RuntimeError("broken handler")
    """
)


@pytest.fixture
def cli_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"chromium_cli_app_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(CLI_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{name}:app"


@pytest.mark.parametrize(
    ("argv", "status", "verdict"),
    [
        (["/items", "-H", "Save-Data: on"], 0, "Verdict: ALLOWED"),
        (["/items", "-H", "Save-Data: off"], 1, "Verdict: BLOCKED (header_not_allowed)"),
        (["/items", "--method", "patch"], 1, "Verdict: BLOCKED (method_not_allowed)"),
        (["/no-such-socket", "--websocket"], 1, "Verdict: BLOCKED (websocket_not_found)"),
        (["/ws-raises", "--websocket"], 1, "Verdict: BLOCKED (websocket_server_error)"),
    ],
)
def test_check_command_gives_chromium_verdicts(
    capsys: pytest.CaptureFixture[str], cli_app: str, argv: list[str], status: int, verdict: str
) -> None:
    code = cli_main(["check", "--app", cli_app, *argv, "--origin", ORIGIN])
    out, _ = capsys.readouterr()
    assert code == status, out
    assert any(line.startswith(verdict) for line in out.splitlines()), out
    if "--websocket" in argv:
        fix = next(line for line in out.splitlines() if line.startswith("Fix: "))
        assert "allow_origin" not in fix


def test_check_command_shows_the_preflight_headers_a_server_sends(
    capsys: pytest.CaptureFixture[str], cli_app: str
) -> None:
    code = cli_main(["check", "--app", cli_app, "/items", "--method", "PUT", "--origin", ORIGIN])
    out, _ = capsys.readouterr()
    assert code == 0, out
    answer = out.split("Preflight answer:", 1)[1].split("Request sent:", 1)[0]
    assert "access-control-allow-methods: PUT" in answer
    assert "content-type" not in answer.lower()  # the app sends none on a preflight


REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "testing.md"


async def test_reference_example_runs_as_printed() -> None:
    text = REFERENCE.read_text()
    source = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, object] = {"__name__": "docs_testing_example"}
    exec(compile(source, "docs/testing.md", "exec"), namespace)  # noqa: S102 - our own docs
    test = namespace["test_spa_can_update_items"]
    assert callable(test)
    await test()


# --------------------------------------------------------------------------------------------
# Transports at their edges


def test_value_beyond_latin1_counts_its_utf8_bytes() -> None:
    # fetch() never sends one (it throws), but the rule itself still answers.
    assert is_cors_safelisted_request_header("Accept", "\u20ac" * 42)  # 126 bytes
    assert not is_cors_safelisted_request_header("Accept", "\u20ac" * 43)  # 129 bytes


async def test_in_process_exception_before_any_answer_is_a_500() -> None:
    app = Quart(__name__)

    async def broken(scope: object, receive: object, send: object) -> None:
        raise RuntimeError("the app fails before it answers")

    app.asgi_app = broken  # type: ignore[method-assign]
    response = await QuartTransport(app).send(HTTPRequest("GET", "http://localhost/x"))
    assert (response.status, response.headers, response.body) == (
        500,
        (("content-length", "0"),),
        b"",
    )


async def test_in_process_request_to_an_invalid_port_still_reaches_the_app() -> None:
    app = cors(Quart(__name__), allow_origin=ORIGIN)

    @app.get("/x")
    async def x() -> str:
        return "x"

    response = await QuartTransport(app).send(HTTPRequest("GET", "http://localhost:99999/x"))
    assert response.status == 200


async def test_in_process_handshake_of_an_app_that_ignores_the_client_leaving() -> None:
    app = Quart(__name__)
    stuck = asyncio.Event()

    async def deaf(scope: object, receive: object, send: object) -> None:
        await stuck.wait()  # never reads receive(), so never hears the disconnect

    app.asgi_app = deaf  # type: ignore[method-assign]
    transport = QuartTransport(app, handshake_timeout=0.1)
    status, headers = await transport.websocket(HTTPRequest("GET", "ws://localhost/ws"))
    assert (status, headers) == (0, ())


@pytest.mark.parametrize(
    ("answer", "message"),
    [(b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP answer"), (b"HTTP/1.1 1", "cannot connect")],
)
async def test_live_handshake_with_a_garbled_answer(answer: bytes, message: str) -> None:
    async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(garble, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(TransportError, match=message):
            await HTTPXTransport(timeout=2).websocket(
                HTTPRequest("GET", f"ws://127.0.0.1:{port}/ws")
            )
    finally:
        server.close()
        await server.wait_closed()


async def test_live_handshake_to_an_invalid_port() -> None:
    with pytest.raises(TransportError, match="invalid port"):
        await HTTPXTransport().websocket(HTTPRequest("GET", "ws://127.0.0.1:99999/ws"))


async def test_in_process_handshake_of_an_app_that_returns_without_answering() -> None:
    app = Quart(__name__)

    async def silent(scope: object, receive: object, send: object) -> None:
        return  # neither accepts nor refuses: a server answers 500

    app.asgi_app = silent  # type: ignore[method-assign]
    transport = QuartTransport(app, handshake_timeout=1)
    assert await transport.websocket(HTTPRequest("GET", "ws://localhost/ws")) == (500, ())
