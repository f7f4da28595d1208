"""Origin kinds, config validation, request-origin grammar, matching.

The contract: docs/behaviour.md, section 2 (Origins).
"""

from __future__ import annotations

import ast
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from quart import Quart
from werkzeug.datastructures import Headers

from conftest import ORIGIN, make_app
from quart_cors import CORSConfigError, cors, errors, route_cors
from quart_cors.origins import compile_origins, serialize_ipv6, split_origin

ECHO = "echo"

# (allow_origin, request Origin, expected Access-Control-Allow-Origin: ECHO, a value, or None)
MATCHING: list[tuple[Any, str, str | None]] = [
    # exact
    ("https://app.example.com", "https://app.example.com", ECHO),
    (["https://app.example.com"], "https://app.example.com", ECHO),
    ("https://app.example.com", "http://app.example.com", None),
    ("https://app.example.com", "https://app.example.com:8443", None),
    ("https://app.example.com", "https://other.example.com", None),
    ("https://app.example.com", "https://app.example.co", None),
    ("https://app.example.com", "https://app.example.com.evil.net", None),
    ("https://app.example.com:8443", "https://app.example.com:8443", ECHO),
    ("https://app.example.com:8443", "https://app.example.com", None),
    # normalization of the configured value: case and default port
    ("HTTPS://APP.Example.COM", "https://app.example.com", ECHO),
    ("https://app.example.com:443", "https://app.example.com", ECHO),
    ("http://app.example.com:80", "http://app.example.com", ECHO),
    ("http://app.example.com:443", "http://app.example.com:443", ECHO),
    ("http://app.example.com:443", "http://app.example.com", None),
    # the request is compared exactly: browsers send lowercase, no default port
    ("https://app.example.com", "https://APP.example.com", None),
    ("https://app.example.com", "https://app.example.com/", None),
    # wildcard host label
    ("https://*.example.com", "https://a.example.com", ECHO),
    ("https://*.example.com", "https://a.b.example.com", ECHO),
    ("https://*.example.com", "https://example.com", None),
    ("https://*.example.com", "https://evil-example.com", None),
    ("https://*.example.com", "https://aexample.com", None),
    ("https://*.example.com", "https://.example.com", None),
    ("https://*.example.com", "http://a.example.com", None),
    ("https://*.example.com", "https://a.example.com.evil.net", None),
    ("https://*.example.com", "https://a.example.org", None),
    ("https://*.Example.COM", "https://a.example.com", ECHO),
    # any port
    ("http://localhost:*", "http://localhost:3000", ECHO),
    ("http://localhost:*", "http://localhost:65535", ECHO),
    ("http://localhost:*", "http://localhost", ECHO),
    ("http://localhost:*", "https://localhost:3000", None),
    ("http://localhost:*", "http://localhost.evil.net:3000", None),
    ("http://localhost:*", "http://127.0.0.1:3000", None),
    ("http://localhost:*", "http://evil-localhost:3000", None),
    # regexes match whole origins (0.8.0 used .match)
    (re.compile(r"https://[a-z]+\.quart\.com"), "https://a.quart.com", ECHO),
    (re.compile(r"https://[a-z]+\.quart\.com"), "https://a.quart.com.evil.net", None),
    (re.compile(r"https://[a-z]+\.quart\.com"), "https://evil.net?https://a.quart.com", None),
    (re.compile(r"https://.*\.quart\.com"), "https://x.y.quart.com", ECHO),
    ([re.compile(r"https://a\.com"), "https://b.com"], "https://b.com", ECHO),
    ([re.compile(r"https://a\.com"), "https://b.com"], "https://a.com", ECHO),
    ([re.compile(r"https://a\.com"), "https://b.com"], "https://c.com", None),
    # the literal null origin, only when listed, case-sensitive
    (["null"], "null", "null"),
    (["null"], "NULL", None),
    (["https://app.example.com"], "null", None),
    # any origin
    ("*", "https://anything.example", "*"),
    (["*"], "http://localhost:1234", "*"),
    # IPv6, IPv4, punycode, app schemes
    ("http://[::1]:8080", "http://[::1]:8080", ECHO),
    # an IPv4-mapped address: browsers write hex pieces; Python 3.13 would write 1.2.3.4
    ("http://[::ffff:1.2.3.4]", "http://[::ffff:102:304]", ECHO),
    ("http://[::ffff:102:304]", "http://[::ffff:102:304]", ECHO),
    ("http://[::ffff:1.2.3.4]", "http://[::ffff:1.2.3.4]", None),
    ("http://127.0.0.1:5000", "http://127.0.0.1:5000", ECHO),
    ("https://xn--bcher-kva.example", "https://xn--bcher-kva.example", ECHO),
    ("chrome-extension://abcdefghij", "chrome-extension://abcdefghij", ECHO),
    ("moz-extension://abc", "moz-extension://abc", ECHO),
    ("tauri://localhost", "tauri://localhost", ECHO),
    ("capacitor://localhost", "capacitor://localhost", ECHO),
    # several kinds together
    (["https://a.com", "https://*.b.com", "http://c.com:*"], "https://x.b.com", ECHO),
    (["https://a.com", "https://*.b.com", "http://c.com:*"], "http://c.com:81", ECHO),
    (["https://a.com", "https://*.b.com", "http://c.com:*"], "https://a.com", ECHO),
    (["https://a.com", "https://*.b.com", "http://c.com:*"], "https://b.com", None),
    ([], "https://a.com", None),
]


