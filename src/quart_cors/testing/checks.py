"""The browser's checks of the answers: the CORS check and the CORS-preflight check
(Fetch Standard: F#cors-check, F#cors-preflight-fetch)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .classification import TOKEN, is_cors_safelisted_method
from .messages import Block, Credentials, FetchWarning, HTTPResponse


def parse_token_list(value: str | None) -> tuple[str, ...] | None:
    """Parse ACAM / ACAH / ACEH as Chromium does: split on ',', trim, skip empty items.

    Returns () for a missing header and None when an item is not a token (a network error).
    """
    if value is None:
        return ()
    items = [item.strip(" \t") for item in value.split(",")]
    items = [item for item in items if item]
    if not all(TOKEN.fullmatch(item) for item in items):
        return None
    return tuple(items)


def _quote(value: str) -> str:
    return repr(value) if len(value) <= 200 else repr(value[:200] + "...")


def cors_check(
    allow_origin: Sequence[str],
    allow_credentials: str | None,
    origin: str,
    credentials: Credentials,
    *,
    preflight: bool = False,
) -> Block | None:
    """F#cors-check, in Chromium's order and with Chromium's error kinds.

    ``allow_origin`` holds every Access-Control-Allow-Origin header line of the response.
    """
    prefix = "preflight_" if preflight else ""
    where = "the preflight response" if preflight else "the response"
    include = credentials == "include"
    if not allow_origin:
        return Block(
            f"{prefix}missing_allow_origin",
            f"{where} has no Access-Control-Allow-Origin header, so origin {origin!r} is not "
            f"allowed: add {origin!r} to allow_origin (and check that the route is covered by "
            "cors() or route_cors() and is not cors_exempt)",
        )
    value = ", ".join(allow_origin)
    if value == "*":
        if not include:
            return None
        return Block(
            f"{prefix}wildcard_origin_not_allowed",
            f"{where} allows origin '*', which never applies to a request with "
            f"credentials: 'include': list {origin!r} in allow_origin with "
            "allow_credentials=True, or fetch without credentials",
        )
    if value != origin:
        if "," in value or " " in value:
            return Block(
                f"{prefix}multiple_allow_origin_values",
                f"{where} has several Access-Control-Allow-Origin values ({_quote(value)}) and "
                "a browser accepts exactly one: let only quart-cors set the header (not the "
                "view, a proxy or another middleware as well)",
            )
        if value != "null" and _ORIGIN_SHAPE.fullmatch(value) is None:
            return Block(
                f"{prefix}invalid_allow_origin_value",
                f"{where} has Access-Control-Allow-Origin {_quote(value)}, which is not an "
                f"origin: the server must send exactly {origin!r} (scheme://host[:port], no "
                "path, no trailing slash)",
            )
        return Block(
            f"{prefix}allow_origin_mismatch",
            f"{where} has Access-Control-Allow-Origin {_quote(value)} but the page's origin "
            f"is {origin!r}, and they must match byte for byte: add {origin!r} to allow_origin",
        )
    if include and allow_credentials != "true":
        got = "no Access-Control-Allow-Credentials header"
        if allow_credentials is not None:
            got = f"Access-Control-Allow-Credentials {_quote(allow_credentials)}"
        return Block(
            f"{prefix}invalid_allow_credentials",
            f"the request was sent with credentials: 'include' but {where} has {got} (it must "
            "be exactly 'true'): set allow_credentials=True, or fetch without credentials",
        )
    return None


# Chromium reports a value that is not even a URL (GURL invalid) as a separate error kind.
_ORIGIN_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")


def preflight_check(
    response: HTTPResponse,
    *,
    origin: str,
    method: str,
    unsafe_names: Sequence[str],
    credentials: Credentials,
    use_cors_preflight: bool = False,
    strict: bool = False,
) -> tuple[Block | None, tuple[FetchWarning, ...]]:
    """F#cors-preflight-fetch: CORS check, ok status, then ACAM and ACAH against the request.

    With ``strict`` the Fetch Standard decides where Chromium differs (``*`` covering
    Authorization); otherwise Chromium 156 decides and the difference becomes a warning.
    """
    block = cors_check(
        response.get_all("access-control-allow-origin"),
        response.get("access-control-allow-credentials"),
        origin,
        credentials,
        preflight=True,
    )
    if block is not None:
        return block, ()
    if not 200 <= response.status <= 299:
        return (
            Block(
                "preflight_invalid_status",
                f"the preflight (OPTIONS) got status {response.status}, and a preflight needs "
                "a 2xx status: make sure the route accepts OPTIONS (cors() and route_cors() "
                "answer preflights themselves unless provide_automatic_options=False) and that "
                "no before_request hook rejects it (preflights never carry cookies or "
                "Authorization)",
            ),
            (),
        )
    include = credentials == "include"
    warnings: list[FetchWarning] = []
    acam_value = response.get("access-control-allow-methods")
    methods = parse_token_list(acam_value)
    if methods is None:
        return (
            Block(
                "invalid_allow_methods",
                f"the preflight's Access-Control-Allow-Methods ({_quote(acam_value or '')}) is "
                "not a comma-separated list of method names: give allow_methods valid tokens",
            ),
            (),
        )
    acah_value = response.get("access-control-allow-headers")
    header_names = parse_token_list(acah_value)
    if header_names is None:
        return (
            Block(
                "invalid_allow_headers",
                f"the preflight's Access-Control-Allow-Headers ({_quote(acah_value or '')}) is "
                "not a comma-separated list of header names: give allow_headers valid tokens",
            ),
            (),
        )
    if not methods and use_cors_preflight:
        methods = (method,)
    # Byte for byte: fetch() uppercases only the six standard methods, and Chromium 156 no
    # longer uppercases the rest before comparing (crbug.com/1228178).
    method_ok = (
        method in methods or is_cors_safelisted_method(method) or (not include and "*" in methods)
    )
    if not method_ok:
        if not methods:
            listed = "has no Access-Control-Allow-Methods, which allows only GET, HEAD and POST"
        elif "*" in methods:
            listed = (
                "allows '*' in Access-Control-Allow-Methods, which does not apply to requests "
                "with credentials: 'include'"
            )
        else:
            listed = f"Access-Control-Allow-Methods ({acam_value}) does not list {method!r}"
        return (
            Block(
                "method_not_allowed",
                f"the preflight's {listed}: add {method!r} to allow_methods"
                if methods
                else f"the preflight response {listed}: add {method!r} to allow_methods",
            ),
            tuple(warnings),
        )
    lowered = {name.lower() for name in header_names}
    wildcard = "*" in lowered and not include
    for name in unsafe_names:
        if name in lowered:
            continue
        if wildcard and name != "authorization":
            continue
        if wildcard and name == "authorization" and not strict:
            warnings.append(
                FetchWarning(
                    "authorization_covered_by_wildcard",
                    "Access-Control-Allow-Headers '*' does not cover 'authorization' by the "
                    "Fetch Standard; Chromium still allows it with a deprecation warning "
                    "(AuthorizationCoveredByWildcard) and other browsers refuse it: add "
                    "'authorization' to allow_headers",
                )
            )
            continue
        if not header_names:
            listed = "Access-Control-Allow-Headers is missing, so it does not list " + repr(name)
        elif "*" in lowered and name == "authorization":
            listed = (
                "Access-Control-Allow-Headers '*' never covers 'authorization', which must be "
                "listed by name"
            )
        elif "*" in lowered:
            listed = (
                "Access-Control-Allow-Headers '*' does not apply to requests with "
                f"credentials: 'include', so it does not cover {name!r}"
            )
        else:
            listed = f"Access-Control-Allow-Headers ({acah_value}) does not list {name!r}"
        return (
            Block(
                "header_not_allowed",
                f"the preflight's {listed}: add {name!r} to allow_headers",
            ),
            tuple(warnings),
        )
    return None, tuple(warnings)
