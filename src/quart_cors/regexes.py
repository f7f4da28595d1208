r"""Origin regexes: read with Python's own parser, matched in linear time, proved narrow.

A configured ``re.compile(...)`` is parsed once, by the parser of the ``re`` module itself, into a
small tree whose character items are spelled as the ASCII characters Python matches with the
pattern's flags (IGNORECASE, DOTALL, ASCII...). A regex only ever sees a value that passed the
Origin grammar (``origins.split_origin``): printable ASCII, no line feed. On such input the tree
is the pattern, and it is written out twice:

- for RE2 (google-re2), whose matching time is linear in the Origin's length: ``^`` and ``\A``
  become ``\A``, ``$`` and ``\Z`` become ``\z``, so RE2's ``fullmatch`` verdict is Python's;
- for the proof behind E004 (interegular's automata), with anchors dropped and long counted
  repeats left open (``X{3,100}`` read as ``X{3,}``): a language that holds at least every origin
  the pattern matches, so what is proved of it holds for the pattern.

Backreferences, lookarounds, conditionals, atomic groups and possessive repeats have no
linear-time reading; a pattern with one is refused (E019).

This module and the packages it uses are imported only when a regex is configured.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

import re2

from . import suffixes

if sys.version_info >= (3, 11):  # pragma: no cover - the module was renamed, not changed
    from re import _parser as sre_parse
else:  # pragma: no cover
    import sre_parse

# Flags that decide which characters one character item matches; the rest do not.
_CHARACTER_FLAGS = re.IGNORECASE | re.DOTALL | re.ASCII | re.UNICODE
_TYPE_FLAGS = re.ASCII | re.UNICODE | re.LOCALE
# Counted repeats longer than this are left open in the proof's reading (X{3,100} as X{3,}).
_OPEN_REPEAT_ABOVE = 16
# Literal strings kept per run of literal text ("(www|app)\.example\.com" is two).
_LITERAL_LIMIT = 64

_CATEGORIES = {
    sre_parse.CATEGORY_DIGIT: r"\d",
    sre_parse.CATEGORY_NOT_DIGIT: r"\D",
    sre_parse.CATEGORY_SPACE: r"\s",
    sre_parse.CATEGORY_NOT_SPACE: r"\S",
    sre_parse.CATEGORY_WORD: r"\w",
    sre_parse.CATEGORY_NOT_WORD: r"\W",
}
# On input without a line feed, "^" (even with MULTILINE) is the start and "$" the end.
_ANCHORS = {
    sre_parse.AT_BEGINNING: r"\A",
    sre_parse.AT_BEGINNING_STRING: r"\A",
    sre_parse.AT_END: r"\z",
    sre_parse.AT_END_STRING: r"\z",
    sre_parse.AT_BOUNDARY: r"\b",
    sre_parse.AT_NON_BOUNDARY: r"\B",
}
_NOT_LINEAR = {
    sre_parse.GROUPREF: "a backreference",
    sre_parse.GROUPREF_EXISTS: "a conditional group (?(...)...)",
    sre_parse.ASSERT: "a lookahead or lookbehind",
    sre_parse.ASSERT_NOT: "a negative lookahead or lookbehind",
}
_LATER = {  # Python 3.11+
    "ATOMIC_GROUP": "an atomic group (?>...)",
    "POSSESSIVE_REPEAT": "a possessive repeat (*+, ++, ?+, {m,n}+)",
}
_NOT_LINEAR.update(
    (getattr(sre_parse, name), what) for name, what in _LATER.items() if hasattr(sre_parse, name)
)


class RegexNotLinearError(ValueError):
    """A pattern that cannot be matched in linear time; the message names why."""


# --- the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chars:
    """One character: the ASCII code points it matches; ``dot`` for an unescaped ``.``."""

    codes: frozenset[int]
    dot: bool = False


@dataclass(frozen=True)
class _Sequence:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alternatives:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Repeat:
    low: int
    high: int | None  # None: no upper bound
    body: _Node


@dataclass(frozen=True)
class _Anchor:
    re2: str


_Node: TypeAlias = _Chars | _Sequence | _Alternatives | _Repeat | _Anchor


def _read(items: Iterable[tuple[Any, Any]], flags: int) -> _Sequence:
    """Python's parse of a pattern (or of a group) as a tree; RegexNotLinearError if none."""
    nodes: list[_Node] = []
    for op, argument in items:
        if op == sre_parse.LITERAL:
            nodes.append(_Chars(_matched(_escape(argument), flags)))
        elif op == sre_parse.NOT_LITERAL:
            nodes.append(_Chars(_matched(f"[^{_escape(argument)}]", flags)))
        elif op == sre_parse.ANY:
            nodes.append(_Chars(_matched(".", flags), dot=True))
        elif op == sre_parse.IN:
            nodes.append(_Chars(_matched(_class_text(argument), flags)))
        elif op == sre_parse.BRANCH:
            nodes.append(_Alternatives(tuple(_read(option, flags) for option in argument[1])))
        elif op == sre_parse.SUBPATTERN:
            _, added, removed, body = argument
            nodes.append(_read(body, _scoped(flags, added, removed)))
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            low, high, body = argument
            unbounded = high == sre_parse.MAXREPEAT
            nodes.append(_Repeat(low, None if unbounded else high, _read(body, flags)))
        elif op == sre_parse.AT and argument in _ANCHORS:
            nodes.append(_Anchor(_ANCHORS[argument]))
        else:
            raise RegexNotLinearError(_NOT_LINEAR.get(op, f"a construct RE2 cannot match ({op})"))
    return _Sequence(tuple(nodes))


