"""In-process benchmark: bare Quart (the floor), this project, and quart-cors 0.8.0, side by side.

Run it with ``python3 dev.py bench`` (or ``.venv/bin/python benchmarks/run.py``). Every app is
driven through its ASGI callable with hand-built scopes and receive/send callables, after its
lifespan start-up; no sockets, no test client. The three implementations run in one process,
interleaved chunk by chunk (every scenario and implementation once per repeat), so that machine
noise lands on all of them alike. Each cell first checks one response for the right headers,
so a fast wrong answer cannot win.

quart-cors 0.8.0 has the same import name as this project: it is installed with pip into
``benchmarks/.quart_cors_080`` (git-ignored) when missing, and put into ``sys.modules`` only
while its apps are built; the apps keep references to its functions.

Output: a table of microseconds per request (median over the repeats), the ratios ours/bare and
ours/0.8.0 (medians of the per-repeat ratios, whose two chunks ran back to back), the budget
checks of docs/behaviour.md section 7, and a JSON file in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib.util
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from quart import Blueprint, Quart, websocket

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OLD_DIR = HERE / ".quart_cors_080"
OLD_VERSION = "0.8.0"
RESULTS_DIR = HERE / "results"

ORIGIN = "https://app.example.com"
MISS_ORIGIN = "https://evil.example.net"
PATTERN_MISS_ORIGIN = "https://api.miss.example.com"
REQUEST_HEADERS = "content-type, x-token"

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on purpose: Quart's TypedDict unions add nothing to a harness.
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

BARE, OURS, OLD = "bare", "ours", "0.8.0"
IMPLS = (BARE, OURS, OLD)


# --------------------------------------------------------------------------------------------
# Loading the two quart_cors packages
# --------------------------------------------------------------------------------------------


def _quart_cors_modules() -> dict[str, ModuleType]:
    return {
        name: module
        for name, module in sys.modules.items()
        if name == "quart_cors" or name.startswith("quart_cors.")
    }


def load_ours() -> tuple[ModuleType | None, str]:
    """Import this project's quart_cors from src/ (whatever is installed in the venv aside)."""
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    try:
        module = importlib.import_module("quart_cors")
    except Exception as error:  # a half-written package must not stop the other columns
        return None, f"import failed: {error!r}"
    missing = [n for n in ("cors", "route_cors", "websocket_cors") if not hasattr(module, n)]
    if missing:
        for name in _quart_cors_modules():
            del sys.modules[name]
        return None, f"quart_cors from {module.__path__} lacks {', '.join(missing)}"
    origin = getattr(module, "__file__", None) or str(list(module.__path__))
    return module, f"quart_cors from {origin}"


