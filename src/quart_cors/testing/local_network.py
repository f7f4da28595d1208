"""Local Network Access (Chromium): IP address spaces, and the permission a page needs to
reach a less public one (https://wicg.github.io/local-network-access/)."""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

from .messages import Block
from .origin import parse_ipv4_host

# Local Network Access's IP address spaces, from the most to the least public.
AddressSpace = Literal["public", "local", "loopback"]
ADDRESS_SPACES = ("public", "local", "loopback")

# Chromium's table of non-public networks, first match wins; every other address is public
# (services/network/public/cpp/ip_address_space_util.cc, NonPublicAddressSpaceMap). It is not
# Python's is_private: the IPv4 documentation and benchmarking ranges, for example, are public.
_TABLE: tuple[tuple[str, AddressSpace], ...] = (
    ("::1/128", "loopback"),
    ("fc00::/7", "local"),  # unique local
    ("fe80::/10", "local"),  # link-local
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "local"),  # private use
    ("172.16.0.0/12", "local"),
    ("192.168.0.0/16", "local"),
    ("169.254.0.0/16", "local"),  # link-local
    ("0.0.0.0/32", "loopback"),  # "this host"
    ("0.0.0.0/8", "local"),
    ("::/128", "loopback"),
    ("100.64.0.0/10", "local"),  # carrier-grade NAT (shared address space)
    ("2001:db8::/32", "local"),  # IPv6 documentation
    ("3fff::/20", "local"),
    ("fec0::/10", "local"),  # site-local (deprecated)
)
_NON_PUBLIC = tuple((ipaddress.ip_network(network), space) for network, space in _TABLE)


def address_space(url: str) -> AddressSpace:
    """The IP address space of a URL's host, as Chromium's Local Network Access sorts it.

    The host is read as a browser reads it (``127.1`` and ``0x7f.1`` are 127.0.0.1) and looked
    up in Chromium's table: loopback (127.0.0.0/8, ::1, 0.0.0.0), local (private use, link-local,
    unique-local, 100.64.0.0/10, IPv6 documentation ranges, ...) or public. ``localhost`` and
    ``*.localhost`` are loopback and ``*.local`` (mDNS) is local, as in Chromium; the simulator
    resolves no other name, so any other host name counts as public.
    """
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    if host == "local" or host.endswith(".local"):
        return "local"
    try:
        address = parse_ipv4_host(host) or ipaddress.ip_address(host)
    except ValueError:
        return "public"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # Chromium matches IPv4 prefixes against mapped addresses
    for network, space in _NON_PUBLIC:
        if address.version == network.version and address in network:
            return space
    return "public"


def local_network_check(
    origin: str, page_space: AddressSpace, url: str, *, permission: bool
) -> Block | None:
    """Chromium's Local Network Access check: a page may reach a less public address space
    only with the user's permission, and without it the request is refused before it is sent.

    Chromium counts local and loopback as one level here (IsLessPublicAddressSpaceLNA): only a
    public page needs the permission, for any local or loopback address.
    """
    if permission or page_space != "public":
        return None
    target = address_space(url)
    if target == "public":
        return None
    return Block(
        "local_network_access_denied",
        f"the page {origin!r} was loaded from the public address space and {url} is a "
        f"{target} address, so Chromium's Local Network Access refuses the request before "
        "sending it unless the user grants the page the local-network-access permission; no "
        "server header can lift this (allow_private_network only answers the retired Private "
        "Network Access preflight): serve the page from a local address as well, or ask users "
        "to allow local network access",
    )
