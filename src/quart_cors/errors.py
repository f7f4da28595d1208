"""Configuration errors: every problem of a policy, each with a stable code and a fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Stable codes, asserted by tests and quoted in the README; never renumber one.
CREDENTIALS_WITH_ANY_ORIGIN = "E001"
CREDENTIALS_WITH_NULL = "E002"
CREDENTIALS_WITH_BROAD_PATTERN = "E003"
CREDENTIALS_WITH_ANY_ORIGIN_REGEX = "E004"
ORIGIN_TYPE = "E010"
ORIGIN_MALFORMED = "E011"
ORIGIN_HAS_PATH = "E012"
ORIGIN_HAS_USERINFO = "E013"
ORIGIN_HAS_WHITESPACE = "E014"
ORIGIN_UNKNOWN_SCHEME = "E015"
ORIGIN_MISPLACED_WILDCARD = "E016"
ORIGIN_LIST_IN_STRING = "E017"
ORIGIN_NONCANONICAL_IPV4 = "E018"
ORIGIN_REGEX_NOT_LINEAR = "E019"
METHOD_INVALID = "E020"
METHOD_FORBIDDEN = "E021"
HEADER_INVALID = "E030"
HEADER_NAME_PATTERN = "E031"
MAX_AGE_INVALID = "E040"
BOOL_EXPECTED = "E050"
LIST_ITEM_TYPE = "E060"
ROUTE_CORS_MISPLACED = "E070"
ROUTE_CORS_VIEW_CLASS = "E071"
CONFIG_KEY_MISPLACED = "E080"
DYNAMIC_ORIGINS_INVALID = "E090"
REPORT_ONLY_INVALID = "E091"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with one setting: its code, the setting, the value, and how to fix it.

    ``source`` says where the value came from ("from an argument", "from app.config", "the
    default, ..."), shown after the value; empty when the message itself says it.
    """

    code: str
    setting: str
    value: object
    message: str
    source: str = ""

    def __str__(self) -> str:
        source = f" ({self.source})" if self.source else ""
        return (
            f"[quart_cors.{self.code}] {self.setting}={_shown(self.value)}{source}: {self.message}"
        )


class CORSConfigError(ValueError):
    """A CORS setting that cannot be used; ``problems`` lists every one that was found."""

    def __init__(self, problems: Iterable[ConfigProblem], where: str = "") -> None:
        self.problems = tuple(problems)
        self.where = where
        heading = "invalid CORS configuration"
        if where:
            heading += f" for {where}"
        lines = [f"{heading} ({len(self.problems)} problem(s)):"]
        lines.extend(f"  {problem}" for problem in self.problems)
        super().__init__("\n".join(lines))

    @property
    def codes(self) -> tuple[str, ...]:
        """The problem codes, in the order they were found."""
        return tuple(problem.code for problem in self.problems)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