def ensure_old_installed() -> str | None:
    """Install quart-cors 0.8.0 into benchmarks/.quart_cors_080; return an error or None."""
    if (OLD_DIR / "quart_cors" / "__init__.py").exists():
        return None
    print(f"installing quart-cors=={OLD_VERSION} into {OLD_DIR} ...", file=sys.stderr)
    staging = Path(tempfile.mkdtemp(prefix=".quart_cors_080-", dir=HERE))
    try:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(staging),
            f"quart-cors=={OLD_VERSION}",
        ]
        done = subprocess.run(  # noqa: S603 - a fixed command line
            command, capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            return f"pip failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        try:
            staging.rename(OLD_DIR)
        except OSError:
            # Another run installed it at the same time: use theirs.
            if not (OLD_DIR / "quart_cors" / "__init__.py").exists():
                raise
        return None
    except (OSError, subprocess.SubprocessError) as error:
        return f"{error!r}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def old_quart_cors() -> Iterator[ModuleType]:
    """Put quart-cors 0.8.0 into sys.modules as ``quart_cors``; restore ours afterwards."""
    saved = _quart_cors_modules()
    for name in saved:
        del sys.modules[name]
    init = OLD_DIR / "quart_cors" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "quart_cors", init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["quart_cors"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        for name in _quart_cors_modules():
            del sys.modules[name]
        sys.modules.update(saved)


# --------------------------------------------------------------------------------------------
# The apps
# --------------------------------------------------------------------------------------------


def exact_origins(count: int) -> list[str]:
    """``count`` exact origins, the benchmark's request origin last."""
    return [f"https://o{i}.example.com" for i in range(count - 1)] + [ORIGIN]


def pattern_hit(count: int) -> str:
    """An origin matched by the last of ``count`` wildcard patterns only."""
    return f"https://api.t{count - 1}.example.com"


def wildcard_patterns(count: int, impl: str) -> list[Any]:
    """``https://*.tN.example.com`` patterns; 0.8.0 has no patterns, so it gets regexes."""
    if impl == OLD:
        return [re.compile(rf"https://[a-z0-9.-]+\.t{i}\.example\.com\Z") for i in range(count)]
    return [f"https://*.t{i}.example.com" for i in range(count)]


async def _callable_origin(origin: str) -> bool:
    await asyncio.sleep(0)
    return origin.endswith(".example.com") and origin.startswith("https://app.")


# Origin settings of the apps, by app kind; None: this implementation cannot express it.
def origin_setting(kind: str, impl: str) -> Any:
    if kind in ("cors1", "route", "bp", "route_fast"):
        return [ORIGIN]
    if kind == "cors100":
        return exact_origins(100)
    if kind == "cors10k":
        return exact_origins(10_000)
    if kind == "wild1":
        return wildcard_patterns(1, impl)
    if kind == "wild10k":
        return wildcard_patterns(10_000, impl)
    if kind == "regex":
        return [re.compile(r"https://app[0-9]*\.example\.com")]
    if kind == "callable":
        return None if impl == OLD else [_callable_origin]
    raise ValueError(kind)


def build_app(kind: str, impl: str, module: ModuleType | None) -> Quart | None:
    """One app: the same routes for every implementation; CORS only when ``module`` is set."""
    allow_origin = origin_setting(kind, impl)
    if module is not None and allow_origin is None:
        return None
    app = Quart(f"bench_{kind}_{impl}")

    async def view() -> str:
        return "ok"

    async def ws() -> None:
        await websocket.accept()
        await websocket.receive()

    if kind == "bp":
        blueprint = Blueprint("api", __name__, url_prefix="/bp")
        blueprint.add_url_rule("/r", "r", view, methods=["GET", "PUT"])
        blueprint.add_websocket("/ws", "ws", ws)
        if module is not None:
            module.cors(blueprint, allow_origin=allow_origin)
        app.register_blueprint(blueprint)
        return app
    if kind in ("route", "route_fast"):
        decorated = view if module is None else module.route_cors(allow_origin=allow_origin)(view)
        app.add_url_rule("/r", "r", decorated, methods=["GET", "PUT"])
        if kind == "route_fast" and module is not None:
            module.cors(app, allow_origin=[])
        return app
    app.add_url_rule("/r", "r", view, methods=["GET", "PUT"])
    app.add_websocket("/ws", "ws", ws)
    if module is not None:
        module.cors(app, allow_origin=allow_origin)
    return app


# --------------------------------------------------------------------------------------------
# Requests, checks and scenarios
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: str  # the app kind
    method: str = "GET"
    path: str = "/r"
    origin: str | None = ORIGIN
    preflight: bool = False
    websocket: bool = False
    allowed: bool = True  # whether the origin should be allowed by the CORS implementations


SCENARIOS = (
    Scenario("GET, allowed Origin, cors()", "cors1"),
    Scenario("GET, no Origin, cors()", "cors1", origin=None),
    Scenario("preflight, cors()", "cors1", method="OPTIONS", preflight=True),
    Scenario("GET, route_cors", "route"),
    Scenario("preflight, route_cors", "route", method="OPTIONS", preflight=True),
    Scenario(
        "preflight, route_cors + cors(app, allow_origin=[])",
        "route_fast",
        method="OPTIONS",
        preflight=True,
    ),
    Scenario("GET, blueprint cors()", "bp", path="/bp/r"),
    Scenario("preflight, blueprint cors()", "bp", path="/bp/r", method="OPTIONS", preflight=True),
    Scenario("GET, 1 exact origin, miss", "cors1", origin=MISS_ORIGIN, allowed=False),
    Scenario("GET, 100 exact origins, hit", "cors100"),
    Scenario("GET, 100 exact origins, miss", "cors100", origin=MISS_ORIGIN, allowed=False),
    Scenario("GET, 10,000 exact origins, hit", "cors10k"),
    Scenario("GET, 10,000 exact origins, miss", "cors10k", origin=MISS_ORIGIN, allowed=False),
    Scenario("GET, 1 wildcard pattern, hit", "wild1", origin=pattern_hit(1)),
    Scenario("GET, 1 wildcard pattern, miss", "wild1", origin=PATTERN_MISS_ORIGIN, allowed=False),
    Scenario("GET, 10,000 wildcard patterns, hit", "wild10k", origin=pattern_hit(10_000)),
    Scenario(
        "GET, 10,000 wildcard patterns, miss",
        "wild10k",
        origin=PATTERN_MISS_ORIGIN,
        allowed=False,
    ),
    Scenario("GET, regex origin", "regex", origin="https://app7.example.com"),
    Scenario("GET, async callable origin", "callable"),
    Scenario("WebSocket handshake, cors()", "cors1", path="/ws", websocket=True),
)

# The budgets of docs/behaviour.md section 7, as (label, scenario, baseline scenario or None
# for bare Quart, limit). Many origins are compared with one of the same kind.
BUDGETS: tuple[tuple[str, str, str | None, float], ...] = (
    ("GET <= 1.03x bare (cors())", "GET, allowed Origin, cors()", None, 1.03),
    ("GET <= 1.035x bare (route_cors)", "GET, route_cors", None, 1.035),
    ("GET <= 1.03x bare (blueprint)", "GET, blueprint cors()", None, 1.03),
    ("wildcard GET <= 1.04x bare, hit", "GET, 1 wildcard pattern, hit", None, 1.04),
    ("wildcard GET <= 1.06x bare, miss", "GET, 1 wildcard pattern, miss", None, 1.06),
    ("preflight <= 0.10x Quart OPTIONS (cors())", "preflight, cors()", None, 0.10),
    # No budget for "preflight, route_cors": in an app without cors() the view answers its own
    # preflight after before_request, at Quart's own cost (the exception in section 7).
    (
        "preflight <= 0.10x Quart OPTIONS (route_cors + cors(app, []))",
        "preflight, route_cors + cors(app, allow_origin=[])",
        None,
        0.10,
    ),
    ("preflight <= 0.10x Quart OPTIONS (blueprint)", "preflight, blueprint cors()", None, 0.10),
    (
        "10,000 origins <= 1.01x 1 origin, hit",
        "GET, 10,000 exact origins, hit",
        "GET, allowed Origin, cors()",
        1.01,
    ),
    (
        "10,000 origins <= 1.01x 1 origin, miss",
        "GET, 10,000 exact origins, miss",
        "GET, 1 exact origin, miss",
        1.01,
    ),
    (
        "10,000 patterns <= 1.01x 1 pattern, hit",
        "GET, 10,000 wildcard patterns, hit",
        "GET, 1 wildcard pattern, hit",
        1.01,
    ),
    (
        "10,000 patterns <= 1.01x 1 pattern, miss",
        "GET, 10,000 wildcard patterns, miss",
        "GET, 1 wildcard pattern, miss",
        1.01,
    ),
)


def scope_for(scenario: Scenario) -> Message:
    headers = [
        (b"host", b"api.example.com"),
        (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) bench"),
        (b"accept", b"*/*"),
        (b"accept-encoding", b"gzip, deflate, br"),
    ]
    if scenario.origin is not None:
        headers.append((b"origin", scenario.origin.encode()))
    if scenario.preflight:
        headers.append((b"access-control-request-method", b"PUT"))
        headers.append((b"access-control-request-headers", REQUEST_HEADERS.encode()))
    scope: Message = {
        "type": "websocket" if scenario.websocket else "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": "wss" if scenario.websocket else "https",
        "path": scenario.path,
        "raw_path": scenario.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 443),
        "extensions": {},
    }
    if scenario.websocket:
        scope["subprotocols"] = []
    else:
        scope["method"] = scenario.method
    return scope


_HTTP_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}
_WS_CONNECT: Message = {"type": "websocket.connect"}
_WS_DISCONNECT: Message = {"type": "websocket.disconnect", "code": 1000}


