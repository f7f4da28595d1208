"""Which response headers JavaScript may read (Fetch Standard: F#concept-filtered-response-cors)."""

from __future__ import annotations

from .checks import parse_token_list
from .messages import Credentials, Headers, get_header

# F#cors-safelisted-response-header-name
_SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})


def readable_response_headers(
    headers: Headers, *, credentials: Credentials, cors: bool = True
) -> dict[str, str]:
    """F#concept-filtered-response-cors: what ``response.headers`` shows to JavaScript.

    Safelisted response headers plus Access-Control-Expose-Headers (``*`` means all of them,
    without credentials only); never Set-Cookie. A same-origin (basic) response shows all but
    Set-Cookie. Names are lowercased; repeated headers are joined with ', '.
    """
    names = [name.lower() for name, _ in headers]
    if cors:
        exposed = parse_token_list(get_header(headers, "access-control-expose-headers")) or ()
        allowed = set(_SAFELISTED_RESPONSE_HEADERS)
        lowered = {name.lower() for name in exposed}
        if "*" in lowered and credentials != "include":
            allowed.update(names)
        allowed.update(lowered)
    else:
        allowed = set(names)
    readable: dict[str, str] = {}
    for name in names:
        if name in allowed and name not in _FORBIDDEN_RESPONSE_HEADERS and name not in readable:
            value = get_header(headers, name)
            if value is not None:
                readable[name] = value
    return readable
