"""Dynamic origin sets and report-only candidates, seen from Chromium.

`partners` runs `cors(app, allow_origin=[page, DynamicOrigins(load)], allow_headers=["x-custom"],
report_only={"allow_origin": [page], "allow_headers": []})`; the loader returns the app's
PARTNER_ROWS, at first the alt page. What the browser allows is what the enforced policy says;
the candidate only writes its differences to the log. A row added at run time is allowed after
`reload()`, without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from quart import Quart

from quart_cors import DynamicOrigins, report_only_counts

from .apps import PARTNER_ROWS, PARTNERS
from .support import OpenPage, Servers, js_fetch

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


class Lines(logging.Handler):
    """The INFO lines of the quart_cors logger while a test runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def report_lines() -> Iterator[list[str]]:
    logger = logging.getLogger("quart_cors")
    handler = Lines()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.messages
    logger.removeHandler(handler)
    logger.setLevel(level)


def _app(servers: Servers) -> Quart:
    app = servers.recorders["partners"].app
    assert isinstance(app, Quart)
    return app


def _differences(app: Quart, origin: str) -> set[tuple[str, str]]:
    return {
        (key.difference, key.direction)
        for key in report_only_counts(app)
        if key.origin == origin and key.rule == "/partner"
    }


async def test_the_candidate_logs_its_differences_and_the_answers_stay_enforced(
    open_page: OpenPage, servers: Servers, report_lines: list[str]
) -> None:
    app = _app(servers)
    url = servers.url("partners", "/partner")

    # The page: allowed by both for a GET; a header only the enforced policy allows.
    page = await open_page(servers.origins.page)
    (await js_fetch(page, f"{url}?report=page-get")).assert_readable()
    assert _differences(app, servers.origins.page) == set()
    seen = await js_fetch(page, f"{url}?report=page-put", method="PUT", headers={"X-Custom": "1"})
    seen.assert_readable()
    assert seen.body == "PUT partner, X-Custom=1"
    assert _differences(app, servers.origins.page) == {("headers", "candidate would refuse")}

    # The alt page is a loaded partner: enforced allows it, the candidate would not.
    alt = await open_page(servers.origins.alt())
    (await js_fetch(alt, f"{url}?report=alt-get")).assert_readable()
    assert _differences(app, servers.origins.alt()) == {("origin", "candidate would refuse")}

    # Another origin neither policy allows: blocked, and no difference to report.
    other = await open_page(servers.origins.other)
    (await js_fetch(other, f"{url}?report=other-get")).assert_blocked()
    assert _differences(app, servers.origins.other) == set()

    lines = [line for line in report_lines if line.startswith("CORS report-only:")]
    assert any(
        "candidate would refuse (headers): preflight for 'PUT'" in line
        and servers.origins.page in line
        for line in lines
    ), lines
    assert any(
        "candidate would refuse (origin): 'GET'" in line and servers.origins.alt() in line
        for line in lines
    ), lines


async def test_a_partner_added_at_run_time_is_allowed_after_reload(
    open_page: OpenPage, servers: Servers
) -> None:
    app = _app(servers)
    partners = app.extensions[PARTNERS]
    assert isinstance(partners, DynamicOrigins)
    rows: list[str] = app.config[PARTNER_ROWS]
    url = servers.url("partners", "/partner")
    newcomer = servers.origins.other
    page = await open_page(newcomer)
    (await js_fetch(page, f"{url}?reload=before")).assert_blocked()
    rows.append(newcomer)
    try:
        assert await partners.reload()
        assert newcomer in partners.origins
        seen = await js_fetch(page, f"{url}?reload=after-put", method="PUT")
        seen.assert_readable()
        assert seen.body == "PUT partner, X-Custom=-"
        assert _differences(app, newcomer) == {("origin", "candidate would refuse")}
    finally:
        rows.remove(newcomer)
        assert await partners.reload()
    # Removed again: the next request is refused, with no restart either.
    (await js_fetch(page, f"{url}?reload=removed")).assert_blocked()