def _scoped(flags: int, added: int, removed: int) -> int:
    """The flags inside "(?a:...)" or "(?-i:...)": one type flag replaces another."""
    if added & _TYPE_FLAGS:
        flags &= ~_TYPE_FLAGS
    return (flags | added) & ~removed


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def _class_text(items: Sequence[tuple[Any, Any]]) -> str:
    """A character class of Python's parse, written back as a class Python reads the same."""
    parts: list[str] = []
    for op, argument in items:
        if op == sre_parse.NEGATE:
            parts.insert(0, "^")
        elif op == sre_parse.LITERAL:
            parts.append(_escape(argument))
        elif op == sre_parse.RANGE:
            parts.append(f"{_escape(argument[0])}-{_escape(argument[1])}")
        elif op == sre_parse.CATEGORY and argument in _CATEGORIES:
            parts.append(_CATEGORIES[argument])
        else:  # pragma: no cover - Python's parser makes nothing else in a class
            raise RegexNotLinearError(f"a character class item RE2 cannot match ({op})")
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=1024)
def _matched(item: str, flags: int) -> frozenset[int]:
    """The ASCII characters that one character item matches, asked of Python's ``re`` itself."""
    flags &= _CHARACTER_FLAGS
    if flags & re.ASCII:
        flags &= ~re.UNICODE
    compiled = re.compile(item, flags)
    return frozenset(code for code in range(128) if compiled.fullmatch(chr(code)))


# --- writing the tree out ----------------------------------------------------------------


def _ranges(codes: frozenset[int]) -> str:
    spans: list[list[int]] = []
    for code in sorted(codes):
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(
        f"\\x{low:02x}" if low == high else f"\\x{low:02x}-\\x{high:02x}" for low, high in spans
    )


def _for_re2(node: _Node) -> str:
    if isinstance(node, _Chars):
        return f"[{_ranges(node.codes)}]" if node.codes else r"[^\x00-\x{10ffff}]"
    if isinstance(node, _Sequence):
        return "".join(_for_re2(item) for item in node.items) or "(?:)"
    if isinstance(node, _Alternatives):
        return "(?:" + "|".join(_for_re2(option) for option in node.options) + ")"
    if isinstance(node, _Repeat):
        high = "" if node.high is None else str(node.high)
        return f"(?:{_for_re2(node.body)}){{{node.low},{high}}}"
    return node.re2


def _for_proof(node: _Node, *, dots_escaped: bool = False) -> str:
    """The superset reading, in interegular's syntax; ``dots_escaped`` reads "." as "\\."."""
    if isinstance(node, _Chars):
        if node.dot and dots_escaped:
            return r"\x2e"
        return f"[{_ranges(node.codes)}]"
    if isinstance(node, _Sequence):
        return "".join(_for_proof(item, dots_escaped=dots_escaped) for item in node.items)
    if isinstance(node, _Alternatives):
        options = (_for_proof(option, dots_escaped=dots_escaped) for option in node.options)
        return "(?:" + "|".join(options) + ")"
    if isinstance(node, _Repeat):
        body = _for_proof(node.body, dots_escaped=dots_escaped)
        if node.high is not None and node.high <= _OPEN_REPEAT_ABOVE:
            return f"(?:{body}){{{node.low},{node.high}}}"
        return f"(?:{body}){{{min(node.low, _OPEN_REPEAT_ABOVE)},}}"
    return ""  # an anchor only narrows what matches


def _has_dot(node: _Node) -> bool:
    if isinstance(node, _Chars):
        return node.dot
    if isinstance(node, _Sequence):
        return any(_has_dot(item) for item in node.items)
    if isinstance(node, _Alternatives):
        return any(_has_dot(option) for option in node.options)
    if isinstance(node, _Repeat):
        return _has_dot(node.body)
    return False


