"""The pure layers: quart_cors.policy (plain data in, plain data out) and the architecture
rules (policy and origins import no Quart; imports point down).

The contract: docs/behaviour.md, section 6 (Layers).
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quart_cors
from quart_cors.policy import ANSWER_MEMO_LIMIT, DEFAULTS, FIELDS, Answer, Policy, build_policy

# The package that is imported (so a mutated copy on PYTHONPATH is what gets checked).
SOURCE = Path(quart_cors.__file__).resolve().parent
ORIGIN = "https://app.example.com"
OTHER = "https://other.example"
ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACEH = "Access-Control-Expose-Headers"
ACMA = "Access-Control-Max-Age"
ACAPN = "Access-Control-Allow-Private-Network"
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"
PREFLIGHT_VARY = ("Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers")


def make_policy(**overrides: Any) -> Policy:
    policy, problems = build_policy({**DEFAULTS, **overrides})
    assert problems == []
    assert policy is not None
    return policy


def _imports(module: str) -> set[str]:
    tree = ast.parse((SOURCE / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add("." * node.level + node.module)
        elif isinstance(node, ast.ImportFrom):
            # "from . import errors" imports the sibling module errors
            names.update("." * node.level + alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    ("module", "allowed_internal"),
    [
        ("suffixes", set()),
        ("regexes", set()),
        ("regex_proofs", {".regexes", ".suffixes", "."}),
        ("origins", {".errors", ".regexes", ".suffixes", "."}),
        ("policy", {".errors", ".origins", ".regex_proofs", "."}),
        ("config_keys", {".errors", ".policy", "."}),
        ("settings", {".errors", ".origins", ".policy", ".config_keys", "."}),
    ],
)
def test_layers_import_down_only_and_no_quart(module: str, allowed_internal: set[str]) -> None:
    imports = _imports(module)
    assert not {name for name in imports if name.split(".")[0] in ("quart", "werkzeug")}
    internal = {name for name in imports if name.startswith(".")}
    assert internal <= allowed_internal, internal - allowed_internal


@pytest.mark.parametrize(
    ("module", "allowed_internal"),
    [
        ("errors", set()),
        ("signals", set()),
        ("_compat", set()),
        ("routing", {"._compat", ".policy"}),
        ("_common", {"._compat", ".policy", ".signals"}),
        ("views", {".", "._common", ".errors", ".settings"}),
        ("candidates", {"._common", ".errors", ".policy", ".settings", ".views"}),
        ("dynamic_table", {".", ".errors", ".origins", ".policy"}),
        ("dynamic", {"._common", ".dynamic_table", ".errors", ".origins", ".signals"}),
        (
            "report_only",
            {
                ".",
                "._common",
                ".answering",
                ".errors",
                ".origins",
                ".policy",
                ".settings",
                ".signals",
            },
        ),
        (
            "app_state",
            {
                "._compat",
                "._common",
                ".candidates",
                ".errors",
                ".origins",
                ".policy",
                ".routing",
                ".settings",
                ".views",
            },
        ),
        ("serving", {".app_state", ".policy", ".routing"}),
        ("answering", {"._common", ".origins", ".policy", ".routing", ".signals"}),
        (
            "gate",
            {
                "._common",
                ".answering",
                ".app_state",
                ".errors",
                ".policy",
                ".report_only",
                ".routing",
                ".serving",
            },
        ),
        (
            "hooks",
            {
                "._common",
                "._compat",
                ".answering",
                ".app_state",
                ".policy",
                ".report_only",
                ".routing",
                ".serving",
            },
        ),
        (
            "decorators",
            {
                "._common",
                "._compat",
                ".answering",
                ".app_state",
                ".dynamic",
                ".gate",
                ".hooks",
                ".origins",
                ".policy",
                ".report_only",
                ".settings",
            },
        ),
        (
            "describe",
            {
                "._common",
                ".app_state",
                ".origins",
                ".policy",
                ".report_only",
                ".serving",
                ".settings",
                ".views",
            },
        ),
        ("extension_object", {".decorators", ".report_only", ".settings"}),
    ],
)
def test_integration_layer_never_imports_the_tools(module: str, allowed_internal: set[str]) -> None:
    # docs/behaviour.md section 6: imports point down only; testing and cli (layer 5) sit on top.
    internal = {name for name in _imports(module) if name.startswith(".")}
    assert internal <= allowed_internal, internal - allowed_internal


def test_defaults_match_design() -> None:
    assert tuple(DEFAULTS) == FIELDS
    assert list(DEFAULTS["allow_origin"]) == ["*"]  # type: ignore[call-overload]
    assert DEFAULTS["allow_credentials"] is False
    assert list(DEFAULTS["allow_methods"]) == [  # type: ignore[call-overload]
        "GET",
        "HEAD",
        "POST",
        "OPTIONS",
        "PUT",
        "PATCH",
        "DELETE",
    ]
    assert list(DEFAULTS["allow_headers"]) == ["*"]  # type: ignore[call-overload]
    assert not DEFAULTS["expose_headers"]
    assert DEFAULTS["max_age"] is None
    assert DEFAULTS["send_origin_wildcard"] is True
    assert DEFAULTS["allow_private_network"] is False


def test_policy_is_immutable() -> None:
    policy = make_policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.allow_credentials = True  # type: ignore[misc]


# (settings, origin, origin allowed, expected headers, expected vary, expected refusal)
ACTUAL: list[
    tuple[dict[str, Any], str | None, bool, dict[str, str], tuple[str, ...], str | None]
] = [
    ({}, None, False, {}, ("Origin",), None),
    ({}, ORIGIN, True, {ACAO: "*"}, (), None),
    ({"send_origin_wildcard": False}, ORIGIN, True, {ACAO: ORIGIN}, ("Origin",), None),
    ({"allow_origin": [ORIGIN]}, ORIGIN, True, {ACAO: ORIGIN}, ("Origin",), None),
    ({"allow_origin": [ORIGIN]}, OTHER, False, {}, ("Origin",), "origin"),
    (
        {"allow_origin": [ORIGIN], "allow_credentials": True},
        ORIGIN,
        True,
        {ACAO: ORIGIN, ACAC: "true"},
        ("Origin",),
        None,
    ),
    (
        {"allow_origin": [ORIGIN], "expose_headers": ["X-A", "X-B"]},
        ORIGIN,
        True,
        {ACAO: ORIGIN, ACEH: "X-A, X-B"},
        ("Origin",),
        None,
    ),
    ({"expose_headers": ["*"]}, ORIGIN, True, {ACAO: "*", ACEH: "*"}, (), None),
]


@pytest.mark.parametrize(
    ("settings", "origin", "allowed", "headers", "expected_vary", "refusal"), ACTUAL
)
def test_actual_request_answer(
    *,
    settings: dict[str, Any],
    origin: str | None,
    allowed: bool,
    headers: dict[str, str],
    expected_vary: tuple[str, ...],
    refusal: str | None,
) -> None:
    answer = make_policy(**settings).actual_request(origin, allowed)
    assert isinstance(answer, Answer)
    assert dict(answer.headers) == headers
    assert len(answer.headers) == len(headers)
    assert answer.vary == expected_vary
    assert answer.refusal == refusal


def test_expose_star_with_credentials_uses_response_names() -> None:
    policy = make_policy(allow_origin=[ORIGIN], allow_credentials=True, expose_headers=["*"])
    assert policy.needs_response_header_names
    answer = policy.actual_request(
        ORIGIN, True, ["X-One", "Set-Cookie", "x-one", "Content-Type", "set-cookie2"]
    )
    headers = dict(answer.headers)
    names = [name.strip() for name in headers[ACEH].split(",")]
    assert [name.lower() for name in names] == ["x-one", "content-type"]


# (settings, origin allowed, ACRM, ACRH, ACRPN, expected headers, expected refusal)
PREFLIGHT: list[tuple[dict[str, Any], bool, str, str | None, bool, dict[str, str], str | None]] = [
    ({}, True, "PUT", None, False, {ACAO: "*", ACAM: DEFAULT_METHODS}, None),
    ({}, False, "PUT", None, False, {}, "origin"),
    ({}, True, "PUT", "", False, {ACAO: "*", ACAM: DEFAULT_METHODS}, None),
    (
        {},
        True,
        "PUT",
        "X-A, Authorization",
        False,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a, authorization"},
        None,
    ),
    (
        {"allow_headers": ["x-a"]},
        True,
        "PUT",
        "x-a, x-b",
        False,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a"},
        "headers",
    ),
    (
        {"allow_headers": ["x-a"]},
        True,
        "PUT",
        "x-a, (bad)",
        False,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a"},
        "headers",
    ),
    (
        {},
        True,
        "PUT",
        "x-a, (bad), x\x01y, a:b",
        False,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAH: "x-a"},
        "headers",
    ),
    ({"allow_methods": ["GET"]}, True, "PUT", "x-a", False, {ACAO: "*"}, "method"),
    ({}, True, "PU T", None, False, {ACAO: "*"}, "method"),
    ({}, True, "put", None, False, {ACAO: "*"}, "method"),
    ({"allow_methods": ["*"]}, True, "PURGE", None, False, {ACAO: "*", ACAM: "*"}, None),
    (
        {"allow_methods": ["*"], "allow_origin": [ORIGIN], "allow_credentials": True},
        True,
        "PURGE",
        None,
        False,
        {ACAO: ORIGIN, ACAC: "true", ACAM: "PURGE"},
        None,
    ),
    (
        {"max_age": 600},
        True,
        "PUT",
        None,
        False,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACMA: "600"},
        None,
    ),
    (
        {"allow_private_network": True},
        True,
        "GET",
        None,
        True,
        {ACAO: "*", ACAM: DEFAULT_METHODS, ACAPN: "true"},
        None,
    ),
    ({}, True, "GET", None, True, {ACAO: "*", ACAM: DEFAULT_METHODS}, "private_network"),
    ({"allow_private_network": True}, False, "GET", None, True, {}, "origin"),
]


@pytest.mark.parametrize(
    ("settings", "allowed", "method", "request_headers", "pna", "headers", "refusal"), PREFLIGHT
)
def test_preflight_answer(
    *,
    settings: dict[str, Any],
    allowed: bool,
    method: str,
    request_headers: str | None,
    pna: bool,
    headers: dict[str, str],
    refusal: str | None,
) -> None:
    policy = make_policy(**settings)
    answer = policy.preflight(ORIGIN, allowed, method, request_headers, pna)
    assert dict(answer.headers) == headers
    assert len(answer.headers) == len(headers)
    expected_vary = (
        (*PREFLIGHT_VARY, "Access-Control-Request-Private-Network")
        if settings.get("allow_private_network")
        else PREFLIGHT_VARY
    )
    assert answer.vary == expected_vary
    assert answer.refusal == refusal


@pytest.mark.parametrize(
    ("settings", "codes"),
    [
        ({"allow_credentials": True}, ["E001"]),
        ({"allow_credentials": True, "allow_origin": ["null"]}, ["E002"]),
        ({"allow_credentials": True, "allow_origin": ["https://*.com"]}, ["E003"]),
        ({"allow_methods": ["TRACE", "GE T"]}, ["E020", "E021"]),
        ({"allow_headers": ["a b"], "expose_headers": ["c d"]}, ["E030", "E030"]),
        ({"max_age": -1}, ["E040"]),
        ({"send_origin_wildcard": "no"}, ["E050"]),
        ({"allow_methods": 1}, ["E060"]),
        ({"allow_origin": ["ftp://a.com", "https://a.com/"]}, ["E012", "E015"]),
    ],
)
def test_build_policy_reports_every_problem(settings: dict[str, Any], codes: list[str]) -> None:
    policy, problems = build_policy({**DEFAULTS, **settings})
    assert policy is None
    assert sorted(problem.code for problem in problems) == codes


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        (["get", "Post", "delete"], "GET, POST, DELETE"),
        (["patch", "PATCH"], "patch, PATCH"),
        (["options", "head", "put"], "OPTIONS, HEAD, PUT"),
        (["GET", "get"], "GET"),
        (["X-Custom"], "X-Custom"),
    ],
)
def test_standard_methods_uppercased_others_kept(methods: list[str], expected: str) -> None:
    first = expected.split(", ", maxsplit=1)[0]
    answer = make_policy(allow_methods=methods).preflight(ORIGIN, True, first, None)
    assert dict(answer.headers)[ACAM] == expected


# --- the per-Origin answer memo -------------------------------------------------------------

MEMO_ORIGINS = st.one_of(
    st.sampled_from(["https://a.example.com", "https://example.com", "https://b.example.org"]),
    st.from_regex(r"\Ahttps?://[a-z]{1,8}(\.example)?\.(com|org)(:[0-9]{1,4})?\Z"),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
)


def _wildcard_policy() -> Policy:
    values = dict(DEFAULTS)
    values["allow_origin"] = ["https://*.example.com", "https://exact.example.org"]
    values["allow_credentials"] = True
    policy, problems = build_policy(values)
    assert policy is not None, problems
    return policy


@settings(max_examples=200, deadline=None)
@given(origins=st.lists(MEMO_ORIGINS, max_size=30))
def test_a_remembered_answer_is_the_answer(origins: list[str]) -> None:
    # The memo is a cache of answer_actual_request(): the same answer, however often asked.
    policy = _wildcard_policy()
    for origin in origins + origins:
        raw = origin.encode("latin-1")
        assert policy.answer_raw_origin(raw) == policy.answer_actual_request(origin)


def test_the_memo_stays_bounded_under_distinct_origins() -> None:
    policy = _wildcard_policy()
    derived: Any = policy._derived
    for number in range(3 * ANSWER_MEMO_LIMIT):
        answer = policy.answer_raw_origin(f"https://h{number}.example.com".encode())
        assert answer is not None
        assert answer.headers[0] == (
            "Access-Control-Allow-Origin",
            f"https://h{number}.example.com",
        )
        assert len(derived.answers_raw) <= derived.answers_limit
    # The configured exact origins are always found in one lookup.
    assert b"https://exact.example.org" in derived.answers_raw
