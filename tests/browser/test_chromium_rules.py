"""Rules where Chromium 156 decides something the Fetch Standard leaves open or says otherwise,
pinned here so that the simulated browser keeps following them (every probe also runs in the
simulator, which must agree).

The `quirks` app answers with fixed headers and no quart-cors, so that one rule decides each
case; its answers allow the requesting origin.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from .support import BLOCKED, MDNS_HOST, OpenPage, Servers, js_fetch, js_websocket, simulated

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


# --------------------------------------------------------------------------------------------
# Method case


async def test_method_is_compared_byte_for_byte(open_page: OpenPage, servers: Servers) -> None:
    # fetch() uppercases only DELETE, GET, HEAD, OPTIONS, POST and PUT: "patch" stays lowercase,
    # and `Access-Control-Allow-Methods: PATCH` does not allow it.
    page = await open_page(servers.origins.page)
    target = "/patch?t=lowercase"
    seen = await js_fetch(page, servers.url("quirks", target), method="patch")
    seen.assert_blocked()
    recorder = servers.recorders["quirks"]
    [preflight] = recorder.preflights(target)
    assert preflight.headers["access-control-request-method"] == "patch"
    assert preflight.response_headers["access-control-allow-methods"] == "PATCH"
    assert recorder.actual(target, "PATCH") == []
    verdict = simulated(page).last_fetch
    assert verdict is not None
    assert verdict.blocked_by == "method_not_allowed"


async def test_cached_preflight_does_not_cover_the_lowercase_method(
    open_page: OpenPage, servers: Servers
) -> None:
    page = await open_page(servers.origins.page)
    target = "/patch?t=cached-case&max_age=600"
    url = servers.url("quirks", target)
    (await js_fetch(page, url, method="PATCH")).assert_readable(200)
    (await js_fetch(page, url, method="PATCH")).assert_readable(200)
    recorder = servers.recorders["quirks"]
    assert len(recorder.preflights(target)) == 1  # the second PATCH used the cache
    (await js_fetch(page, url, method="patch")).assert_blocked()
    preflights = recorder.preflights(target)
    assert len(preflights) == 2  # a new preflight: the cached PATCH does not cover "patch"
    assert preflights[1].headers["access-control-request-method"] == "patch"


# --------------------------------------------------------------------------------------------
# Chromium's extra safelisted request headers


WELL_FORMED_HINTS = [
    ("Save-Data", "on"),
    ("Save-Data", "ON"),  # compared in any case
    ("DPR", "2"),
    ("Device-Memory", "0.5"),
    ("Width", "1280"),
    ("Viewport-Width", "980"),
    ("RTT", "50"),
    ("Downlink", "1.5"),
    ("ECT", "4g"),
    ("Intervention", "<https://example.com/why>"),
]
ILL_FORMED_HINTS = [
    ("Save-Data", "off"),
    ("DPR", "high"),
    ("DPR", "1."),
    ("Width", "12.5"),
    ("ECT", "5g"),
    ("ECT", "4G"),  # compared as written
]


async def test_client_hints_need_no_preflight(open_page: OpenPage, servers: Servers) -> None:
    # Chromium safelists these names with well-formed values (the Fetch Standard does not): the
    # preflight, which would refuse any header (ACAO only), never happens.
    page = await open_page(servers.origins.page)
    recorder = servers.recorders["quirks"]
    seen: dict[str, object] = {}
    preflights: dict[str, int] = {}
    for hints, kind in ((WELL_FORMED_HINTS, "ok"), (ILL_FORMED_HINTS, "bad")):
        for number, (name, value) in enumerate(hints):
            target = f"/echo-origin?t=hint-{kind}-{number}"
            result = await js_fetch(page, servers.url("quirks", target), headers={name: value})
            label = f"{name}: {value}"
            seen[label] = BLOCKED if result.blocked else result.status
            preflights[label] = len(recorder.preflights(target))
            if not result.blocked:
                [request] = recorder.actual(target, "GET")
                assert request.headers[name.lower()] == value
    expected: dict[str, object] = {f"{name}: {value}": 200 for name, value in WELL_FORMED_HINTS}
    expected |= {f"{name}: {value}": BLOCKED for name, value in ILL_FORMED_HINTS}
    assert seen == expected
    assert preflights == {label: 0 if outcome == 200 else 1 for label, outcome in expected.items()}


@pytest.mark.parametrize(("length", "preflighted"), [(128, False), (129, True)])
async def test_safelisted_value_length_counts_bytes_not_utf8(
    open_page: OpenPage, servers: Servers, length: int, preflighted: bool
) -> None:
    # A header value is a byte string: "\u00e9" is one byte (0xE9) on the wire, so 128 of them
    # are still within the 128-byte limit of a safelisted value.
    page = await open_page(servers.origins.page)
    target = f"/echo-origin?t=latin1-{length}"
    value = "\u00e9" * length
    seen = await js_fetch(page, servers.url("quirks", target), headers={"Accept": value})
    recorder = servers.recorders["quirks"]
    assert len(recorder.preflights(target)) == int(preflighted)
    if preflighted:
        seen.assert_blocked()  # the preflight's answer allows no header
    else:
        seen.assert_readable(200)
        [request] = recorder.actual(target, "GET")
        assert request.headers["accept"] == value


# --------------------------------------------------------------------------------------------
# Access-Control-Max-Age


async def test_max_age_parsing(open_page: OpenPage, servers: Servers) -> None:
    # "+600" is 600 s; a value too large to parse is invalid, so the 5 s default applies
    # (it is not capped at 7200 s). After 5.5 s only the first entry still serves the PUT.
    page = await open_page(servers.origins.page)
    recorder = servers.recorders["quirks"]
    targets = {
        "+600": "/put?t=max-age-plus&max_age=%2B600",
        "99999999999999999999": "/put?t=max-age-huge&max_age=99999999999999999999",
    }
    for target in targets.values():
        seen = await js_fetch(page, servers.url("quirks", target), method="PUT", body="x")
        seen.assert_readable(200)
    await asyncio.sleep(5.5)
    for target in targets.values():
        seen = await js_fetch(page, servers.url("quirks", target), method="PUT", body="x")
        seen.assert_readable(200)
    sent = {value: recorder.preflights(target) for value, target in targets.items()}
    assert {value: len(preflights) for value, preflights in sent.items()} == {
        "+600": 1,
        "99999999999999999999": 2,
    }
    for value, preflights in sent.items():
        assert preflights[0].response_headers["access-control-max-age"] == value


# --------------------------------------------------------------------------------------------
# Local Network Access


def _port(servers: Servers, app: str) -> int:
    port = urlsplit(servers.urls[app]).port
    assert port is not None
    return port


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.1", MDNS_HOST])
async def test_public_page_cannot_reach_loopback_shorthand(
    open_page: OpenPage, servers: Servers, host: str
) -> None:
    # The URL Standard reads 127.1, 2130706433 and 0x7f.1 as 127.0.0.1; a *.local name is local.
    page = await open_page(servers.origins.public)
    target = f"/echo-origin?t=lna-{host}"
    seen = await js_fetch(page, f"http://{host}:{_port(servers, 'quirks')}{target}")
    seen.assert_blocked()
    assert servers.recorders["quirks"].matching(target) == []
    verdict = simulated(page).last_fetch
    assert verdict is not None
    assert verdict.blocked_by == "local_network_access_denied"


async def test_ipv4_shorthand_url_is_canonical(open_page: OpenPage, servers: Servers) -> None:
    page = await open_page(servers.origins.public, permissions=["local-network-access"])
    port = _port(servers, "quirks")
    seen = await js_fetch(page, f"http://2130706433:{port}/echo-origin?t=canonical")
    seen.assert_readable(200)
    assert seen.url == f"http://127.0.0.1:{port}/echo-origin?t=canonical"


async def test_local_page_reaches_loopback_without_permission(
    open_page: OpenPage, servers: Servers
) -> None:
    # Chromium's Local Network Access counts local and loopback as one level.
    page = await open_page(servers.origins.local)
    target = "/echo-origin?t=local-to-loopback"
    seen = await js_fetch(page, servers.url("quirks", target))
    seen.assert_readable(200)
    assert len(servers.recorders["quirks"].actual(target, "GET")) == 1


# --------------------------------------------------------------------------------------------
# WebSocket handshakes that fail for reasons other than the origin


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ws-missing", 404, "websocket_not_found"),
        ("/ws-raises", 500, "websocket_server_error"),
        ("/ws-hangs", None, "websocket_handshake_timeout"),
    ],
)
async def test_websocket_failures_that_are_not_cors(
    open_page: OpenPage, servers: Servers, path: str, status: int | None, code: str
) -> None:
    page = await open_page(servers.origins.page)  # an allowed origin
    target = f"{path}?t=not-cors"
    seen = await js_websocket(page, servers.ws("api", target))
    assert not seen.opened, seen
    [handshake] = servers.recorders["api"].matching(target)
    assert handshake.headers["origin"] == servers.origins.page
    assert handshake.status == status
    verdict = simulated(page).last_websocket
    assert verdict is not None
    assert verdict.blocked_by == code
    assert "allow_origin" not in verdict.explanation