_HTTP_DISCONNECT: Message = {"type": "http.disconnect"}


class HTTPPeer:
    """The request, then http.disconnect once the response is complete, as Hypercorn sends it.

    Quart 0.23 waits for that message before the request's task group ends.
    """

    __slots__ = ("answered", "record", "sent")

    def __init__(self, record: list[Message] | None = None) -> None:
        self.sent = False
        self.answered = asyncio.Event()
        self.record = record

    async def receive(self) -> Message:
        if not self.sent:
            self.sent = True
            return _HTTP_REQUEST
        await self.answered.wait()
        return _HTTP_DISCONNECT

    async def send(self, message: Message) -> None:
        if self.record is not None:
            self.record.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.answered.set()


class WebsocketPeer:
    """websocket.connect, then websocket.disconnect once the app accepted or closed."""

    def __init__(self, record: list[Message] | None = None) -> None:
        self.connected = False
        self.answered = asyncio.Event()
        self.record = record

    async def receive(self) -> Message:
        if not self.connected:
            self.connected = True
            return _WS_CONNECT
        await self.answered.wait()
        return _WS_DISCONNECT

    async def send(self, message: Message) -> None:
        if self.record is not None:
            self.record.append(message)
        if message["type"] in ("websocket.accept", "websocket.close"):
            self.answered.set()


