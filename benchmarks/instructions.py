"""Instructions per request under valgrind: a deterministic cross-check of benchmarks/run.py.

Wall-clock ratios near a budget move with machine noise; instruction counts do not. Each app
(bare Quart, cors(), route_cors) serves N GETs with an allowed Origin in a child process under
`valgrind --tool=callgrind`; a second child serves none; the difference divided by N is the
cost of one request. Needs valgrind (Debian: apt-get install valgrind). Takes a few minutes.

    .venv/bin/python benchmarks/instructions.py [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

KINDS = ("bare", "cors", "route_cors")
ORIGIN = "https://app.example.com"


def build(kind: str) -> Any:
    from quart import Quart

    from quart_cors import cors, route_cors

    app = Quart("instructions")
    if kind == "cors":
        cors(app, allow_origin=[ORIGIN])

    async def view() -> str:
        return "ok"

    endpoint: Any = route_cors(allow_origin=[ORIGIN])(view) if kind == "route_cors" else view
    app.route("/x", methods=["GET", "PUT"])(endpoint)
    return app


async def serve(kind: str, requests: int) -> None:
    """Answer `requests` GETs after 100 warm-up ones (run inside valgrind)."""
    import gc

    app = build(kind)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/x",
        "raw_path": b"/x",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"x"), (b"origin", ORIGIN.encode()), (b"accept", b"*/*")],
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


def count(kind: str, requests: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        kind,
        str(requests),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(serve(args.child[0], int(args.child[1])))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    jobs = [(kind, n) for kind in KINDS for n in (0, args.requests)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        totals = dict(zip(jobs, pool.map(lambda job: count(*job), jobs), strict=True))
    per_request = {
        kind: (totals[(kind, args.requests)] - totals[(kind, 0)]) / args.requests for kind in KINDS
    }
    print(f"instructions per GET with an allowed Origin ({args.requests} requests, callgrind)")
    for kind in KINDS:
        ratio = per_request[kind] / per_request["bare"]
        print(f"  {kind:<10} {per_request[kind]:>12,.0f}   {ratio:.3f}x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
