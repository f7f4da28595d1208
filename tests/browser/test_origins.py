"""Origin patterns seen from real pages: `*.localhost` subdomains, any port, a regex.

`wild` runs `cors(app, allow_origin="http://*.localhost:<page port>")`. Chromium resolves
`*.localhost` to loopback by itself; `evil-localhost` and `a.localhost.evil.test` resolve only
through `--host-resolver-rules` (see conftest.py): origins that merely look like a match.
"""

from __future__ import annotations

import pytest

from .support import BLOCKED, OpenPage, Servers, js_websocket, outcomes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


# (page host, page port) -> {endpoint on `wild`: the status JavaScript reads, or BLOCKED}
#   /simple    cors(app, allow_origin="http://*.localhost:<page port>")
#   /any-port  route_cors(allow_origin="http://localhost:*")
#   /regex     route_cors(allow_origin=re.compile(r"http://(a|b)\.localhost:\d+"))
PATTERNS: dict[tuple[str, str], dict[str, int | str]] = {
    ("a.localhost", "page"): {"/simple": 200, "/any-port": BLOCKED, "/regex": 200},
    ("b.localhost", "page"): {"/simple": 200, "/regex": 200},
    ("c.localhost", "page"): {"/simple": 200, "/regex": BLOCKED},
    ("x.a.localhost", "page"): {"/simple": 200, "/regex": BLOCKED},  # regex must fullmatch
    ("localhost", "page"): {"/simple": BLOCKED, "/any-port": 200, "/regex": BLOCKED},
    ("localhost", "alt"): {"/simple": BLOCKED, "/any-port": 200},
    ("a.localhost", "alt"): {"/simple": BLOCKED, "/any-port": BLOCKED, "/regex": 200},
    ("evil-localhost", "page"): {"/simple": BLOCKED, "/any-port": BLOCKED, "/regex": BLOCKED},
    ("a.localhost.evil.test", "page"): {"/simple": BLOCKED, "/regex": BLOCKED},
    ("127.0.0.1", "page"): {"/simple": BLOCKED, "/any-port": BLOCKED},
}


@pytest.mark.parametrize(
    ("host", "port"), list(PATTERNS), ids=[f"{host}:{port}" for host, port in PATTERNS]
)
async def test_origin_patterns(open_page: OpenPage, servers: Servers, host: str, port: str) -> None:
    origin = servers.origins.on(host) if port == "page" else servers.origins.alt(host)
    page = await open_page(origin)
    expected = PATTERNS[host, port]
    seen = await outcomes(page, {path: servers.url("wild", path) for path in expected})
    assert seen == expected


@pytest.mark.parametrize(("host", "opened"), [("a.localhost", True), ("localhost", False)])
async def test_websocket_with_wildcard_subdomain(
    open_page: OpenPage, servers: Servers, host: str, opened: bool
) -> None:
    page = await open_page(servers.origins.on(host))
    seen = await js_websocket(page, servers.ws("wild", "/ws"))
    assert seen.opened is opened, seen
