"""Report-only policies: a candidate judged beside the enforced policy, never answering.

Where the two verdicts differ, one INFO line on the ``quart_cors`` logger, the
``cors_report_only`` signal, and a bounded counter per (origin, rule, difference, direction)
that ``report_only_counts(app)`` and ``describe()`` show. The response is the enforced one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from quart import Quart

from . import errors
from ._common import LOG_LIMIT, RequestFacts, Scope, logger
from .answering import cors_request
from .errors import ConfigProblem, CORSConfigError
from .origins import split_origin
from .policy import ALLOW_CREDENTIALS, FIELDS, Answer, Policy
from .settings import Layer, explicit_layer
from .signals import cors_report_only

CANDIDATE_WOULD_REFUSE: Final = "candidate would refuse"
CANDIDATE_WOULD_ALLOW: Final = "candidate would allow"
# The setting that made the difference, besides the refusal reasons of cors_rejected.
DIFFERENCE_CREDENTIALS: Final = "credentials"
# How many (origin, rule, difference, direction) keys are counted one by one; past it, new
# origins are counted together under OTHER_ORIGINS, so random Origin values cannot grow memory.
COUNTS_LIMIT: Final = 1000
OTHER_ORIGINS: Final = "(other origins)"
MALFORMED_ORIGIN: Final = "(malformed origin)"
_EXTENSION_KEY = "quart_cors.report_only"
_CREDENTIAL_HEADERS = (b"cookie", b"authorization")


class ReportOnly:
    """Candidate settings for ``report_only=``: the keyword settings of ``cors()``.

    Settings not given here are those of the ``cors()`` or ``route_cors`` call the candidate
    is given to (and what that call inherits). A plain dict of the same names works too.
    """

    def __init__(
        self,
        *,
        allow_origin: Any = None,
        allow_credentials: bool | None = None,
        allow_methods: Any = None,
        allow_headers: Any = None,
        expose_headers: Any = None,
        max_age: Any = None,
        send_origin_wildcard: bool | None = None,
        allow_private_network: bool | None = None,
    ) -> None:
        given = {
            "allow_origin": allow_origin,
            "allow_credentials": allow_credentials,
            "allow_methods": allow_methods,
            "allow_headers": allow_headers,
            "expose_headers": expose_headers,
            "max_age": max_age,
            "send_origin_wildcard": send_origin_wildcard,
            "allow_private_network": allow_private_network,
        }
        self._settings = MappingProxyType(dict(report_only_layer("ReportOnly()", given) or {}))

    @property
    def settings(self) -> Mapping[str, object]:
        """The settings the candidate changes (those left as None are not set here)."""
        return self._settings

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={value!r}" for name, value in self._settings.items())
        return f"ReportOnly({given})"


def report_only_layer(where: str, value: object) -> Layer | None:
    """The candidate settings of a ``report_only=`` argument, validated as cors()'s are."""
    if value is None:
        return None
    if isinstance(value, ReportOnly):
        return value.settings
    code = errors.REPORT_ONLY_INVALID
    if not isinstance(value, Mapping):
        raise CORSConfigError(
            [
                ConfigProblem(
                    code,
                    "report_only",
                    value,
                    "use ReportOnly(allow_origin=...) or a dict of cors() settings",
                )
            ],
            where,
        )
    unknown = [key for key in value if key not in FIELDS]
    if unknown:
        raise CORSConfigError(
            [
                ConfigProblem(
                    code, "report_only", key, f"not a cors() setting; use one of {list(FIELDS)}"
                )
                for key in unknown
            ],
            where,
        )
    layer = explicit_layer(f"{where} report_only", **value)
    if not layer:
        raise CORSConfigError(
            [
                ConfigProblem(
                    code,
                    "report_only",
                    dict(value),
                    "name at least one setting the candidate changes, or leave report_only out",
                )
            ],
            where,
        )
    return layer


class ReportOnlyKey(NamedTuple):
    """What one counter counts: an origin, a rule, the setting that differs, and which way."""

    origin: str
    rule: str
    difference: str
    direction: str


class _Counts:
    """The counters of one app, bounded by COUNTS_LIMIT keys plus one per rule and kind."""

    def __init__(self) -> None:
        self.counts: dict[ReportOnlyKey, int] = {}

    def add(self, key: ReportOnlyKey) -> None:
        counts = self.counts
        if key not in counts and len(counts) >= COUNTS_LIMIT:
            key = key._replace(origin=OTHER_ORIGINS)
        counts[key] = counts.get(key, 0) + 1


def _counts_of(app: Quart) -> _Counts:
    counts = app.extensions.get(_EXTENSION_KEY)
    if counts is None:
        counts = app.extensions[_EXTENSION_KEY] = _Counts()
    return counts


def report_only_counts(app: Quart) -> dict[ReportOnlyKey, int]:
    """How often each report-only difference was seen in this process, by key (a copy)."""
    counts = app.extensions.get(_EXTENSION_KEY)
    return {} if counts is None else dict(counts.counts)


# --- comparing two answers ----------------------------------------------------------------


