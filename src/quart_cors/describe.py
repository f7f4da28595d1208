"""describe(app): the effective CORS policy of every route, and where each setting came from.

The records are what ``quart-cors routes`` prints, as a table or as JSON. They are read from the
policies the app itself serves with, so the view cannot drift from the behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from quart import Quart
from werkzeug.routing import Rule

from ._common import OWN_OPTIONS, ROUTE_CORS_SOURCE, ROUTE_LAYER, WEBSOCKET_CORS_SOURCE
from .app_state import AppCORS
from .origins import OriginSource
from .policy import FIELDS, Policy
from .report_only import ReportOnlyKey, rule_counts
from .serving import unmatched_endpoint
from .settings import field_sources
from .views import method_handler_layers, misplaced_route_cors_endpoints

CORSStatus = Literal["on", "exempt", "off"]

# The human table fits this many columns; longer values are shortened (--json keeps them).
TABLE_WIDTH = 100
_INDENT = "    "
_ELLIPSIS = "..."


@dataclass(frozen=True)
class EffectivePolicy:
    """The eight settings as the policy uses them (origins normalized, regexes and callables
    named as ``re:PATTERN`` and ``callable:QUALIFIED_NAME``)."""

    allow_origin: tuple[str, ...]
    allow_credentials: bool
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None
    send_origin_wildcard: bool
    allow_private_network: bool

    @classmethod
    def of(cls, policy: Policy) -> EffectivePolicy:
        """The settings of a compiled policy."""
        return cls(
            allow_origin=tuple(_origin_text(item) for item in policy.origins.items),
            allow_credentials=policy.allow_credentials,
            allow_methods=policy.allow_methods,
            allow_headers=policy.allow_headers,
            expose_headers=policy.expose_headers,
            max_age=policy.max_age,
            send_origin_wildcard=policy.send_origin_wildcard,
            allow_private_network=policy.allow_private_network,
        )

    def to_json(self) -> dict[str, Any]:
        """The settings in field order, lists as lists."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in ((name, getattr(self, name)) for name in FIELDS)
        }


