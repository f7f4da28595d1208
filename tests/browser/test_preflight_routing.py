"""One path, two policies: Chromium sends the credentialed DELETE only when the DELETE rule allows.

The creds app serves GET /account to the page (its cors()) and DELETE /account only to the admin
page on the alt port (route_cors). A browser preflights the URL, so the preflight for DELETE is
the only gate before the credentialed DELETE reaches the view.
"""

from __future__ import annotations

import pytest
from quart import Quart

from .apps import ACCOUNT_DELETES
from .support import OpenPage, Servers, js_fetch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def test_delete_view_never_runs_for_an_origin_its_rule_refuses(
    open_page: OpenPage, servers: Servers
) -> None:
    recorder = servers.recorders["creds"]
    app = recorder.app
    assert isinstance(app, Quart)
    deletes = app.config[ACCOUNT_DELETES]
    deletes.clear()
    url = servers.url("creds", "/account")

    page = await open_page(servers.origins.page)
    (await js_fetch(page, url, credentials="include")).assert_readable(200)
    (await js_fetch(page, url, method="DELETE", credentials="include")).assert_blocked()
    # The preflight refused the page; the credentialed DELETE was never sent.
    assert deletes == []
    assert recorder.actual("/account", "DELETE") == []
    [preflight] = recorder.preflights("/account")
    assert "access-control-allow-origin" not in preflight.response_headers

    admin = await open_page(servers.origins.alt())
    deleted = await js_fetch(admin, url, method="DELETE", credentials="include")
    deleted.assert_readable(200)
    assert deleted.body == "account deleted"
    # Chromium's DELETE, and the simulated browser's twin of it: both from the admin page.
    assert deletes
    assert set(deletes) == {servers.origins.alt()}
