"""The demo's "why" column names the real cause of each refusal, and Chromium agrees with the
simulator's verdict on every one of the demo's calls (examples/demo.py, served on its own port)."""

from __future__ import annotations

import pytest
from quart import Quart

from .apps import load_demo
from .support import OpenPage, Servers, js_fetch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# The cause each refused call's "why" must name: the setting, and where it is set.
CAUSES = {
    "custom header not allowed": "add 'x-debug' to allow_headers in cors(app)",
    "DELETE not in allow_methods": "add 'DELETE' to allow_methods in cors(app)",
    "route without CORS": "is cors_exempt",
}


async def test_the_why_column_is_right_on_every_row(open_page: OpenPage, servers: Servers) -> None:
    demo = load_demo()
    app = servers.recorders["demo"].app
    assert isinstance(app, Quart)
    rows = await demo.simulate(app, servers.origins.page, servers.urls["demo"])
    page = await open_page(servers.origins.page)
    for scenario, row in zip(demo.SCENARIOS, rows, strict=False):
        init: dict[str, object] = {"method": scenario.method, "credentials": scenario.credentials}
        if scenario.headers:
            init["headers"] = scenario.headers
        if scenario.body is not None:
            init["body"] = scenario.body
        seen = await js_fetch(page, servers.url("demo", scenario.path), **init)
        assert seen.blocked == (row["verdict"] == "blocked"), (scenario.name, row)
        if scenario.name in CAUSES:
            assert seen.blocked
            assert CAUSES[scenario.name] in str(row["explanation"]), row["explanation"]
        else:
            assert not seen.blocked, scenario.name
    assert {str(row["name"]) for row in rows} >= set(CAUSES)
    assert len(rows) == 8  # the seven calls and the WebSocket
