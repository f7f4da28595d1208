"""DynamicOrigins: origins loaded by the app's own code, at start-up and in the background.

The loaded values pass the checks static configuration gets; a bad value is skipped (WARNING
and a signal), a failed load keeps the last good set (ERROR and a signal). Requests only read
the current table, an immutable object replaced by one assignment, so a request sees the old
set or the new one, never a mix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timezone
from inspect import isawaitable, iscoroutinefunction
from typing import Any, TypeAlias

from quart import Quart

from ._common import logger
from .dynamic_table import Table, TableBuilder, Verdicts, problem_key, setting_problems
from .errors import ConfigProblem, CORSConfigError
from .origins import OriginSource
from .signals import dynamic_origins_problem

# load() returns origin strings and "*.domain" patterns, directly or from a coroutine.
Loader: TypeAlias = Callable[[], Iterable[str] | Awaitable[Iterable[str]]]

# How many values are checked between two yields to the event loop (about 10 ms of work), so
# that requests keep being answered while 10,000 new partner origins are validated.
_STEP = 200
_MAX_SHOWN = 200


class DynamicOriginsError(RuntimeError):
    """The first load of a DynamicOrigins failed and it has no ``initial`` set to start with."""


class DynamicOrigins(OriginSource):
    """Origins and ``*.domain`` patterns loaded by ``load``, for ``allow_origin``.

    ``load`` is a function or coroutine function that returns origin strings. It runs when the
    app starts, then every ``refresh`` seconds in the background (None: only on ``reload()``),
    never per request; a sync ``load`` runs in a worker thread. A load that raises or takes
    longer than ``timeout`` seconds keeps the last good set. ``initial`` is the set to serve
    with until the first load succeeds; without it, a failed first load stops start-up.
    """

    def __init__(
        self,
        load: Loader,
        *,
        refresh: float | None = 60.0,
        timeout: float = 10.0,
        initial: Iterable[str] | None = None,
        name: str | None = None,
    ) -> None:
        self._name = name if name is not None else _qualified_name(load)
        problems = setting_problems(load, refresh, timeout, initial, name)
        if problems:
            raise CORSConfigError(problems, f"DynamicOrigins({self._name})")
        self._load = load
        self.refresh = refresh
        self.timeout = timeout
        self.generation = 0
        self._table: Table | None = None
        self._verdicts: Verdicts = {}
        self._last_error: BaseException | None = None
        self._last_error_at: datetime | None = None
        self._warned_unloaded = False
        self._lock: asyncio.Lock | None = None
        self._task: asyncio.Task[None] | None = None
        self._apps: list[Quart] = []
        if initial is not None:
            builder = TableBuilder({}, self.label_prefix)
            builder.add(initial)
            table = builder.finish()
            if table.skipped:
                raise CORSConfigError(table.skipped, f"DynamicOrigins({self._name}) initial set")
            self._verdicts = builder.verdicts
            self._install(replace(table, loaded_at=None))

    # --- what requests and describe() read ----------------------------------------------

    def matches(self, origin: str) -> bool:
        """Whether the current set allows a request's Origin value (a few lookups)."""
        table = self._table
        if table is None:
            self._warn_unloaded()
            return False
        return table.matcher.match(origin) is True

    @property
    def name(self) -> str:
        """The loader's qualified name, or the ``name`` given."""
        return self._name

    @property
    def label_prefix(self) -> str:
        return f"dynamic:{self._name}"

    @property
    def label(self) -> str:
        """``dynamic:NAME (N origins)``, as describe() and `quart-cors routes` show it."""
        if self._table is None:
            return f"{self.label_prefix} (not loaded)"
        return f"{self.label_prefix} ({self.size} origins)"

    @property
    def origins(self) -> tuple[str, ...]:
        """The origins and patterns in force, normalized (empty before the first load)."""
        table = self._table
        return () if table is None else tuple(str(item) for item in table.matcher.items)

    @property
    def size(self) -> int:
        """How many origins and patterns are in force."""
        table = self._table
        return 0 if table is None else len(table.matcher.items)

    @property
    def loaded(self) -> bool:
        """Whether a set is in force (loaded, or the ``initial`` one)."""
        return self._table is not None

    @property
    def loaded_at(self) -> datetime | None:
        """When the set in force was loaded (UTC); None before the first successful load."""
        table = self._table
        return None if table is None else table.loaded_at

    @property
    def last_error(self) -> BaseException | None:
        """Why the most recent load failed; None when it succeeded (or none ran yet)."""
        return self._last_error

    @property
    def last_error_at(self) -> datetime | None:
        """When a load last failed (UTC), kept after later loads succeed."""
        return self._last_error_at

    @property
    def skipped(self) -> tuple[ConfigProblem, ...]:
        """The loaded values left out of the set in force, each with its code and fix."""
        table = self._table
        return () if table is None else table.skipped

    def __repr__(self) -> str:
        return f"DynamicOrigins({self._name}, {self.size} origins, refresh={self.refresh})"

    # --- loading ---------------------------------------------------------------------------

    async def reload(self) -> bool:
        """Load now and put the new set in force; False when the load failed.

        A failure keeps the set in force and is logged at ERROR, sent as the
        ``dynamic_origins_problem`` signal and kept in ``last_error``. Calls are serialized, so
        that a slow older load never replaces a newer set.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            try:
                values = await asyncio.wait_for(self._call_loader(), self.timeout)
                if isinstance(values, (str, bytes, bytearray, Mapping)) or not isinstance(
                    values, Iterable
                ):
                    raise TypeError(
                        f"load() must return an iterable of origin strings, not "
                        f"{type(values).__name__}"
                    )
                values = list(values)
                table, verdicts = await self._compile_in_steps(values)
            except Exception as error:  # a loader's failure never escapes into the app
                await self._failed(error)
                return False
            reported = self._skipped_keys()
            new_problems = [
                problem for problem in table.skipped if problem_key(problem) not in reported
            ]
            self._verdicts = verdicts
            self._last_error = None
            self._install(table)
            for problem in new_problems:
                await self._report_value(problem)
            return True

    async def _call_loader(self) -> object:
        if iscoroutinefunction(self._load):
            return await self._load()
        # A plain function may block (a database driver, a file): it runs in a worker thread.
        result = await asyncio.to_thread(self._load)
        if isawaitable(result):
            return await result
        return result

    async def _compile_in_steps(self, values: list[object]) -> tuple[Table, Verdicts]:
        """Build the table on the event loop, a slice at a time: requests are answered (from
        the set in force) between slices, and no thread is needed for 10,000 new values."""
        builder = TableBuilder(self._verdicts, self.label_prefix)
        for start in range(0, len(values), _STEP):
            if builder.add(values[start : start + _STEP]):
                await asyncio.sleep(0)
        return builder.finish(), builder.verdicts

    def _install(self, table: Table) -> None:
        # One assignment: a request reads either the old table or the new one. The generation
        # moves right after, before anything else can run, and drops memoized answers.
        self._table = table
        self.generation += 1

    def _skipped_keys(self) -> set[tuple[str, str]]:
        return {problem_key(problem) for problem in self.skipped}

    async def _failed(self, error: BaseException) -> None:
        self._last_error = error
        self._last_error_at = datetime.now(timezone.utc)
        if isinstance(error, (TimeoutError, asyncio.TimeoutError)):
            what = f"did not return within {self.timeout:g} s"
        else:
            what = f"raised {type(error).__name__}: {error}"
        keeping = (
            f"keeping the last good set of {self.size} origins"
            if self._table is not None
            else "no set is in force yet, so no origin is allowed by it"
        )
        retry = f"; next try in {self.refresh:g} s" if self.refresh is not None else ""
        logger.error(
            "CORS %s: load() %s; %s%s",
            self.label_prefix,
            what[:_MAX_SHOWN],
            keeping,
            retry,
            exc_info=None if isinstance(error, (TimeoutError, asyncio.TimeoutError)) else error,
        )
        await self._send(kind="load", code=None, value=None, message=what, error=error)

    async def _report_value(self, problem: ConfigProblem) -> None:
        logger.warning("CORS %s: skipped a loaded value: %s", self.label_prefix, problem)
        await self._send(
            kind="value", code=problem.code, value=problem.value, message=problem.message
        )

    async def _send(self, **facts: Any) -> None:
        if not dynamic_origins_problem.receivers:
            return
        try:
            await dynamic_origins_problem.send_async(
                self, _sync_wrapper=_as_coroutine, error=facts.pop("error", None), **facts
            )
        except Exception:
            logger.exception("a dynamic_origins_problem receiver raised; the set is unchanged")

    def _warn_unloaded(self) -> None:
        if self._warned_unloaded:
            return
        self._warned_unloaded = True
        logger.warning(
            "CORS %s was asked about an origin before its first load: it loads when the app "
            "starts serving (Hypercorn, or `async with app.test_app()` in tests), and a "
            "route_cors-only app needs cors(app, allow_origin=[]) for that; or call "
            "`await reload()` yourself",
            self.label_prefix,
        )

    # --- the app's lifespan ----------------------------------------------------------------

    async def start(self, app: Quart) -> None:
        """Load for an app that starts serving, then keep refreshing in the background.

        Raises DynamicOriginsError when the load fails and no set is in force yet.
        """
        if self not in _started_by(app):
            _started_by(app).append(self)
            self._apps.append(app)
        if not await self.reload() and self._table is None:
            self._apps.remove(app)
            _started_by(app).remove(self)
            raise DynamicOriginsError(
                f"CORS {self.label_prefix}: the first load failed ({self._last_error!r}) and no "
                "initial set was given, so the app would allow none of these origins; fix the "
                "loader, or pass DynamicOrigins(..., initial=[...]) to start with a fixed set"
            ) from self._last_error
        if self.refresh is not None and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def stop(self, app: Quart) -> None:
        """Stop refreshing once the last app that started this set stops serving."""
        if app in self._apps:
            self._apps.remove(app)
            _started_by(app).remove(self)
        if self._apps or self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task

    async def _refresh_forever(self) -> None:
        assert self.refresh is not None
        while True:
            await asyncio.sleep(self.refresh)
            try:
                await self.reload()
            except Exception:  # reload() reports a loader's failure; this is for the rest
                logger.exception("CORS %s: the background refresh failed", self.label_prefix)


def _qualified_name(load: object) -> str:
    name = getattr(load, "__qualname__", None)
    return name if isinstance(name, str) else type(load).__qualname__


def _started_by(app: Quart) -> list[DynamicOrigins]:
    started: list[DynamicOrigins] = app.extensions.setdefault("quart_cors.dynamic", [])
    return started


def _as_coroutine(function: Callable[..., Any]) -> Callable[..., Coroutine[Any, Any, Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return call


async def start_sources(app: Quart, sources: Iterable[OriginSource]) -> None:
    """Load every dynamic set an app's policies use; raise when one cannot start."""
    for source in sources:
        if isinstance(source, DynamicOrigins):
            await source.start(app)


async def stop_sources(app: Quart) -> None:
    """Stop the background refresh of the sets an app started."""
    for source in list(_started_by(app)):
        await source.stop(app)
