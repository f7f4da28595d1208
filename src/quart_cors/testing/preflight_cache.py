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


def parse_max_age(value: str | None) -> int:
    """Access-Control-Max-Age as Chromium reads it: default 5 s, capped at 7200 s.

    A missing or unparsable value means 5 s; a negative value means no caching (0).
    """
    if value is None or re.fullmatch(r"-?\d+", value.strip()) is None:
        return DEFAULT_MAX_AGE
    seconds = int(value.strip())
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
            or method in self.methods
            or method.upper() in self.methods
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
