"""A simulated browser: the browser's side of CORS, for tests and for `quart-cors check`.

``Browser`` sends requests the way Chromium does (preflight decision, preflight request,
preflight cache, redirects) through a pluggable transport, and applies the browser's checks
to the answers. Every rule is a small pure function named after the Fetch Standard section
it implements (https://fetch.spec.whatwg.org/), so that it can be tested on its own. Where
Chromium differs from the standard, the simulator follows Chromium (the verdicts are compared
against a real Chromium in tests/browser) and says so in a warning.

    browser = Browser(app, origin="https://app.test")
    result = await browser.fetch("/items/1", method="PUT", headers={"X-Token": "t"})
    result.ok, result.blocked_by, result.explanation

The modules follow the standard's own split; import from ``quart_cors.testing`` itself:

- ``classification``: safelisted methods and request headers, forbidden names, the
  preflight decision;
- ``checks``: the CORS check and the CORS-preflight check;
- ``preflight_cache``: Access-Control-Max-Age and the cache entries;
- ``readable_headers``: what JavaScript may read of a response;
- ``origin``: origin serialization;
- ``local_network``: Local Network Access's address spaces;
- ``transports``: an app in process, or a live URL;
- ``messages``: requests, responses and results;
- ``browser``: the ``Browser`` that ties them together.
"""

from __future__ import annotations

from .browser import Browser
from .checks import cors_check, parse_token_list, preflight_check
from .classification import (
    checked_method,
    cors_unsafe_request_header_names,
    forbidden_request_header,
    is_cors_safelisted_method,
    is_cors_safelisted_request_header,
    needs_preflight,
    normalize_method,
    preflight_request_headers,
)
from .local_network import AddressSpace as AddressSpace
from .local_network import address_space
from .messages import (
    Block,
    FetchResult,
    FetchWarning,
    HTTPRequest,
    HTTPResponse,
    WebSocketResult,
)
from .messages import Credentials as Credentials
from .messages import Headers as Headers
from .origin import serialize_origin
from .preflight_cache import (
    PreflightCacheEntry,
    parse_max_age,
    preflight_lifetimes,
    preflight_reuse,
)
from .readable_headers import readable_response_headers
from .transports import HTTPXTransport, QuartTransport, Transport, TransportError

__all__ = [
    "Block",
    "Browser",
    "FetchResult",
    "FetchWarning",
    "HTTPRequest",
    "HTTPResponse",
    "HTTPXTransport",
    "PreflightCacheEntry",
    "QuartTransport",
    "Transport",
    "TransportError",
    "WebSocketResult",
    "address_space",
    "checked_method",
    "cors_check",
    "cors_unsafe_request_header_names",
    "forbidden_request_header",
    "is_cors_safelisted_method",
    "is_cors_safelisted_request_header",
    "needs_preflight",
    "normalize_method",
    "parse_max_age",
    "parse_token_list",
    "preflight_check",
    "preflight_lifetimes",
    "preflight_request_headers",
    "preflight_reuse",
    "readable_response_headers",
    "serialize_origin",
]
