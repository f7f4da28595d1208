"""An origin callable that sees the request: one server, two tenants, decided by Host.

`tenants` runs `cors(app, allow_origin=front_end_of_host)`, where `front_end_of_host(origin,
request)` allows `http://a.localhost:<page port>` on requests to `a.localhost` and
`http://b.localhost:<page port>` on requests to `b.localhost`. `/route-items` has the same rule
as an async callable under `route_cors`. Chromium resolves both hosts to the one loopback server.
"""

from __future__ import annotations

import pytest

from .support import OpenPage, Servers, js_fetch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# (page host, API host) -> whether the page may read the API's answers
TENANTS = [
    ("a.localhost", "a.localhost", True),
    ("b.localhost", "b.localhost", True),
    ("a.localhost", "b.localhost", False),
    ("b.localhost", "a.localhost", False),
]


@pytest.mark.parametrize("path", ["/items", "/route-items"])
@pytest.mark.parametrize("case", TENANTS, ids=[f"{page}-to-{api}" for page, api, _ in TENANTS])
async def test_each_tenants_api_accepts_its_own_front_end(
    open_page: OpenPage, servers: Servers, path: str, case: tuple[str, str, bool]
) -> None:
    page_host, api_host, allowed = case
    page = await open_page(servers.origins.on(page_host))
    api = servers.urls["tenants"].replace("//localhost", f"//{api_host}", 1)
    tenant = api_host.partition(".")[0]

    simple = await js_fetch(page, f"{api}{path}?t=simple-{page_host}-{api_host}")
    target = f"{path}?t=put-{page_host}-{api_host}"
    put = await js_fetch(
        page,
        f"{api}{target}",
        method="PUT",
        headers={"Content-Type": "application/json"},
        body="{}",
    )

    recorder = servers.recorders["tenants"]
    [preflight] = recorder.preflights(target)
    assert preflight.headers["host"] == api.removeprefix("http://")
    if allowed:
        simple.assert_readable(200)
        put.assert_readable(200)
        assert put.body == f"PUT {path.strip('/').replace('-', ' ')} of {tenant}"
        assert len(recorder.actual(target, "PUT")) == 1
    else:
        simple.assert_blocked()
        put.assert_blocked()
        # The preflight was refused, so Chromium never sent the PUT.
        assert "access-control-allow-origin" not in preflight.response_headers
        assert recorder.actual(target, "PUT") == []