async def call_once(app: ASGIApp, scenario: Scenario, scope: Message) -> None:
    if scenario.websocket:
        peer = WebsocketPeer()
        await app(dict(scope), peer.receive, peer.send)
    else:
        client = HTTPPeer()
        await app(dict(scope), client.receive, client.send)


async def run_chunk(app: ASGIApp, scenario: Scenario, scope: Message, count: int) -> float:
    """Seconds per request over ``count`` back-to-back requests."""
    if scenario.websocket:
        started = time.perf_counter()
        for _ in range(count):
            peer = WebsocketPeer()
            await app(dict(scope), peer.receive, peer.send)
        return (time.perf_counter() - started) / count
    started = time.perf_counter()
    for _ in range(count):
        client = HTTPPeer()
        await app(dict(scope), client.receive, client.send)
    return (time.perf_counter() - started) / count


async def record_once(app: ASGIApp, scenario: Scenario, scope: Message) -> list[Message]:
    messages: list[Message] = []
    if scenario.websocket:
        peer = WebsocketPeer(messages)
        await app(dict(scope), peer.receive, peer.send)
        return messages
    client = HTTPPeer(messages)
    await app(dict(scope), client.receive, client.send)
    return messages


def _headers(start: Message) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in start.get("headers", []):
        found.setdefault(bytes(name).decode("latin1").lower(), []).append(
            bytes(value).decode("latin1")
        )
    return found


def _tokens(values: list[str]) -> set[str]:
    return {item.strip().lower() for value in values for item in value.split(",") if item.strip()}


