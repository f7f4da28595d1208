"""The CORS-preflight cache, in Chromium's shape: one result per origin and URL
(Fetch Standard: F#cors-preflight-cache; Chromium: services/network/cors/preflight_result.cc)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .classification import is_cors_safelisted_method
from .messages import Credentials

# Chromium's preflight cache defaults (services/network/cors/preflight_result.cc).
DEFAULT_MAX_AGE = 5
MAX_MAX_AGE = 7200
_INT64 = re.compile(r"[+-]?[0-9]+", re.ASCII)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_max_age(value: str | None) -> int:
    """Access-Control-Max-Age as Chromium reads it (ParseAccessControlMaxAge): whole seconds,
    capped at 7200.

    The value is a signed 64-bit decimal integer, with an optional ``+`` or ``-`` and nothing
    else (surrounding spaces are HTTP's, not the value's). A missing value, or one that is not
    such an integer (``1.5``, ``10s``, or a number too large for 64 bits), means the 5 s
    default; a negative value means no caching (0).
    """
    if value is None:
        return DEFAULT_MAX_AGE
    text = value.strip(" \t")
    if _INT64.fullmatch(text) is None:
        return DEFAULT_MAX_AGE
    seconds = int(text)
    if not _INT64_MIN <= seconds <= _INT64_MAX:
        return DEFAULT_MAX_AGE  # base::StringToInt64 fails on overflow
    return max(0, min(seconds, MAX_MAX_AGE))


@dataclass(frozen=True)
class PreflightCacheEntry:
    """One cached preflight result, as Chromium's PreflightResult holds it."""

    methods: frozenset[str]
    headers: frozenset[str]
    credentials: bool
    expires: float

    def allows(
        self,
        method: str,
        unsafe_names: Sequence[str],
        credentials: Credentials,
        now: float,
        *,
        strict: bool = False,
    ) -> bool:
        """Whether this entry lets the request skip its preflight (not expired, covering it)."""
        include = credentials == "include"
        if now >= self.expires or (include and not self.credentials):
            return False
        wildcard = not include and "*" in self.methods
        if not (
            is_cors_safelisted_method(method)
            or method in self.methods  # case-sensitive, like the preflight check
            or wildcard
        ):
            return False
        header_wildcard = not include and "*" in self.headers
        for name in unsafe_names:
            if name in self.headers:
                continue
            if header_wildcard and (name != "authorization" or not strict):
                continue
            return False
        return True
