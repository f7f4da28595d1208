"""The CORS-preflight cache, in Chromium's shape: one result per origin and URL
(Fetch Standard: F#cors-preflight-cache; Chromium: services/network/cors/preflight_result.cc)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

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
    seconds = _whole_seconds(value)
    if seconds is None:
        return DEFAULT_MAX_AGE  # also on overflow, as base::StringToInt64 fails
    return max(0, min(seconds, MAX_MAX_AGE))


# The longest each engine keeps a preflight answer (Chromium since 76; Firefox; WebKit, so
# Safari), whatever Access-Control-Max-Age asks for. All use 5 s when the header is absent.
BROWSER_MAX_AGE_CAPS: Final = (("Chromium", MAX_MAX_AGE), ("Firefox", 86_400), ("WebKit", 600))


def _whole_seconds(value: str | None) -> int | None:
    """Access-Control-Max-Age as a signed 64-bit integer, or None (absent or unreadable)."""
    text = (value or "").strip(" \t")
    if _INT64.fullmatch(text) is None or not _INT64_MIN <= int(text) <= _INT64_MAX:
        return None
    return int(text)


def preflight_lifetimes(value: str | None) -> dict[str, int]:
    """Seconds each browser engine reuses a passed preflight answer with this Max-Age value.

    Absent or unreadable (as Chromium reads it, see ``parse_max_age``): the 5 s default.
    Otherwise the value, capped per engine; a negative value means no reuse.
    """
    seconds = _whole_seconds(value)
    if seconds is None:
        return {engine: DEFAULT_MAX_AGE for engine, _ in BROWSER_MAX_AGE_CAPS}
    return {engine: max(0, min(seconds, cap)) for engine, cap in BROWSER_MAX_AGE_CAPS}


def preflight_reuse(value: str | None) -> str:
    """How long browsers reuse a passed preflight answer, in words, from its Max-Age value.

    Until then the requests it covers go out without a new preflight, so a change to the
    server's answer reaches the browser only once it expires.
    """
    lifetimes = preflight_lifetimes(value)
    if value is None:
        source = "no Access-Control-Max-Age, so the default; max_age sets it"
    elif _whole_seconds(value) is None:
        source = f"Access-Control-Max-Age {value!r} is not a 64-bit whole number, so the default"
    elif len(set(lifetimes.values())) > 1:
        source = f"Access-Control-Max-Age: {value}, capped per browser"
    else:
        source = f"Access-Control-Max-Age: {value}"
    if not any(lifetimes.values()):
        return f"browsers do not reuse this preflight answer ({source}): each request asks again"
    if len(set(lifetimes.values())) == 1:
        durations = f"{lifetimes['Chromium']} s"
    else:
        *first, last = (f"{seconds} s in {engine}" for engine, seconds in lifetimes.items())
        durations = f"{', '.join(first)} and {last}"
    return (
        f"browsers reuse this preflight answer for {durations} ({source}), so a change to it on "
        "the server reaches them only after that"
    )


# Browsers store a preflight answer only when it passes (F#cors-preflight-fetch).
FAILED_PREFLIGHT_NOT_KEPT: Final = (
    "browsers keep no failed preflight answer, so the next request asks the server again"
)


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