def check_response(scenario: Scenario, impl: str, messages: list[Message]) -> list[str]:
    """What is wrong with this response for this scenario and implementation (empty: right)."""
    if not messages:
        return ["no ASGI message sent"]
    first = messages[0]
    if scenario.websocket:
        if first["type"] != "websocket.accept":
            return [f"expected websocket.accept, got {first!r}"]
        return []
    if first["type"] != "http.response.start":
        return [f"expected http.response.start, got {first!r}"]
    problems = []
    if first["status"] != 200:
        problems.append(f"status {first['status']}, expected 200")
    headers = _headers(first)
    acao = headers.get("access-control-allow-origin")
    if impl == BARE:
        if acao is not None:
            problems.append(f"bare Quart sent ACAO {acao}")
        if scenario.preflight and "PUT" not in _tokens(headers.get("allow", [])) | {
            t.upper() for t in _tokens(headers.get("allow", []))
        }:
            problems.append(f"Quart's OPTIONS lacks Allow: PUT ({headers.get('allow')})")
        return problems
    if "origin" not in _tokens(headers.get("vary", [])):
        problems.append(f"Vary lacks Origin: {headers.get('vary')}")
    if scenario.origin is None or not scenario.allowed:
        if acao is not None:
            problems.append(f"refused or absent origin got ACAO {acao}")
        return problems
    if acao != [scenario.origin]:
        problems.append(f"ACAO {acao}, expected [{scenario.origin!r}]")
    if scenario.preflight:
        methods = {m.upper() for m in _tokens(headers.get("access-control-allow-methods", []))}
        if "PUT" not in methods and "*" not in methods:
            problems.append(f"ACAM lacks PUT: {headers.get('access-control-allow-methods')}")
        allowed = _tokens(headers.get("access-control-allow-headers", []))
        if not {"content-type", "x-token"} <= allowed and "*" not in allowed:
            problems.append(
                f"ACAH lacks content-type, x-token: {headers.get('access-control-allow-headers')}"
            )
    return problems


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclass
class Cell:
    scenario: Scenario
    impl: str
    app: ASGIApp | None
    scope: Message
    count: int = 0
    samples: list[float] = field(default_factory=list)  # seconds per request, one per repeat
    note: str = ""

    @property
    def median_us(self) -> float | None:
        return statistics.median(self.samples) * 1e6 if self.samples else None


