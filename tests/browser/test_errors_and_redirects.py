"""Error responses JavaScript can read (quart-cors adds its headers to them), and redirects
answered with CORS."""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch, outcomes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


# app -> {path: the error status JavaScript must be able to read}
ERRORS: dict[str, dict[str, int | str]] = {
    "api": {  # app cors()
        "/does-not-exist": 404,
        "/plain/nothing-here": 404,  # under a blueprint's URL prefix
        "/forbidden": 403,  # abort(403)
        "/boom": 500,  # an exception
    },
    "routes": {  # route_cors only
        "/items/7": 404,  # abort(404)
        "/forbidden": 403,
        "/boom": 500,
        "/custom-error": 418,  # an error handler's response
    },
}


@pytest.mark.parametrize("app", list(ERRORS))
async def test_errors_are_readable(open_page: OpenPage, servers: Servers, app: str) -> None:
    page = await open_page(servers.origins.page)
    expected = ERRORS[app]
    seen = await outcomes(page, {path: servers.url(app, path) for path in expected})
    assert seen == expected
    if app == "routes":
        handled = await js_fetch(page, servers.url(app, "/custom-error?t=body"))
        assert handled.body == "handled teapot"


async def test_method_not_allowed_is_readable(open_page: OpenPage, servers: Servers) -> None:
    # A text/plain POST is a simple request: no preflight, the 405 comes from Quart.
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/simple?t=405"), method="POST", body="x")
    seen.assert_readable(405)


async def test_blueprint_cors_error_is_readable(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_fetch(page, servers.url("api", "/other/forbidden"))
    seen.assert_readable(403)


@pytest.mark.parametrize(("app", "path"), [("api", "/forbidden"), ("routes", "/boom")])
async def test_error_is_not_readable_from_refused_origin(
    open_page: OpenPage, servers: Servers, app: str, path: str
) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_fetch(page, servers.url(app, f"{path}?t=refused-error"))
    seen.assert_blocked()


async def test_redirect_is_followed(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.page)
    seen = await js_fetch(page, servers.url("api", "/redirect?t=follow"))
    seen.assert_readable(200)
    assert seen.redirected
    assert seen.url == servers.url("api", "/simple?t=follow")
    assert seen.body == "simple from api"
    [redirect] = servers.recorders["api"].actual("/redirect?t=follow", "GET")
    assert redirect.status == 302
    assert redirect.response_headers["access-control-allow-origin"] == servers.origins.page


async def test_redirect_from_refused_origin_is_not_followed(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.other)
    seen = await js_fetch(page, servers.url("api", "/redirect?t=redirect-refused"))
    seen.assert_blocked()
    # The 3xx itself failed the CORS check, so the browser never asked for its target.
    recorder = servers.recorders["api"]
    assert len(recorder.actual("/redirect?t=redirect-refused", "GET")) == 1
    assert recorder.actual("/simple?t=redirect-refused", "GET") == []
