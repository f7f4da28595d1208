"""A preflight answer is a promise for the whole URL: what Chromium keeps, it may reuse.

The promise app serves GET on five URLs to the page with credentials and max_age=600, and a
stricter write (DELETE, POST, a MethodView's DELETE) on the same URLs only to the alt page. The
page first makes a non-simple GET, whose preflight Chromium caches for the URL; the write that
follows must still get a preflight of its own, which refuses it: the strict view never runs.
"""

from __future__ import annotations

import pytest
from quart import Quart

from .apps import STRICT_CALLS
from .support import OpenPage, Servers, js_fetch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "write"),
    [
        ("/account", {"method": "DELETE"}),  # GET then DELETE on one path
        ("/orders", {"method": "POST", "headers": JSON, "body": "{}"}),  # header names only
        ("/profile", {"method": "DELETE"}),  # a MethodView method with its own route_cors
        ("/notes", {"method": "DELETE"}),  # '/notes/' with strict_slashes=False serves it
        ("/files/team/logo", {"method": "DELETE"}),  # a converter argument holding "/"
    ],
    ids=["get-then-delete", "header-only", "method-view", "loose-slash", "regex-converter"],
)
async def test_a_cached_answer_never_carries_a_stricter_rules_request(
    open_page: OpenPage, servers: Servers, path: str, write: dict[str, object]
) -> None:
    recorder = servers.recorders["promise"]
    app = recorder.app
    assert isinstance(app, Quart)
    strict = app.config[STRICT_CALLS]
    strict.clear()
    url = servers.url("promise", f"{path}?shape={path.strip('/')}")

    page = await open_page(servers.origins.page)
    read = await js_fetch(page, url, headers=JSON, credentials="include")
    read.assert_readable(200)
    [first] = recorder.preflights(f"{path}?shape={path.strip('/')}")
    # Two policies on the URL: the answer lists only what was asked and keeps it for 0 s.
    assert first.response_headers.get("access-control-max-age") == "0"
    (await js_fetch(page, url, credentials="include", **write)).assert_blocked()
    assert strict == []
    # Chromium asked again for the write, and the strict rule refused it.
    assert len(recorder.preflights(f"{path}?shape={path.strip('/')}")) == 2

    admin = await open_page(servers.origins.alt())
    (await js_fetch(admin, url, credentials="include", **write)).assert_readable(200)
    assert strict


async def test_a_405_preflight_on_a_url_a_loose_slash_rule_shares_keeps_nothing(
    open_page: OpenPage, servers: Servers
) -> None:
    recorder = servers.recorders["promise"]
    app = recorder.app
    assert isinstance(app, Quart)
    strict = app.config[STRICT_CALLS]
    strict.clear()
    url = servers.url("promise", "/memos?shape=405")
    page = await open_page(servers.origins.page)
    put = await js_fetch(page, url, method="PUT", headers=JSON, body="{}", credentials="include")
    put.assert_readable(405)
    [first] = recorder.preflights("/memos?shape=405")
    assert first.response_headers.get("access-control-max-age") == "0"
    (await js_fetch(page, url, method="DELETE", credentials="include")).assert_blocked()
    assert strict == []
    assert len(recorder.preflights("/memos?shape=405")) == 2


async def test_a_404_preflight_answered_200_keeps_nothing_for_the_url(
    open_page: OpenPage, servers: Servers
) -> None:
    # PUT /drafts is a 404 while '/drafts/' (strict_slashes=False) answers OPTIONS at /drafts:
    # Chromium keeps that 200 answer for /drafts, so it must list only PUT, for 0 s.
    recorder = servers.recorders["promise"]
    app = recorder.app
    assert isinstance(app, Quart)
    strict = app.config[STRICT_CALLS]
    strict.clear()
    url = servers.url("promise", "/drafts?shape=404")
    page = await open_page(servers.origins.page)
    put = await js_fetch(page, url, method="PUT", headers=JSON, body="{}", credentials="include")
    put.assert_readable(404)
    [first] = recorder.preflights("/drafts?shape=404")
    assert first.response_headers.get("access-control-max-age") == "0"
    (await js_fetch(page, url, method="DELETE", credentials="include")).assert_blocked()
    assert strict == []
    assert len(recorder.preflights("/drafts?shape=404")) == 2
