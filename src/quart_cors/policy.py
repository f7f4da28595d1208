"""The CORS policy: validated settings compiled once, and every spec rule the server follows.

Plain data in, plain data out; no Quart here. "F#x" means https://fetch.spec.whatwg.org/#x.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Final, NamedTuple

from . import errors
from .errors import ConfigProblem
from .origins import CORSRequest, OriginMatcher, canary_matched_by, compile_origins

ALLOW_ORIGIN: Final = "Access-Control-Allow-Origin"
ALLOW_CREDENTIALS: Final = "Access-Control-Allow-Credentials"
ALLOW_METHODS: Final = "Access-Control-Allow-Methods"
ALLOW_HEADERS: Final = "Access-Control-Allow-Headers"
EXPOSE_HEADERS: Final = "Access-Control-Expose-Headers"
MAX_AGE: Final = "Access-Control-Max-Age"
ALLOW_PRIVATE_NETWORK: Final = "Access-Control-Allow-Private-Network"
# Every header name an answer can carry.
RESPONSE_HEADER_NAMES: Final = (
    ALLOW_ORIGIN,
    ALLOW_CREDENTIALS,
    ALLOW_METHODS,
    ALLOW_HEADERS,
    EXPOSE_HEADERS,
    MAX_AGE,
    ALLOW_PRIVATE_NETWORK,
)

# Refusal reasons, as logged and as sent with the cors_rejected signal.
REFUSED_ORIGIN: Final = "origin"
REFUSED_METHOD: Final = "method"
REFUSED_HEADERS: Final = "headers"
REFUSED_PRIVATE_NETWORK: Final = "private_network"

# F#http-new-header-syntax: methods and header names are RFC 9110 tokens.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# F#concept-method-normalize: browsers uppercase these six, and only these.
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
# F#forbidden-method: a browser never sends them, so allowing them is a mistake.
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# F#forbidden-response-header-name: never exposed to scripts.
_NEVER_EXPOSED = frozenset({"set-cookie", "set-cookie2"})

_VARY_ACTUAL: Final = ("Origin",)
_VARY_PREFLIGHT: Final = (
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
)
_VARY_PREFLIGHT_PNA: Final = (*_VARY_PREFLIGHT, "Access-Control-Request-Private-Network")

# How many origins beyond the configured exact ones a policy remembers its answer for.
ANSWER_MEMO_LIMIT: Final = 1024
# The longest Origin remembered: "https://" + a 253-character host + ":65535" is 267 bytes. A
# longer value is no serialized origin; remembering it would let each request pin kilobytes.
ANSWER_MEMO_ORIGIN_BYTES: Final = 300

# F#cors-preflight-cache: an entry lives for Max-Age seconds, so 0 means the browser keeps none.
_KEEP_NOTHING: Final = ((MAX_AGE, "0"),)

# The longest preflight cache any browser keeps (Firefox; Chromium 7200 s, WebKit 600 s): a
# larger max_age never takes effect, and Chromium drops a value too large to parse entirely.
MAX_AGE_LIMIT: Final = 86_400

DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {
        "allow_origin": ("*",),
        "allow_credentials": False,
        "allow_methods": ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"),
        "allow_headers": ("*",),
        "expose_headers": (),
        "max_age": None,
        "send_origin_wildcard": True,
        "allow_private_network": False,
    }
)
FIELDS: Final = tuple(DEFAULTS)


class Answer(NamedTuple):
    """What to add to one response: CORS headers, names for Vary, and why it was refused."""

    headers: tuple[tuple[str, str], ...] = ()
    vary: tuple[str, ...] = ()
    refusal: str | None = None
    refused_value: str | None = None
    # headers plus the Vary header, for answers computed once per policy (see block()).
    precomputed_block: tuple[tuple[str, str], ...] | None = None

    def block(self) -> tuple[tuple[str, str], ...]:
        """The headers to append to a response that has no Vary or CORS header yet."""
        if self.precomputed_block is not None:
            return self.precomputed_block
        if self.vary:
            return (*self.headers, ("Vary", ", ".join(self.vary)))
        return self.headers


def _fixed_answer(headers: tuple[tuple[str, str], ...], vary: tuple[str, ...]) -> Answer:
    """An answer built once per policy, with its response header block ready to append."""
    answer = Answer(headers=headers, vary=vary)
    return answer._replace(precomputed_block=answer.block())


# A request with no Origin still varies on it: the next one may carry one (F#cors-protocol-and-
# http-caches).
NO_ORIGIN: Final = _fixed_answer((), _VARY_ACTUAL)
_VARY_ORIGIN_HEADER: Final = ("Vary", ", ".join(_VARY_ACTUAL))


@dataclass(frozen=True)
class Policy:
    """An immutable, validated CORS policy for one endpoint."""

    origins: OriginMatcher
    allow_credentials: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    send_origin_wildcard: bool
    allow_private_network: bool
    _derived: _Precomputed = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_derived", _Precomputed.of(self))

    @property
    def needs_response_header_names(self) -> bool:
        """True when the exposed headers depend on the response (``*`` with credentials)."""
        return self._derived.expose_from_response

    async def match_origin_async(self, origin: str, request: CORSRequest | None = None) -> bool:
        """The full origin check, asking the callables when the tables cannot tell.

        ``request`` goes to the callables of two parameters, ``f(origin, request)``.
        """
        verdict = self.origins.match(origin)
        if verdict is None:
            return await self.origins.match_predicates(origin, request)
        return verdict

    def answer_raw_origin(self, raw_origin: bytes | None) -> Answer | None:
        """answer_actual_request() for the Origin header's bytes, as the request carries them.

        A configured exact origin is found without decoding: it is one lookup; so is an origin
        judged before, up to ANSWER_MEMO_LIMIT of them.
        """
        if raw_origin is None:
            return NO_ORIGIN
        derived = self._derived
        known = derived.answers_raw.get(raw_origin)
        if known is not None:
            return known
        return self._judge_raw_origin(raw_origin, derived.answers_limit)

    def _judge_raw_origin(self, raw_origin: bytes, limit: int) -> Answer | None:
        derived = self._derived
        answer = self.answer_actual_request(raw_origin.decode("latin-1"))
        if (
            answer is not None
            and derived.wildcard_answer is None
            and len(raw_origin) <= ANSWER_MEMO_ORIGIN_BYTES
        ):
            # Remembered per Origin, bounded: a pattern's hit or miss then costs what an exact
            # origin does. Past the bound the table starts again from the exact origins.
            answers = derived.answers_raw
            if len(answers) >= limit:
                answers.clear()
                answers.update(derived.exact_answers_raw)
            answers[raw_origin] = answer
        return answer

    def answer_actual_request(self, origin: str | None) -> Answer | None:
        """The answer for an actual request without awaiting anything, when possible.

        None when it needs the async callables or the response's header names; the caller
        then uses match_origin_async() and actual_request().
        """
        derived = self._derived
        if origin is None:
            return NO_ORIGIN
        # Configured exact origins are normalized serialized origins: equality implies grammar.
        known = derived.exact_answers.get(origin)
        if known is not None:
            return known
        if derived.expose_from_response:
            return None
        verdict = self.origins.match(origin)
        if verdict is None:
            return None
        return self.actual_request(origin, verdict)

    def actual_request(
        self,
        origin: str | None,
        origin_allowed: bool,
        response_header_names: Iterable[str] = (),
    ) -> Answer:
        """Headers for a response to an actual (non-preflight) request."""
        derived = self._derived
        if origin is None:
            return NO_ORIGIN
        if not origin_allowed:
            return Answer(
                vary=_VARY_ACTUAL,
                refusal=REFUSED_ORIGIN,
                refused_value=origin,
                precomputed_block=NO_ORIGIN.block(),
            )
        if derived.wildcard_answer is not None:
            return derived.wildcard_answer
        headers = ((ALLOW_ORIGIN, origin), *derived.actual_tail)
        if derived.expose_from_response:
            # F#cors-protocol-and-credentials: with credentials "*" would name a header "*".
            names = _exposable(response_header_names)
            if names:
                headers = (*headers, (EXPOSE_HEADERS, names))
        # The block is built here, where the tuple is made anyway (this runs per request).
        return Answer(headers, _VARY_ACTUAL, precomputed_block=(*headers, _VARY_ORIGIN_HEADER))

    def preflight(
        self,
        origin: str,
        origin_allowed: bool,
        method: str,
        request_headers: str | None,
        private_network: bool = False,
        *,
        narrow: bool = False,
    ) -> Answer:
        """Headers for the answer to a preflight (F#cors-preflight-fetch).

        ``narrow``: other rules on this URL have other policies. The browser would keep every
        method and header name listed for the whole URL (F#cors-preflight-cache), so the answer
        lists only the method and names asked for, with Max-Age 0 so that nothing is kept.
        """
        derived = self._derived
        vary = derived.preflight_vary
        if not origin_allowed:
            return Answer(vary=vary, refusal=REFUSED_ORIGIN, refused_value=origin)
        headers = derived.preflight_origin_headers or ((ALLOW_ORIGIN, origin), *derived.credentials)
        if not _TOKEN_RE.fullmatch(method) or not (
            derived.any_method or method in derived.method_set
        ):
            # As 0.8.0: the origin is acknowledged, the method is not listed.
            return Answer(headers, vary, REFUSED_METHOD, method)
        refusal: str | None = None
        refused_value: str | None = None
        allowed_names, refused_names = self._requested_headers(request_headers)
        if refused_names:
            refusal, refused_value = REFUSED_HEADERS, ", ".join(refused_names)
        if narrow or (derived.any_method and self.allow_credentials):
            # F#http-new-header-syntax: with credentials "*" is a method named "*".
            headers = (*headers, (ALLOW_METHODS, method))
        elif derived.any_method:
            headers = (*headers, (ALLOW_METHODS, "*"))
        else:  # a method was allowed, so the list is not empty
            headers = (*headers, (ALLOW_METHODS, derived.methods_value))
        if allowed_names:
            headers = (*headers, (ALLOW_HEADERS, ", ".join(allowed_names)))
        headers = (*headers, *(_KEEP_NOTHING if narrow else derived.max_age))
        if private_network:
            if self.allow_private_network:
                headers = (*headers, (ALLOW_PRIVATE_NETWORK, "true"))
            elif refusal is None:
                refusal, refused_value = REFUSED_PRIVATE_NETWORK, "true"
        return Answer(headers, vary, refusal, refused_value)

    def _requested_headers(self, value: str | None) -> tuple[list[str], list[str]]:
        """Split Access-Control-Request-Headers into allowed and refused names, lowercased."""
        if not value:
            return [], []
        allowed: list[str] = []
        refused: list[str] = []
        derived = self._derived
        seen: set[str] = set()
        # Parsed loosely (intermediaries may add spaces); each name is checked as a token.
        for item in value.split(","):
            name = item.strip().lower()
            if not name or name in seen:
                continue
            seen.add(name)
            if not _TOKEN_RE.fullmatch(name):
                refused.append(repr(name))
            elif derived.any_header or name in derived.header_set:
                allowed.append(name)
            else:
                refused.append(name)
        return allowed, refused


@dataclass(frozen=True)
class DynamicPolicy(Policy):
    """A policy whose allow_origin holds sets loaded at run time (DynamicOrigins).

    The answer remembered per Origin is dropped whenever a set is replaced, so that no request
    gets an answer from before the swap: one comparison per request.
    """

    def answer_raw_origin(self, raw_origin: bytes | None) -> Answer | None:
        """Policy.answer_raw_origin(), with the memo of an older generation of the sets dropped."""
        if raw_origin is None:
            return NO_ORIGIN
        derived = self._derived
        memo = derived.memo
        sources = self.origins.sources
        # Generations only grow, so their sum changes whenever one of the sets is replaced.
        generation = (
            sources[0].generation
            if len(sources) == 1
            else sum(source.generation for source in sources)
        )
        answers = derived.answers_raw
        if generation != memo.generation:
            answers.clear()
            answers.update(derived.exact_answers_raw)
            memo.generation = generation
            # Room for every loaded origin besides the usual bound, so partners do not evict
            # each other; the loaded sets are bounded by what the loader returns.
            memo.limit = derived.answers_limit + sum(source.size for source in sources)
        known = answers.get(raw_origin)
        if known is not None:
            return known
        return self._judge_raw_origin(raw_origin, memo.limit)


class _MemoGeneration:
    """Which generation of a DynamicPolicy's sets the per-Origin memo was filled under."""

    __slots__ = ("generation", "limit")

    def __init__(self) -> None:
        self.generation = -1
        self.limit = 0


@dataclass(frozen=True)
class _Precomputed:
    """Header values computed once per policy so a request only looks things up."""

    any_method: bool
    method_set: frozenset[str]
    methods_value: str
    any_header: bool
    header_set: frozenset[str]
    credentials: tuple[tuple[str, str], ...]
    actual_tail: tuple[tuple[str, str], ...]
    expose_from_response: bool
    wildcard_answer: Answer | None
    preflight_origin_headers: tuple[tuple[str, str], ...]
    preflight_vary: tuple[str, ...]
    max_age: tuple[tuple[str, str], ...]
    # The whole answer for each configured exact origin, so that a hit is one lookup.
    exact_answers: Mapping[str, Answer]
    exact_answers_raw: Mapping[bytes, Answer]
    # exact_answers_raw plus the answers of other origins judged without callables, bounded.
    answers_raw: dict[bytes, Answer] = field(compare=False)
    answers_limit: int = 0
    memo: _MemoGeneration = field(default_factory=_MemoGeneration, compare=False)

    @classmethod
    def of(cls, policy: Policy) -> _Precomputed:
        credentials = ((ALLOW_CREDENTIALS, "true"),) if policy.allow_credentials else ()
        expose_all = "*" in policy.expose_headers
        expose_from_response = expose_all and policy.allow_credentials
        expose: tuple[tuple[str, str], ...] = ()
        if expose_all and not policy.allow_credentials:
            expose = ((EXPOSE_HEADERS, "*"),)
        elif policy.expose_headers and not expose_all:
            expose = ((EXPOSE_HEADERS, ", ".join(policy.expose_headers)),)
        # F#cors-protocol-and-http-caches: a "*" answer does not depend on Origin, so no Vary.
        wildcard = (
            policy.origins.any_origin
            and policy.send_origin_wildcard
            and not policy.allow_credentials
        )
        wildcard_answer = _fixed_answer(((ALLOW_ORIGIN, "*"), *expose), ()) if wildcard else None
        max_age = () if policy.max_age is None else ((MAX_AGE, str(policy.max_age)),)
        actual_tail = (*credentials, *expose)
        exact_answers: dict[str, Answer] = {}
        if not wildcard and not expose_from_response:
            exact_answers = {
                origin: _fixed_answer(((ALLOW_ORIGIN, origin), *actual_tail), _VARY_ACTUAL)
                for origin in policy.origins.exact
            }
        # Configured origins are ASCII (non-ASCII hosts are refused), so latin-1 round-trips.
        exact_answers_raw = {
            origin.encode("latin-1"): answer for origin, answer in exact_answers.items()
        }
        return cls(
            any_method="*" in policy.allow_methods,
            method_set=frozenset(policy.allow_methods),
            methods_value=", ".join(policy.allow_methods),
            any_header="*" in policy.allow_headers,
            header_set=frozenset(policy.allow_headers),
            credentials=credentials,
            actual_tail=actual_tail,
            expose_from_response=expose_from_response,
            wildcard_answer=wildcard_answer,
            preflight_origin_headers=((ALLOW_ORIGIN, "*"),) if wildcard else (),
            preflight_vary=(
                _VARY_PREFLIGHT_PNA if policy.allow_private_network else _VARY_PREFLIGHT
            ),
            max_age=max_age,
            exact_answers=exact_answers,
            exact_answers_raw=exact_answers_raw,
            answers_raw=dict(exact_answers_raw),
            answers_limit=len(exact_answers_raw) + ANSWER_MEMO_LIMIT,
        )


def _exposable(names: Iterable[str]) -> str:
    seen: dict[str, str] = {}
    for name in names:
        lowered = name.lower()
        if lowered not in _NEVER_EXPOSED and lowered not in seen:
            seen[lowered] = name
    return ", ".join(seen.values())


# --- building a policy from plain values -------------------------------------------------


def check_settings(
    values: Mapping[str, object], credentials: str = "allow_credentials=True"
) -> tuple[dict[str, object], OriginMatcher, list[ConfigProblem]]:
    """Validate and normalize the settings given (all fields, or those one layer sets).

    ``credentials`` is how messages name the setting that turned credentials on.
    """
    problems: list[ConfigProblem] = []
    normalized = {
        name: normalize(name, value, problems)
        for name, value in values.items()
        if name != "allow_origin"
    }
    origins = OriginMatcher()
    if "allow_origin" in values:
        origins, origin_problems = compile_origins(values["allow_origin"])
        problems.extend(origin_problems)
        if normalized.get("allow_credentials") is True:
            problems.extend(credential_problems(origins, credentials))
    return normalized, origins, problems


def build_policy(
    values: Mapping[str, object], credentials: str = "allow_credentials=True"
) -> tuple[Policy | None, list[ConfigProblem]]:
    """Validate resolved settings (one value per field) into a policy, with every problem."""
    normalized, origins, problems = check_settings(
        {name: values[name] for name in FIELDS}, credentials
    )
    if problems:
        return None, problems
    policy_class = DynamicPolicy if origins.sources else Policy
    policy = policy_class(
        origins=origins,
        allow_credentials=bool(normalized["allow_credentials"]),
        allow_methods=_strings(normalized["allow_methods"]),
        allow_headers=_strings(normalized["allow_headers"]),
        expose_headers=_strings(normalized["expose_headers"]),
        max_age=_optional_int(normalized["max_age"]),
        send_origin_wildcard=bool(normalized["send_origin_wildcard"]),
        allow_private_network=bool(normalized["allow_private_network"]),
    )
    return policy, []


def credential_problems(
    origins: OriginMatcher, credentials: str = "allow_credentials=True"
) -> list[ConfigProblem]:
    """F#cors-protocol-and-credentials: credentials only with origins that are not guessable.

    ``credentials`` names the setting that turned them on, and where it came from.
    """
    problems = []
    if origins.any_origin:
        problems.append(
            ConfigProblem(
                errors.CREDENTIALS_WITH_ANY_ORIGIN,
                "allow_origin",
                "*",
                f"{credentials} needs the exact origins you trust, not '*'; "
                "list them (or a pattern such as 'https://*.example.com')",
            )
        )
    if origins.allow_null:
        problems.append(
            ConfigProblem(
                errors.CREDENTIALS_WITH_NULL,
                "allow_origin",
                "null",
                f"with {credentials}, 'null' lets in any sandboxed iframe or data: page, which "
                "all send Origin: null; remove 'null' or set allow_credentials=False",
            )
        )
    problems.extend(
        ConfigProblem(
            errors.CREDENTIALS_WITH_BROAD_PATTERN,
            "allow_origin",
            pattern,
            f"with {credentials}, a '*.' pattern must sit under a domain someone owns, and "
            f"{_wildcard_base(pattern)!r} is a public suffix (Public Suffix List): anyone can "
            "register a name under it and read your users' data; list the exact origins you "
            f"trust, or put '*.' under your own domain (e.g. "
            f"{_wildcard_under_own_domain(pattern)!r})",
        )
        for pattern in origins.broad_patterns
    )
    problems.extend(
        ConfigProblem(errors.CREDENTIALS_WITH_ANY_ORIGIN_REGEX, "allow_origin", regex, message)
        for regex, message in _unproven_regexes(origins.regexes, credentials)
    )
    return problems


def _wildcard_base(pattern: str) -> str:
    return pattern.partition("://*.")[2].partition(":")[0]


def _wildcard_under_own_domain(pattern: str) -> str:
    scheme, _, rest = pattern.partition("://*.")
    return f"{scheme}://*.example.{rest}"


def _unproven_regexes(
    regexes: Iterable[re.Pattern[str]], credentials: str
) -> Iterator[tuple[re.Pattern[str], str]]:
    """E004: each regex of which quart-cors cannot show that every origin it matches is under
    the registrable domains or exact hosts written in it, with the message to show."""
    if not regexes:
        return
    from .regex_proofs import unproven_regex_message  # noqa: PLC0415 - the proof, on demand

    for regex in regexes:
        # The canaries are the second line: names no one controls.
        message = unproven_regex_message(regex, canary_matched_by(regex), credentials)
        if message is not None:
            yield regex, message


def normalize(name: str, value: object, problems: list[ConfigProblem]) -> object:
    """Check one setting's value; return its normalized form (and record what is wrong)."""
    if name in ("allow_credentials", "send_origin_wildcard", "allow_private_network"):
        if not isinstance(value, bool):
            problems.append(ConfigProblem(errors.BOOL_EXPECTED, name, value, "use True or False"))
        return value
    if name == "allow_methods":
        return _normalize_methods(_items(name, value, problems), problems)
    if name in ("allow_headers", "expose_headers"):
        return _normalize_header_names(name, _items(name, value, problems), problems)
    if name == "max_age":
        return _normalize_max_age(value, problems)
    raise KeyError(name)  # allow_origin is compiled by origins.compile_origins


def _items(name: str, value: object, problems: list[ConfigProblem]) -> list[str]:
    # A lone string is one item (0.8.0 split config strings into characters).
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        problems.append(ConfigProblem(errors.LIST_ITEM_TYPE, name, value, "use a list of strings"))
        return []
    if isinstance(value, (set, frozenset)):  # unordered: sorted, so every run sends the same
        value = sorted(value, key=repr)
    items = []
    for item in value:
        if isinstance(item, str):
            items.append(item)
        else:
            problems.append(
                ConfigProblem(errors.LIST_ITEM_TYPE, name, item, "each item must be a string")
            )
    return items


def _tokens(
    setting: str, items: list[str], code: str, what: str, problems: list[ConfigProblem]
) -> list[str]:
    """The items that are tokens (or "*"); each other item is a problem whose fix splits it."""
    tokens = []
    for item in items:
        if item == "*" or _TOKEN_RE.fullmatch(item):
            tokens.append(item)
            continue
        parts = [part.strip() for part in item.split(",") if part.strip()]
        problems.append(
            ConfigProblem(
                code, setting, item, f"not {what}; give one per list item, e.g. {parts!r}"
            )
        )
    return tokens


def _normalize_methods(items: list[str], problems: list[ConfigProblem]) -> tuple[str, ...]:
    methods: dict[str, None] = {}
    for item in _tokens("allow_methods", items, errors.METHOD_INVALID, "an HTTP method", problems):
        upper = item.upper()
        if upper in _FORBIDDEN_METHODS:
            problems.append(
                ConfigProblem(
                    errors.METHOD_FORBIDDEN,
                    "allow_methods",
                    item,
                    "browsers never send CONNECT, TRACE or TRACK: remove it",
                )
            )
            continue
        methods[upper if upper in _NORMALIZED_METHODS else item] = None
    return tuple(methods)


def _normalize_header_names(
    name: str, items: list[str], problems: list[ConfigProblem]
) -> tuple[str, ...]:
    names: dict[str, str] = {}
    for item in _tokens(name, items, errors.HEADER_INVALID, "a header name", problems):
        if item != "*" and "*" in item:
            # "*" is a token character, so "X-Company-*" is a valid, literal name no one sends.
            problems.append(
                ConfigProblem(
                    errors.HEADER_NAME_PATTERN,
                    name,
                    item,
                    "header names are literal, not patterns, so this matches nothing; list "
                    "each name (e.g. 'X-Company-Id'), or use '*' alone for every header",
                )
            )
            continue
        # Request header names compare case-insensitively; exposed names keep their spelling.
        names.setdefault(item.lower(), item.lower() if name == "allow_headers" else item)
    return tuple(names.values())


def _normalize_max_age(value: object, problems: list[ConfigProblem]) -> int | None:
    if value is None:
        return None
    seconds: object = value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        seconds = int(value)  # 0.8.0 accepted "600", from config files and environments
    elif isinstance(value, timedelta):
        seconds = value.total_seconds()
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds >= 0:
        if seconds <= MAX_AGE_LIMIT:
            return seconds
        problems.append(
            ConfigProblem(
                errors.MAX_AGE_INVALID,
                "max_age",
                value,
                f"no browser keeps a preflight longer than {MAX_AGE_LIMIT} seconds (Firefox; "
                "Chromium stops at 7200, Safari at 600) and Chromium ignores values too large "
                f"to parse: use at most {MAX_AGE_LIMIT}, e.g. 7200",
            )
        )
        return None
    problems.append(
        ConfigProblem(
            errors.MAX_AGE_INVALID,
            "max_age",
            value,
            "use a whole number of seconds >= 0 (browsers read Access-Control-Max-Age as an "
            "integer; Chromium caps it at 7200)",
        )
    )
    return None


def _strings(value: object) -> tuple[str, ...]:
    assert isinstance(value, tuple)
    return value


def _optional_int(value: object) -> int | None:
    assert value is None or isinstance(value, int)
    return value