# --- literal text ------------------------------------------------------------------------


def _finite(node: _Node, dots_escaped: bool) -> frozenset[str] | None:
    """The few strings a node matches when it is literal text (letters lowercased), else None."""
    if isinstance(node, _Chars):
        if node.dot and dots_escaped:
            return frozenset({"."})
        lowered = {chr(code).lower() for code in node.codes}
        return frozenset(lowered) if len(lowered) == 1 else None
    if isinstance(node, _Anchor):
        return frozenset({""})
    if isinstance(node, _Sequence):
        strings = frozenset({""})
        for item in node.items:
            part = _finite(item, dots_escaped)
            if part is None:
                return None
            strings = _product(strings, part)
            if len(strings) > _LITERAL_LIMIT:
                return None
        return strings
    if isinstance(node, _Alternatives):
        options = [_finite(option, dots_escaped) for option in node.options]
        if any(option is None for option in options):
            return None
        union = frozenset().union(*(option for option in options if option is not None))
        return union if len(union) <= _LITERAL_LIMIT else None
    body = _finite(node.body, dots_escaped)
    if body is None or node.high is None or node.high > 4:
        return None
    strings = frozenset({""}) if node.low == 0 else frozenset()
    power = frozenset({""})
    for count in range(1, node.high + 1):
        power = _product(power, body)
        if count >= node.low:
            strings |= power
        if len(strings) > _LITERAL_LIMIT:
            return None
    return strings