@pytest.mark.parametrize(("allow_origin", "origin", "expected"), MATCHING)
async def test_origin_matching(allow_origin: Any, origin: str, expected: str | None) -> None:
    app, _ = make_app(allow_origin=allow_origin)
    response = await app.test_client().get("/", headers={"Origin": origin})
    assert response.status_code == 200
    want = origin if expected == ECHO else expected
    assert response.headers.get("Access-Control-Allow-Origin") == want


@pytest.mark.parametrize(("allow_origin", "origin", "expected"), MATCHING)
async def test_origin_matching_preflight(
    allow_origin: Any, origin: str, expected: str | None
) -> None:
    app, spy = make_app(allow_origin=allow_origin)
    response = await app.test_client().options(
        "/", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}
    )
    assert response.status_code == 200
    want = origin if expected == ECHO else expected
    assert response.headers.get("Access-Control-Allow-Origin") == want
    assert spy.calls == []


@pytest.mark.parametrize(("allow_origin", "origin", "expected"), MATCHING)
async def test_origin_matching_route_cors(
    allow_origin: Any, origin: str, expected: str | None
) -> None:
    app = Quart(__name__)

    @app.route("/r")
    @route_cors(allow_origin=allow_origin)
    async def view() -> str:
        return "r"

    response = await app.test_client().get("/r", headers={"Origin": origin})
    want = origin if expected == ECHO else expected
    assert response.headers.get("Access-Control-Allow-Origin") == want


# Request origins that pass the serialized-origin grammar are echoed when allowed by a callable.
VALID_REQUEST_ORIGINS = [
    "https://a.com",
    "http://localhost:8080",
    "http://127.0.0.1:5000",
    "http://[::1]:8080",
    "https://xn--bcher-kva.example",
    "https://a-b.c-d.example",
    "chrome-extension://abcdefghijklmnop",
]

# ... and those that fail it are never echoed, never passed to a callable.
INVALID_REQUEST_ORIGINS = [
    "",
    " ",
    "*",
    "a.com",
    "//a.com",
    "https://",
    "https:/a.com",
    "https://a.com/",
    "https://a.com/path",
    "https://a.com?x=1",
    "https://a.com#x",
    "https://user@a.com",
    "https://user:pw@a.com",
    "https://A.com",
    "HTTPS://a.com",
    "https://a.com:port",
    "https://a.com:",
    " https://a.com",
    "https://a.com ",
    "https://a.com\t",
    "https://a .com",
    "https://b\u00fc.com",
    "https://a.com, https://b.com",
    "https://a.com,https://b.com",
    "https://" + "a" * 2050 + ".com",
    "https://a.com\x00",
    "https://a.com\x7f",
    "'https://a.com'",
    '"https://a.com"',
]


