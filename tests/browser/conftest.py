"""Fixtures: Hypercorn servers and one headless Chromium for the session, a context per page.

Everything runs in pytest-asyncio's session event loop: the servers are tasks in it, and
Playwright's async API drives Chromium from it.

Without Chromium or Playwright the tests skip with a reason that says how to install them;
with QUART_CORS_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from .support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    COMPARED,
    EVIL_HOSTS,
    INSTALL_HINT,
    MDNS_HOST,
    PROBES,
    SIMULATOR_SECONDS,
    OpenPage,
    Recorder,
    ServerGroup,
    Servers,
    SimulatorTransport,
    Twin,
    attach_twin,
    detach_twin,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from quart_cors.testing import AddressSpace

REQUIRE_BROWSER = os.environ.get("QUART_CORS_REQUIRE_BROWSER", "") == "1"


def missing_requirement() -> str | None:
    """Why the browser suite cannot run here, or None when it can."""
    for module in ("playwright", "hypercorn"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module!r} is not installed"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed ({CHROMIUM} not found)"
    return None


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    reason = missing_requirement()
    if reason is None:
        return
    message = f"browser tests need headless Chromium: {reason}; {INSTALL_HINT}"
    if REQUIRE_BROWSER:
        pytest.fail(f"QUART_CORS_REQUIRE_BROWSER=1 and {message}", pytrace=False)
    pytest.skip(message)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def servers(browser_requirements: None) -> AsyncIterator[Servers]:
    from .apps import APP_FACTORIES, Origins
    from .support import page_app, reserve_port

    group = ServerGroup()
    try:
        page_port, page_fd = reserve_port()
        alt_port, alt_fd = reserve_port()
        public_port, public_fd = reserve_port()
        local_port, local_fd = reserve_port()
        origins = Origins(
            page_port=page_port,
            alt_port=alt_port,
            public_port=public_port,
            local_port=local_port,
        )
        await group.start("page", page_app, page_port, page_fd)
        await group.start("alt-page", page_app, alt_port, alt_fd)
        await group.start("public-page", page_app, public_port, public_fd)
        await group.start("local-page", page_app, local_port, local_fd)
        urls: dict[str, str] = {}
        recorders: dict[str, Recorder] = {}
        for name, factory in APP_FACTORIES.items():
            port, fd = reserve_port()
            recorder = Recorder(factory(origins))
            await group.start(name, recorder, port, fd)
            urls[name] = f"http://localhost:{port}"
            recorders[name] = recorder
        await group.wait_ready()
        yield Servers(origins=origins, urls=urls, recorders=recorders)
    finally:
        await group.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(servers: Servers) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    resolver_rules = ",".join(f"MAP {host} 127.0.0.1" for host in (*EVIL_HOSTS, MDNS_HOST))
    origins = servers.origins
    args = [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules={resolver_rules}",
        # Local Network Access: pages from the public port count as public, so their fetches
        # to loopback need the local-network permission; pages from the local port count as
        # local (a private address).
        "--ip-address-space-overrides="
        f"127.0.0.1:{origins.public_port}=public,127.0.0.1:{origins.local_port}=local",
    ]
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def open_page(browser: Browser, servers: Servers) -> AsyncIterator[OpenPage]:
    """Open the probe page on an origin, in a fresh browser context (fresh cookies and
    preflight cache), with a fresh simulated browser on the same origin as its twin: the
    probes in support.py run in both and assert that they agree."""
    from quart_cors.testing import Browser as SimulatedBrowser

    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    transport = SimulatorTransport()
    recorders = list(servers.recorders.values())

    async def open_(origin: str, *, permissions: Sequence[str] = ()) -> Page:
        context = await browser.new_context()
        contexts.append(context)
        if permissions:
            await context.grant_permissions(list(permissions), origin=origin)
        page = await context.new_page()
        pages.append(page)
        # Chromium is told that pages on the public port are public and those on the local
        # port local (see `browser`); every other page is on loopback, like the APIs.
        space: AddressSpace = "loopback"
        if origin == servers.origins.public:
            space = "public"
        elif origin == servers.origins.local:
            space = "local"
        simulator = SimulatedBrowser(
            transport,
            origin=origin,
            base_url=origin,
            page_address_space=space,
            local_network_access="local-network-access" in permissions,
        )
        attach_twin(page, Twin(simulator=simulator, recorders=recorders))
        # The probes are inline in <head>: no need to wait for the load event.
        await page.goto(f"{origin}/", wait_until="commit")
        await page.wait_for_function("window.probesReady === true")
        return page

    probes = PROBES[0]
    yield open_
    for page in pages:
        detach_twin(page)
    for context in contexts:
        await context.close()
    # Every browser scenario is also a simulator scenario.
    assert PROBES[0] > probes, "no probe compared Chromium with the simulator"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if any(COMPARED.values()):
        counts = ", ".join(f"{count} {kind}" for kind, count in COMPARED.items())
        terminalreporter.write_line(
            f"simulated browser agreed with Chromium on: {counts} "
            f"(simulator time {SIMULATOR_SECONDS[0]:.1f} s)"
        )