def _product(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    return frozenset(a + b for a in left for b in right)


def _literal_runs(node: _Node, runs: list[str], dots_escaped: bool = False) -> None:
    """Collect the pattern's literal text: each maximal run, with short alternatives expanded."""
    whole = _finite(node, dots_escaped)
    if whole is not None:
        runs.extend(whole)
        return
    if isinstance(node, _Sequence):
        current = frozenset({""})
        for item in node.items:
            part = _finite(item, dots_escaped)
            if part is not None and len(current) * len(part) <= _LITERAL_LIMIT:
                current = _product(current, part)
                continue
            runs.extend(current)
            if part is None:
                _literal_runs(item, runs, dots_escaped)
                current = frozenset({""})
            else:
                current = part
        runs.extend(current)
    elif isinstance(node, _Alternatives):
        for option in node.options:
            _literal_runs(option, runs, dots_escaped)
    elif isinstance(node, _Repeat):
        _literal_runs(node.body, runs, dots_escaped)


# --- the reading of one pattern ----------------------------------------------------------


@dataclass(frozen=True)
class RegexReading:
    """One configured pattern as RE2 matches it and as the E004 proof reads it."""

    linear: str
    superset: str
    literals: tuple[str, ...]
    # The superset and literals with each unescaped "." read as "\\.", when the pattern has one.
    superset_dots_escaped: str | None
    literals_dots_escaped: tuple[str, ...]


@lru_cache(maxsize=256)
def read(regex: re.Pattern[str]) -> RegexReading:
    """Read a configured pattern; RegexNotLinearError when it has no linear-time reading."""
    with warnings.catch_warnings():  # re.compile() has shown the user any warning already
        warnings.simplefilter("ignore")
        parsed = sre_parse.parse(regex.pattern, regex.flags)
    tree = _read(parsed.data, parsed.state.flags)
    runs: list[str] = []
    _literal_runs(tree, runs)
    dotted = _has_dot(tree)
    runs_dots_escaped: list[str] = []
    if dotted:
        _literal_runs(tree, runs_dots_escaped, dots_escaped=True)
    return RegexReading(
        linear=_for_re2(tree),
        superset=_for_proof(tree),
        literals=tuple(dict.fromkeys(run for run in runs if run)),
        superset_dots_escaped=_for_proof(tree, dots_escaped=True) if dotted else None,
        literals_dots_escaped=tuple(dict.fromkeys(run for run in runs_dots_escaped if run)),
    )


class LinearRegex:
    """A configured pattern matched by RE2: Python's ``fullmatch`` verdict, in linear time,
    on every value that passed the Origin grammar."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: re.Pattern[str], compiled: Any) -> None:
        self.pattern = pattern
        self._compiled = compiled

    def fullmatch(self, origin: str) -> bool:
        """Whether the pattern matches the whole origin (ASCII, as the grammar guarantees)."""
        return self._compiled.fullmatch(origin.encode("ascii")) is not None

    def __repr__(self) -> str:
        return f"LinearRegex({self.pattern!r})"


@lru_cache(maxsize=256)
def linear(regex: re.Pattern[str]) -> LinearRegex:
    """The RE2 matcher of a configured pattern; RegexNotLinearError when there is none."""
    reading = read(regex)
    options = re2.Options()
    options.never_capture = True  # a verdict needs no groups, and RE2 is fastest without them
    options.log_errors = False  # the error is raised, and reported as E019
    try:
        compiled = re2.compile(reading.linear, options)
    except re2.error as error:  # for example a counted repeat above RE2's limit of 1000
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexNotLinearError(f"a part RE2 cannot compile ({reason})") from None
    return LinearRegex(regex, compiled)


# --- the proof behind E004 -----------------------------------------------------------------

# The Origin grammar of origins.split_origin, as interegular reads it (length and port range
# aside, which only narrow it): scheme "://" host [":" port].
_SCHEME = r"[a-z][a-z0-9+.\-]*"
_LABEL = r"[a-z0-9_\-]+"
_PORT = r"(?::[1-9][0-9]{0,4})?"
_GRAMMAR = rf"{_SCHEME}://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\]){_PORT}"
_IPV6_LITERAL = re.compile(r"\[[0-9a-f:.]+\]")
_SCHEME_PREFIX = re.compile(r"[a-z][a-z0-9+.\-]*://")
_NAME_TEXT = re.compile(r"[a-z0-9_.\-]+")


@dataclass(frozen=True)
class Proof:
    """Whether every origin a pattern matches is under the registrable domains, or has one of
    the exact hosts, written in it; else an origin it matches outside them, when one was found."""

    proved: bool
    domains: tuple[str, ...]
    hosts: tuple[str, ...]
    outside: str | None = None
    # True when reading each unescaped "." as "\." would make the pattern provable.
    dots_unescaped: bool = False


def candidates(literals: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What literal text lets a pattern match: registrable domains (eTLD+1, or "localhost"),
    with their subdomains, and exact hosts (any name or IP address written whole)."""
    domains: dict[str, None] = {}
    hosts: dict[str, None] = {}
    for literal in literals:
        for address in _IPV6_LITERAL.findall(literal):
            hosts[address] = None
        text = _SCHEME_PREFIX.sub(" ", _IPV6_LITERAL.sub(" ", literal))
        for found in _NAME_TEXT.findall(text):
            name = found.strip(".-")
            if not name:
                continue
            hosts[name] = None  # an exact host is as narrow as listing its origins
            if suffixes.is_loopback_name(name):
                domains[suffixes.LOOPBACK] = None
            elif not name.rsplit(".", 1)[-1].isdigit():  # not an IPv4 address
                registrable = suffixes.registrable_domain(name)
                if registrable is not None:
                    domains[registrable] = None
    return tuple(domains), tuple(hosts)


@lru_cache(maxsize=256)
def prove(regex: re.Pattern[str]) -> Proof:
    """Check every origin the pattern matches against the domains written in it (RegexNotLinearError
    when the pattern has no reading)."""
    reading = read(regex)
    domains, hosts = candidates(reading.literals)
    try:
        matches, outside = _outside(reading.superset, domains, hosts)
    except Exception:  # whatever the automata library cannot do proves nothing
        return Proof(False, domains, hosts)
    if outside is None:
        return Proof(True, domains, hosts)
    dots_unescaped = False
    if reading.superset_dots_escaped is not None:
        escaped = candidates(reading.literals_dots_escaped)
        try:
            matches, outside_escaped = _outside(reading.superset_dots_escaped, *escaped)
        except Exception:  # the hint is optional
            matches, outside_escaped = False, None
        dots_unescaped = matches and outside_escaped is None
    return Proof(
        False,
        domains,
        hosts,
        outside=outside if linear(regex).fullmatch(outside) else None,
        dots_unescaped=dots_unescaped,
    )


def _outside(
    superset: str, domains: Sequence[str], hosts: Sequence[str]
) -> tuple[bool, str | None]:
    """Whether ``superset`` matches any origin of the grammar, and one it matches outside the
    domains and hosts (None when there is none: the proof holds)."""
    from interegular import parse_pattern  # noqa: PLC0415 - about 80 ms, only for E004

    matched = parse_pattern(superset).to_fsm() & _grammar()
    if matched.empty():
        return False, None
    if domains or hosts:
        matched = matched - _allowed(tuple(domains), tuple(hosts))
        if matched.empty():
            return True, None
    for preferred in _READABLE:
        narrowed = matched & parse_pattern(preferred).to_fsm()
        if not narrowed.empty():
            return True, _shortest(narrowed)
    return True, _shortest(matched)


# Counterexamples are looked for in this order, so that a message shows a site one could
# register ("https://a.com") before an odd origin ("a://1").
_READABLE = (
    rf"https://(?:{_LABEL}\.)*[a-z0-9\-]+\.(?:com|net|org|io){_PORT}",
    rf"https?://(?:{_LABEL}\.)+[a-z]+{_PORT}",
    r"https?://[^\n]*",
)


@lru_cache(maxsize=64)
def _allowed(domains: tuple[str, ...], hosts: tuple[str, ...]) -> Any:
    """The automaton of the origins under ``domains`` or with a host of ``hosts``, any port."""
    from interegular import parse_pattern  # noqa: PLC0415

    allowed = [rf"{_SCHEME}://(?:{_LABEL}\.)*{re.escape(domain)}{_PORT}" for domain in domains]
    allowed += [rf"{_SCHEME}://{re.escape(host)}{_PORT}" for host in hosts]
    return parse_pattern("|".join(f"(?:{pattern})" for pattern in allowed)).to_fsm()


@lru_cache(maxsize=1)
def _grammar() -> Any:
    from interegular import parse_pattern  # noqa: PLC0415

    return parse_pattern(_GRAMMAR).to_fsm()


def _shortest(fsm: Any) -> str | None:
    """A shortest string an interegular automaton accepts, letters preferred."""
    by_key = {
        key: min(
            (symbol for symbol in symbols if isinstance(symbol, str)),
            key=_readability,
            default=None,
        )
        for key, symbols in fsm.alphabet.by_transition.items()
    }
    came_from: dict[Any, tuple[Any, str] | None] = {fsm.initial: None}
    queue = deque([fsm.initial])
    while queue:
        state = queue.popleft()
        if state in fsm.finals:
            chars: list[str] = []
            step = came_from[state]
            while step is not None:
                state, symbol = step
                chars.append(symbol)
                step = came_from[state]
            return "".join(reversed(chars))
        for _, key, target in sorted(
            (_readability(by_key.get(key)), key, target)
            for key, target in fsm.map.get(state, {}).items()
        ):
            found = by_key.get(key)
            if found is not None and target not in came_from:
                came_from[target] = (state, found)
                queue.append(target)
    return None  # pragma: no cover - only called on a non-empty automaton


def _readability(char: str | None) -> tuple[int, str]:
    """Letters first, then digits, then the rest: "https://a.com" before "https://0.com"."""
    if char is None:
        return (3, "")
    return (0 if char.isalpha() else 1 if char.isdigit() else 2, char)


# --- the message of E004 -------------------------------------------------------------------

_E004_FIXES = (
    "list the origins you trust (e.g. 'https://app.example.com'), use '*.' patterns under "
    "your domain (e.g. 'https://*.example.com'), or, to allow other sites on purpose, "
    "pass a callable that returns True for them (lambda origin: True allows every origin)"
)


def unproven_regex_message(
    regex: re.Pattern[str], canary: str | None, credentials: str
) -> str | None:
    """E004's message for a credentialed regex, or None when the proof holds and no canary
    (``origins.canary_matched_by``) matched. ``credentials`` names the setting that turned
    credentials on."""
    proof = prove(regex)
    if proof.proved and canary is None:
        return None
    outside = proof.outside or canary
    under = _proof_scope(proof.domains, proof.hosts)
    dots = (
        "; note that its unescaped '.' matches any character (write '\\.' for a dot)"
        if proof.dots_unescaped
        else ""
    )
    if outside:
        verdict = f"this regex also matches {outside!r}, which is not {under}"
    else:
        verdict = f"quart-cors cannot show that every origin this regex matches is {under}"
    return (
        f"with {credentials}, {verdict}, so another site could read your users' data"
        f"{dots}. Fix: {_E004_FIXES}"
    )


def _proof_scope(domains: Iterable[str], hosts: Iterable[str]) -> str:
    """What E004 allows a regex to match, in words, from what the regex names literally."""
    domains = list(domains)
    named = [f"under {domain}" for domain in domains]
    public = []
    for host in hosts:
        if "." not in host and not host.startswith("["):
            continue  # a single label is a word of the pattern more often than a host
        if host.startswith("[") or not suffixes.is_public_suffix(host):
            if not any(host == domain or host.endswith("." + domain) for domain in domains):
                named.append(f"the host {host}")
        else:
            public.append(host)
    scope = (
        f"{' or '.join(named)} (what it names literally)"
        if named
        else "under a registrable domain it names literally, and it names none"
    )
    if public:
        scope += (
            f"; {' and '.join(public)} is a public suffix (Public Suffix List), under which "
            "anyone can register a name"
        )
    return scope