def difference_of(
    enforced: Answer, candidate: Answer, credentials_differ: bool
) -> tuple[str, str] | None:
    """(direction, setting) when the candidate's verdict differs from the enforced one.

    ``credentials_differ``: both allow the origin, one sends Allow-Credentials and the other
    does not, and the request carries credentials (a Cookie or Authorization header).
    """
    ours, theirs = enforced.refusal, candidate.refusal
    if ours is None and theirs is not None:
        return CANDIDATE_WOULD_REFUSE, theirs
    if theirs is None and ours is not None:
        return CANDIDATE_WOULD_ALLOW, ours
    if ours is None and credentials_differ:
        with_credentials = (ALLOW_CREDENTIALS, "true") in candidate.headers
        if with_credentials != ((ALLOW_CREDENTIALS, "true") in enforced.headers):
            return (
                CANDIDATE_WOULD_ALLOW if with_credentials else CANDIDATE_WOULD_REFUSE,
                DIFFERENCE_CREDENTIALS,
            )
    return None


def _carries_credentials(scope: Scope) -> bool:
    return any(name in _CREDENTIAL_HEADERS for name, _ in scope["headers"])


def compare_static(
    app: Quart, candidate: Policy, policy: Policy, enforced: Answer, request_: Any
) -> Awaitable[None] | None:
    """After an actual request's answer was found without awaiting: judge it by the candidate.

    Returns an awaitable only when the candidate needs its async callables or a signal is sent.
    """
    scope = request_.scope
    raw_origin = None
    for name, value in scope["headers"]:
        if name == b"origin":
            raw_origin = value
            break
    if raw_origin is None:
        return None  # not a CORS request
    theirs = candidate.answer_raw_origin(raw_origin)
    if theirs is None:
        return compare(
            app,
            candidate,
            policy,
            enforced,
            RequestFacts.scan(scope["headers"]),
            method=request_.method,
            scope=scope,
            rule=request_.url_rule.rule,
        )
    credentials = policy.allow_credentials != candidate.allow_credentials and (
        _carries_credentials(scope)
    )
    found = difference_of(enforced, theirs, credentials)
    if found is None:
        return None
    return record(
        app,
        found,
        raw_origin.decode("latin-1"),
        scope=scope,
        method=request_.method,
        requested_method=None,
        rule=request_.url_rule.rule,
    )


async def compare(
    app: Quart,
    candidate: Policy,
    policy: Policy,
    enforced: Answer,
    facts: RequestFacts,
    *,
    method: str,
    scope: Scope,
    narrow: bool = False,
    rule: str | None = None,
    endpoint: str | None = None,
) -> None:
    """Judge one request by the candidate as the enforced policy judged it; report a change."""
    origin = facts.origin
    if origin is None:
        return
    allowed = await candidate.match_origin_async(origin, cors_request(app, candidate, scope))
    preflight = facts.is_preflight(method)
    if preflight and facts.request_method:
        theirs = candidate.preflight(
            origin,
            allowed,
            facts.request_method,
            facts.request_headers,
            facts.private_network,
            narrow=narrow,
        )
        credentials = False  # a preflight never carries them; its actual request will
    else:
        theirs = candidate.actual_request(origin, allowed)
        credentials = policy.allow_credentials != candidate.allow_credentials and (
            _carries_credentials(scope)
        )
    found = difference_of(enforced, theirs, credentials)
    if found is None:
        return
    if rule is None:
        rule = _rule_of(app, endpoint)
    pending = record(
        app,
        found,
        origin,
        scope=scope,
        method=method,
        requested_method=facts.request_method if preflight else None,
        rule=rule,
    )
    if pending is not None:
        await pending


def record(
    app: Quart,
    found: tuple[str, str],
    origin: str,
    *,
    scope: Scope,
    method: str,
    requested_method: str | None,
    rule: str,
) -> Awaitable[None] | None:
    """Count one difference, log it at INFO, and send the signal when anyone listens."""
    direction, difference = found
    shown = origin if origin == "null" or split_origin(origin) is not None else MALFORMED_ORIGIN
    _counts_of(app).add(ReportOnlyKey(shown, rule, difference, direction))
    preflight = requested_method is not None
    path = scope.get("path", "")
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "CORS report-only: %s (%s): %s%r %r (rule %r), origin %r",
            direction,
            difference,
            "preflight for " if preflight else "",
            (requested_method or method)[:LOG_LIMIT],
            path[:LOG_LIMIT],
            rule[:LOG_LIMIT],
            origin[:LOG_LIMIT],
        )
    if not cors_report_only.receivers:
        return None
    return _send(
        app,
        origin=origin,
        path=path,
        rule=rule,
        method=method,
        requested_method=requested_method,
        preflight=preflight,
        direction=direction,
        difference=difference,
    )


async def _send(app: Quart, **facts: Any) -> None:
    try:
        await cors_report_only.send_async(
            app,
            _sync_wrapper=app.ensure_async,  # type: ignore[arg-type]
            **facts,
        )
    except Exception:
        # A metrics receiver must never change the answer the browser gets.
        logger.exception("a cors_report_only receiver raised; the request is answered anyway")


def _rule_of(app: Quart, endpoint: str | None) -> str:
    """The rule text of an endpoint, for counters and logs ("(404)" when none matched)."""
    try:
        rules = list(app.url_map.iter_rules(endpoint)) if endpoint is not None else []
    except KeyError:
        rules = []
    if not rules:
        return "(404)"
    return " | ".join(dict.fromkeys(rule.rule for rule in rules))


def rule_counts(app: Quart) -> dict[str, dict[ReportOnlyKey, int]]:
    """The counters grouped by rule, for describe()."""
    grouped: dict[str, dict[ReportOnlyKey, int]] = {}
    for key, count in report_only_counts(app).items():
        grouped.setdefault(key.rule, {})[key] = count
    return grouped
