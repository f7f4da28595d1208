r"""Regex origins and wildcard patterns, by proof: E003 (public suffixes), E004 (credentialed
regexes), E019 (regexes with no linear-time reading), and matching in linear time.

The contract: docs/behaviour.md, sections 2 (Origins) and 4 (Configuration errors).
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

import publicsuffixlist
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from quart import Quart

from conftest import make_app
from quart_cors import CORSConfigError, cors
from quart_cors.origins import any_origin_regex_warning, compile_origins, split_origin
from quart_cors.regex_proofs import prove
from quart_cors.regexes import linear, read

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
PROPERTY_SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("QUART_CORS_PROPERTY_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
PSL = publicsuffixlist.PublicSuffixList()


def _codes(**arguments: Any) -> tuple[str, ...]:
    try:
        cors(Quart(__name__), **arguments)
    except CORSConfigError as error:
        return error.codes
    return ()


async def _allowed(app: Quart, origin: str) -> bool:
    response = await app.test_client().get("/", headers={"Origin": origin})
    return response.headers.get(ACAO) == origin


# --- E003 and E004 over the Public Suffix List ---------------------------------------------


def _public_suffix_rules() -> dict[str, list[str]]:
    """Plain ASCII rules of the bundled list, by section, every 60th one (about 100 each)."""
    text = Path(publicsuffixlist.PSLFILE).read_text(encoding="utf-8")
    icann, _, private = text.partition("// ===END ICANN DOMAINS===")
    sections = {}
    for name, section in (("icann", icann), ("private", private)):
        rules = [
            line.strip()
            for line in section.splitlines()
            if line.strip() and not line.startswith("//") and line.strip().isascii()
        ]
        plain = [rule for rule in rules if not rule.startswith(("!", "*"))]
        sections[name] = plain[::60]
    return sections


_RULES = _public_suffix_rules()
# The public suffixes people write without knowing they are public (ICANN and private).
_KNOWN = [
    ("icann", "com"),
    ("icann", "co.uk"),
    ("icann", "com.au"),
    ("icann", "xyz"),
    ("private", "github.io"),
    ("private", "pages.dev"),
    ("private", "herokuapp.com"),
    ("private", "blogspot.com"),
    ("private", "vercel.app"),
]
PUBLIC_SUFFIXES = _KNOWN + [(section, rule) for section in _RULES for rule in _RULES[section]]


def test_the_table_covers_both_sections_of_the_list() -> None:
    assert len(_RULES["icann"]) > 50
    assert len(_RULES["private"]) > 50
    assert all(PSL.is_public(rule) for _, rule in PUBLIC_SUFFIXES)


@pytest.mark.parametrize(("section", "suffix"), PUBLIC_SUFFIXES)
def test_wildcard_under_a_public_suffix_with_credentials_is_e003(section: str, suffix: str) -> None:
    assert _codes(allow_origin=f"https://*.{suffix}", allow_credentials=True) == ("E003",)
    assert _codes(allow_origin=f"http://*.{suffix}:8080", allow_credentials=True) == ("E003",)
    assert _codes(allow_origin=f"https://*.{suffix}") == ()  # without credentials: allowed


@pytest.mark.parametrize(("section", "suffix"), PUBLIC_SUFFIXES)
def test_regex_under_a_public_suffix_with_credentials_is_e004(section: str, suffix: str) -> None:
    escaped = re.escape(suffix)
    for pattern in (rf"https://[a-z0-9-]+\.{escaped}", rf"https://.*\.{escaped}(:\d+)?"):
        assert _codes(allow_origin=re.compile(pattern), allow_credentials=True) == ("E004",)


@pytest.mark.parametrize(
    "suffix", ["co.uk", "com.au", "github.io", "com", "herokuapp.com", "pages.dev"]
)
def test_a_registrable_domain_under_the_same_suffix_is_accepted(suffix: str) -> None:
    domain = f"quart-cors-example.{suffix}"
    assert PSL.privatesuffix(domain) == domain
    escaped = re.escape(domain)
    assert _codes(allow_origin=f"https://*.{domain}", allow_credentials=True) == ()
    assert (
        _codes(allow_origin=re.compile(rf"https://[a-z0-9-]+\.{escaped}"), allow_credentials=True)
        == ()
    )


@pytest.mark.parametrize("suffix", ["foo.ck", "x.kawasaki.jp"])
def test_names_a_wildcard_rule_of_the_list_makes_public_are_refused(suffix: str) -> None:
    # "*.ck" in the list: every name directly under ck is itself a public suffix.
    assert PSL.is_public(suffix)
    assert _codes(allow_origin=f"https://*.{suffix}", allow_credentials=True) == ("E003",)


async def test_a_localhost_wildcard_with_credentials_serves_loopback_names() -> None:
    app, _ = make_app(allow_origin="http://*.localhost:3000", allow_credentials=True)
    response = await app.test_client().get("/", headers={"Origin": "http://app.localhost:3000"})
    assert response.headers[ACAO] == "http://app.localhost:3000"
    assert response.headers[ACAC] == "true"
    assert not await _allowed(app, "http://app.localhost.evil.com:3000")


# --- E004: the findings of the issue, each refused ----------------------------------------


@pytest.mark.parametrize(
    ("pattern", "attacker"),
    [
        (r"https://.+:\d+", "https://evil.com:8443"),
        (r"http://.*:8000", "http://evil.com:8000"),
        (r"https://app.example.com", "https://appxexample.com"),
        (r"https://(www|app).example.com", "https://www-example.com"),
        (r"https?://\d+\.\d+\.\d+\.\d+(:\d+)?", "http://203.0.113.9"),
        (r"https?://\[[0-9a-f:]+\](:\d+)?", "http://[2001:db8::1]"),
        (r"https://[a-z]+\.xyz", "https://evil.xyz"),
        (r"https://.*example\.com", "https://evilexample.com"),
        (r"https://[a-z]+\.example\.com\.[a-z]+", "https://a.example.com.evil"),
        (r"https://example\.com.*", "https://example.com.evil.net"),
        (r"https://[a-z]+\.github\.io", "https://evil.github.io"),
        (r"(?i)HTTPS://[A-Z]+\.CO\.UK", "https://evil.co.uk"),
    ],
)
async def test_credentialed_regex_that_lets_in_others_sites_is_e004(
    pattern: str, attacker: str
) -> None:
    regex = re.compile(pattern)
    assert regex.fullmatch(attacker)  # the pattern does let that site in
    assert _codes(allow_origin=regex, allow_credentials=True) == ("E004",)
    # Without credentials it is allowed, and it does what it says.
    app, _ = make_app(allow_origin=regex)
    assert await _allowed(app, attacker)


@pytest.mark.parametrize(
    ("pattern", "ours", "theirs"),
    [
        (r"https://.*\.example\.com", "https://a.b.example.com", "https://evilexample.com"),
        (r"https://([a-z]+\.)?example\.com", "https://example.com", "https://a.b.example.com"),
        (
            r"https://(?:www|app)\.example\.com",
            "https://www.example.com",
            "https://api.example.com",
        ),
        (
            r"https://app-[0-9]+\.example\.co\.uk",
            "https://app-7.example.co.uk",
            "https://app.co.uk",
        ),
        (r"https://example\.com(:\d+)?", "https://example.com:8443", "https://example.org"),
        (r"http://localhost:\d+", "http://localhost:5173", "http://localhost.evil.com:5173"),
        (r"http://[a-z]+\.localhost(:\d+)?", "http://app.localhost:3000", "http://localhost"),
        (r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:8000", "http://127.0.0.2:8000"),
        (r"http://\[::1\](:\d+)?", "http://[::1]:8000", "http://[::2]:8000"),
        (r"https://(foo|bar)\.com", "https://foo.com", "https://baz.com"),
        (r"https://[a-z0-9-]+\.example\.com", "https://a-b.example.com", "https://example.com"),
        (r"(?i)https://[A-Z]+\.EXAMPLE\.COM", "https://app.example.com", "https://app.evil.com"),
        (r"https://([a-z0-9]+-?)+\.example\.com", "https://a-b.example.com", "https://a.b.com"),
    ],
)
async def test_credentialed_regex_under_its_own_domains_is_accepted(
    pattern: str, ours: str, theirs: str
) -> None:
    app, _ = make_app(allow_origin=re.compile(pattern), allow_credentials=True)
    assert await _allowed(app, ours)
    assert not await _allowed(app, theirs)


def test_e004_names_an_origin_the_regex_lets_in_and_the_fixes() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(
            Quart(__name__),
            allow_origin=re.compile(r"https://.*example\.com"),
            allow_credentials=True,
        )
    (problem,) = caught.value.problems
    assert problem.code == "E004"
    outside = re.search(r"also matches '([^']+)'", problem.message)
    assert outside is not None
    assert re.fullmatch(r"https://.*example\.com", outside.group(1))
    assert not outside.group(1).endswith(".example.com")
    assert "under example.com" in problem.message
    assert "'*.'" in problem.message
    assert "callable" in problem.message


def test_e004_says_when_an_unescaped_dot_is_the_cause() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(
            Quart(__name__),
            allow_origin=re.compile("https://app.example.com"),
            allow_credentials=True,
        )
    assert "unescaped '.'" in caught.value.problems[0].message


def test_e004_on_a_public_suffix_says_so() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(
            Quart(__name__),
            allow_origin=re.compile(r"https://[a-z]+\.github\.io"),
            allow_credentials=True,
        )
    assert "github.io is a public suffix" in caught.value.problems[0].message


def test_canaries_stay_a_second_line() -> None:
    # A pattern the proof accepts never matches a canary; the canaries still run on each.
    proof = prove(re.compile(r"https://.*\.example\.com"))
    assert proof.proved
    assert proof.domains == ("example.com",)


def test_a_regex_that_matches_no_origin_is_accepted_with_credentials() -> None:
    # Uppercase never reaches a regex (browsers serialize origins in lowercase).
    assert _codes(allow_origin=re.compile("HTTPS://EVIL.COM"), allow_credentials=True) == ()


# --- the Hypothesis property: nothing outside the literal domains ---------------------------

_SCHEMES = [r"https://", r"https?://", r"http://", r"[a-z]+://"]
_PREFIXES = [
    "",
    r"[a-z0-9-]+\.",
    r"(?:[a-z0-9-]+\.)*",
    r".*",
    r".*\.",
    r".+",
    r"[a-z]+",
    r"(?:www|app)\.",
    r"(?:www|app).",
    r"[^/]*",
    r"\w+\.",
    r"[a-z]+-",
]
_DOMAINS = [
    r"example\.com",
    r"example\.co\.uk",
    r"co\.uk",
    r"github\.io",
    r"foo\.github\.io",
    r"com",
    r"example.com",
    r"localhost",
    r"127\.0\.0\.1",
    r"example\.com\.evil\.net",
    r"\[::1\]",
]
_TAILS = [
    "",
    r"(?::\d+)?",
    r":\d+",
    r".*",
    r"(?::[0-9]{2,5})?",
    r"\.[a-z]+",
    r":8443",
    r"(?:\.[a-z]+)?",
    r"\d*",
]
_ATTACKER_HOSTS = [
    "evil.com",
    "example.com.evil.net",
    "evilexample.com",
    "www-example.com",
    "a.co.uk",
    "evil.github.io",
    "foo.github.io.evil.com",
    "203.0.113.9",
    "127.0.0.2",
    "[::2]",
    "localhost.evil.com",
    "com",
    "a.b.c.xyz",
]


def _owned(prefix: str, domain_piece: str) -> tuple[set[str], set[str]]:
    """The registrable domains and exact hosts the pattern names, read independently."""
    if re.search(r"(?<!\\)\.", domain_piece):
        return set(), set()  # an unescaped dot: the text names no domain
    host = domain_piece.replace("\\", "")
    # "(?:www|app)\." is literal text too: it names www.HOST and app.HOST, exactly.
    names = {f"www.{host}", f"app.{host}"} if prefix == r"(?:www|app)\." else {host}
    if host == "localhost":
        return {"localhost"}, names
    if host.startswith("[") or host.replace(".", "").isdigit():
        return set(), names
    domains = {PSL.privatesuffix(name) for name in names}
    return {domain for domain in domains if domain}, names


def _inside(origin: str, domains: set[str], hosts: set[str]) -> bool:
    parts = split_origin(origin)
    assert parts is not None
    host = parts[1]
    return host in hosts or any(host == d or host.endswith("." + d) for d in domains)


@st.composite
def _regex_and_origins(draw: st.DrawFn) -> tuple[str, tuple[str, str], list[str]]:
    scheme = draw(st.sampled_from(_SCHEMES))
    prefix = draw(st.sampled_from(_PREFIXES))
    domain = draw(st.sampled_from(_DOMAINS))
    tail = draw(st.sampled_from(_TAILS))
    pattern = scheme + prefix + domain + tail
    matched = draw(st.lists(st.from_regex(pattern, fullmatch=True), max_size=6))
    made = draw(
        st.lists(
            st.builds(
                lambda s, label, host, port: f"{s}://{label}{host}{port}",
                st.sampled_from(["https", "http", "wss"]),
                st.sampled_from(["", "a.", "www.", "app.", "app-1.", "x"]),
                st.sampled_from(_ATTACKER_HOSTS),
                st.sampled_from(["", ":8443", ":1"]),
            ),
            max_size=6,
        )
    )
    return pattern, (prefix, domain), [origin for origin in matched + made if split_origin(origin)]


@PROPERTY_SETTINGS
@given(_regex_and_origins())
async def test_accepted_credentialed_regexes_let_in_nothing_outside_their_domains(
    case: tuple[str, tuple[str, str], list[str]],
) -> None:
    pattern, (prefix, domain), origins = case
    regex = re.compile(pattern)
    if _codes(allow_origin=regex, allow_credentials=True):
        assert _codes(allow_origin=regex, allow_credentials=True) == ("E004",)
        return
    app, _ = make_app(allow_origin=regex, allow_credentials=True)
    domains, hosts = _owned(prefix, domain)
    for origin in origins:
        if not _inside(origin, domains, hosts):
            assert not await _allowed(app, origin), (pattern, origin)


# --- linear time: RE2 gives Python's verdict ---------------------------------------------

_PIECES = [
    r"https?://",
    r"[a-z]+",
    r"[^.]+",
    r"\.",
    r".",
    r"(?:www|app)",
    r"\d{1,3}",
    r"[a-z0-9-]*",
    r"(?i:EXAMPLE)",
    r"\bcom\b",
    r"com$",
    r"\Z",
    r"\w+",
    r"\W",
    r"\D?",
    r"\s*",
    r"x{,2}",
    r"[\[]?",
    r"(?a:\w)",
    r"(?:-[a-z]+)*?",
    r":[0-9]+",
    r"[\x2d-\x2f]",
    r"(?s:.)",
    r"[^\W\d]",
]


@PROPERTY_SETTINGS
@given(
    # At most four pieces: Python's re, which Hypothesis and the oracle below both run, backtracks
    # polynomially in the number of adjacent repeats (and (a|aa)+ exponentially, so it is out).
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=4),
    st.sampled_from([0, re.IGNORECASE, re.ASCII, re.IGNORECASE | re.ASCII, re.VERBOSE]),
    st.data(),
)
def test_re2_reading_gives_pythons_fullmatch_verdict_on_every_origin(
    pieces: list[str], flags: int, data: st.DataObject
) -> None:
    regex = re.compile("".join(pieces), flags)
    matcher = linear(regex)
    grammar = (
        r"[a-z][a-z0-9+.-]*://([a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(:[1-9][0-9]{0,4})?"
    )
    candidates = data.draw(
        st.lists(
            st.one_of(
                st.from_regex(regex, fullmatch=True),
                st.from_regex(grammar, fullmatch=True),
                st.sampled_from(["https://www.example.com", "http://a.com:80", "https://x"]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    checked = [origin for origin in candidates if split_origin(origin) and len(origin) <= 64]
    assume(checked)
    for origin in checked:
        assert matcher.fullmatch(origin) == bool(regex.fullmatch(origin)), (regex, origin)


@pytest.mark.parametrize(
    ("pattern", "flags", "origin", "verdict"),
    [
        (r"https://[A-Z]+\.com", re.IGNORECASE, "https://abc.com", True),
        (r"https://\u212a\.com", re.IGNORECASE, "https://k.com", True),  # Kelvin sign folds to k
        (r"https://\u212a\.com", re.IGNORECASE | re.ASCII, "https://k.com", False),
        (r"https://\u017f\.com", re.IGNORECASE, "https://s.com", True),  # long s folds to s
        (r"https://a{,2}\.com", 0, "https://aa.com", True),  # Python reads {,2} as {0,2}
        (r"https://a.com$", 0, "https://a.com", True),
        (r"^https://a\.com\Z", 0, "https://a.com", True),
        (r"https://a\.com\Z", re.MULTILINE, "https://a.com", True),
        (r"https://[^\d]+", 0, "https://a1", False),
        (r"https:// a \. com  # comment", re.VERBOSE, "https://a.com", True),
        (r"https://\x61\.com", 0, "https://a.com", True),
        (r"https://(?i:A)\.com", 0, "https://a.com", True),
        (r"https://(?i:A)\.COM", 0, "https://a.com", False),
        (r"https://a\b\.com", 0, "https://a.com", True),
        (r"https://a\B\.com", 0, "https://a.com", False),
        (r"[]-a]+://b", 0, "a-]://b", False),  # "]" cannot reach a regex: not in the grammar
    ],
)
def test_re2_reading_keeps_pythons_semantics(
    pattern: str, flags: int, origin: str, verdict: bool
) -> None:
    regex = re.compile(pattern, flags)
    assert bool(regex.fullmatch(origin)) == verdict
    assert linear(regex).fullmatch(origin) == verdict


@pytest.mark.parametrize(
    ("pattern", "construct"),
    [
        (r"(https?)://a\.com/\1", "backreference"),
        (r"(?P<s>https?)://(?P=s)\.com", "backreference"),
        (r"https://(?=a)[a-z]+\.com", "lookahead"),
        (r"https://(?!evil)[a-z]+\.com", "lookahead"),
        (r"https://[a-z]+(?<!evil)\.com", "lookbehind"),
        (r"https://(a)?(?(1)b|c)\.com", "conditional"),
        (r"https://[a-z]{1,1001}\.com", "RE2 cannot compile"),
    ],
)
def test_regex_with_no_linear_reading_is_e019(pattern: str, construct: str) -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=re.compile(pattern))
    (problem,) = caught.value.problems
    assert problem.code == "E019"
    assert construct in problem.message
    assert "callable" in problem.message


@pytest.mark.skipif(not hasattr(re, "NOFLAG"), reason="atomic groups and possessive repeats: 3.11+")
@pytest.mark.parametrize("pattern", [r"https://(?>[a-z]+)\.com", r"https://[a-z]++\.com"])
def test_atomic_groups_and_possessive_repeats_are_e019(pattern: str) -> None:
    assert _codes(allow_origin=re.compile(pattern)) == ("E019",)


# The classic evil patterns, shaped as origins so that the Origin grammar lets them through to
# the regex: Python's engine backtracks for seconds (or years) on each; the budget is 1 ms a
# match (benchmarks/redos.py measures it), the bound here is loose as the machine is shared.
EVIL = [
    (r"https://([a-z0-9]+-?)+\.example\.com", "https://" + "a" * 2029 + ".example.co"),
    (r"https://(a+)+\.com", "https://" + "a" * 2036 + ".co"),
    (r"https://(a|aa)+\.com", "https://" + "a" * 2036 + ".co"),
    (r"https://(.*a){12}\.com", "https://" + "a" * 2036 + ".co"),
    (r"https://(\w+\.?)+\.example\.com", "https://" + "a." * 1014 + "example.co"),
]


@pytest.mark.parametrize(("pattern", "origin"), EVIL)
async def test_evil_patterns_are_matched_in_linear_time(pattern: str, origin: str) -> None:
    app, spy = make_app(allow_origin=re.compile(pattern))
    assert len(origin) <= 2048
    assert split_origin(origin) is not None  # it reaches the regex
    started = time.perf_counter()
    response = await app.test_client().get("/", headers={"Origin": origin})
    assert time.perf_counter() - started < 1.0
    assert spy.calls == ["GET"]
    assert ACAO not in response.headers
    matching = origin[: -len(".co")] + ".com"
    assert await _allowed(app, matching) == (len(matching) <= 2048)


def test_reading_is_cached_per_pattern() -> None:
    regex = re.compile(r"https://[a-z]+\.example\.com")
    assert read(regex) is read(regex)
    assert linear(regex) is linear(regex)
    assert prove(regex) is prove(regex)
    assert "LinearRegex" in repr(linear(regex))


# --- the WARNING without credentials -------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "wanted", "unwanted"),
    [
        (r"https?://.*", ["matches every site", "quart-cors-canary.invalid", "'*'"], []),
        (
            r"https://.*example\.com",
            ["'https://example.com'", "'https://*.example.com'", "sites you do not control"],
            ["every site", "write '*'"],
        ),
        (
            r"https://[a-z]+\.com",
            ["sites you do not control", "name anyone can register"],
            ["every site"],
        ),
        (r"https://example\.com.*", ["'https://*.example.com'"], ["every site"]),
    ],
)
def test_warning_without_credentials_names_the_right_fix(
    pattern: str, wanted: list[str], unwanted: list[str]
) -> None:
    regex = re.compile(pattern)
    matcher, problems = compile_origins(regex)
    assert not problems
    assert matcher.any_origin_regexes == (regex,)
    warning = any_origin_regex_warning(regex)
    assert pattern in warning or repr(pattern)[1:-1] in warning
    for text in wanted:
        assert text in warning
    for text in unwanted:
        assert text not in warning


def test_warning_for_a_narrow_regex_says_it_is_narrow() -> None:
    regex = re.compile(r"https://[a-z]+\.example\.com")
    assert compile_origins(regex)[0].any_origin_regexes == ()
    assert "only origins under the domains it names" in any_origin_regex_warning(regex)


def test_e004_says_so_when_it_cannot_show_a_regex_safe() -> None:
    # \B between a letter and "." never holds, so this matches nothing; the proof reads the
    # pattern without its anchors, finds a.com, and cannot show more: E004, with no example.
    regex = re.compile(r"https://[a-z]+\B\.com")
    assert not regex.fullmatch("https://a.com")
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=regex, allow_credentials=True)
    (problem,) = caught.value.problems
    assert problem.code == "E004"
    assert "cannot show" in problem.message
    assert "also matches" not in problem.message


async def test_start_up_warning_names_the_right_fix(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = make_app(allow_origin=re.compile(r"https://.*example\.com"))
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        await app.startup()
        await app.shutdown()
    (warning,) = [record.getMessage() for record in caplog.records if record.name == "quart_cors"]
    assert "every origin" not in warning
    assert "'https://*.example.com'" in warning


def test_a_regex_the_automata_library_cannot_read_is_e004(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fault injection: interegular refuses the pattern. Anything not proved is E004.
    import interegular

    def unsupported(pattern: str) -> object:
        raise interegular.Unsupported(pattern)

    monkeypatch.setattr(interegular, "parse_pattern", unsupported)
    regex = re.compile(r"https://[a-z]+\.fault-injected\.example\.com")
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=regex, allow_credentials=True)
    (problem,) = caught.value.problems
    assert problem.code == "E004"
    assert "cannot show" in problem.message
