"""Origins as browsers serialize them (the URL Standard's host parsing, HTML's origin)."""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from quart_cors.origins import DEFAULT_PORTS, serialize_ipv6, split_origin

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# URL host parser: a last label like this makes the host an IPv4 address.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*", re.ASCII)


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The URL Standard's IPv4 parser: the address a browser reads in ``host``, or None for a
    domain. ``127.1``, ``2130706433`` and ``0x7f.1`` all mean 127.0.0.1.

    Raises ValueError for a host that ends in a number but is no IPv4 address (``1.2.3.256``),
    which makes the whole URL invalid to a browser.
    """
    if ":" in host:
        return None  # an IPv6 literal (brackets removed)
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()  # one trailing dot is allowed
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and _ipv4_number(last) is None:
        return None  # F#ends-in-a-number: not an IPv4 address, a domain
    numbers = [_ipv4_number(part) for part in parts]
    if len(parts) > 4 or any(number is None for number in numbers):
        raise ValueError(f"{host!r} ends in a number but is not an IPv4 address")
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(f"{host!r} is an IPv4 address out of range")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def canonical_url(url: str) -> str:
    """``url`` with an IPv4 host written as browsers write it (``http://127.1/`` becomes
    ``http://127.0.0.1/``). Raises ValueError where a browser finds the URL invalid."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or host.startswith("[") or ":" in host:
        return url
    address = parse_ipv4_host(host)
    if address is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    port = hostport[len(host) :] if hostport.lower().startswith(host) else ""
    netloc = f"{userinfo}@{address}{port}" if userinfo else f"{address}{port}"
    return parts._replace(netloc=netloc).geturl()


def _ipv4_number(part: str) -> int | None:
    """URL Standard, IPv4 number parser: decimal, 0x hexadecimal or 0-prefixed octal."""
    if not part or not part.isascii():
        return None
    radix = 10
    if part[:2] in {"0x", "0X"}:
        part, radix = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, radix = part[1:], 8
    if not part:
        return 0
    digits = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[radix]
    if any(char not in digits for char in part):
        return None
    return int(part, radix)


def serialize_origin(url: str) -> str:
    """The ASCII serialization of a URL's origin: scheme://host[:port], default port omitted."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        raise ValueError(f"{url!r} has no scheme or host")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{url!r} has an invalid port") from error
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_problem(origin: str) -> str | None:
    """Why a browser never sends ``origin`` as its Origin, or None when it could."""
    if origin == "null":
        return None
    parts = split_origin(origin)
    if parts is None:
        url = urlsplit(origin)
        if url.scheme and url.netloc and (url.path or url.query or url.fragment):
            return "browsers send no path, query or trailing slash"
        if not origin.isascii():
            return "browsers send international domain names as xn-- labels"
        if origin != origin.lower():
            return "browsers send the scheme and host in lowercase"
        return "it is not scheme://host[:port]"
    scheme, host, port = parts
    if port is not None and DEFAULT_PORTS.get(scheme) == port:
        return f"browsers omit the default port {port} of {scheme}"
    if host.startswith("["):
        try:
            compressed = f"[{serialize_ipv6(ipaddress.IPv6Address(host[1:-1]))}]"
        except ValueError:
            return f"{host} is not an IPv6 address"
        if compressed != host:
            return f"browsers write the IPv6 address {host} as {compressed}"
    elif _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # URL host parser: a host whose last label is a number is an IPv4 address.
        try:
            ipaddress.IPv4Address(host)  # only the dotted decimal form a browser writes
        except ValueError:
            return f"browsers read {host} as an IPv4 address and write it in dotted decimal"
    return None


def suggested_origin(value: str) -> str | None:
    """The serialized origin a browser would send for what ``value`` seems to mean, if any."""
    text = value.strip()
    if text.lower() == "null":
        return "null"
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in {"file", "data"}:
        return "null"  # opaque origins
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not scheme or not host:
        return None
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = parse_ipv4_host(host)
    except ValueError:
        return None
    try:
        address = address or ipaddress.ip_address(host)
    except ValueError:
        if any(char in host for char in "\u00df\u03c2\u200c\u200d"):
            return None  # IDNA 2003 maps these unlike browsers (UTS 46): do not guess
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
    else:
        host = f"[{serialize_ipv6(address)}]" if address.version == 6 else str(address)
    suggestion = f"{scheme}://{host}"
    if port is not None and str(port) != DEFAULT_PORTS.get(scheme):
        suggestion += f":{port}"
    return suggestion if origin_problem(suggestion) is None else None


def check_page_origin(origin: str, name: str = "origin") -> None:
    """Raise ValueError, naming the form to use, unless a browser could send ``origin``.

    ``name`` starts the message: ``Browser`` says "origin", ``quart-cors check`` "--origin".
    """
    problem = origin_problem(origin)
    if problem is None:
        return
    suggestion = suggested_origin(origin)
    use = (
        f"use {suggestion!r}"
        if suggestion is not None
        else "use scheme://host[:port], or 'null' for an opaque origin"
    )
    raise ValueError(
        f"{name} {origin!r} is not a serialized origin as browsers send it ({problem}): {use}"
    )


def redirect_tainted(origin: str, url_list: Sequence[str]) -> bool:
    """F#concept-request-tainted-origin: a cross-origin URL led to yet another origin."""
    origins = [serialize_origin(url) for url in url_list]
    return any(last not in (current, origin) for last, current in itertools.pairwise(origins))