def _accept_all_app(seen: list[str]) -> Quart:
    def allowed(origin: str) -> bool:
        seen.append(origin)
        return True

    app, _ = make_app(allow_origin=allowed)
    return app


@pytest.mark.parametrize("origin", VALID_REQUEST_ORIGINS)
async def test_valid_request_origin_is_echoed(origin: str) -> None:
    seen: list[str] = []
    app = _accept_all_app(seen)
    response = await app.test_client().get("/", headers={"Origin": origin})
    assert response.headers.get("Access-Control-Allow-Origin") == origin
    assert seen == [origin]


@pytest.mark.parametrize("origin", INVALID_REQUEST_ORIGINS)
async def test_invalid_request_origin_is_never_echoed(origin: str) -> None:
    seen: list[str] = []
    app = _accept_all_app(seen)
    response = await app.test_client().get("/", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert response.headers.getlist("Vary") == ["Origin"]
    assert seen == []


@pytest.mark.parametrize("origin", INVALID_REQUEST_ORIGINS)
async def test_invalid_request_origin_is_refused_by_star(origin: str) -> None:
    app, _ = make_app(allow_origin="*", send_origin_wildcard=False)
    response = await app.test_client().get("/", headers={"Origin": origin})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_several_origin_headers_are_refused() -> None:
    app, _ = make_app(allow_origin=[ORIGIN])
    client = app.test_client()
    headers = Headers()
    headers.add("Origin", ORIGIN)
    headers.add("Origin", ORIGIN)
    response = await client.get("/", headers=headers)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers.getlist("Vary") == ["Origin"]


async def test_star_does_not_match_null() -> None:
    app, _ = make_app(allow_origin="*", send_origin_wildcard=False)
    response = await app.test_client().get("/", headers={"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in response.headers


async def test_null_listed_is_echoed_literally() -> None:
    app, _ = make_app(allow_origin=["https://a.com", "null"])
    response = await app.test_client().get("/", headers={"Origin": "null"})
    assert response.headers.get("Access-Control-Allow-Origin") == "null"
    assert response.headers.getlist("Vary") == ["Origin"]


async def test_sync_callable_decides() -> None:
    app, _ = make_app(allow_origin=lambda origin: origin.endswith(".trusted.org"))
    client = app.test_client()
    good = await client.get("/", headers={"Origin": "https://x.trusted.org"})
    bad = await client.get("/", headers={"Origin": "https://x.untrusted.net"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://x.trusted.org"
    assert "Access-Control-Allow-Origin" not in bad.headers


async def test_async_callable_decides() -> None:
    seen: list[str] = []

    async def allowed(origin: str) -> bool:
        seen.append(origin)
        return origin == "https://async.example"

    app, _ = make_app(allow_origin=[allowed])
    client = app.test_client()
    good = await client.get("/", headers={"Origin": "https://async.example"})
    bad = await client.get("/", headers={"Origin": "https://other.example"})
    assert good.headers.get("Access-Control-Allow-Origin") == "https://async.example"
    assert "Access-Control-Allow-Origin" not in bad.headers
    assert seen == ["https://async.example", "https://other.example"]


async def test_async_callable_decides_preflight() -> None:
    async def allowed(origin: str) -> bool:
        return origin == "https://async.example"

    app, spy = make_app(allow_origin=allowed)
    response = await app.test_client().options(
        "/", headers={"Origin": "https://async.example", "Access-Control-Request-Method": "PUT"}
    )
    assert response.headers.get("Access-Control-Allow-Origin") == "https://async.example"
    assert spy.calls == []


@pytest.mark.parametrize(
    ("origin", "called_with"),
    [
        ("https://listed.example", []),  # already matched by the exact item
        ("https://a.wild.example", []),  # already matched by the wildcard item
        ("null", []),  # not a serialized origin
        ("https://Bad.example", []),  # fails the grammar
        ("https://x.example/", []),  # fails the grammar
        ("https://asked.example", ["https://asked.example"]),
    ],
)
async def test_callable_called_only_for_wellformed_unmatched_origins(
    origin: str, called_with: list[str]
) -> None:
    seen: list[str] = []

    def allowed(value: str) -> bool:
        seen.append(value)
        return False

    app, _ = make_app(allow_origin=["https://listed.example", "https://*.wild.example", allowed])
    await app.test_client().get("/", headers={"Origin": origin})
    assert seen == called_with


async def test_callable_that_raises_refuses_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    def broken(origin: str) -> bool:
        raise RuntimeError("boom")

    app, _ = make_app(allow_origin=broken)
    with caplog.at_level(logging.DEBUG, logger="quart_cors"):
        response = await app.test_client().get("/", headers={"Origin": "https://a.com"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    errors = [r for r in caplog.records if r.name == "quart_cors" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is not None


async def test_many_exact_origins_and_patterns_still_match() -> None:
    exact = [f"https://site{index}.example" for index in range(10_000)]
    patterns = [f"https://*.zone{index}.example" for index in range(10_000)]
    app, _ = make_app(allow_origin=[*exact, *patterns])
    client = app.test_client()
    for origin, expected in [
        ("https://site0.example", True),
        ("https://site9999.example", True),
        ("https://site10000.example", False),
        ("https://a.zone0.example", True),
        ("https://a.b.zone9999.example", True),
        ("https://zone9999.example", False),
        ("https://a.zone10000.example", False),
    ]:
        response = await client.get("/", headers={"Origin": origin})
        assert response.headers.get("Access-Control-Allow-Origin") == (
            origin if expected else None
        ), origin


# (configured origin item, expected error code)
INVALID_CONFIG_ORIGINS: list[tuple[Any, str]] = [
    # IDNs: the built-in codec is IDNA 2003 ("straße" -> "strasse"), so we refuse to guess
    ("https://b\u00fccher.example", "E011"),
    ("https://stra\u00dfe.de", "E011"),
    ("https://a\u200db.com", "E011"),
    ("https://[fe80::1%eth0]", "E011"),  # origins never carry an IPv6 zone ID
    ("https://x.com:0", "E011"),  # browsers never send port 0
    ("https://*.0.0.1", "E011"),  # a wildcard over an IP address
    ("app.example.com", "E011"),
    ("https://", "E011"),
    ("https:app.example.com", "E011"),
    ("https://app.example.com:99999", "E011"),
    ("https://app.example.com:abc", "E011"),
    ("https://app.example.com/", "E012"),
    ("https://app.example.com/path", "E012"),
    ("https://app.example.com?q=1", "E012"),
    ("https://app.example.com#top", "E012"),
    ("https://user@app.example.com", "E013"),
    ("https://user:secret@app.example.com", "E013"),
    (" https://app.example.com", "E014"),
    ("https://app.example.com ", "E014"),
    ("https://app.example.com\n", "E014"),
    ("https://app.example.com\r\nX-Evil: 1", "E014"),
    ("https://app.\texample.com", "E014"),
    ("ftp://app.example.com", "E015"),
    ("gopher://app.example.com", "E015"),
    ("ws://app.example.com", "E015"),
    ("https://app.*.com", "E016"),
    ("https://example.*", "E016"),
    ("https://*example.com", "E016"),
    ("https://a*.example.com", "E016"),
    ("https://*.*.example.com", "E016"),
    # several origins joined into one string (the environment-variable form)
    ("https://a.com,https://b.com", "E017"),
    ("https://a.com, https://b.com", "E017"),
    ("https://a.com,", "E017"),
    ("https://a.com https://b.com", "E017"),
    ("https://a.com\nhttps://b.com", "E017"),
    # hosts browsers read as IPv4 (URL Standard): refused unless written as they are sent
    ("http://127.1", "E018"),
    ("http://1.2.3.04", "E018"),
    ("http://0x7f.0.0.1", "E018"),
    ("http://2130706433", "E018"),
    ("http://1.2.3.4.", "E018"),
    ("http://256.0.0.1", "E011"),
    ("http://1.2.3.4.5", "E011"),
    ("http://1.2.3.09", "E011"),
    ("http://4294967296", "E011"),
    ("http://example.123", "E011"),
    ("https://*.example.0x1", "E011"),
    (42, "E010"),
    ([42], "E010"),
    ([b"https://app.example.com"], "E010"),
    ([3.5], "E010"),
]


CALLS: dict[str, Callable[..., object]] = {
    "cors": lambda **arguments: cors(Quart(__name__), **arguments),
    "route_cors": route_cors,
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize(("item", "code"), INVALID_CONFIG_ORIGINS)
def test_invalid_configured_origin(call: str, item: Any, code: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CALLS[call](allow_origin=item)
    assert caught.value.codes == (code,)
    problem = caught.value.problems[0]
    assert problem.setting.lower().endswith("allow_origin")
    assert f"[quart_cors.{code}]" in str(caught.value)


def test_misplaced_wildcard_message_suggests_regex() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin="https://app.*.com")
    message = str(caught.value)
    assert "re.compile" in message
    assert "https://app.*.com" in message


@pytest.mark.parametrize(
    ("item", "fix"),
    [
        ("https://a.com,https://b.com", "['https://a.com', 'https://b.com']"),
        (" https://a.com , https://b.com:8443 ", "['https://a.com', 'https://b.com:8443']"),
        ("https://a.com https://b.com", "['https://a.com', 'https://b.com']"),
        (" https://a.com\n", "'https://a.com'"),
        ("app.example.com", "'https://app.example.com'"),
        ("https://app.example.com/", "'https://app.example.com'"),
        ("https://user@app.example.com", "'https://app.example.com'"),
        ("http://127.1", "'http://127.0.0.1'"),
        ("http://127.1:5000", "'http://127.0.0.1:5000'"),
        ("http://1.2.3.04", "'http://1.2.3.4'"),
        ("http://0x7f.0.0.1", "'http://127.0.0.1'"),
        ("http://0X7F.1:8080", "'http://127.0.0.1:8080'"),
        ("http://2130706433", "'http://127.0.0.1'"),
        ("https://0300.0250.1", "'https://192.168.0.1'"),
    ],
)
def test_message_names_a_usable_fix(item: str, fix: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=item)
    (problem,) = caught.value.problems
    assert problem.message.endswith(f"use {fix}") or f"use the list {fix}" in problem.message
    # The suggestion itself is accepted as it stands.
    suggested = ast.literal_eval(fix)
    app = Quart(__name__)
    assert cors(app, allow_origin=suggested) is app


@given(
    address=st.integers(min_value=0, max_value=2**32 - 1),
    split=st.integers(min_value=1, max_value=4),
    radix=st.sampled_from(["dec", "oct", "hex"]),
)
def test_every_ipv4_spelling_suggests_the_dotted_form(address: int, split: int, radix: str) -> None:
    # URL Standard IPv4 parser: 1 to 4 parts, the last one filling the remaining bytes.
    octets = list(ipaddress.IPv4Address(address).packed)
    parts = [*octets[: split - 1], int.from_bytes(bytes(octets[split - 1 :]), "big")]
    spellings: dict[str, Callable[[int], str]] = {
        "dec": str,
        "oct": lambda number: f"0{number:o}",
        "hex": lambda number: f"0x{number:x}",
    }
    spell = spellings[radix]
    host = ".".join(spell(part) for part in parts)
    canonical = str(ipaddress.IPv4Address(address))
    matcher, problems = compile_origins(f"http://{host}")
    if host == canonical:
        assert problems == []
        assert matcher.exact == frozenset({f"http://{canonical}"})
    else:
        assert [problem.code for problem in problems] == ["E018"]
        assert problems[0].message.endswith(f"use 'http://{canonical}'")


_CODES = {value for name, value in vars(errors).items() if name.isupper()}


@given(
    st.one_of(
        st.text(),
        st.text(alphabet=" \t\n,.:/*[]0123456789abcdefx-hpst").map(lambda text: "http://" + text),
        st.lists(st.text(), max_size=3),
    )
)
def test_any_configured_value_gets_a_problem_or_a_matcher_and_fixes_that_work(
    value: object,
) -> None:
    # Never an exception: every bad value is a ConfigProblem with a known code, and a fix that
    # names a single origin ("use '...'") is itself accepted.
    _, problems = compile_origins(value)
    for problem in problems:
        assert problem.code in _CODES
        suggested = re.search(r"use ('[^']*')$", problem.message)
        if suggested is not None:
            assert compile_origins(ast.literal_eval(suggested.group(1)))[1] == []


def test_path_message_names_the_value() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin="https://app.example.com/path")
    assert "https://app.example.com/path" in str(caught.value)
    assert caught.value.problems[0].value == "https://app.example.com/path"


def test_every_bad_origin_reported_together() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(
            Quart(__name__),
            allow_origin=["https://ok.example", "https://a.com/", "ftp://b.com", "https://*x.com"],
        )
    assert sorted(caught.value.codes) == ["E012", "E015", "E016"]


@pytest.mark.parametrize(
    "item",
    [
        "*",
        "null",
        "https://a.com",
        "http://localhost:*",
        "https://*.example.com",
        "HTTPS://A.COM",
        "https://a.com:443",
        "http://[::1]:8080",
        "http://127.0.0.1:*",
        "http://10.0.0.1:8080",
        "https://192.168.0.1",
        "safari-web-extension://abc",
        "ionic://localhost",
        re.compile("https://.*"),
    ],
)
def test_valid_configured_origin_is_accepted(item: Any) -> None:
    app = Quart(__name__)
    assert cors(app, allow_origin=item) is app


# --- the pure layer: quart_cors.origins --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://a.com", ("https", "a.com", None)),
        ("http://localhost:8080", ("http", "localhost", "8080")),
        ("http://[::1]:3000", ("http", "[::1]", "3000")),
        ("chrome-extension://abc", ("chrome-extension", "abc", None)),
        ("https://a.com:65535", ("https", "a.com", "65535")),
        ("https://a.com:65536", None),
        ("https://a.com:0", None),
        ("https://a.com:080", None),
        *((value, None) for value in INVALID_REQUEST_ORIGINS),
        ("null", None),
    ],
)
def test_split_origin(value: str, expected: tuple[str, str, str | None] | None) -> None:
    assert split_origin(value) == expected


@pytest.mark.parametrize(
    ("configured", "normalized"),
    [
        ("HTTPS://APP.Example.COM", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("https://app.example.com:0443", "https://app.example.com"),
        ("https://app.example.com:8443", "https://app.example.com:8443"),
        ("http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080"),
        ("http://[::FFFF:1.2.3.4]", "http://[::ffff:102:304]"),
    ],
)
def test_configured_origin_normalized(configured: str, normalized: str) -> None:
    matcher, problems = compile_origins([configured])
    assert problems == []
    assert matcher.exact == frozenset({normalized})
    assert matcher.match(normalized) is True


@pytest.mark.parametrize(("item", "code"), INVALID_CONFIG_ORIGINS)
def test_compile_origins_problem_codes(item: Any, code: str) -> None:
    _, problems = compile_origins(item)
    assert [problem.code for problem in problems] == [code]


def test_compile_origins_reports_all_problems_in_order() -> None:
    _, problems = compile_origins(["https://a.com/", "ok", 7, "https://a.com"])
    assert [problem.code for problem in problems] == ["E012", "E011", "E010"]


@pytest.mark.parametrize(
    ("items", "origin", "expected"),
    [
        (["https://*.example.com:8443"], "https://a.example.com:8443", True),
        (["https://*.example.com:8443"], "https://a.example.com", False),
        (["https://*.example.com"], "https://a.example.com:8443", False),
        (["https://*.example.com:*"], "https://a.example.com:8443", True),
        (["https://*.example.com:*"], "https://a.example.com", True),
        (["https://*.example.com:*"], "https://example.com:8443", False),
        (["http://localhost:*"], "http://localhost:1", True),
        (["*"], "null", False),
        (["null"], "null", True),
        ([lambda origin: True], "https://a.com", None),
        ([lambda origin: True], "null", False),
        ([lambda origin: True], "https://A.com", False),
        (["https://a.com", lambda origin: True], "https://a.com", True),
    ],
)
def test_matcher(items: list[Any], origin: str, expected: bool | None) -> None:
    matcher, problems = compile_origins(items)
    assert problems == []
    assert matcher.match(origin) is expected


async def test_match_predicates_sync_async_and_raising() -> None:
    calls: list[str] = []

    def refuses(origin: str) -> bool:
        calls.append("refuses")
        return False

    def raises(origin: str) -> bool:
        calls.append("raises")
        raise ValueError(origin)

    async def accepts(origin: str) -> bool:
        calls.append("accepts")
        return origin == "https://yes.example"

    def truthy_not_true(origin: str) -> Any:
        calls.append("truthy")
        return "yes"

    matcher, _ = compile_origins([refuses, raises, truthy_not_true, accepts])
    assert await matcher.match_predicates("https://yes.example") is True
    assert calls == ["refuses", "raises", "truthy", "accepts"]
    assert await matcher.match_predicates("https://no.example") is False


def test_credentials_broad_patterns_recorded() -> None:
    matcher, _ = compile_origins(
        [
            "https://*.com",
            "https://*.example.com",
            "https://*.co.uk:8443",
            "https://*.github.io",
            "http://*.localhost:3000",
        ]
    )
    assert matcher.broad_patterns == (
        "https://*.com",
        "https://*.co.uk:8443",
        "https://*.github.io",
    )


@pytest.mark.parametrize(
    ("kind", "probe_hit", "probe_miss"),
    [
        ("exact", "https://site9999.example", "https://nosuch.example"),
        ("wildcard", "https://a.zone9999.example", "https://a.nosuch.example"),
    ],
)
def test_many_origins_are_table_lookups(kind: str, probe_hit: str, probe_miss: str) -> None:
    # The cost itself is measured by benchmarks/run.py, never timed in a test; here we pin that
    # 10,000 items land in the lookup tables, not in a list that is scanned.
    def items(count: int) -> list[str]:
        if kind == "exact":
            return [f"https://site{index}.example" for index in range(10_000 - count, 10_000)]
        return [f"https://*.zone{index}.example" for index in range(10_000 - count, 10_000)]

    many, _ = compile_origins(items(10_000))
    assert many.match(probe_hit) is True
    assert many.match(probe_miss) is False
    assert len(many.exact) + len(many.wildcards) == 10_000
    assert many.regexes == ()
    assert many.predicates == ()


@pytest.mark.parametrize(
    ("address", "serialized"),
    [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),  # a single zero piece stays
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),  # the longest run
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),  # the first of two equal runs
        ("2001:DB8::A", "2001:db8::a"),
        ("::ffff:1.2.3.4", "::ffff:102:304"),  # Python 3.13's compressed: ::ffff:1.2.3.4
        ("::1.2.3.4", "::102:304"),
    ],
)
def test_serialize_ipv6_as_browsers_do(address: str, serialized: str) -> None:
    assert serialize_ipv6(ipaddress.IPv6Address(address)) == serialized


@given(st.ip_addresses(v=6))
def test_serialize_ipv6_round_trips_in_hex(address: ipaddress.IPv6Address) -> None:
    serialized = serialize_ipv6(address)
    assert ipaddress.IPv6Address(serialized) == address
    assert "." not in serialized
    assert serialized == serialized.lower()
    if "." not in address.compressed:  # Python writes the rest as the URL Standard does
        assert serialized == address.compressed
