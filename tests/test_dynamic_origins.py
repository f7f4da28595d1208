"""DynamicOrigins: origins loaded at start-up and in the background (docs/behaviour.md, 2.1).

Each test drives a real app through its lifespan (``app.test_app()``), so the loads run where
they run under Hypercorn: in before_serving, and in a task cancelled in after_serving.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from quart import Quart, websocket
from quart.testing import QuartClient, WebsocketResponseError

from conftest import ORIGIN, OTHER_ORIGIN, preflight_headers
from quart_cors import (
    CORSConfigError,
    DynamicOrigins,
    DynamicOriginsError,
    cors,
    describe,
    dynamic_origins_problem,
    route_cors,
)
from quart_cors.describe import format_table
from quart_cors.policy import DynamicPolicy

PARTNER = "https://partner.example"
NEW_PARTNER = "https://new-partner.example"


class Rows:
    """A stand-in for a table of partner origins, changed by the tests as an app would."""

    def __init__(self, *values: object) -> None:
        self.values: list[object] = list(values)
        self.calls = 0
        self.fail: BaseException | None = None
        self.hang = False

    async def load(self) -> list[Any]:
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.fail is not None:
            raise self.fail
        return list(self.values)


def make_app(*items: Any, **settings: Any) -> Quart:
    app = Quart(__name__)
    cors(app, allow_origin=list(items), **settings)

    @app.route("/", methods=["GET", "PUT"])
    async def index() -> str:
        return "ok"

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hi")

    return app


@asynccontextmanager
async def serving(app: Quart) -> AsyncIterator[QuartClient]:
    async with app.test_app() as test_app:
        yield test_app.test_client()  # type: ignore[misc]


async def allowed(client: Any, origin: str) -> bool:
    response = await client.get("/", headers={"Origin": origin})
    value: str | None = response.headers.get("Access-Control-Allow-Origin")
    assert value in (None, origin)
    return value == origin


@pytest.fixture
def problems() -> Iterable[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    def receiver(sender: object, **facts: Any) -> None:
        seen.append({"sender": sender, **facts})

    dynamic_origins_problem.connect(receiver)
    yield seen
    dynamic_origins_problem.disconnect(receiver)


# --- loading and matching ------------------------------------------------------------------


async def test_loaded_origins_and_patterns_are_allowed() -> None:
    rows = Rows(PARTNER, "https://*.tenants.example", "http://localhost:*")
    app = make_app(DynamicOrigins(rows.load))
    async with serving(app) as client:
        assert await allowed(client, PARTNER)
        assert await allowed(client, "https://a.tenants.example")
        assert await allowed(client, "http://localhost:5173")
        assert not await allowed(client, "https://tenants.example")
        assert not await allowed(client, OTHER_ORIGIN)
    assert rows.calls == 1  # at start-up; never per request


async def test_a_dynamic_set_sits_beside_static_origins_in_a_list() -> None:
    partners = DynamicOrigins(Rows(PARTNER).load)
    app = make_app(ORIGIN, partners, allow_credentials=True)
    async with serving(app) as client:
        assert await allowed(client, ORIGIN)
        assert await allowed(client, PARTNER)
        response = await client.get("/", headers={"Origin": PARTNER})
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Vary"] == "Origin"


async def test_loaded_values_are_normalized_like_configured_ones() -> None:
    partners = DynamicOrigins(Rows("HTTPS://Partner.Example:443").load)
    async with serving(make_app(partners)) as client:
        assert await allowed(client, PARTNER)
    assert partners.origins == (PARTNER,)


async def test_a_sync_loader_runs_in_a_worker_thread() -> None:
    threads: list[threading.Thread] = []

    def load() -> list[str]:
        threads.append(threading.current_thread())
        return [PARTNER]

    async with serving(make_app(DynamicOrigins(load))) as client:
        assert await allowed(client, PARTNER)
    assert threads
    assert threads[0] is not threading.main_thread()


async def test_preflights_and_websocket_handshakes_use_the_loaded_set() -> None:
    app = make_app(DynamicOrigins(Rows(PARTNER).load))
    async with serving(app) as client:
        response = await client.options("/", headers=preflight_headers(PARTNER, "PUT"))
        assert response.headers["Access-Control-Allow-Origin"] == PARTNER
        response = await client.options("/", headers=preflight_headers(OTHER_ORIGIN, "PUT"))
        assert "Access-Control-Allow-Origin" not in response.headers
        async with client.websocket("/ws", headers={"Origin": PARTNER}) as socket:
            assert await socket.receive() == "hi"
        with pytest.raises(WebsocketResponseError):
            async with client.websocket("/ws", headers={"Origin": OTHER_ORIGIN}) as socket:
                await socket.receive()


async def test_route_cors_can_hold_a_dynamic_set() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[])  # what loads the sets of a route_cors-only app

    @app.get("/partners")
    @route_cors(allow_origin=DynamicOrigins(Rows(PARTNER).load))
    async def partners() -> str:
        return "ok"

    async with serving(app) as client:
        response = await client.get("/partners", headers={"Origin": PARTNER})
        assert response.headers["Access-Control-Allow-Origin"] == PARTNER


async def test_ten_thousand_loaded_origins_are_one_flat_table() -> None:
    values = [f"https://shop{index}.partners.example" for index in range(10_000)]
    partners = DynamicOrigins(Rows(*values).load)
    app = make_app(partners)
    async with serving(app) as client:
        assert partners.size == 10_000
        for origin in (values[0], values[4_999], values[-1]):
            assert await allowed(client, origin)
        assert not await allowed(client, "https://shop10000.partners.example")
    table = partners._table
    assert table is not None
    # One set lookup per request, whatever the size (benchmarks/instructions.py measures it).
    assert isinstance(table.matcher.exact, frozenset)
    assert len(table.matcher.exact) == 10_000


# --- bad values ----------------------------------------------------------------------------

JUNK: list[tuple[object, str]] = [
    ("https://a.example/", "E012"),
    ("https://a.example,https://b.example", "E017"),
    (" https://a.example", "E014"),
    ("a.example", "E011"),
    ("ftp://a.example", "E015"),
    ("https://a*.example", "E016"),
    ("https://user@a.example", "E013"),
    ("http://127.1", "E018"),
    ("*", "E001"),
    ("null", "E002"),
    ("https://*.com", "E003"),
    (42, "E010"),
    (None, "E010"),
    (["https://a.example"], "E010"),
]


@pytest.mark.parametrize(("value", "code"), JUNK)
async def test_each_bad_value_is_skipped_with_a_warning_and_a_signal(
    value: object,
    code: str,
    caplog: pytest.LogCaptureFixture,
    problems: list[dict[str, Any]],
) -> None:
    partners = DynamicOrigins(Rows(PARTNER, value).load)
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        async with serving(make_app(partners)) as client:
            assert await allowed(client, PARTNER)  # the rest of the set still loads
            assert not await allowed(client, "https://a.example")
            assert not await allowed(client, "https://evil.com")
    assert [problem.code for problem in partners.skipped] == [code]
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"quart_cors.{code}" in warnings[0].getMessage()
    assert [(p["sender"], p["kind"], p["code"]) for p in problems] == [(partners, "value", code)]


async def test_a_value_credentials_would_refuse_never_widens_the_set() -> None:
    # Without credentials too: a row such as '*' or 'https://*.com' never opens the API.
    partners = DynamicOrigins(Rows("*", "null", "https://*.com", PARTNER).load)
    async with serving(make_app(partners, allow_credentials=False)) as client:
        assert await allowed(client, PARTNER)
        for origin in ("https://evil.com", "https://a.example", "null"):
            assert not await allowed(client, origin)
    assert {problem.code for problem in partners.skipped} == {"E001", "E002", "E003"}


async def test_a_bad_value_is_reported_once_while_it_stays(
    caplog: pytest.LogCaptureFixture, problems: list[dict[str, Any]]
) -> None:
    rows = Rows(PARTNER, "https://a.example/")
    partners = DynamicOrigins(rows.load)
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        async with serving(make_app(partners)):
            assert await partners.reload()
            assert await partners.reload()
            assert len(problems) == 1
            rows.values.append("https://b.example/")
            assert await partners.reload()
    assert [problem["value"] for problem in problems] == [
        "https://a.example/",
        "https://b.example/",
    ]


@pytest.mark.parametrize("junk", ["https://a.example", b"https://a.example", {"a": 1}, None, 42])
async def test_a_loader_returning_no_list_of_strings_is_a_failed_load(
    junk: object, caplog: pytest.LogCaptureFixture
) -> None:
    async def load() -> object:
        return junk

    partners = DynamicOrigins(load, initial=[PARTNER])  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="quart_cors"):
        async with serving(make_app(partners)) as client:
            assert await allowed(client, PARTNER)
    assert isinstance(partners.last_error, TypeError)
    assert "iterable of origin strings" in caplog.text


# --- failures ------------------------------------------------------------------------------


async def test_a_loader_that_raises_at_start_up_stops_start_up() -> None:
    rows = Rows(PARTNER)
    rows.fail = ConnectionError("database is down")
    app = make_app(DynamicOrigins(rows.load))
    with pytest.raises(DynamicOriginsError, match="database is down") as raised:
        await app.startup()  # before_serving, as a server runs it
    assert isinstance(raised.value.__cause__, ConnectionError)
    with pytest.raises(Exception, match="first load failed"):
        async with serving(app):  # the test client's lifespan reports the same failure
            pass


async def test_a_loader_that_hangs_at_start_up_stops_start_up() -> None:
    rows = Rows(PARTNER)
    rows.hang = True
    app = make_app(DynamicOrigins(rows.load, timeout=0.05))
    with pytest.raises(DynamicOriginsError, match="TimeoutError"):
        await app.startup()


@pytest.mark.parametrize("failure", ["raises", "hangs"])
async def test_with_an_initial_set_a_failed_first_load_serves_that_set(
    failure: str, caplog: pytest.LogCaptureFixture, problems: list[dict[str, Any]]
) -> None:
    rows = Rows(NEW_PARTNER)
    if failure == "raises":
        rows.fail = ConnectionError("database is down")
    else:
        rows.hang = True
    partners = DynamicOrigins(rows.load, timeout=0.05, initial=[PARTNER])
    with caplog.at_level(logging.ERROR, logger="quart_cors"):
        async with serving(make_app(partners)) as client:
            assert await allowed(client, PARTNER)
            assert not await allowed(client, NEW_PARTNER)
    assert partners.loaded_at is None  # the initial set was never loaded
    assert partners.last_error is not None
    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "keeping the last good set of 1 origins" in errors[0].getMessage()
    assert [(p["kind"], p["code"]) for p in problems] == [("load", None)]
    assert problems[0]["error"] is partners.last_error


@pytest.mark.parametrize("failure", ["raises", "hangs"])
async def test_a_failed_refresh_keeps_the_last_good_set_and_the_next_one_retries(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load, timeout=0.05)
    async with serving(make_app(partners)) as client:
        loaded_at = partners.loaded_at
        rows.values = [NEW_PARTNER]
        if failure == "raises":
            rows.fail = ConnectionError("database is down")
        else:
            rows.hang = True
        with caplog.at_level(logging.ERROR, logger="quart_cors"):
            assert not await partners.reload()
        assert "CORS dynamic:Rows.load: load() " in caplog.text
        assert await allowed(client, PARTNER)
        assert not await allowed(client, NEW_PARTNER)
        assert partners.loaded_at == loaded_at
        error = partners.last_error
        assert error is not None
        rows.fail, rows.hang = None, False
        assert await partners.reload()
        assert partners.last_error is None
        assert partners.last_error_at is not None
        assert await allowed(client, NEW_PARTNER)
        assert not await allowed(client, PARTNER)


async def test_a_raising_signal_receiver_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    def receiver(sender: object, **facts: Any) -> None:
        raise RuntimeError("metrics are down")

    dynamic_origins_problem.connect(receiver)
    try:
        partners = DynamicOrigins(Rows(PARTNER, "https://a.example/").load)
        async with serving(make_app(partners)) as client:
            assert await allowed(client, PARTNER)
    finally:
        dynamic_origins_problem.disconnect(receiver)
    assert "a dynamic_origins_problem receiver raised" in caplog.text


async def test_async_signal_receivers_are_awaited(problems: list[dict[str, Any]]) -> None:
    seen: list[str] = []

    async def receiver(sender: object, **facts: Any) -> None:
        seen.append(facts["code"])

    dynamic_origins_problem.connect(receiver)
    try:
        async with serving(make_app(DynamicOrigins(Rows("https://a.example/").load))):
            pass
    finally:
        dynamic_origins_problem.disconnect(receiver)
    assert seen == ["E012"]


# --- refreshing ----------------------------------------------------------------------------


async def test_the_set_refreshes_in_the_background_until_the_app_stops() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load, refresh=0.02)
    async with serving(make_app(partners)) as client:
        rows.values.append(NEW_PARTNER)
        for _ in range(200):
            if await allowed(client, NEW_PARTNER):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the background refresh never loaded the new origin")
        assert partners._task is not None
    assert partners._task is None
    calls = rows.calls
    await asyncio.sleep(0.08)
    assert rows.calls == calls  # cancelled with the app


async def test_refresh_none_loads_only_at_start_up_and_on_reload() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load, refresh=None)
    async with serving(make_app(partners)) as client:
        assert partners._task is None
        rows.values = [NEW_PARTNER]
        assert not await allowed(client, NEW_PARTNER)
        assert await partners.reload()
        assert await allowed(client, NEW_PARTNER)
    assert rows.calls == 2


async def test_reload_right_after_a_write_allows_the_new_origin() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load)
    app = make_app(partners)

    @app.post("/partners")
    async def add_partner() -> str:
        rows.values.append(NEW_PARTNER)
        await partners.reload()
        return "added"

    async with serving(app) as client:
        assert not await allowed(client, NEW_PARTNER)
        await client.post("/partners")
        assert await allowed(client, NEW_PARTNER)


async def test_an_answer_remembered_per_origin_never_outlives_a_swap() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load)
    app = make_app(partners)
    async with serving(app) as client:
        policy = app.extensions["quart_cors"].policy_for("index")
        assert isinstance(policy, DynamicPolicy)
        # Both answers are now remembered: PARTNER allowed, NEW_PARTNER refused.
        assert await allowed(client, PARTNER)
        assert not await allowed(client, NEW_PARTNER)
        rows.values = [NEW_PARTNER]
        assert await partners.reload()
        assert not await allowed(client, PARTNER)
        assert await allowed(client, NEW_PARTNER)


async def test_no_request_sees_a_half_built_set_while_reloading() -> None:
    first = [f"https://a{index}.example" for index in range(300)]
    second = [f"https://b{index}.example" for index in range(300)]
    everyone = first + second
    rows = Rows(*first)
    partners = DynamicOrigins(rows.load)
    app = make_app(partners)
    sets: dict[int, frozenset[object]] = {}
    mismatches: list[tuple[str, int, bool]] = []
    answered = 0

    async def one_client(seed: int) -> None:
        nonlocal answered
        chooser = random.Random(seed)  # noqa: S311 (test data)
        for _ in range(40):
            origin = chooser.choice(everyone)
            before = partners.generation
            is_allowed = await allowed(client, origin)
            after = partners.generation
            answered += 1
            if before == after and is_allowed != (origin in sets[before]):
                mismatches.append((origin, before, is_allowed))

    async def reloader() -> None:
        for round_ in range(20):
            rows.values = list(second if round_ % 2 == 0 else first)
            assert await partners.reload()
            sets[partners.generation] = frozenset(rows.values)
            await asyncio.sleep(0)

    async with serving(app) as client:
        sets[partners.generation] = frozenset(first)
        await asyncio.gather(reloader(), *(one_client(seed) for seed in range(20)))
    assert answered == 800
    assert mismatches == []


async def test_a_set_shared_by_two_apps_refreshes_until_both_stop() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load, refresh=60)
    first, second = make_app(partners), make_app(partners)
    async with serving(first):
        async with serving(second):
            task = partners._task
            assert task is not None
        assert partners._task is task
        assert not task.done()
    assert partners._task is None


async def test_a_set_asked_before_any_load_refuses_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    partners = DynamicOrigins(Rows(PARTNER).load)
    app = make_app(partners)
    client = app.test_client()  # no lifespan: nothing loads the set
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        assert not await allowed(client, PARTNER)
        assert not await allowed(client, NEW_PARTNER)
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1
    assert "before its first load" in warnings[0]
    assert await partners.reload()
    assert await allowed(client, PARTNER)


# --- settings and state --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "setting"),
    [
        ({"load": "not callable"}, "load"),
        ({"refresh": 0}, "refresh"),
        ({"refresh": -5}, "refresh"),
        ({"refresh": float("inf")}, "refresh"),
        ({"refresh": True}, "refresh"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"initial": "https://a.example"}, "initial"),
        ({"name": 3}, "name"),
    ],
)
def test_bad_settings_are_refused_at_the_call(arguments: dict[str, Any], setting: str) -> None:
    arguments = {"load": Rows().load, **arguments}
    with pytest.raises(CORSConfigError) as raised:
        DynamicOrigins(**arguments)
    assert raised.value.codes == ("E090",)
    assert raised.value.problems[0].setting == setting


def test_a_bad_initial_value_is_refused_at_the_call() -> None:
    with pytest.raises(CORSConfigError) as raised:
        DynamicOrigins(Rows().load, initial=[PARTNER, "https://a.example/", "*"])
    assert raised.value.codes == ("E012", "E001")
    assert "DynamicOrigins(Rows.load) initial set" in str(raised.value)


async def test_the_state_an_app_can_read() -> None:
    rows = Rows(PARTNER, "https://*.tenants.example", "https://a.example/")
    partners = DynamicOrigins(rows.load, name="partners", refresh=None)
    assert not partners.loaded
    assert partners.origins == ()
    assert partners.size == 0
    assert partners.loaded_at is None
    assert partners.label == "dynamic:partners (not loaded)"
    async with serving(make_app(partners)):
        assert partners.loaded
        assert partners.origins == (PARTNER, "https://*.tenants.example")
        assert partners.size == 2
        assert partners.loaded_at is not None
        assert partners.loaded_at.tzinfo is not None
        assert partners.last_error is None
        assert partners.name == "partners"
        assert [problem.value for problem in partners.skipped] == ["https://a.example/"]
        assert repr(partners) == "DynamicOrigins(partners, 2 origins, refresh=None)"


async def load_partner_origins() -> list[str]:
    return [PARTNER, NEW_PARTNER]


async def test_describe_and_the_routes_table_show_the_source() -> None:
    app = make_app(ORIGIN, DynamicOrigins(load_partner_origins))
    async with serving(app):
        records = {record.endpoint: record for record in describe(app)}
        table = format_table(describe(app))
    policy = records["index"].policy
    assert policy is not None
    assert policy.allow_origin == (ORIGIN, "dynamic:load_partner_origins (2 origins)")
    assert "dynamic:load_partner_origins (2 orig" in table  # the table shortens values


async def test_requests_are_answered_while_a_large_set_is_checked() -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load)
    async with serving(make_app(partners)) as client:
        rows.values = [f"https://shop{index}.partners.example" for index in range(10_000)]
        reloading = asyncio.ensure_future(partners.reload())
        await asyncio.sleep(0)
        assert await allowed(client, PARTNER)  # the set in force, while the new one is built
        assert not reloading.done()
        assert await reloading
        assert not await allowed(client, PARTNER)
        assert await allowed(client, "https://shop9999.partners.example")


async def test_the_background_refresh_survives_an_unexpected_error(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = Rows(PARTNER)
    partners = DynamicOrigins(rows.load, refresh=0.01)
    failures = [RuntimeError("unexpected")]
    original = partners._skipped_keys

    def skipped_keys() -> set[tuple[str, str]]:
        if failures:
            raise failures.pop()
        return original()

    async with serving(make_app(partners)) as client:
        monkeypatch.setattr(partners, "_skipped_keys", skipped_keys)
        rows.values.append(NEW_PARTNER)
        for _ in range(200):
            if await allowed(client, NEW_PARTNER):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the refresh stopped after an unexpected error")
    assert "the background refresh failed" in caplog.text
