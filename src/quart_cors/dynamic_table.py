"""Loaded origin values into a table: each value checked as configured origins are.

Used by dynamic.DynamicOrigins; no Quart here. A bad value becomes a ConfigProblem with the code
static configuration would get, and the good ones become one OriginMatcher.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TypeAlias

from . import errors
from .errors import ConfigProblem
from .origins import OriginMatcher, compile_origins
from .policy import credential_problems


@dataclass(frozen=True)
class Table:
    """One compiled generation of a set: the matcher and what was skipped to build it."""

    matcher: OriginMatcher
    skipped: tuple[ConfigProblem, ...]
    loaded_at: datetime | None


# value -> its problems (empty when accepted) and its own one-item matcher.
Verdicts: TypeAlias = Mapping[str, tuple[tuple[ConfigProblem, ...], OriginMatcher]]


class TableBuilder:
    """Checks loaded values one by one, as static configuration is checked, then builds the
    table of the good ones.

    A value that credentials would refuse (E001 to E004: '*', 'null', a wildcard under a public
    suffix) is skipped whatever the policy's credentials, so a loaded row never widens a set.
    Values checked by an earlier load are not checked again.
    """

    def __init__(self, known: Verdicts, label: str) -> None:
        self.known = known
        self.label = label
        self.verdicts: dict[str, tuple[tuple[ConfigProblem, ...], OriginMatcher]] = {}
        self.skipped: dict[tuple[str, str], ConfigProblem] = {}
        self.accepted: list[OriginMatcher] = []

    def add(self, values: Iterable[object]) -> int:
        """Check some values; returns how many were new (checked, not remembered)."""
        checked = 0
        for value in values:
            if not isinstance(value, str):
                self.skipped.setdefault(
                    ("E010", repr(value)),
                    ConfigProblem(
                        errors.ORIGIN_TYPE,
                        self.label,
                        value,
                        "load() returns origin strings and '*.domain' patterns only",
                    ),
                )
                continue
            verdict = self.verdicts.get(value) or self.known.get(value)
            if verdict is None:
                checked += 1
                matcher, found = compile_origins([value])
                if not found:
                    found = credential_problems(matcher)
                problems = tuple(replace(problem, setting=self.label) for problem in found)
                verdict = (problems, matcher)
            self.verdicts[value] = verdict
            problems, matcher = verdict
            if problems:
                for problem in problems:
                    self.skipped.setdefault(problem_key(problem), problem)
            else:
                self.accepted.append(matcher)
        return checked

    def finish(self) -> Table:
        accepted = self.accepted
        table = OriginMatcher(
            exact=frozenset().union(*(matcher.exact for matcher in accepted)),
            any_port=frozenset().union(*(matcher.any_port for matcher in accepted)),
            wildcards=frozenset().union(*(matcher.wildcards for matcher in accepted)),
            items=tuple(dict.fromkeys(item for matcher in accepted for item in matcher.items)),
        )
        return Table(table, tuple(self.skipped.values()), datetime.now(timezone.utc))


def problem_key(problem: ConfigProblem) -> tuple[str, str]:
    # By repr: a loader may return unhashable junk (a list), which is skipped all the same.
    return problem.code, repr(problem.value)


def setting_problems(
    load: object, refresh: object, timeout: object, initial: object, name: object
) -> list[ConfigProblem]:
    code = errors.DYNAMIC_ORIGINS_INVALID
    problems = []
    if not callable(load):
        problems.append(
            ConfigProblem(code, "load", load, "pass a function that returns origin strings")
        )
    if refresh is not None and not _positive_seconds(refresh):
        problems.append(
            ConfigProblem(code, "refresh", refresh, "seconds between loads: a number > 0, or None")
        )
    if not _positive_seconds(timeout):
        problems.append(
            ConfigProblem(code, "timeout", timeout, "seconds a load may take: a number > 0")
        )
    if initial is not None and (
        isinstance(initial, (str, bytes, Mapping)) or not isinstance(initial, Iterable)
    ):
        problems.append(
            ConfigProblem(code, "initial", initial, "a list of origin strings, or None")
        )
    if name is not None and not isinstance(name, str):
        problems.append(ConfigProblem(code, "name", name, "a string, or None"))
    return problems


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