@dataclass(frozen=True)
class RouteDescription:
    """One URL rule (or 404 pseudo-route) with its CORS status, policy and sources.

    ``rule`` is None for the 404 pseudo-routes, whose ``endpoint`` is None (the app's 404) or
    ``"BLUEPRINT.<unmatched>"`` (a 404 under that blueprint's url_prefix). ``policy`` and
    ``sources`` are None unless ``cors`` is ``"on"``. ``sources`` names, per setting,
    ``route_cors``, ``websocket_cors``, ``blueprint:NAME``, ``app``, ``config:QUART_CORS_...``
    or ``default``.
    """

    rule: str | None
    endpoint: str | None
    methods: tuple[str, ...]
    websocket: bool
    cors: CORSStatus
    policy: EffectivePolicy | None
    sources: Mapping[str, str] | None
    # The url_prefix a 404 pseudo-route stands for ("" for the app's own 404).
    url_prefix: str | None = None
    # What is wrong with the route although the app serves it (a route_cors that does nothing).
    problem: str | None = None
    # The report_only candidate judged beside ``policy``, and the differences counted for
    # this rule in this process, most frequent first.
    report_only: EffectivePolicy | None = None
    report_only_counts: tuple[tuple[ReportOnlyKey, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape printed by ``quart-cors routes --json``.

        ``report_only`` is present only for routes that have a candidate policy.
        """
        shape: dict[str, Any] = {
            "rule": self.rule,
            "endpoint": self.endpoint,
            "url_prefix": self.url_prefix,
            "methods": list(self.methods),
            "websocket": self.websocket,
            "cors": self.cors,
            "policy": None if self.policy is None else self.policy.to_json(),
            "sources": None if self.sources is None else dict(self.sources),
            "problem": self.problem,
        }
        if self.report_only is not None:
            shape["report_only"] = {
                "policy": self.report_only.to_json(),
                "differences": [
                    {**key._asdict(), "count": count} for key, count in self.report_only_counts
                ],
            }
        return shape


def describe(app: Quart) -> list[RouteDescription]:
    """The CORS policy of every URL rule in ``app.url_map`` order, then the 404 pseudo-routes.

    It compiles the app's policies as its start-up would (reading ``app.config`` then, if that
    has not happened yet) and raises ``CORSConfigError`` with every problem found.
    """
    state = AppCORS.of(app)
    state.compile_all()
    records = [
        record for rule in app.url_map.iter_rules() for record in _describe_rule(state, rule)
    ]
    if state.candidates.active:
        counts = rule_counts(app)
        records = [_with_candidate(state, record, counts) for record in records]
    records.extend(_not_found_records(state))
    return records


# A path segment no rule and no url_prefix has: what follows a prefix in an unmatched path.
_PROBE = "/\x00quart-cors-404"


def _not_found_records(state: AppCORS) -> list[RouteDescription]:
    """The 404 pseudo-routes that some unmatched path really takes, as the app decides it.

    The app's own row only when some path is under no blueprint's url_prefix; a blueprint's
    only when it is the innermost owner of its prefix; none for a prefix with a converter.
    """
    records = []
    if unmatched_endpoint(state, _PROBE) is None:
        records.append(_describe_endpoint(state, None, url_prefix=""))
    for name, prefix in state.blueprint_prefixes.items():
        pseudo = f"{name}.<unmatched>"
        if unmatched_endpoint(state, prefix + _PROBE) == pseudo:
            records.append(_describe_endpoint(state, pseudo, url_prefix=prefix))
    return records


def _describe_rule(state: AppCORS, rule: Rule) -> list[RouteDescription]:
    """One record per rule; a MethodView whose handlers have policies of their own gets one
    per group of methods that share a policy."""
    view = state.app.view_functions.get(rule.endpoint)
    handlers = method_handler_layers(view) if view is not None and state.installed else {}
    if not handlers:
        return [_describe_endpoint(state, rule.endpoint, rule=rule)]
    groups: dict[int, list[str]] = {}
    for method in _served_methods(rule, view):
        groups.setdefault(id(state.policy_of(rule.endpoint, method)), []).append(method)
    return [
        _describe_endpoint(state, rule.endpoint, rule=rule, methods=tuple(methods))
        for methods in groups.values()
    ]


def _describe_endpoint(
    state: AppCORS,
    endpoint: str | None,
    rule: Rule | None = None,
    url_prefix: str | None = None,
    methods: tuple[str, ...] | None = None,
) -> RouteDescription:
    """The record of an endpoint, or of some methods of a MethodView endpoint (``methods``)."""
    view = state.app.view_functions.get(endpoint or "")
    policy = state.policy_for(endpoint)
    named_layers = state.layers_of(endpoint)
    if methods is not None:
        policy = state.policy_of(endpoint, methods[0])
        handler = method_handler_layers(view) if view is not None else {}
        if methods[0] in handler:
            layer = handler[methods[0]]
            named_layers = (
                None if layer is None else [(ROUTE_CORS_SOURCE, layer), *(named_layers or [])]
            )
    status: CORSStatus = "on" if policy is not None else "exempt" if named_layers is None else "off"
    sources: dict[str, str] | None = None
    if policy is not None and named_layers is not None:
        sources = field_sources(named_layers, state.config or {})
        if any(source == WEBSOCKET_CORS_SOURCE for source, _ in named_layers):
            sources["allow_credentials"] = WEBSOCKET_CORS_SOURCE  # it switches them off
    problem = None
    if endpoint is not None and endpoint in misplaced_route_cors_endpoints(
        state.app.view_functions
    ):
        problem = (
            f"E070: route_cors is above @app.route, so it does nothing and {endpoint!r} is "
            "served without CORS; put @route_cors below @app.route"
        )
    return RouteDescription(
        problem=problem,
        rule=None if rule is None else rule.rule,
        endpoint=endpoint,
        methods=methods or (() if rule is None else _served_methods(rule, view)),
        websocket=bool(getattr(rule, "websocket", False)),
        cors=status,
        policy=None if policy is None else EffectivePolicy.of(policy),
        sources=sources,
        url_prefix=url_prefix,
    )


def _with_candidate(
    state: AppCORS, record: RouteDescription, counts: Mapping[str, Mapping[ReportOnlyKey, int]]
) -> RouteDescription:
    """The record with its report_only candidate and the differences counted for its rule."""
    if record.cors != "on" or record.rule is None:
        return record
    candidate = state.candidates.of(record.endpoint, record.methods[0] if record.methods else "")
    if candidate is None:
        return record
    seen = sorted(counts.get(record.rule, {}).items(), key=lambda item: (-item[1], item[0]))
    return replace(
        record, report_only=EffectivePolicy.of(candidate), report_only_counts=tuple(seen)
    )


def _served_methods(rule: Rule, view: object) -> tuple[str, ...]:
    """The rule's methods without the ones added for it: HEAD beside GET, automatic OPTIONS."""
    methods = set(rule.methods or ())
    if "GET" in methods:
        methods.discard("HEAD")
    route_cors_answers_options = getattr(view, ROUTE_LAYER, None) is not None and not getattr(
        view, OWN_OPTIONS, False
    )
    if getattr(rule, "provide_automatic_options", False) or route_cors_answers_options:
        methods.discard("OPTIONS")
    return tuple(sorted(methods))


def _origin_text(item: object) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, OriginSource):
        return item.label
    if isinstance(item, re.Pattern):
        return f"re:{item.pattern}"
    name = getattr(item, "__qualname__", None)
    return f"callable:{name if isinstance(name, str) else type(item).__qualname__}"


