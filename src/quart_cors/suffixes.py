"""The Public Suffix List: the names under which anyone can register a site (com, co.uk, github.io).

quart-cors reads the copy that the publicsuffixlist package bundles (ICANN and private sections,
punycode forms of internationalized rules included): no network call, ever. The list is read on
first use, which only a credentialed wildcard pattern or regex makes, since reading it takes
tens of milliseconds; ``import quart_cors`` never does.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# Names under .localhost resolve to the loopback interface only (RFC 6761, section 6.3), so a
# pattern under it reaches nobody else's site, though the list makes "localhost" a suffix.
LOOPBACK = "localhost"


@cache
def _suffix_list() -> PublicSuffixList:
    from publicsuffixlist import PublicSuffixList  # noqa: PLC0415 - read on first use only

    # accept_unknown: a top-level domain missing from the list counts as a public suffix.
    return PublicSuffixList(accept_unknown=True, only_icann=False)


def is_loopback_name(host: str) -> bool:
    """Whether a host is "localhost" or a name under it."""
    return host == LOOPBACK or host.endswith("." + LOOPBACK)


def is_public_suffix(domain: str) -> bool:
    """Whether anyone can register names directly under ``domain`` ("co.uk": yes)."""
    return bool(_suffix_list().is_public(domain))


def registrable_domain(host: str) -> str | None:
    """The registrable domain (eTLD+1) that ``host`` is or is under; None for a public suffix."""
    found = _suffix_list().privatesuffix(host)
    return found if isinstance(found, str) else None
