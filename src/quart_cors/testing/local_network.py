"""Local Network Access (Chromium): IP address spaces and the permission a page needs to
reach a more private one (https://wicg.github.io/local-network-access/)."""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

# Local Network Access's IP address spaces, from the least to the most private.
AddressSpace = Literal["public", "local", "loopback"]
PRIVACY = {"public": 0, "local": 1, "loopback": 2}


def address_space(url: str) -> AddressSpace:
    """The IP address space of a URL's host, as Local Network Access sorts addresses.

    ``localhost``, ``*.localhost`` and loopback addresses are "loopback"; private, link-local
    and unique-local addresses are "local"; other addresses are "public". The simulator does
    not resolve names, so any other host name counts as "public".
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "local"
    return "public"
