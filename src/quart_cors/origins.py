"""Origins: the request-side grammar, configured origins, and the matcher built from them.

A configured origin is parsed once into one of a few lookup tables, so matching a request's
``Origin`` costs a handful of set lookups however many origins or patterns are configured.
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from inspect import isawaitable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeAlias

from . import errors
from .errors import ConfigProblem

if TYPE_CHECKING:  # imported when a regex is configured: google-re2 costs import time
    from .regexes import LinearRegex

# f(origin) or f(origin, request), sync or async; which one is decided once, when compiled.
OriginPredicate: TypeAlias = Callable[..., bool | Awaitable[bool]]

logger = logging.getLogger("quart_cors")

# Schemes a configured origin may use; anything else is more likely a typo than a real origin.
KNOWN_SCHEMES = frozenset(
    {
        "http",
        "https",
        "chrome-extension",
        "moz-extension",
        "safari-web-extension",
        "capacitor",
        "ionic",
        "tauri",
    }
)
DEFAULT_PORTS: Mapping[str, str] = MappingProxyType({"http": "80", "https": "443"})
# Origins no one controls: the .invalid top-level domain is reserved (RFC 2606, RFC 6761) and
# can never be registered, so a regex that matches one of these matches any site.
CANARY_ORIGINS: tuple[str, ...] = (
    "https://quart-cors-canary.invalid",
    "http://quart-cors-canary.invalid",
    "http://quart-cors-canary.invalid:8080",
)
MAX_ORIGIN_LENGTH = 2048

# F#origin-header: scheme "://" host [":" port], lowercase, as browsers serialize it.
_LABEL = r"[a-z0-9_-]+"
_HOST = rf"{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\]"
_ORIGIN_RE = re.compile(rf"([a-z][a-z0-9+.-]*)://({_HOST})(?::([1-9][0-9]{{0,4}}))?", re.ASCII)
_SCHEME_RE = re.compile(r"[a-z][a-z0-9+.-]*", re.ASCII)
_DOMAIN_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*", re.ASCII)


def split_origin(value: str) -> tuple[str, str, str | None] | None:
    """Split a serialized origin into (scheme, host, port), or None when it is not one.

    Only what passes here is ever echoed, logged unquoted, or handed to a user's callable.
    """
    if len(value) > MAX_ORIGIN_LENGTH:
        return None
    found = _ORIGIN_RE.fullmatch(value)
    if found is None:
        return None
    scheme, host, port = found.groups()
    if port is not None and int(port) > 65535:
        return None
    return scheme, host, port


@dataclass(frozen=True, slots=True)
class CORSRequest:
    """What a two-parameter origin callable ``f(origin, request)`` learns about the request.

    Only what is the same for every request one cached preflight answer covers: the browser
    keeps that answer per origin and URL, for every method and header name it lists. So the
    object holds the scheme (``http`` or ``https``, a websocket handshake included), the host
    (lowercased, with a non-default port) and the path (without the app's root path); never the
    method or the headers. Write policies that differ by method as separate rules.
    """

    scheme: str
    host: str
    path: str


class OriginSource:
    """A set of origins that changes while the app runs (see quart_cors.DynamicOrigins).

    Matching reads the set's current compiled table: one lookup, whatever its size.
    """

    # Bumped each time the set is replaced, so that answers remembered per origin are dropped.
    generation: int = 0

    def matches(self, origin: str) -> bool:
        """Whether the current set allows a request's Origin value."""
        raise NotImplementedError

    @property
    def size(self) -> int:
        """How many origins and patterns the current set holds."""
        raise NotImplementedError

    @property
    def label(self) -> str:
        """How describe() and `quart-cors routes` name the set."""
        raise NotImplementedError


@dataclass(frozen=True)
class OriginMatcher:
    """The compiled form of ``allow_origin``: lookup tables, regexes and callables."""

    any_origin: bool = False
    allow_null: bool = False
    exact: frozenset[str] = frozenset()
    # "scheme://host" entries that allow any port.
    any_port: frozenset[str] = frozenset()
    # "scheme://*.suffix", "scheme://*.suffix:port" and "scheme://*.suffix:*" entries.
    wildcards: frozenset[str] = frozenset()
    # The configured patterns, and the same matched by RE2 in linear time (what match() uses).
    regexes: tuple[re.Pattern[str], ...] = ()
    linear_regexes: tuple[LinearRegex, ...] = ()
    # (callable, whether it takes the request as its second argument), in configured order.
    predicates: tuple[tuple[OriginPredicate, bool], ...] = ()
    # Regexes that match a canary origin (a site you do not control): a warning without
    # credentials; with credentials policy.credential_problems proves each regex instead.
    any_origin_regexes: tuple[re.Pattern[str], ...] = ()
    # Every configured item in the order given, strings normalized, repeats dropped (to show).
    items: tuple[str | re.Pattern[str] | OriginPredicate | OriginSource, ...] = ()
    # Sets loaded at run time (DynamicOrigins), asked after the exact origins.
    sources: tuple[OriginSource, ...] = ()

    @property
    def exact_only(self) -> bool:
        """True when nothing but the exact set can match (a miss needs no parsing)."""
        return not (
            self.any_origin
            or self.any_port
            or self.wildcards
            or self.regexes
            or self.predicates
            or self.sources
        )

    def match(self, origin: str) -> bool | None:
        """True or False for a request Origin value; None when only the callables can tell."""
        # Configured exact origins are normalized serialized origins: equality implies grammar.
        if origin in self.exact:
            return True
        if self.sources:
            for source in self.sources:
                if source.matches(origin):
                    return True
        if origin == "null":
            return self.allow_null
        if self.exact_only:
            return False
        parts = split_origin(origin)
        if parts is None:
            return False
        if self.any_origin:
            return True
        scheme, host, port = parts
        if self.any_port and f"{scheme}://{host}" in self.any_port:
            return True
        if self.wildcards and host[0] != "[" and self._match_wildcard(scheme, host, port):
            return True
        for regex in self.linear_regexes:
            if regex.fullmatch(origin):
                return True
        return None if self.predicates else False

    def _match_wildcard(self, scheme: str, host: str, port: str | None) -> bool:
        # One lookup per label of the request's host, whatever the number of patterns.
        wildcards = self.wildcards
        prefix = scheme + "://*"
        port_part = ":" + port if port else ""
        any_port = self.wildcards_any_port
        dot = host.find(".")
        while dot > 0:
            key = prefix + host[dot:]
            if key + port_part in wildcards or (any_port and key + ":*" in wildcards):
                return True
            dot = host.find(".", dot + 1)
        return False

    @cached_property
    def broad_patterns(self) -> tuple[str, ...]:
        """Wildcard patterns whose base is a public suffix (refused with credentials, E003).

        Reads the Public Suffix List, so it is asked only when credentials are on.
        """
        return tuple(
            item
            for item in self.items
            if isinstance(item, str) and "://*." in item and wildcard_is_public(item)
        )

    @cached_property
    def wildcards_any_port(self) -> bool:
        """Whether a wildcard pattern allows any port ("https://*.example.com:*")."""
        return any(pattern.endswith(":*") for pattern in self.wildcards)

    @cached_property
    def needs_request(self) -> bool:
        """True when a callable takes (origin, request), so the caller must build the request."""
        return any(wants_request for _, wants_request in self.predicates)

    async def match_predicates(self, origin: str, request: CORSRequest | None = None) -> bool:
        """Ask the user's callables, in order; one that raises counts as a refusal."""
        for predicate, wants_request in self.predicates:
            try:
                verdict = predicate(origin, request) if wants_request else predicate(origin)
                if isawaitable(verdict):
                    verdict = await verdict
            except Exception:
                logger.exception(
                    "CORS origin callable %r raised for origin %r; refusing it", predicate, origin
                )
                continue
            if verdict is True:
                return True
        return False


@dataclass
class _Tables:
    """The matcher's tables while they are filled, one configured item at a time."""

    any_origin: bool = False
    allow_null: bool = False
    exact: set[str] = field(default_factory=set)
    any_port: set[str] = field(default_factory=set)
    wildcards: set[str] = field(default_factory=set)
    regexes: list[re.Pattern[str]] = field(default_factory=list)
    linear_regexes: list[LinearRegex] = field(default_factory=list)
    predicates: list[tuple[OriginPredicate, bool]] = field(default_factory=list)
    items: list[str | re.Pattern[str] | OriginPredicate | OriginSource] = field(
        default_factory=list
    )
    sources: list[OriginSource] = field(default_factory=list)


def compile_origins(value: object) -> tuple[OriginMatcher, list[ConfigProblem]]:
    """Validate and normalize ``allow_origin`` into a matcher, with every problem found."""
    setting = "allow_origin"
    problems: list[ConfigProblem] = []
    tables = _Tables()
    for item in _origin_items(value, setting, problems):
        _add_origin(item, setting, tables, problems)
    matcher = OriginMatcher(
        any_origin=tables.any_origin,
        allow_null=tables.allow_null,
        exact=frozenset(tables.exact),
        any_port=frozenset(tables.any_port),
        wildcards=frozenset(tables.wildcards),
        regexes=tuple(tables.regexes),
        linear_regexes=tuple(tables.linear_regexes),
        predicates=tuple(tables.predicates),
        any_origin_regexes=tuple(
            regex for regex in tables.regexes if canary_matched_by(regex) is not None
        ),
        items=_without_repeats(tables.items),
        sources=tuple(dict.fromkeys(tables.sources)),
    )
    return matcher, problems


def _without_repeats(
    items: Iterable[str | re.Pattern[str] | OriginPredicate | OriginSource],
) -> tuple[str | re.Pattern[str] | OriginPredicate | OriginSource, ...]:
    kept: list[str | re.Pattern[str] | OriginPredicate | OriginSource] = []
    strings: set[str] = set()
    # Other items by identity: a callable object may be unhashable.
    others: set[int] = set()
    for item in items:
        if isinstance(item, str):
            if item in strings:
                continue
            strings.add(item)
        elif id(item) in others:
            continue
        else:
            others.add(id(item))
        kept.append(item)
    return tuple(kept)


def predicate_arity(item: Callable[..., Any]) -> int | None:
    """2 when a callable names a second positional parameter (the request), 1 when it takes
    the origin alone, None when it can be called with neither."""
    try:
        parameters = inspect.signature(item).parameters.values()
    except (TypeError, ValueError):
        return 1  # no signature to read (some builtins): called with the origin, as always
    positional = [
        parameter
        for parameter in parameters
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [parameter for parameter in positional if parameter.default is parameter.empty]
    variadic = any(parameter.kind is parameter.VAR_POSITIONAL for parameter in parameters)
    if any(
        parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty
        for parameter in parameters
    ):
        return None
    if len(positional) >= 2 and len(required) <= 2:
        return 2
    if len(required) <= 1 and (positional or variadic):
        return 1
    return None


# Sites anyone can register under the common top-level domains: a regex that matches one lets
# in any name there (https://[a-z]+\.com).
# One label of letters only, so that narrow character classes such as [a-z]+ match it too.
_CANARY = "quartcorscanary"
REGISTRABLE_CANARIES: tuple[str, ...] = tuple(
    f"https://{_CANARY}.{tld}" for tld in ("com", "net", "org", "io", "dev", "app")
)
# Runs of literal host text in a pattern, such as "example\.com" in r"https://.*example\.com".
_LITERAL_HOST = re.compile(r"(?:[a-z0-9-]|\\\.)+\\\.(?:[a-z0-9-]|\\\.)*[a-z0-9-]")


def canary_matched_by(regex: re.Pattern[str]) -> str | None:
    r"""An origin you cannot control that the regex matches whole, or None when none is found.

    Tries origins under the reserved .invalid domain (a regex matching one matches any host),
    registrable names under common top-level domains, and the regex's own literal host glued
    to a name of ours (evilexample.com for ".*example\.com") or followed by a domain of ours
    (example.com.evil.net for "example\.com.*"). Matched by RE2, in linear time.
    """
    return next((probe for probe, _ in _canaries_matched_by(regex)), None)


def _canaries_matched_by(regex: re.Pattern[str]) -> Iterator[tuple[str, str | None]]:
    """Each canary origin the regex matches, with the literal host it was built from."""
    from .regexes import RegexNotLinearError, linear  # noqa: PLC0415

    try:
        matcher = linear(regex)
    except RegexNotLinearError:
        return  # refused as E019 when configured; nothing to probe
    probes: list[tuple[str, str | None]] = [
        (probe, None) for probe in (*CANARY_ORIGINS, *REGISTRABLE_CANARIES)
    ]
    for literal in _LITERAL_HOST.findall(regex.pattern.lower()):
        host = literal.replace("\\.", ".").strip(".")
        for scheme in ("https", "http"):
            probes.append((f"{scheme}://{_CANARY}{host}", host))
            probes.append((f"{scheme}://{host}.{_CANARY}.invalid", host))
    for probe, host in probes:
        if matcher.fullmatch(probe):
            yield probe, host


def any_origin_regex_warning(regex: re.Pattern[str]) -> str:
    r"""The start-up WARNING for a regex, configured without credentials, that matches origins
    you do not control, with the fix that fits it.

    A regex that matches a host under the reserved .invalid domain matches any site: the fix
    is '*' or a narrower pattern. One that lets in names glued to or around its own literal
    host (evilexample.com for r"https://.*example\.com") is meant for that host: the fix is
    the host and a "*." pattern under it, which match by whole labels.
    """
    probe, host = next(_canaries_matched_by(regex), (None, None))
    shown = f"CORS allow_origin regex {regex.pattern!r}"
    if probe is None:
        return f"{shown} matches only origins under the domains it names"
    if probe in CANARY_ORIGINS:
        return (
            f"{shown} matches every site (for example {probe!r}); if that is what you mean "
            "write '*', otherwise narrow it to your sites"
        )
    if host is None or _add_origin_string(f"https://*.{host}", _Tables()) is not None:
        return (
            f"{shown} matches sites you do not control (for example {probe!r}, a name anyone "
            "can register); narrow it to your own domains, e.g. 'https://*.example.com'"
        )
    scheme = probe.partition("://")[0]
    return (
        f"{shown} matches sites you do not control (for example {probe!r}); for {host} and "
        f"its subdomains, list {f'{scheme}://{host}'!r} and {f'{scheme}://*.{host}'!r} "
        "instead, which match by whole labels"
    )


def _origin_items(value: object, setting: str, problems: list[ConfigProblem]) -> Iterable[object]:
    if isinstance(value, (str, re.Pattern, OriginSource)) or callable(value):
        return (value,)
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        problems.append(
            ConfigProblem(
                errors.ORIGIN_TYPE,
                setting,
                value,
                "expected an origin string, a compiled regex, a callable, or a list of them",
            )
        )
        return ()
    if isinstance(value, (set, frozenset)):  # unordered: sorted, so every run describes alike
        return sorted(value, key=_set_order)
    return list(value)


def _set_order(item: object) -> tuple[int, str]:
    """Strings by value, then regexes by pattern, then callables by qualified name."""
    if isinstance(item, str):
        return 0, item
    if isinstance(item, re.Pattern):
        return 1, repr(item.pattern)
    return 2, getattr(item, "__qualname__", None) or repr(item)


def _add_origin(item: object, setting: str, tables: _Tables, problems: list[ConfigProblem]) -> None:
    if isinstance(item, OriginSource):
        tables.sources.append(item)
        tables.items.append(item)
        return
    if isinstance(item, re.Pattern):
        if isinstance(item.pattern, str):
            _add_regex(item, setting, tables, problems)
            return
        problems.append(
            ConfigProblem(
                errors.ORIGIN_TYPE, setting, item, "compile the regex from a str, not bytes"
            )
        )
        return
    if not isinstance(item, str):
        if callable(item):
            arity = predicate_arity(item)
            if arity is None:
                problems.append(
                    ConfigProblem(
                        errors.ORIGIN_TYPE,
                        setting,
                        item,
                        "an origin callable takes f(origin) or f(origin, request) "
                        "and returns True to allow; this one cannot be called that way",
                    )
                )
                return
            tables.predicates.append((item, arity == 2))
            tables.items.append(item)
            return
        problems.append(
            ConfigProblem(
                errors.ORIGIN_TYPE,
                setting,
                item,
                "each origin must be a string, a compiled regex or a callable",
            )
        )
        return
    if item == "*":
        tables.any_origin = True
        tables.items.append(item)
        return
    if item == "null":
        tables.allow_null = True
        tables.items.append(item)
        return
    problem = _add_origin_string(item, tables)
    if problem is not None:
        code, message = problem
        problems.append(ConfigProblem(code, setting, item, message))


def _add_regex(
    item: re.Pattern[str], setting: str, tables: _Tables, problems: list[ConfigProblem]
) -> None:
    """File a configured regex with its RE2 matcher, or refuse one RE2 cannot match (E019)."""
    from .regexes import RegexNotLinearError, linear  # noqa: PLC0415 - google-re2, only for regexes

    try:
        matcher = linear(item)
    except RegexNotLinearError as error:
        problems.append(
            ConfigProblem(
                errors.ORIGIN_REGEX_NOT_LINEAR,
                setting,
                item,
                f"it has {error}, which the linear-time engine (RE2) cannot match, and on "
                "which Python's own engine can spend seconds on one crafted Origin; rewrite it "
                "without that, list the origins, or use '*.' patterns; to take the risk on "
                "purpose, pass a callable (lambda origin: PATTERN.fullmatch(origin) is not None)",
            )
        )
        return
    tables.regexes.append(item)
    tables.linear_regexes.append(matcher)
    tables.items.append(item)


def _add_origin_string(item: str, tables: _Tables) -> tuple[str, str] | None:
    """File one configured origin string under its table; return (code, fix) when it is bad."""
    if "," in item:
        # The usual environment-variable form: several origins joined into one string.
        return errors.ORIGIN_LIST_IN_STRING, origin_list_fix(item)
    if _has_whitespace_or_control(item):
        words = item.split()
        if len(words) > 1 and all("://" in word for word in words):
            return errors.ORIGIN_LIST_IN_STRING, origin_list_fix(item)
        # Only surrounding whitespace has an obvious fix; inside a value it is anyone's guess.
        cleaned = item.strip()
        fix = "" if _has_whitespace_or_control(cleaned) else _fix(cleaned)
        return errors.ORIGIN_HAS_WHITESPACE, "remove whitespace and control characters" + fix
    scheme, sep, authority = item.partition("://")
    if not sep:
        return errors.ORIGIN_MALFORMED, "an origin needs a scheme" + _fix(f"https://{item}")
    scheme = scheme.lower()
    if "*" in scheme:
        return errors.ORIGIN_MISPLACED_WILDCARD, (
            "'*' may only be a leading host label or the port; for other patterns "
            "use re.compile(...), which must match the whole origin"
        )
    if not _SCHEME_RE.fullmatch(scheme):
        return errors.ORIGIN_MALFORMED, "the scheme is not valid"
    if "@" in authority:
        return errors.ORIGIN_HAS_USERINFO, "origins never carry a user name or password" + (
            _fix(f"{scheme}://{authority.rpartition('@')[2]}")
        )
    for mark in "/?#":
        if mark in authority:
            bare = authority.split(mark, 1)[0]
            what = "trailing slash" if authority == bare + "/" else "path, query or fragment"
            return errors.ORIGIN_HAS_PATH, f"an origin has no {what}" + _fix(f"{scheme}://{bare}")
    host, port, problem = _split_authority(authority)
    if problem is not None:
        return problem
    if scheme not in KNOWN_SCHEMES:
        return errors.ORIGIN_UNKNOWN_SCHEME, (
            f"unknown scheme {scheme!r} (expected one of {', '.join(sorted(KNOWN_SCHEMES))}); "
            "if you really mean it, use re.compile(...) or a callable"
        )
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    if host.startswith("*."):
        return _add_wildcard(scheme, host, port, tables)
    if "*" in host:
        return errors.ORIGIN_MISPLACED_WILDCARD, (
            "'*' may only stand for whole leading labels, as in 'https://*.example.com'; "
            "did you mean re.compile(...)? It must match the whole origin"
        )
    if scheme in DEFAULT_PORTS and _ends_in_number(host):
        ipv4 = _parse_ipv4(host)
        if ipv4 is None:
            return errors.ORIGIN_MALFORMED, (
                "a host whose last label is a number is an IPv4 address to browsers, and this "
                "one is not valid (four parts of 0-255, e.g. 192.168.0.1)"
            )
        if ipv4 != host:
            canonical = f"{scheme}://{ipv4}" + ("" if port is None else f":{port}")
            return errors.ORIGIN_NONCANONICAL_IPV4, (
                f"browsers send this address as {canonical!r}, so the value as written never "
                f"matches: use {canonical!r}"
            )
    host_or_problem = _normalize_host(host)
    if isinstance(host_or_problem, tuple):
        return host_or_problem
    base = f"{scheme}://{host_or_problem}"
    if port == "*":
        tables.any_port.add(base)
        tables.items.append(f"{base}:*")
    else:
        tables.exact.add(base if port is None else f"{base}:{port}")
        tables.items.append(base if port is None else f"{base}:{port}")
    return None


def origin_list_fix(item: str, config_key: str | None = None, env_prefix: str = "QUART") -> str:
    """E017's fix for several origins joined into one string (by commas or whitespace).

    For an argument the fix is a Python list. For a value from ``app.config`` it is the list
    there, or, from the environment, the JSON form ``app.config.from_prefixed_env()`` parses
    (an environment variable cannot hold a Python list), named with the prefix that method
    strips (``env_prefix``).
    """
    separated = item.replace(",", " ").split()
    if config_key is None:
        return f"one origin per list item: use the list {separated!r}"
    variable = f"{env_prefix}_{config_key}={shlex.quote(json.dumps(separated))}"
    return (
        f"one origin per list item: set app.config[{config_key!r}] to the list "
        f"{separated!r}, or, in the environment for app.config.from_prefixed_env(), which "
        f"reads JSON: {variable}"
    )


def _fix(candidate: str) -> str:
    """': use <candidate>' when that value would be accepted as it stands, else ''."""
    return f": use {candidate!r}" if _add_origin_string(candidate, _Tables()) is None else ""


def _has_whitespace_or_control(text: str) -> bool:
    return any(ch.isspace() or ord(ch) < 0x20 or ch == "\x7f" for ch in text)


def serialize_ipv6(address: ipaddress.IPv6Address) -> str:
    """An IPv6 address as browsers write it in a URL (URL Standard, "IPv6 serializer").

    Eight lowercase hex pieces with the first longest run of two or more zero pieces written
    as ``::``. Not ``address.compressed``: Python 3.13 writes IPv4-mapped addresses in dotted
    form (``::ffff:1.2.3.4``), where browsers write ``::ffff:102:304``.
    """
    packed = address.packed
    pieces = [f"{packed[index] << 8 | packed[index + 1]:x}" for index in range(0, 16, 2)]
    start, length = 0, 0
    run_start = run_length = 0
    for index, piece in enumerate(pieces):
        if piece != "0":
            run_length = 0
            continue
        if run_length == 0:
            run_start = index
        run_length += 1
        if run_length > length:
            start, length = run_start, run_length
    if length < 2:
        return ":".join(pieces)
    return f"{':'.join(pieces[:start])}::{':'.join(pieces[start + length :])}"


def _split_authority(authority: str) -> tuple[str, str | None, tuple[str, str] | None]:
    if authority.startswith("["):
        host, bracket, rest = authority.partition("]")
        host += bracket
        if not bracket or (rest and not rest.startswith(":")):
            return "", None, (errors.ORIGIN_MALFORMED, "an IPv6 host must be bracketed: [::1]")
        port = rest[1:] if rest else None
    else:
        host, colon, port_text = authority.partition(":")
        port = port_text if colon else None
    if port is not None and port != "*":
        if not port.isascii() or not port.isdigit() or not 0 < int(port) <= 65535:
            return (
                "",
                None,
                (
                    errors.ORIGIN_MALFORMED,
                    "the port must be a number from 1 to 65535, or '*' for any port",
                ),
            )
        port = str(int(port))
    if not host:
        return "", None, (errors.ORIGIN_MALFORMED, "the origin has no host")
    return host, port, None


def _normalize_host(host: str) -> str | tuple[str, str]:
    """Lowercase a host as browsers serialize it, with IPv6 compressed."""
    if host.startswith("["):
        try:
            if "%" in host:  # a zone ID never appears in an origin
                raise ValueError(host)
            return f"[{serialize_ipv6(ipaddress.IPv6Address(host[1:-1]))}]"
        except ValueError:
            return errors.ORIGIN_MALFORMED, "the IPv6 address is not valid (and has no zone ID)"
    lowered = host.lower()
    if not lowered.isascii():
        # Browsers send IDNs in the UTS #46 punycode form; Python's built-in "idna" codec
        # follows IDNA 2003 and maps some names to another site, so we do not guess.
        return errors.ORIGIN_MALFORMED, (
            "write an internationalized host in the ASCII form browsers send (xn--...), "
            "e.g. from the idna package: idna.encode(host, uts46=True)"
        )
    if not _DOMAIN_RE.fullmatch(lowered):
        return errors.ORIGIN_MALFORMED, "the host is not a valid domain name or IP address"
    return lowered


def _add_wildcard(
    scheme: str, host: str, port: str | None, tables: _Tables
) -> tuple[str, str] | None:
    suffix = _normalize_host(host[2:])
    if isinstance(suffix, tuple):
        if "*" in host[2:]:
            return errors.ORIGIN_MISPLACED_WILDCARD, (
                "only one leading '*.' label is allowed; did you mean re.compile(...)?"
            )
        return suffix
    if _ends_in_number(suffix):
        return errors.ORIGIN_MALFORMED, (
            "a '*.' wildcard needs a domain name after it, not part of an IP address"
        )
    pattern = f"{scheme}://*.{suffix}"
    tables.wildcards.add(pattern if port is None else f"{pattern}:{port}")
    tables.items.append(pattern if port is None else f"{pattern}:{port}")
    return None


def wildcard_is_public(pattern: str) -> bool:
    """Whether a normalized "scheme://*.suffix[:port]" pattern has a public suffix as its base
    (anyone can register a name under it), by the Public Suffix List; "*.localhost" is not."""
    from . import suffixes  # noqa: PLC0415 - the list is read only when credentials need it

    suffix = pattern.partition("://*.")[2].partition(":")[0]
    return not suffixes.is_loopback_name(suffix) and suffixes.is_public_suffix(suffix)


# URL Standard, "ends in a number" and "IPv4 parser" (https://url.spec.whatwg.org/#concept-ipv4-
# parser): how browsers read the host of an http(s) URL whose last label is numeric.


_IPV4_DIGITS: Mapping[int, frozenset[str]] = MappingProxyType(
    {
        8: frozenset("01234567"),
        10: frozenset("0123456789"),
        16: frozenset("0123456789abcdefABCDEF"),
    }
)


def _ends_in_number(host: str) -> bool:
    labels = host.lower().split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    """One dotted part: decimal, octal with a leading 0, or hex with 0x; None if it is neither."""
    if not part or not part.isascii():
        return None
    base, digits = 10, part
    if part[:2] in ("0x", "0X"):
        base, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        base, digits = 8, part[1:]
    if not digits:
        return 0
    if not all(char in _IPV4_DIGITS[base] for char in digits):
        return None
    return int(digits, base)


def _parse_ipv4(host: str) -> str | None:
    """The dotted-decimal form browsers serialize ``host`` to, or None when it is invalid."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    values = [number for number in numbers if number is not None]
    if any(number > 255 for number in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        return None
    address = values[-1]
    for index, number in enumerate(values[:-1]):
        address += number << (8 * (3 - index))
    return str(ipaddress.IPv4Address(address))
