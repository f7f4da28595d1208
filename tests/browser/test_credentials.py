"""Credentialed requests: a cookie set by the API, sent back with `credentials: "include"`.

Page and APIs are all on `localhost` (different ports): different origins, same site, so a
`SameSite=Lax` cookie travels.
"""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch, js_xhr

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_credentialed_fetch_with_allow_credentials(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.page)

    set_cookie = await js_fetch(page, servers.url("creds", "/set-cookie"), credentials="include")
    set_cookie.assert_readable(200)
    assert set_cookie.body == "cookie set"
    assert "set-cookie" not in set_cookie.headers  # never readable, even with expose "*"

    whoami = await js_fetch(page, servers.url("creds", "/whoami"), credentials="include")
    whoami.assert_readable(200)
    assert whoami.body == "sid=creds-session"

    # Without credentials mode "include" the cookie stays home; the response is still readable.
    anonymous = await js_fetch(page, servers.url("creds", "/whoami?t=anonymous"))
    anonymous.assert_readable(200)
    assert anonymous.body == "sid=<none>"


async def test_credentialed_xhr_with_allow_credentials(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.page)
    set_cookie = await js_xhr(page, "GET", servers.url("creds", "/set-cookie"), credentials=True)
    set_cookie.assert_readable(200)
    whoami = await js_xhr(page, "GET", servers.url("creds", "/whoami"), credentials=True)
    whoami.assert_readable(200)
    assert whoami.body == "sid=creds-session"


async def test_credentialed_fetch_without_allow_credentials(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.page)

    # The same origin is allowed, but the API does not allow credentials: no ACAC, so the
    # browser withholds every credentialed response.
    set_cookie = await js_fetch(page, servers.url("api", "/set-cookie"), credentials="include")
    set_cookie.assert_blocked()
    whoami = await js_fetch(
        page, servers.url("api", "/whoami?t=no-credentials"), credentials="include"
    )
    whoami.assert_blocked()
    [exchange] = servers.recorders["api"].actual("/whoami?t=no-credentials", "GET")
    assert "access-control-allow-credentials" not in exchange.response_headers

    # A request without credentials from the same page is fine.
    plain = await js_fetch(page, servers.url("api", "/simple?t=no-credentials"))
    plain.assert_readable(200)


async def test_credentialed_fetch_from_refused_origin(
    open_page: OpenPage, servers: Servers
) -> None:
    # 127.0.0.1 is another site; the API with credentials only allows the localhost page.
    page = await open_page(servers.origins.other)
    seen = await js_fetch(page, servers.url("creds", "/whoami?t=refused"), credentials="include")
    seen.assert_blocked()
    [exchange] = servers.recorders["creds"].actual("/whoami?t=refused", "GET")
    assert not any(name.startswith("access-control-") for name in exchange.response_headers)


async def test_preflight_skips_authentication(open_page: OpenPage, servers: Servers) -> None:
    # `creds` has a before_request that answers 401 without the session cookie. The preflight
    # carries no cookie, so it must be answered before that hook runs.
    page = await open_page(servers.origins.page)
    (
        await js_fetch(page, servers.url("creds", "/set-cookie"), credentials="include")
    ).assert_readable(200)
    target = "/private?t=logged-in"
    seen = await js_fetch(
        page,
        servers.url("creds", target),
        method="PUT",
        headers={"X-Custom": "1"},
        credentials="include",
        body="x",
    )
    seen.assert_readable(200)
    assert seen.body == "private for creds-session"
    recorder = servers.recorders["creds"]
    [preflight] = recorder.preflights(target)
    assert "cookie" not in preflight.headers
    assert preflight.status == 200
    [actual] = recorder.actual(target, "PUT")
    assert "sid=" in actual.headers["cookie"]


async def test_authentication_refusal_is_readable(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)  # a fresh context: no session cookie
    seen = await js_fetch(
        page,
        servers.url("creds", "/private?t=logged-out"),
        method="PUT",
        headers={"X-Custom": "1"},
        credentials="include",
        body="x",
    )
    seen.assert_readable(401)
    assert seen.body == "log in first"
