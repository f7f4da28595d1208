"""The simulated browser: its pure rules (tables) and its behaviour against scripted servers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest
from quart import Quart, Response, request, websocket

from quart_cors import cors, route_cors, websocket_cors
from quart_cors.testing import (
    Browser,
    HTTPRequest,
    HTTPResponse,
    HTTPXTransport,
    PreflightCacheEntry,
    address_space,
    cors_check,
    cors_unsafe_request_header_names,
    forbidden_request_header,
    is_cors_safelisted_request_header,
    needs_preflight,
    normalize_method,
    parse_max_age,
    parse_token_list,
    preflight_check,
    preflight_request_headers,
    readable_response_headers,
    serialize_origin,
)

ORIGIN = "https://app.test"

# --------------------------------------------------------------------------------------------
# Pure rules


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("GET", [], False),
        ("HEAD", [], False),
        ("POST", [("Content-Type", "text/plain")], False),
        ("POST", [("Content-Type", "application/x-www-form-urlencoded")], False),
        ("POST", [("Content-Type", "multipart/form-data; boundary=abc")], False),
        ("POST", [("Content-Type", 'multipart/form-data; boundary="abc"')], True),
        ("POST", [("Content-Type", "application/json")], True),
        ("POST", [("Content-Type", "text/plain;charset=UTF-8")], False),
        ("POST", [("Content-Type", "text/")], True),
        ("PUT", [], True),
        ("DELETE", [], True),
        ("PATCH", [], True),
        ("patch", [], True),
        ("GET", [("Accept", "application/json")], False),
        ("GET", [("Accept", "text/html(x)")], True),
        ("GET", [("Accept-Language", "en-US,en;q=0.9")], False),
        ("GET", [("Accept-Language", "en_US")], True),
        ("GET", [("Content-Language", "de")], False),
        ("GET", [("Range", "bytes=0-99")], False),
        ("GET", [("Range", "bytes=100-")], False),
        ("GET", [("Range", "bytes=-100")], True),
        ("GET", [("Range", "bytes=9-1")], True),
        ("GET", [("Range", "bytes=0-1,3-4")], True),
        ("GET", [("Accept", "a" * 129)], True),
        ("GET", [("Accept", "a" * 128)], False),
        ("GET", [("X-Requested-With", "XMLHttpRequest")], True),
        ("GET", [("Authorization", "Bearer t")], True),
        ("GET", [("Accept", "a" * 120)] * 9, True),  # more than 1024 safelisted bytes
    ],
)
def test_needs_preflight(method: str, headers: list[tuple[str, str]], expected: bool) -> None:
    assert needs_preflight(method, headers) is expected


def test_use_cors_preflight_flag_forces_a_preflight() -> None:
    assert needs_preflight("GET", [], use_cors_preflight=True)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Content-Type", "text/plain; charset=utf-8", True),
        ("content-type", "TEXT/PLAIN", True),
        ("Content-Type", "text/plain\x01", False),
        ("Content-Type", "application/xml", False),
        ("Accept", "*/*", True),
        ("Accept", "a@b", False),
        ("Accept-Language", "*", True),
        ("Content-Language", "en!", False),
        ("X-Custom", "1", False),
    ],
)
def test_safelisted_request_header(name: str, value: str, expected: bool) -> None:
    assert is_cors_safelisted_request_header(name, value) is expected


def test_unsafe_names_are_lowercased_deduplicated_sorted() -> None:
    headers = [("X-B", "1"), ("x-a", "2"), ("Content-Type", "application/json"), ("X-A", "3")]
    assert cors_unsafe_request_header_names(headers) == ["content-type", "x-a", "x-b"]


def test_too_many_safelisted_bytes_make_them_all_unsafe() -> None:
    headers = [("Accept", "a" * 120)] + [("Accept-Language", "b" * 120)] * 8
    assert cors_unsafe_request_header_names(headers) == ["accept", "accept-language"]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("get", "GET"), ("Put", "PUT"), ("delete", "DELETE"), ("patch", "patch"), ("PATCH", "PATCH")],
)
def test_normalize_method(method: str, expected: str) -> None:
    assert normalize_method(method) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cookie", True),
        ("origin", True),
        ("Sec-Fetch-Mode", True),
        ("Proxy-Authorization", True),
        ("Access-Control-Request-Headers", True),
        ("Content-Length", True),
        ("Authorization", False),
        ("X-Token", False),
    ],
)
def test_forbidden_request_header(name: str, expected: bool) -> None:
    assert forbidden_request_header(name) is expected


def test_method_override_header_is_forbidden_only_with_a_forbidden_method() -> None:
    assert forbidden_request_header("X-HTTP-Method-Override", "TRACE")
    assert not forbidden_request_header("X-HTTP-Method-Override", "PATCH")


def test_preflight_request_headers() -> None:
    assert preflight_request_headers(ORIGIN, "PUT", ["x-a", "x-b"]) == (
        ("Origin", ORIGIN),
        ("Accept", "*/*"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "x-a,x-b"),
    )
    assert [name for name, _ in preflight_request_headers(ORIGIN, "PUT", [])] == [
        "Origin",
        "Accept",
        "Access-Control-Request-Method",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        ("GET, PUT", ("GET", "PUT")),
        ("GET,,PUT ,", ("GET", "PUT")),
        ("x-a,\tx-b", ("x-a", "x-b")),
        ("*", ("*",)),
        ("GET PUT", None),
        ("x-a, x(b)", None),
    ],
)
def test_parse_token_list(value: str | None, expected: tuple[str, ...] | None) -> None:
    assert parse_token_list(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 5),
        ("", 5),
        ("abc", 5),
        ("1.5", 5),
        ("0", 0),
        ("-1", 0),
        ("600", 600),
        ("7200", 7200),
        ("86400", 7200),
    ],
)
def test_parse_max_age(value: str | None, expected: int) -> None:
    assert parse_max_age(value) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://App.Test:443/x", "https://app.test"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("http://[::1]:80/", "http://[::1]"),
    ],
)
def test_serialize_origin(url: str, expected: str) -> None:
    assert serialize_origin(url) == expected


# The CORS check: (ACAO lines, ACAC, credentials mode) -> blocked_by or None.
CORS_CHECK_CASES = [
    ([ORIGIN], None, "same-origin", None),
    (["*"], None, "same-origin", None),
    (["*"], None, "omit", None),
    (["*"], "true", "include", "wildcard_origin_not_allowed"),
    ([], None, "same-origin", "missing_allow_origin"),
    ([ORIGIN, ORIGIN], None, "same-origin", "multiple_allow_origin_values"),
    ([f"{ORIGIN}, https://b.test"], None, "same-origin", "multiple_allow_origin_values"),
    ([f"{ORIGIN}/"], None, "same-origin", "allow_origin_mismatch"),
    (["https://APP.test"], None, "same-origin", "allow_origin_mismatch"),
    (["https://app.test:443"], None, "same-origin", "allow_origin_mismatch"),
    (["null"], None, "same-origin", "allow_origin_mismatch"),
    (["app.test"], None, "same-origin", "invalid_allow_origin_value"),
    ([ORIGIN], None, "include", "invalid_allow_credentials"),
    ([ORIGIN], "True", "include", "invalid_allow_credentials"),
    ([ORIGIN], "true", "include", None),
    ([ORIGIN], "True", "omit", None),
]


@pytest.mark.parametrize(("acao", "acac", "credentials", "expected"), CORS_CHECK_CASES)
def test_cors_check(
    acao: list[str], acac: str | None, credentials: str, expected: str | None
) -> None:
    block = cors_check(acao, acac, ORIGIN, credentials)  # type: ignore[arg-type]
    assert (block.code if block else None) == expected
    preflight_block = cors_check(acao, acac, ORIGIN, credentials, preflight=True)  # type: ignore[arg-type]
    assert (preflight_block.code if preflight_block else None) == (
        None if expected is None else f"preflight_{expected}"
    )


def test_cors_check_explanations_name_the_fix() -> None:
    block = cors_check([], None, ORIGIN, "omit")
    assert block is not None
    assert "add 'https://app.test' to allow_origin" in block.explanation
    block = cors_check([ORIGIN], None, ORIGIN, "include")
    assert block is not None
    assert "allow_credentials=True" in block.explanation


def _preflight(status: int = 200, **headers: str) -> HTTPResponse:
    names = {
        "acao": "Access-Control-Allow-Origin",
        "acac": "Access-Control-Allow-Credentials",
        "acam": "Access-Control-Allow-Methods",
        "acah": "Access-Control-Allow-Headers",
    }
    return HTTPResponse(status, tuple((names[key], value) for key, value in headers.items()))


# preflight response, method, unsafe names, credentials -> blocked_by, warning codes
PREFLIGHT_CASES = [
    (_preflight(acao=ORIGIN, acam="PUT"), "PUT", [], "omit", None, []),
    (_preflight(acao="*", acam="PUT"), "PUT", [], "omit", None, []),
    (_preflight(204, acao=ORIGIN, acam="PUT"), "PUT", [], "omit", None, []),
    (_preflight(404, acao=ORIGIN, acam="PUT"), "PUT", [], "omit", "preflight_invalid_status", []),
    (_preflight(404), "PUT", [], "omit", "preflight_missing_allow_origin", []),
    (_preflight(acao=ORIGIN), "PUT", [], "omit", "method_not_allowed", []),
    (_preflight(acao=ORIGIN, acam="GET, POST"), "PUT", [], "omit", "method_not_allowed", []),
    (_preflight(acao=ORIGIN, acam="*"), "PUT", [], "omit", None, []),
    (
        _preflight(acao=ORIGIN, acam="*", acac="true"),
        "PUT",
        [],
        "include",
        "method_not_allowed",
        [],
    ),
    (_preflight(acao=ORIGIN, acam="PUT", acac="true"), "PUT", [], "include", None, []),
    (_preflight(acao=ORIGIN, acam="put"), "PUT", [], "omit", "method_not_allowed", []),
    # Byte for byte, as Chromium 156 compares (fetch() leaves "patch" lowercase).
    (_preflight(acao=ORIGIN, acam="PATCH"), "patch", [], "omit", "method_not_allowed", []),
    (_preflight(acao=ORIGIN, acam="patch"), "patch", [], "omit", None, []),
    (_preflight(acao=ORIGIN, acam="GET PUT"), "PUT", [], "omit", "invalid_allow_methods", []),
    (_preflight(acao=ORIGIN), "GET", ["x-token"], "omit", "header_not_allowed", []),
    (_preflight(acao=ORIGIN, acah="X-Token"), "GET", ["x-token"], "omit", None, []),
    (_preflight(acao=ORIGIN, acah="x-other"), "GET", ["x-token"], "omit", "header_not_allowed", []),
    (_preflight(acao=ORIGIN, acah="*"), "GET", ["x-token"], "omit", None, []),
    (
        _preflight(acao=ORIGIN, acah="*", acac="true"),
        "GET",
        ["x-token"],
        "include",
        "header_not_allowed",
        [],
    ),
    (
        _preflight(acao=ORIGIN, acah="*"),
        "GET",
        ["authorization"],
        "omit",
        None,
        ["authorization_covered_by_wildcard"],
    ),
    (_preflight(acao=ORIGIN, acah="authorization"), "GET", ["authorization"], "omit", None, []),
    (_preflight(acao=ORIGIN, acah="x-a, x b"), "GET", ["x-a"], "omit", "invalid_allow_headers", []),
    (
        _preflight(acao="*", acam="PUT"),
        "PUT",
        [],
        "include",
        "preflight_wildcard_origin_not_allowed",
        [],
    ),
    (
        _preflight(acao=ORIGIN, acam="PUT"),
        "PUT",
        [],
        "include",
        "preflight_invalid_allow_credentials",
        [],
    ),
]


@pytest.mark.parametrize(
    ("response", "method", "unsafe", "credentials", "expected", "warnings"), PREFLIGHT_CASES
)
def test_preflight_check(
    response: HTTPResponse,
    method: str,
    unsafe: list[str],
    *,
    credentials: str,
    expected: str | None,
    warnings: list[str],
) -> None:
    block, found = preflight_check(
        response,
        origin=ORIGIN,
        method=method,
        unsafe_names=unsafe,
        credentials=credentials,  # type: ignore[arg-type]
    )
    assert (block.code if block else None) == expected
    assert [warning.code for warning in found] == warnings


def test_strict_mode_refuses_authorization_under_a_wildcard() -> None:
    block, _ = preflight_check(
        _preflight(acao=ORIGIN, acah="*"),
        origin=ORIGIN,
        method="GET",
        unsafe_names=["authorization"],
        credentials="omit",
        strict=True,
    )
    assert block is not None
    assert block.code == "header_not_allowed"
    assert "never covers 'authorization'" in block.explanation


def test_use_cors_preflight_without_acam_allows_the_method() -> None:
    block, _ = preflight_check(
        _preflight(acao=ORIGIN),
        origin=ORIGIN,
        method="PUT",
        unsafe_names=[],
        credentials="omit",
        use_cors_preflight=True,
    )
    assert block is None


@pytest.mark.parametrize(
    ("headers", "credentials", "cors", "expected"),
    [
        ([("Content-Type", "text/plain"), ("X-A", "1")], "omit", True, ["content-type"]),
        (
            [("X-A", "1"), ("X-B", "2"), ("Access-Control-Expose-Headers", "x-a")],
            "omit",
            True,
            ["x-a"],
        ),
        (
            [("X-A", "1"), ("Set-Cookie", "a=b"), ("Access-Control-Expose-Headers", "*")],
            "omit",
            True,
            ["x-a", "access-control-expose-headers"],
        ),
        (
            [("X-A", "1"), ("Access-Control-Expose-Headers", "*")],
            "include",
            True,
            [],
        ),
        (
            [("Set-Cookie", "a=b"), ("Access-Control-Expose-Headers", "set-cookie")],
            "omit",
            True,
            [],
        ),
        ([("X-A", "1"), ("Set-Cookie", "a=b")], "omit", False, ["x-a"]),
        ([("Content-Length", "3"), ("Cache-Control", "no-store")], "include", True, None),
    ],
)
def test_readable_response_headers(
    headers: list[tuple[str, str]], credentials: str, cors: bool, expected: list[str] | None
) -> None:
    readable = readable_response_headers(headers, credentials=credentials, cors=cors)  # type: ignore[arg-type]
    if expected is None:
        expected = [name.lower() for name, _ in headers]
    assert sorted(readable) == sorted(expected)


def test_repeated_response_headers_are_joined() -> None:
    headers = [("X-A", "1"), ("x-a", "2"), ("Access-Control-Expose-Headers", "x-a")]
    assert readable_response_headers(headers, credentials="omit")["x-a"] == "1, 2"


def test_cache_entry_rules() -> None:
    entry = PreflightCacheEntry(
        methods=frozenset({"PUT", "*"}),
        headers=frozenset({"x-a", "*"}),
        credentials=False,
        expires=10,
    )
    assert entry.allows("PUT", ["x-a"], "omit", 9)
    assert not entry.allows("PUT", ["x-a"], "omit", 10)  # expired
    assert entry.allows("DELETE", ["x-b"], "omit", 0)  # wildcards without credentials
    assert not entry.allows("PUT", [], "include", 0)  # not a credentialed entry
    assert entry.allows("GET", ["authorization"], "omit", 0)
    assert not entry.allows("GET", ["authorization"], "omit", 0, strict=True)
    credentialed = PreflightCacheEntry(
        methods=frozenset({"*"}), headers=frozenset({"*"}), credentials=True, expires=10
    )
    assert not credentialed.allows("DELETE", [], "include", 0)  # '*' is literal with credentials
    assert credentialed.allows("DELETE", [], "omit", 0)  # serves uncredentialed requests too


# --------------------------------------------------------------------------------------------
# The browser against a scripted server (no quart-cors involved: the answers are fixed)


@dataclass
class Script:
    """What the scripted server answers, and what it received."""

    preflight: dict[str, str] = field(default_factory=dict)
    preflight_status: int = 200
    response: dict[str, str] = field(default_factory=dict)
    status: int = 200
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def preflights(self) -> int:
        return sum(1 for method, _ in self.received if method == "OPTIONS")


def scripted_app(script: Script) -> Quart:
    app = Quart(__name__)

    @app.route(
        "/<path:path>",
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "patch"],
        provide_automatic_options=False,
    )
    async def anything(path: str) -> Response:
        script.received.append((request.method, dict(request.headers)))
        if request.method == "OPTIONS":
            return Response("", script.preflight_status, script.preflight)
        return Response("body", script.status, script.response)

    return app


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_browser(script: Script, clock: FakeClock | None = None) -> Browser:
    return Browser(scripted_app(script), ORIGIN, clock=clock or FakeClock())


ALLOW_PUT: Mapping[str, str] = {
    "Access-Control-Allow-Origin": ORIGIN,
    "Access-Control-Allow-Methods": "PUT",
    "Access-Control-Allow-Headers": "x-token",
}


async def test_simple_request_is_not_preflighted() -> None:
    script = Script(response={"Access-Control-Allow-Origin": ORIGIN})
    result = await make_browser(script).fetch("/r")
    assert result.ok
    assert result.blocked_by is None
    assert result.preflight is None
    assert script.preflights == 0
    assert result.request.get("Origin") == ORIGIN
    assert result.response is not None
    assert result.response.text == "body"


async def test_preflight_request_on_the_wire() -> None:
    script = Script(preflight=dict(ALLOW_PUT), response={"Access-Control-Allow-Origin": ORIGIN})
    result = await make_browser(script).fetch(
        "/r?q=1", method="put", headers={"X-Token": "t", "Content-Type": "application/json"}
    )
    assert result.preflight_request is not None
    assert result.preflight_request.url == "http://localhost/r?q=1"
    method, headers = script.received[0]
    assert method == "OPTIONS"
    assert headers["Origin"] == ORIGIN
    assert headers["Accept"] == "*/*"
    assert headers["Access-Control-Request-Method"] == "PUT"
    assert headers["Access-Control-Request-Headers"] == "content-type,x-token"
    assert "Cookie" not in headers
    assert not result.ok
    assert result.blocked_by == "header_not_allowed"
    assert result.explanation == (
        "the preflight's Access-Control-Allow-Headers (x-token) does not list 'content-type': "
        "add 'content-type' to allow_headers; browsers keep no failed preflight answer, so the "
        "next request asks the server again"
    )
    assert result.response is None


# Each blocked_by reason through the whole browser, with a fragment of its explanation.
BLOCK_CASES = [
    ("missing_allow_origin", Script(), {}, "add 'https://app.test' to allow_origin"),
    (
        "allow_origin_mismatch",
        Script(response={"Access-Control-Allow-Origin": "https://other.test"}),
        {},
        "must match byte for byte",
    ),
    (
        "wildcard_origin_not_allowed",
        Script(response={"Access-Control-Allow-Origin": "*"}),
        {"credentials": "include"},
        "never applies to a request with credentials",
    ),
    (
        "invalid_allow_credentials",
        Script(response={"Access-Control-Allow-Origin": ORIGIN}),
        {"credentials": "include"},
        "set allow_credentials=True",
    ),
    (
        "preflight_missing_allow_origin",
        Script(),
        {"method": "PUT"},
        "add 'https://app.test' to allow_origin",
    ),
    (
        "preflight_invalid_status",
        Script(preflight=dict(ALLOW_PUT), preflight_status=401),
        {"method": "PUT"},
        "needs a 2xx status",
    ),
    (
        "preflight_disallowed_redirect",
        Script(preflight={**ALLOW_PUT, "Location": "/r/"}, preflight_status=308),
        {"method": "PUT"},
        "never follow redirects for preflights",
    ),
    (
        "method_not_allowed",
        Script(preflight={"Access-Control-Allow-Origin": ORIGIN}),
        {"method": "DELETE"},
        "add 'DELETE' to allow_methods",
    ),
    (
        "header_not_allowed",
        Script(preflight={"Access-Control-Allow-Origin": ORIGIN}),
        {"headers": {"X-Token": "t"}},
        "add 'x-token' to allow_headers",
    ),
    (
        "invalid_allow_methods",
        Script(preflight={**ALLOW_PUT, "Access-Control-Allow-Methods": "PUT;"}),
        {"method": "PUT"},
        "not a comma-separated list",
    ),
    (
        "invalid_allow_headers",
        Script(preflight={**ALLOW_PUT, "Access-Control-Allow-Headers": "x token"}),
        {"method": "PUT"},
        "not a comma-separated list",
    ),
]


@pytest.mark.parametrize(("code", "script", "options", "fix"), BLOCK_CASES)
async def test_blocked_by(code: str, script: Script, options: dict[str, object], fix: str) -> None:
    result = await make_browser(script).fetch("/r", **options)  # type: ignore[arg-type]
    assert not result.ok
    assert result.blocked_by == code
    assert fix in result.explanation
    assert result.readable_headers == {}
    assert result.summary()["blocked_by"] == code


async def test_error_status_with_cors_headers_is_readable() -> None:
    script = Script(status=404, response={"Access-Control-Allow-Origin": ORIGIN})
    result = await make_browser(script).fetch("/r")
    assert result.ok
    assert result.status == 404
    assert "status 404" in result.explanation


async def test_authorization_under_wildcard_is_allowed_with_a_warning() -> None:
    script = Script(
        preflight={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"},
        response={"Access-Control-Allow-Origin": "*"},
    )
    result = await make_browser(script).fetch("/r", headers={"Authorization": "Bearer t"})
    assert result.ok
    assert [warning.code for warning in result.warnings] == ["authorization_covered_by_wildcard"]
    strict = Browser(scripted_app(script), ORIGIN, strict=True)
    result = await strict.fetch("/r", headers={"Authorization": "Bearer t"})
    assert result.blocked_by == "header_not_allowed"


async def test_forbidden_headers_are_dropped_with_a_warning() -> None:
    script = Script(response={"Access-Control-Allow-Origin": ORIGIN})
    result = await make_browser(script).fetch("/r", headers={"Cookie": "a=b", "Origin": "x"})
    assert result.ok
    assert script.preflights == 0
    assert result.request.get("Cookie") is None
    assert result.request.get("Origin") == ORIGIN
    assert {warning.code for warning in result.warnings} == {"forbidden_header_dropped"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"method": "TRACE"}, "forbidden method"),
        ({"method": "GET", "body": "x"}, "body"),
        ({"headers": {"Bad Name": "x"}}, "header name"),
        ({"method": "BAD METHOD"}, "method"),
    ],
)
async def test_fetch_throws_like_the_browser(call: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        await make_browser(Script()).fetch("/r", **call)  # type: ignore[arg-type]


async def test_string_body_gets_a_safelisted_content_type() -> None:
    script = Script(response={"Access-Control-Allow-Origin": ORIGIN})
    result = await make_browser(script).fetch("/r", method="POST", body="hello")
    assert result.ok
    assert script.preflights == 0
    assert result.request.get("Content-Type") == "text/plain;charset=UTF-8"
    assert script.received[0][1]["Content-Type"] == "text/plain;charset=UTF-8"


# --------------------------------------------------------------------------------------------
# The preflight cache


@pytest.mark.parametrize(
    ("max_age", "elapsed", "cached"),
    [
        (None, 4.9, True),  # Chromium's default: 5 s
        (None, 5.0, False),
        ("0", 0.0, False),
        ("-5", 0.0, False),
        ("600", 599, True),
        ("600", 600, False),
        ("86400", 7199, True),  # capped at 7200 s
        ("86400", 7200, False),
        ("soon", 4, True),  # invalid: 5 s
    ],
)
async def test_max_age(max_age: str | None, elapsed: float, cached: bool) -> None:
    preflight = dict(ALLOW_PUT)
    if max_age is not None:
        preflight["Access-Control-Max-Age"] = max_age
    script = Script(preflight=preflight, response={"Access-Control-Allow-Origin": ORIGIN})
    clock = FakeClock()
    browser = make_browser(script, clock)
    assert (await browser.fetch("/r", method="PUT")).preflighted
    clock.now += elapsed
    second = await browser.fetch("/r", method="PUT")
    assert second.ok
    assert second.preflight_from_cache is cached
    assert second.preflighted is not cached
    assert script.preflights == (1 if cached else 2)


async def test_cache_is_per_url_and_origin() -> None:
    script = Script(
        preflight={**ALLOW_PUT, "Access-Control-Max-Age": "600"},
        response={"Access-Control-Allow-Origin": ORIGIN},
    )
    app = scripted_app(script)
    browser = Browser(app, ORIGIN, clock=FakeClock())
    await browser.fetch("/a", method="PUT")
    await browser.fetch("/a?x=1", method="PUT")
    await browser.fetch("/b", method="PUT")
    assert script.preflights == 3
    await browser.fetch("/a", method="PUT")
    assert script.preflights == 3
    other = Browser(app, "https://other.test", clock=FakeClock())
    await other.fetch("/a", method="PUT")
    assert script.preflights == 4
    browser.clear_cache()
    await browser.fetch("/a", method="PUT")
    assert script.preflights == 5


async def test_cache_covers_only_what_the_preflight_allowed() -> None:
    script = Script(
        preflight={**ALLOW_PUT, "Access-Control-Max-Age": "600"},
        response={"Access-Control-Allow-Origin": ORIGIN},
    )
    browser = make_browser(script)
    await browser.fetch("/r", method="PUT")
    assert (await browser.fetch("/r", method="PUT", headers={"X-Token": "t"})).preflight_from_cache
    result = await browser.fetch("/r", method="DELETE")
    assert result.preflighted
    assert result.blocked_by == "method_not_allowed"


async def test_forced_preflight_without_acam_caches_the_request_method() -> None:
    # F#cors-preflight-fetch: with use-CORS-preflight and no ACAM, methods becomes the
    # request's method, and that is what goes into the preflight cache.
    script = Script(
        preflight={"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Max-Age": "600"},
        response={"Access-Control-Allow-Origin": ORIGIN},
    )
    browser = make_browser(script)
    first = await browser.fetch("/r", method="PUT", body="x", use_cors_preflight=True)
    assert first.ok, first.explanation
    assert first.preflighted
    second = await browser.fetch("/r", method="PUT", body="x", use_cors_preflight=True)
    assert second.ok, second.explanation
    assert second.preflight_from_cache
    assert script.preflights == 1
    # The entry holds PUT only: another non-safelisted method still needs its own preflight.
    third = await browser.fetch("/r", method="DELETE")
    assert third.preflighted
    assert third.blocked_by == "method_not_allowed"


async def test_uncredentialed_entry_does_not_serve_credentialed_requests() -> None:
    script = Script(
        preflight={
            **ALLOW_PUT,
            "Access-Control-Max-Age": "600",
            "Access-Control-Allow-Credentials": "true",
        },
        response={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Credentials": "true",
        },
    )
    browser = make_browser(script)
    await browser.fetch("/r", method="PUT")
    result = await browser.fetch("/r", method="PUT", credentials="include")
    assert result.ok
    assert result.preflighted
    # ...but a credentialed entry serves an uncredentialed request.
    assert (await browser.fetch("/r", method="PUT")).preflight_from_cache


async def test_wildcard_entry_does_not_serve_credentialed_requests() -> None:
    script = Script(
        preflight={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Methods": "*",
            "Access-Control-Max-Age": "600",
            "Access-Control-Allow-Credentials": "true",
        },
        response={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Credentials": "true",
        },
    )
    browser = make_browser(script)
    assert (await browser.fetch("/r", method="PUT")).ok
    result = await browser.fetch("/r", method="PUT", credentials="include")
    assert result.blocked_by == "method_not_allowed"


async def test_failed_cors_check_keeps_the_cache_entry() -> None:
    # Fetch clears the URL's entries when the actual response fails the CORS check; Chromium
    # 156 keeps them (tests/browser/test_preflight.py), and so does the simulator.
    script = Script(
        preflight={**ALLOW_PUT, "Access-Control-Max-Age": "600"},
        response={"Access-Control-Allow-Origin": ORIGIN},
    )
    browser = make_browser(script)
    assert (await browser.fetch("/r", method="PUT")).preflighted
    del script.response["Access-Control-Allow-Origin"]
    failed = await browser.fetch("/r", method="PUT")
    assert failed.blocked_by == "missing_allow_origin"
    assert failed.preflight_from_cache
    assert (ORIGIN, "http://localhost/r") in browser.preflight_cache
    script.response["Access-Control-Allow-Origin"] = ORIGIN
    third = await browser.fetch("/r", method="PUT")
    assert third.ok
    assert third.preflight_from_cache
    assert script.preflights == 1


# --------------------------------------------------------------------------------------------
# Cookies, same-origin requests and redirects


async def test_cookies_follow_the_credentials_mode() -> None:
    script = Script(
        response={
            "Access-Control-Allow-Origin": ORIGIN,
            "Access-Control-Allow-Credentials": "true",
            "Set-Cookie": "session=abc; Path=/; HttpOnly",
        }
    )
    browser = make_browser(script)
    await browser.fetch("/r")
    assert browser.cookies == {}  # not credentialed: the cookie is ignored
    result = await browser.fetch("/r", credentials="include")
    assert result.ok
    assert "set-cookie" not in result.readable_headers
    assert browser.cookies == {"session": "abc"}
    result = await browser.fetch("/r", credentials="include")
    assert result.request.get("Cookie") == "session=abc"
    result = await browser.fetch("/r")
    assert result.request.get("Cookie") is None


async def test_same_origin_requests_skip_cors() -> None:
    script = Script(response={"X-Private": "1"})
    browser = Browser(scripted_app(script), "http://localhost")
    result = await browser.fetch("/r", method="DELETE", headers={"X-Token": "t"})
    assert result.ok
    assert not result.preflighted
    assert result.readable_headers["x-private"] == "1"
    assert (await browser.fetch("/r")).request.get("Origin") is None


async def test_redirect_must_pass_the_cors_check() -> None:
    script = Script(status=302, response={"Location": "/elsewhere"})
    result = await make_browser(script).fetch("/r")
    assert result.blocked_by == "missing_allow_origin"
    assert "redirect (302 to /elsewhere)" in result.explanation


async def test_redirects_are_followed_and_post_becomes_get() -> None:
    app = Quart(__name__)
    seen: list[str] = []

    @app.route("/old", methods=["POST"])
    async def old() -> Response:
        seen.append(request.method)
        return Response("", 302, {"Location": "/new", "Access-Control-Allow-Origin": ORIGIN})

    @app.route("/new")
    async def new() -> Response:
        seen.append(request.method)
        return Response("new", 200, {"Access-Control-Allow-Origin": ORIGIN})

    result = await Browser(app, ORIGIN).fetch("/old", method="POST", body="x")
    assert result.ok
    assert result.url == "http://localhost/new"
    assert [response.status for response in result.redirects] == [302]
    assert seen == ["POST", "GET"]


# --------------------------------------------------------------------------------------------
# Against quart-cors itself


def quart_cors_app() -> Quart:
    app = Quart(__name__)
    cors(
        app,
        allow_origin=[ORIGIN],
        allow_credentials=True,
        allow_headers=["x-token"],
        allow_methods=["GET", "POST", "PUT"],
        expose_headers=["x-total"],
        max_age=600,
    )

    @app.route("/items/<int:item>", methods=["GET", "PUT"])
    async def items(item: int) -> tuple[dict[str, int], int, dict[str, str]]:
        return {"id": item}, 200, {"X-Total": "1", "X-Hidden": "1"}

    @app.route("/open")
    @route_cors(allow_origin="*", allow_credentials=False)
    async def open_route() -> str:
        return "open"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hello")

    @app.websocket("/ws-any")
    @websocket_cors(allow_origin="*")
    async def ws_any() -> None:
        await websocket.accept()

    return app


async def test_against_quart_cors_allowed() -> None:
    browser = Browser(quart_cors_app(), ORIGIN)
    result = await browser.fetch(
        "/items/1", method="PUT", headers={"X-Token": "t"}, credentials="include"
    )
    assert result.ok, result.explanation
    assert result.preflighted
    assert result.readable_headers.keys() >= {"x-total", "content-type"}
    assert "x-hidden" not in result.readable_headers
    again = await browser.fetch(
        "/items/1", method="PUT", headers={"X-Token": "t"}, credentials="include"
    )
    assert again.preflight_from_cache


@pytest.mark.parametrize(
    ("origin", "call", "code"),
    [
        ("https://evil.test", {}, "missing_allow_origin"),
        (ORIGIN, {"method": "DELETE"}, "method_not_allowed"),
        (ORIGIN, {"method": "PUT", "headers": {"X-Other": "1"}}, "header_not_allowed"),
        (ORIGIN, {"method": "PUT", "headers": {"Authorization": "Bearer t"}}, "header_not_allowed"),
    ],
)
async def test_against_quart_cors_blocked(origin: str, call: dict[str, object], code: str) -> None:
    result = await Browser(quart_cors_app(), origin).fetch("/items/1", **call)  # type: ignore[arg-type]
    assert result.blocked_by == code


async def test_against_quart_cors_websockets() -> None:
    app = quart_cors_app()
    accepted = await Browser(app, ORIGIN).websocket("/ws")
    assert accepted.accepted
    assert accepted.blocked_by is None
    assert accepted.request.get("Origin") == ORIGIN
    refused = await Browser(app, "https://evil.test").websocket("/ws")
    assert not refused.accepted
    assert refused.status == 400
    assert refused.blocked_by == "websocket_refused"
    assert "add 'https://evil.test' to allow_origin" in refused.explanation
    assert (await Browser(app, "https://evil.test").websocket("/ws-any")).accepted


# --------------------------------------------------------------------------------------------
# Local Network Access (Chromium 156; tests/browser/test_local_network.py shows it for real)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8000/x", "loopback"),
        ("http://a.localhost/", "loopback"),
        ("http://LOCALHOST./", "loopback"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.8.9.10/", "loopback"),
        ("http://[::1]:5000/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.1.2.3/", "local"),
        ("http://192.168.0.1/", "local"),
        ("http://172.16.5.4/", "local"),
        ("http://169.254.1.1/", "local"),
        ("http://[fd00::1]/", "local"),
        ("http://8.8.8.8/", "public"),
        ("https://api.example.com/", "public"),
        ("http://evil-localhost/", "public"),  # names are not resolved
    ],
)
def test_address_space(url: str, expected: str) -> None:
    assert address_space(url) == expected


async def test_public_page_cannot_reach_loopback_without_permission() -> None:
    script = Script(response={"Access-Control-Allow-Origin": ORIGIN})
    browser = Browser(scripted_app(script), ORIGIN, page_address_space="public")
    result = await browser.fetch("/r")
    assert not result.ok
    assert result.blocked_by == "local_network_access_denied"
    assert "local-network-access permission" in result.explanation
    assert script.received == []  # refused before anything was sent, preflight included
    assert not result.preflighted
    preflighted = await browser.fetch("/r", method="PUT")
    assert preflighted.blocked_by == "local_network_access_denied"
    assert script.received == []


@pytest.mark.parametrize(
    ("space", "permission"), [("public", True), ("loopback", False), (None, False)]
)
async def test_local_network_access_when_allowed(space: str | None, permission: bool) -> None:
    # With the permission, or from a page that is no less private, ordinary CORS decides.
    script = Script(response={"Access-Control-Allow-Origin": ORIGIN})
    browser = Browser(
        scripted_app(script),
        ORIGIN,
        page_address_space=space,  # type: ignore[arg-type]
        local_network_access=permission,
    )
    assert (await browser.fetch("/r")).ok
    refused = Browser(
        scripted_app(Script()),
        ORIGIN,
        page_address_space=space,  # type: ignore[arg-type]
        local_network_access=permission,
    )
    assert (await refused.fetch("/r")).blocked_by == "missing_allow_origin"


async def test_local_network_access_spares_same_origin_requests() -> None:
    browser = Browser(scripted_app(Script()), "http://localhost", page_address_space="public")
    assert (await browser.fetch("/r")).ok


async def test_local_network_access_checks_every_redirect() -> None:
    app = Quart(__name__)

    @app.get("/public")
    async def public() -> Response:
        headers = {"Location": "http://127.0.0.1/private", "Access-Control-Allow-Origin": ORIGIN}
        return Response("", 302, headers)

    browser = Browser(app, ORIGIN, base_url="https://api.example.com", page_address_space="public")
    result = await browser.fetch("/public")
    assert result.blocked_by == "local_network_access_denied"
    assert [response.status for response in result.redirects] == [302]


async def test_local_network_access_gates_websockets() -> None:
    app = quart_cors_app()
    denied = await Browser(app, ORIGIN, page_address_space="public").websocket("/ws")
    assert not denied.accepted
    assert denied.status == 0  # no handshake was sent
    assert denied.blocked_by == "local_network_access_denied"
    allowed = Browser(app, ORIGIN, page_address_space="public", local_network_access=True)
    assert (await allowed.websocket("/ws")).accepted


def test_page_address_space_is_checked() -> None:
    with pytest.raises(ValueError, match="page_address_space"):
        Browser(Quart(__name__), ORIGIN, page_address_space="private")  # type: ignore[arg-type]


GENERIC_ORIGIN_ADVICE = "use scheme://host[:port], or 'null' for an opaque origin"


@pytest.mark.parametrize(
    ("origin", "use"),
    [
        ("https://app.test/", "use 'https://app.test'"),
        ("https://app.test/page?q=1", "use 'https://app.test'"),
        ("HTTPS://App.Test", "use 'https://app.test'"),
        ("https://b\u00fccher.example", "use 'https://xn--bcher-kva.example'"),
        ("https://[0:0:0:0:0:0:0:1]:8000", "use 'https://[::1]:8000'"),
        ("https://[::1]:443", "use 'https://[::1]'"),
        ("http://[::ffff:1.2.3.4]", "use 'http://[::ffff:102:304]'"),
        ("https://app.test:443", "use 'https://app.test'"),
        ("http://localhost:80", "use 'http://localhost'"),
        ("http://127.1", "use 'http://127.0.0.1'"),  # the URL Standard's IPv4 parser
        ("http://0x7f.1:8000", "use 'http://127.0.0.1:8000'"),
        ("http://1.2.3.256", GENERIC_ORIGIN_ADVICE),  # no address at all: no guess
        ("NULL", "use 'null'"),
        ("file:///home/me/page.html", "use 'null'"),
        ("app.test", GENERIC_ORIGIN_ADVICE),
        ("", GENERIC_ORIGIN_ADVICE),
    ],
)
def test_browser_refuses_origins_browsers_never_send(origin: str, use: str) -> None:
    with pytest.raises(ValueError, match="is not a serialized origin") as error:
        Browser(Quart(__name__), origin)
    message = str(error.value)
    assert repr(origin) in message
    assert message.endswith(use)


@pytest.mark.parametrize(
    "origin",
    [
        ORIGIN,
        "null",
        "http://localhost:5173",
        "http://127.0.0.1:8000",
        "https://[::1]",
        "https://[2001:db8::1]:8443",
        "http://[::ffff:102:304]",
        "https://xn--bcher-kva.example",
        "chrome-extension://abcdefghijklmnop",
    ],
)
def test_browser_accepts_serialized_origins(origin: str) -> None:
    assert Browser(Quart(__name__), origin).origin == origin


async def test_websocket_takes_ws_urls() -> None:
    app = quart_cors_app()
    result = await Browser(app, ORIGIN).websocket("ws://localhost/ws")
    assert result.accepted
    assert result.request.url == "ws://localhost/ws"
    with pytest.raises(ValueError, match="scheme ws or wss or http or https"):
        await Browser(app, ORIGIN).websocket("ftp://localhost/ws")


def test_httpx_transport_makes_its_tls_context_once() -> None:
    transport = HTTPXTransport()
    assert transport.ssl_context() is transport.ssl_context()
    insecure = HTTPXTransport(verify=False).ssl_context()
    assert not insecure.check_hostname


def test_request_helpers() -> None:
    request_ = HTTPRequest("GET", "http://x/", (("A", "1"), ("a", "2")))
    assert request_.get("a") == "1, 2"
    assert request_.get("b") is None
