"""App `cors()` against blueprint `cors()` against `route_cors` against `cors_exempt`.

On `api`: the app allows the localhost page; blueprint `other` replaces that with the
127.0.0.1 page; `/route-origin` allows only `a.localhost`; `/exempt` has no CORS at all.
"""

from __future__ import annotations

import pytest

from .support import BLOCKED, OpenPage, Servers, js_fetch, outcomes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


# page host -> {path on `api`: the status JavaScript reads, or BLOCKED}
SCOPES: dict[str, dict[str, int | str]] = {
    "localhost": {
        "/simple": 200,  # app cors()
        "/plain/hello": 200,  # blueprint without cors(): inherits the app
        "/other/hello": BLOCKED,  # blueprint cors() replaces the app's origin
        "/other/inner/hello": BLOCKED,
        "/route-origin": BLOCKED,  # route_cors replaces the app's origin
        "/exempt": BLOCKED,  # cors_exempt: no CORS at all
    },
    "127.0.0.1": {
        "/simple": BLOCKED,
        "/plain/hello": BLOCKED,
        "/other/hello": 200,
        "/other/route-expose": 200,  # route_cors in the blueprint keeps its origin
        "/other/inner/hello": BLOCKED,  # the nested blueprint's cors() wins
        "/route-origin": BLOCKED,
    },
    "a.localhost": {
        "/simple": BLOCKED,
        "/other/hello": BLOCKED,
        "/other/inner/hello": 200,
        "/route-origin": 200,
    },
}


@pytest.mark.parametrize("host", list(SCOPES))
async def test_policy_scopes(open_page: OpenPage, servers: Servers, host: str) -> None:
    page = await open_page(servers.origins.on(host))
    expected = SCOPES[host]
    seen = await outcomes(page, {path: servers.url("api", path) for path in expected})
    assert seen == expected


async def test_cors_exempt_sends_no_cors_headers(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/exempt?t=exempt-headers"))
    seen.assert_blocked()
    [exchange] = servers.recorders["api"].actual("/exempt?t=exempt-headers", "GET")
    assert exchange.status == 200
    assert not any(name.startswith("access-control-") for name in exchange.response_headers)
    assert "origin" not in exchange.response_headers.get("vary", "").lower()


async def test_route_cors_inherits_other_fields_from_app(
    open_page: OpenPage, servers: Servers
) -> None:
    # /route-expose sets only expose_headers; the origin comes from the app's cors(), and the
    # route's expose_headers replaces the app's (inheritance is per setting).
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/route-expose"))
    seen.assert_readable(200)
    assert seen.headers["x-other"] == "other-value"
    assert "x-exposed" not in seen.headers


async def test_blueprint_inherits_other_fields_from_app(
    open_page: OpenPage, servers: Servers
) -> None:
    # Blueprint `other` sets only allow_origin: expose_headers still comes from the app, and a
    # route_cors inside it replaces expose_headers but keeps the blueprint's origin.
    page = await open_page(servers.origins.other)
    from_blueprint = await js_fetch(page, servers.url("api", "/other/hello"))
    from_blueprint.assert_readable(200)
    assert from_blueprint.headers["x-exposed"] == "exposed-value"
    assert "x-other" not in from_blueprint.headers
    from_route = await js_fetch(page, servers.url("api", "/other/route-expose"))
    from_route.assert_readable(200)
    assert from_route.headers["x-other"] == "other-value"
    assert "x-exposed" not in from_route.headers
