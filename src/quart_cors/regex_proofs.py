"""The proof behind E004: a credentialed regex matches only origins under what it names.

The pattern's reading (``regexes.read``), a language that holds every origin the pattern
matches, is intersected with the Origin grammar and must lie within the origins under the
registrable domains (eTLD+1 by the Public Suffix List, or "localhost") and the exact hosts
written literally in it. interegular builds and compares the automata. Imported only when a
regex meets credentials: interegular and the suffix list cost about 0.1 s together.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import suffixes
from .regexes import linear, read

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
