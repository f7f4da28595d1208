r"""Origin regexes: read with Python's own parser, matched in linear time, proved narrow.

A configured ``re.compile(...)`` is parsed once, by the parser of the ``re`` module itself, into a
small tree whose character items are spelled as the ASCII characters Python matches with the
pattern's flags (IGNORECASE, DOTALL, ASCII...). A regex only ever sees a value that passed the
Origin grammar (``origins.split_origin``): printable ASCII, no line feed. On such input the tree
is the pattern, and it is written out twice:

- for RE2 (google-re2), whose matching time is linear in the Origin's length: ``^`` and ``\A``
  become ``\A``, ``$`` and ``\Z`` become ``\z``, so RE2's ``fullmatch`` verdict is Python's;
- for the proof behind E004 (``regex_proofs``, with interegular's automata), with anchors
  dropped and long counted repeats left open (``X{3,100}`` read as ``X{3,}``): a language that
  holds at least every origin the pattern matches, so what is proved of it holds for the
  pattern.

Backreferences, lookarounds, conditionals, atomic groups and possessive repeats have no
linear-time reading; a pattern with one is refused (E019).

This module and the packages it uses are imported only when a regex is configured.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeAlias

import re2

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