class Lifespan:
    """Drive an app's lifespan protocol: startup now, shutdown at the end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _send(self, message: Message) -> None:
        await self.outbox.put(message)

    async def startup(self) -> None:
        scope: Message = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self.task = asyncio.ensure_future(self.app(scope, self.inbox.get, self._send))
        await self.inbox.put({"type": "lifespan.startup"})
        answer = await self.outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"lifespan startup failed: {answer}")

    async def shutdown(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        answer = await self.outbox.get()
        if answer["type"] != "lifespan.shutdown.complete":
            raise RuntimeError(f"lifespan shutdown failed: {answer}")
        if self.task is not None:
            await self.task


def build_all(
    scenarios: list[Scenario], ours: ModuleType | None, old_available: bool
) -> dict[tuple[str, str], Quart | None]:
    kinds = sorted({s.kind for s in scenarios})
    apps: dict[tuple[str, str], Quart | None] = {}
    for kind in kinds:
        apps[(kind, BARE)] = build_app(kind, BARE, None)
        apps[(kind, OURS)] = build_app(kind, OURS, ours) if ours is not None else None
    if old_available:
        with old_quart_cors() as old:
            for kind in kinds:
                apps[(kind, OLD)] = build_app(kind, OLD, old)
    return apps


async def calibrate(cell: Cell, target: float) -> int:
    assert cell.app is not None
    for _ in range(3):
        await call_once(cell.app, cell.scenario, cell.scope)
    probe = await run_chunk(cell.app, cell.scenario, cell.scope, 5)
    return max(1, min(2000, int(target / probe)))


def paired_ratio(top: Cell | None, bottom: Cell | None) -> float | None:
    """Median of the per-repeat ratios: each pair of chunks ran close together in time."""
    if top is None or bottom is None or not top.samples or not bottom.samples:
        return None
    return statistics.median(a / b for a, b in zip(top.samples, bottom.samples, strict=False))


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def machine_description() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ("quart", "werkzeug", "hypercorn"):
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:  # pragma: no cover - metadata missing
            versions.append(f"{name} ?")
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


async def harness_floor(count: int) -> float:
    """us per request for a plain ASGI callable through the same harness: the floor."""

    async def plain(scope: Message, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    scenario = SCENARIOS[0]
    scope = scope_for(scenario)
    samples = [await run_chunk(plain, scenario, scope, count) for _ in range(5)]
    return statistics.median(samples) * 1e6


def render_table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)]
        return "| " + " | ".join(parts) + " |"

    separator = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(header), separator, *(line(r) for r in rows)])


async def bench(args: argparse.Namespace) -> int:
    scenarios = [s for s in SCENARIOS if _selected(s, args.only)]
    if not scenarios:
        print(f"no scenario matches {args.only!r}", file=sys.stderr)
        return 2

    ours, ours_note = load_ours()
    print(f"ours: {ours_note}")
    old_error = "skipped (--no-080)" if args.no_080 else ensure_old_installed()
    if old_error is not None:
        print(f"WARNING: quart-cors {OLD_VERSION} unavailable, its column is n/a: {old_error}")
    else:
        print(f"0.8.0: quart-cors {OLD_VERSION} from {OLD_DIR}")

    apps = build_all(scenarios, ours, old_error is None)
    lifespans = [Lifespan(app) for app in apps.values() if app is not None]
    for lifespan in lifespans:
        await lifespan.startup()

    impls = [i for i in IMPLS if not args.profile or i == OURS]
    cells, failures = await check_cells(scenarios, impls, apps)

    if failures:
        print("\nWRONG ANSWERS (checked before timing):", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        if not args.keep_going:
            return 1

    if args.profile:
        return await profile(cells, scenarios, args)

    live = [cell for cell in cells.values() if cell.app is not None]
    for cell in live:
        cell.count = args.requests or await calibrate(cell, args.target_ms / 1000)
    floor = await harness_floor(max(1, args.requests or 200))
    # The apps (10,000-origin tables included) are long-lived: keep them out of the collector's
    # way, so that each chunk starts from the same clean state at a small cost.
    gc.collect()
    gc.freeze()

    started = time.perf_counter()
    for repeat in range(args.repeats):
        for scenario in scenarios:
            # Rotate the order of the implementations from one repeat to the next.
            order = impls[repeat % len(impls) :] + impls[: repeat % len(impls)]
            for impl in order:
                cell = cells[(scenario.name, impl)]
                if cell.app is None:
                    continue
                gc.collect()
                cell.samples.append(
                    await run_chunk(cell.app, scenario, cell.scope, max(1, cell.count))
                )
    elapsed = time.perf_counter() - started

    for lifespan in lifespans:
        await lifespan.shutdown()

    report = build_report(
        cells=cells,
        scenarios=scenarios,
        floor=floor,
        elapsed=elapsed,
        args=args,
        ours_note=ours_note,
        old_error=old_error,
    )
    print(report["text"])
    write_json(report["json"], args.json)
    if args.fail_on_budget and any(not b["holds"] for b in report["json"]["budgets"] if b["ours"]):
        return 3
    return 1 if failures else 0


async def check_cells(
    scenarios: list[Scenario], impls: list[str], apps: dict[tuple[str, str], Quart | None]
) -> tuple[dict[tuple[str, str], Cell], list[str]]:
    """A cell per scenario and implementation, each checked once; the wrong ones get no app."""
    cells: dict[tuple[str, str], Cell] = {}
    failures: list[str] = []
    for scenario in scenarios:
        scope = scope_for(scenario)
        for impl in impls:
            app = apps.get((scenario.kind, impl))
            cell = Cell(scenario, impl, app, scope)
            cells[(scenario.name, impl)] = cell
            if app is None:
                cell.note = "n/a"
                continue
            try:
                problems = check_response(scenario, impl, await record_once(app, scenario, scope))
            except Exception:
                problems = ["raised:\n" + traceback.format_exc()]
            if problems and impl == OLD:
                # 0.8.0 is only the yardstick; it breaks on newer Quarts (route_cors preflights
                # are a 500 on Quart 0.23), so its cell is n/a rather than the run failing.
                print(f"NOTE: {scenario.name} [{impl}] is n/a here: {problems[0]}")
                cell.app = None
                cell.note = "n/a"
            elif problems:
                failures.append(f"{scenario.name} [{impl}]: " + "; ".join(problems))
                cell.app = None
                cell.note = "WRONG"
    return cells, failures


def _selected(scenario: Scenario, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(part.strip().lower() in scenario.name.lower() for part in only)


def build_report(
    *,
    cells: dict[tuple[str, str], Cell],
    scenarios: list[Scenario],
    floor: float,
    elapsed: float,
    args: argparse.Namespace,
    ours_note: str,
    old_error: str | None,
) -> dict[str, Any]:
    rows = []
    json_rows = []
    for scenario in scenarios:
        bare, ours, old = (cells.get((scenario.name, i)) for i in IMPLS)
        values = [c.median_us if c is not None else None for c in (bare, ours, old)]
        vs_bare = paired_ratio(ours, bare)
        vs_old = paired_ratio(ours, old)
        rows.append(
            [
                scenario.name,
                *[
                    (c.note if c is not None and c.note else fmt(v, ".1f"))
                    for c, v in zip((bare, ours, old), values, strict=True)
                ],
                fmt(vs_bare, ".3f"),
                fmt(vs_old, ".3f"),
            ]
        )
        json_rows.append(
            {
                "scenario": scenario.name,
                "us_per_request": dict(zip(IMPLS, values, strict=True)),
                "requests_per_chunk": {
                    i: c.count for i in IMPLS if (c := cells.get((scenario.name, i))) is not None
                },
                "samples_us": {
                    i: [round(s * 1e6, 2) for s in c.samples]
                    for i in IMPLS
                    if (c := cells.get((scenario.name, i))) is not None
                },
                "ours_over_bare": vs_bare,
                "ours_over_080": vs_old,
            }
        )
    table = render_table(
        rows, ["scenario", "bare us", "ours us", "0.8.0 us", "ours/bare", "ours/0.8.0"]
    )

    budget_rows = []
    json_budgets = []
    for label, name, baseline, limit in BUDGETS:
        if not any(s.name == name for s in scenarios):
            continue
        if baseline is not None and not any(s.name == baseline for s in scenarios):
            continue
        results = {}
        for impl in (OURS, OLD):
            top = cells.get((name, impl))
            bottom = cells.get((name, BARE) if baseline is None else (baseline, impl))
            results[impl] = paired_ratio(top, bottom)
        ours_ratio = results[OURS]
        holds: bool | None = ours_ratio is not None and ours_ratio <= limit
        if args.quick:
            # A few requests per chunk measure mostly noise: a ratio, but no verdict.
            holds, verdict = None, "not judged (--quick)"
        else:
            verdict = "n/a" if ours_ratio is None else ("holds" if holds else "FAILS")
        budget_rows.append([label, fmt(ours_ratio, ".3f"), fmt(results[OLD], ".3f"), verdict])
        json_budgets.append(
            {
                "budget": label,
                "limit": limit,
                "ours": ours_ratio,
                "quart_cors_080": results[OLD],
                "holds": holds,
            }
        )
    budgets = render_table(
        budget_rows, ["budget (docs/behaviour.md section 7)", "ours (x)", "0.8.0 (x)", "verdict"]
    )

    repeats = args.repeats
    text = "\n".join(
        [
            "",
            f"machine: {machine_description()}",
            f"command: {' '.join(['benchmarks/run.py', *sys.argv[1:]])}",
            f"{repeats} repeats, interleaved; us/request = median over repeats; ratios = median"
            f" of per-repeat ratios; harness floor (plain ASGI callable) {floor:.1f} us;"
            f" timed for {elapsed:.0f} s",
            "bare = Quart without CORS (for preflights: Quart's own automatic OPTIONS)",
            "",
            table,
            "",
            budgets,
            *(
                [
                    "--quick times too few requests to judge a budget of a few percent: the "
                    "verdicts need a full run (python3 dev.py bench)."
                ]
                if args.quick
                else []
            ),
            "",
        ]
    )
    data = {
        "machine": machine_description(),
        "argv": sys.argv[1:],
        "python": sys.version,
        "ours": ours_note,
        "quart_cors_080": old_error or "ok",
        "repeats": repeats,
        "harness_floor_us": floor,
        "elapsed_s": elapsed,
        "rows": json_rows,
        "budgets": json_budgets,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return {"text": text, "json": data}


def write_json(data: dict[str, Any], target: str | None) -> None:
    if target:
        path = Path(target)
    else:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / time.strftime("bench-%Y%m%d-%H%M%S.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    if not target:
        (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    print(f"JSON: {path}")


# --------------------------------------------------------------------------------------------
# Profiling this project's cells
# --------------------------------------------------------------------------------------------


async def profile(
    cells: dict[tuple[str, str], Cell], scenarios: list[Scenario], args: argparse.Namespace
) -> int:
    """cProfile this project's cells; print per-request figures (us per request)."""
    count = args.requests or 2000
    for scenario in scenarios:
        cell = cells[(scenario.name, OURS)]
        if cell.app is None:
            print(f"\n== {scenario.name}: n/a")
            continue
        for _ in range(50):
            await call_once(cell.app, scenario, cell.scope)
        plain = await run_chunk(cell.app, scenario, cell.scope, count)
        profiler = cProfile.Profile()
        profiler.enable()
        await run_chunk(cell.app, scenario, cell.scope, count)
        profiler.disable()
        stats = pstats.Stats(profiler)
        table: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
        table = stats.stats  # type: ignore[attr-defined]
        print(
            f"\n== {scenario.name}: {plain * 1e6:.1f} us/request unprofiled, "
            f"{count} requests profiled; figures are per request (profiler overhead included)"
        )
        entries = sorted(table.items(), key=lambda item: item[1][2], reverse=True)
        print(f"{'calls':>7} {'self us':>8} {'cum us':>8}  function")
        for (filename, line, name), (_cc, calls, own, cumulative, _callers) in entries[
            : args.profile_top
        ]:
            print(
                f"{calls / count:7.2f} {own / count * 1e6:8.2f} {cumulative / count * 1e6:8.2f}"
                f"  {_short(filename)}:{line}({name})"
            )
        ours_entries = [e for e in entries if "quart_cors" in e[0][0]]
        ours_entries.sort(key=lambda item: item[1][3], reverse=True)
        print("-- quart_cors functions by cumulative time:")
        for (filename, line, name), (_cc, calls, own, cumulative, _callers) in ours_entries[
            : args.profile_top
        ]:
            print(
                f"{calls / count:7.2f} {own / count * 1e6:8.2f} {cumulative / count * 1e6:8.2f}"
                f"  {_short(filename)}:{line}({name})"
            )
    return 0


