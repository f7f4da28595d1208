"""Instructions per request under valgrind: a deterministic cross-check of benchmarks/run.py.

Wall-clock ratios near a budget move with machine noise; instruction counts do not. Each app
(bare Quart, cors(), route_cors, wildcard patterns, preflights) serves N requests in a child under
`valgrind --tool=callgrind`; a second child serves none; the difference divided by N is the
cost of one request. Needs valgrind (Debian: apt-get install valgrind). Takes a few minutes.

    .venv/bin/python benchmarks/instructions.py [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

ORIGIN = "https://app.example.com"
PREFLIGHT = [(b"origin", ORIGIN.encode()), (b"access-control-request-method", b"PUT")]


@dataclass(frozen=True)
class Case:
    """One measured request: the app it goes to, its method, Origin and extra headers."""

    app: str
    method: str = "GET"
    origin: str = ORIGIN
    headers: tuple[tuple[bytes, bytes], ...] = ()
    # The case this one is compared with (None: it is a baseline).
    baseline: str | None = None
    budget: float | None = None


BARE_GET = "GET, bare Quart"
QUART_OPTIONS = "OPTIONS, Quart's own answer"
ASKS_PUT = tuple(PREFLIGHT[1:])

CASES: dict[str, Case] = {
    BARE_GET: Case("bare"),
    "GET, cors(), exact origin": Case("cors", baseline=BARE_GET, budget=1.03),
    "GET, cors(), refused origin": Case(
        "cors", origin="https://evil.example.net", baseline=BARE_GET, budget=1.03
    ),
    "GET, route_cors, exact origin": Case("route_cors", baseline=BARE_GET, budget=1.035),
    "GET, wildcard pattern hit": Case("wildcard", baseline=BARE_GET, budget=1.04),
    "GET, wildcard pattern miss": Case(
        "wildcard", origin="https://app.example.net", baseline=BARE_GET, budget=1.06
    ),
    # Origins loaded by the app's code (DynamicOrigins): a hit costs what a static one does.
    "GET, dynamic set of 10,000, hit": Case("dynamic", baseline=BARE_GET, budget=1.035),
    # A report-only candidate judged beside the enforced policy: the same verdict, and one
    # that differs (counted; the INFO line is off, as it is by default).
    "GET, report-only policy set": Case("report_only", baseline=BARE_GET, budget=1.08),
    "GET, report-only policy set, verdicts differ": Case(
        "report_only_differs", baseline=BARE_GET, budget=1.08
    ),
    # Comparisons, no budget: Starlette's CORSMiddleware and a minimal ASGI middleware that
    # adds one fixed header, each wrapped around the bare app.
    "GET, Starlette CORSMiddleware": Case("starlette", baseline=BARE_GET),
    "GET, minimal ASGI middleware": Case("minimal", baseline=BARE_GET),
    QUART_OPTIONS: Case("bare", method="OPTIONS", headers=ASKS_PUT),
    "preflight, cors()": Case(
        "cors", method="OPTIONS", headers=ASKS_PUT, baseline=QUART_OPTIONS, budget=0.10
    ),
    "preflight, cors(), GET and PUT rules on one path": Case(
        "split", method="OPTIONS", headers=ASKS_PUT, baseline=QUART_OPTIONS, budget=0.10
    ),
    "preflight, Starlette CORSMiddleware": Case(
        "starlette", method="OPTIONS", headers=ASKS_PUT, baseline=QUART_OPTIONS
    ),
}


def build(kind: str) -> Any:
    from quart import Quart

    from quart_cors import DynamicOrigins, cors, route_cors

    app = Quart("instructions")
    if kind == "cors":
        cors(app, allow_origin=[ORIGIN])
    elif kind == "dynamic":

        async def load() -> list[str]:
            return [*(f"https://partner{index}.example.org" for index in range(9_999)), ORIGIN]

        cors(app, allow_origin=DynamicOrigins(load, refresh=None))
    elif kind == "report_only":
        cors(app, allow_origin=[ORIGIN], report_only={"allow_origin": [ORIGIN, "https://b.test"]})
    elif kind == "report_only_differs":
        cors(app, allow_origin=[ORIGIN], report_only={"allow_origin": ["https://b.test"]})
    elif kind in ("wildcard", "split"):
        cors(app, allow_origin=["https://*.example.com"])

    async def view() -> str:
        return "ok"

    endpoint: Any = route_cors(allow_origin=[ORIGIN])(view) if kind == "route_cors" else view
    if kind == "starlette":
        from starlette.middleware.cors import CORSMiddleware

        app.route("/x", methods=["GET", "PUT"])(view)
        inner: Any = app.asgi_app
        app.asgi_app = CORSMiddleware(  # type: ignore[method-assign,assignment]
            inner, allow_origins=[ORIGIN], allow_methods=["GET", "PUT"]
        )
        return app
    if kind == "minimal":
        app.route("/x", methods=["GET", "PUT"])(view)
        app.asgi_app = _minimal_middleware(app.asgi_app)  # type: ignore[method-assign]
        return app
    if kind == "split":
        # The same path served by two rules: the preflight is routed by the method it asks for.
        app.add_url_rule("/x", "read", view, methods=["GET"])
        app.add_url_rule("/x", "write", route_cors(allow_origin=[ORIGIN])(view), methods=["PUT"])
        return app
    app.route("/x", methods=["GET", "PUT"])(endpoint)
    return app


def _minimal_middleware(inner: Any) -> Any:
    """The least a CORS layer can do: add one fixed header to every HTTP response."""
    header = (b"access-control-allow-origin", ORIGIN.encode())

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return

        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], header]
            await send(message)

        await inner(scope, receive, send_with_header)

    return middleware


async def serve(name: str, requests: int) -> None:
    """Answer `requests` requests of one case after 100 warm-up ones (run inside valgrind)."""
    import gc

    case = CASES[name]
    app = build(case.app)
    await app.startup()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": "/x",
        "raw_path": b"/x",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"x"),
            (b"origin", case.origin.encode()),
            (b"accept", b"*/*"),
            *case.headers,
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "extensions": {},
    }

    async def send(message: Any) -> None:
        return None

    async def run(count: int) -> None:
        for _ in range(count):
            sent = False

            async def receive() -> Any:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                await asyncio.Event().wait()  # until Quart cancels the receiver
                return None

            await app(scope, receive, send)

    await run(100)
    gc.collect()
    gc.disable()
    await run(requests)


def count(name: str, requests: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        name,
        str(requests),
    ]
    # A fixed hash seed: set and dict layouts, and so the counts, repeat from run to run.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, timeout=900, env=environment
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--only", metavar="TEXT", help="measure only the cases whose name contains TEXT"
    )
    parser.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(serve(args.child[0], int(args.child[1])))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    names = [name for name in CASES if args.only is None or args.only in name]
    names += [
        baseline
        for baseline in {CASES[name].baseline for name in names}
        if baseline is not None and baseline not in names
    ]
    jobs = [(name, n) for name in names for n in (0, args.requests)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        totals = dict(zip(jobs, pool.map(lambda job: count(*job), jobs), strict=True))
    per_request = {
        name: (totals[(name, args.requests)] - totals[(name, 0)]) / args.requests for name in names
    }
    print(f"instructions per request ({args.requests} requests each, callgrind)")
    print(f"| {'case':<50} | {'instructions':>12} | {'ratio':>7} | {'budget':>7} | verdict |")
    print(f"|:{'-' * 49}-|-{'-' * 11}:|-{'-' * 6}:|-{'-' * 6}:|:-------:|")
    failed = False
    for name, case in CASES.items():
        if name not in per_request:
            continue
        ratio_text = budget_text = verdict = ""
        if case.baseline is not None:
            ratio = per_request[name] / per_request[case.baseline]
            ratio_text = f"{ratio:.3f}x"
            if case.budget is not None:
                budget_text = f"{case.budget:.3f}x"
                verdict = "holds" if ratio <= case.budget else "FAILS"
                failed = failed or ratio > case.budget
        print(
            f"| {name:<50} | {per_request[name]:>12,.0f} | {ratio_text:>7} | {budget_text:>7} "
            f"| {verdict:^7} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