# --- the human table -----------------------------------------------------------------------


def format_table(records: Sequence[RouteDescription], width: int = TABLE_WIDTH) -> str:
    """An aligned table of the records that fits ``width`` columns; long values shortened."""
    heading = ("RULE", "METHODS", "ENDPOINT", "CORS")
    rows = [
        (
            _rule_text(record),
            ", ".join(record.methods) or "(any)",
            record.endpoint or "-",
            record.cors,
        )
        for record in records
    ]
    # The first three columns share what the CORS column leaves; a long rule wins most room.
    caps = _column_caps(rows, heading, width - len("exempt") - 3 * 2)
    lines = [_row(heading, caps)]
    setting_width = max(len(name) for name in FIELDS)
    sources = [source for record in records if record.sources for source in record.sources.values()]
    source_width = max((len(source) for source in sources), default=len("SOURCE"))
    value_width = max(width - len(_INDENT) - setting_width - source_width - 2 * 2, 12)
    for record, row in zip(records, rows, strict=True):
        lines.append(_row(row, caps))
        if record.problem is not None:
            lines.append(f"{_INDENT}! {record.problem}")
        if record.policy is None or record.sources is None:
            continue
        for name, value in record.policy.to_json().items():
            lines.append(
                f"{_INDENT}{name:<{setting_width}}  "
                f"{_shorten(_value_text(value), value_width):<{value_width}}  "
                f"{record.sources[name]}".rstrip()
            )
        lines.extend(_report_only_lines(record, setting_width, value_width))
    return "\n".join(lines)


def _report_only_lines(record: RouteDescription, setting_width: int, width: int) -> list[str]:
    """The candidate's settings that differ from the enforced ones, then what was counted."""
    if record.report_only is None or record.policy is None:
        return []
    enforced = record.policy.to_json()
    lines = [f"{_INDENT}report_only (candidate, never answers):"]
    for name, value in record.report_only.to_json().items():
        if value != enforced[name]:
            text = _shorten(_value_text(value), width)
            lines.append(f"{_INDENT * 2}{name:<{setting_width}}  {text}".rstrip())
    for key, count in record.report_only_counts:
        text = f"{count} x {key.direction} ({key.difference}): {key.origin}"
        lines.append(f"{_INDENT * 2}{_shorten(text, setting_width + 2 + width)}")
    if not record.report_only_counts:
        lines.append(f"{_INDENT * 2}no differences seen")
    return lines


def _rule_text(record: RouteDescription) -> str:
    if record.rule is not None:
        return f"{record.rule} (websocket)" if record.websocket else record.rule
    if record.endpoint is not None:  # a blueprint's 404s
        return f"(404 under {record.url_prefix or '/'})"
    return "(404)"


def _column_caps(
    rows: Sequence[tuple[str, ...]], heading: tuple[str, ...], room: int
) -> tuple[int, ...]:
    wanted = [max(len(_printable(row[index])) for row in [heading, *rows]) for index in range(3)]
    shares = (0.45, 0.2, 0.35)
    caps = list(wanted)
    while sum(caps) > room:
        # Shrink the column that is furthest over its share, one character at a time.
        index = max(range(3), key=lambda i: caps[i] - shares[i] * room)
        caps[index] -= 1
    return (*caps, len("exempt"))


def _row(cells: tuple[str, ...], caps: tuple[int, ...]) -> str:
    return "  ".join(
        f"{_shorten(cell, cap):<{cap}}" for cell, cap in zip(cells, caps, strict=True)
    ).rstrip()


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    if value is None:
        return "(none)"
    return str(value)


def _shorten(text: str, width: int) -> str:
    text = _printable(text)
    if len(text) <= width:
        return text
    return text[: max(width - len(_ELLIPSIS), 0)] + _ELLIPSIS


def _printable(text: str) -> str:
    """Control characters (say, in a regex) escaped, so that one row stays one line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