def _short(filename: str) -> str:
    for marker in ("site-packages/", "src/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "-n",
        "--requests",
        type=int,
        default=0,
        help="requests per chunk (default: calibrated to --target-ms per chunk)",
    )
    parser.add_argument("--repeats", type=int, default=41, help="chunks per cell (default 41)")
    parser.add_argument(
        "--target-ms", type=float, default=20.0, help="calibrated chunk length (default 20 ms)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny run (-n 2 --repeats 3) that checks every cell; budgets are not judged",
    )
    parser.add_argument(
        "--only",
        action="append",
        help="run the scenarios whose name contains this text (repeatable)",
    )
    parser.add_argument("--no-080", action="store_true", help="skip quart-cors 0.8.0")
    parser.add_argument("--json", help="write the JSON here (default benchmarks/results/)")
    parser.add_argument(
        "--keep-going", action="store_true", help="time the right cells when some are wrong"
    )
    parser.add_argument(
        "--fail-on-budget", action="store_true", help="exit 3 when a budget of ours fails"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile this project's cells instead of timing (use with --only)",
    )
    parser.add_argument("--profile-top", type=int, default=25, help="rows per profile listing")
    args = parser.parse_args(argv)
    if args.quick:
        if args.fail_on_budget:
            parser.error("--fail-on-budget needs a full run: --quick judges no budget")
        args.requests = args.requests or 2
        args.repeats = 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
