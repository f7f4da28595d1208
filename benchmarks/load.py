"""Load and soak test over a real server: Hypercorn on 127.0.0.1, ~50 concurrent connections.

Usage: ``.venv/bin/python benchmarks/load.py [--requests N] [--connections C] [--duration S]``.

The server runs this project's ``cors()`` in a subprocess (so that its resident memory can be
read alone); the client is raw asyncio HTTP/1.1 with keep-alive, cheap enough to leave the CPU
to the server. The mix: simple requests and preflights from allowed origins, refused origins,
and garbage Origin / Access-Control-Request-* values. Every origin is new (a random label), so
a cache that grows with the number of distinct origins would show in the server's RSS. Every
response is checked; the script reports requests served, errors (connection or protocol
failures, 5xx) and wrong answers, and exits non-zero unless both are 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_DIR = HERE / "results"

ALLOWED_EXACT = "https://app.example.com"
ALLOWED_SUFFIX = ".example.com"  # allowed through the pattern https://*.example.com
ALLOW_HEADERS = ("content-type", "x-token", "authorization")
MAX_AGE = 600
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


# --------------------------------------------------------------------------------------------
# The server (runs in a subprocess)
# --------------------------------------------------------------------------------------------


def build_server_app() -> Any:
    sys.path.insert(0, str(ROOT / "src"))
    from quart import Quart

    from quart_cors import cors

    app = Quart("load")

    async def view() -> str:
        return "ok"

    app.add_url_rule("/r", "r", view, methods=["GET", "PUT", "POST"])
    cors(
        app,
        allow_origin=[ALLOWED_EXACT, "https://*.example.com"],
        allow_credentials=True,
        allow_headers=list(ALLOW_HEADERS),
        max_age=MAX_AGE,
    )
    return app


def serve(fd: int) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    app = build_server_app()
    config = Config()
    config.bind = [f"fd://{fd}"]
    config.accesslog = None
    config.errorlog = "-"
    config.keep_alive_timeout = 120
    config.backlog = 1024

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await hypercorn_serve(app, config, shutdown_trigger=stop.wait)

    asyncio.run(main())


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str
    method: str
    headers: tuple[tuple[str, str], ...]
    origin: str | None
    allowed: bool  # the origin is allowed by the server's policy
    preflight: bool
    request_method: str | None = None
    request_headers: str | None = None

    def raw(self) -> bytes:
        lines = [f"{self.method} /r HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.method in ("PUT", "POST"):
            lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _label(rng: random.Random, serial: int) -> str:
    # Distinct for every request: a serial number plus random letters.
    return f"r{serial:x}{rng.getrandbits(32):08x}"


def _garbage(rng: random.Random) -> str:
    """A header value h11 accepts that is no serialized origin, token list or method."""
    alphabet = [chr(c) for c in range(0x21, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
    length = rng.randint(1, 300)
    text = "".join(rng.choice(alphabet) for _ in range(length))
    # A forbidden character in the middle, and maybe inner whitespace.
    middle = len(text) // 2
    text = text[:middle] + rng.choice('"<>\\{}') + text[middle:]
    if rng.random() < 0.3:
        cut = rng.randint(1, len(text) - 1)
        text = text[:cut] + rng.choice([" ", "\t", " , "]) + text[cut:]
    return text


def make_case(rng: random.Random, serial: int) -> Case:
    roll = rng.random()
    fresh_allowed = f"https://{_label(rng, serial)}{ALLOWED_SUFFIX}"
    fresh_refused = f"https://{_label(rng, serial)}.evil.test"
    if roll < 0.30:
        origin = fresh_allowed if rng.random() < 0.9 else ALLOWED_EXACT
        return Case("simple allowed", "GET", (("Origin", origin),), origin, True, False)
    if roll < 0.55:
        names = ", ".join(rng.sample(ALLOW_HEADERS, rng.randint(1, len(ALLOW_HEADERS))))
        return Case(
            "preflight allowed",
            "OPTIONS",
            (
                ("Origin", fresh_allowed),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", names),
            ),
            fresh_allowed,
            True,
            True,
            "PUT",
            names,
        )
    if roll < 0.65:
        return Case(
            "simple refused", "GET", (("Origin", fresh_refused),), fresh_refused, False, False
        )
    if roll < 0.72:
        return Case(
            "preflight refused",
            "OPTIONS",
            (("Origin", fresh_refused), ("Access-Control-Request-Method", "PUT")),
            fresh_refused,
            False,
            True,
            "PUT",
        )
    if roll < 0.80:
        junk = _garbage(rng)
        method = rng.choice(["GET", "OPTIONS", "POST"])
        headers: tuple[tuple[str, str], ...] = (("Origin", junk),)
        if method == "OPTIONS":
            headers += (("Access-Control-Request-Method", "PUT"),)
        return Case("garbage origin", method, headers, junk, False, method == "OPTIONS", "PUT")
    if roll < 0.88:
        junk = _garbage(rng)
        return Case(
            "garbage request method",
            "OPTIONS",
            (("Origin", fresh_allowed), ("Access-Control-Request-Method", junk)),
            fresh_allowed,
            True,
            True,
            junk,
        )
    if roll < 0.96:
        junk = _garbage(rng)
        return Case(
            "garbage request headers",
            "OPTIONS",
            (
                ("Origin", fresh_allowed),
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Headers", junk),
                ("Access-Control-Request-Private-Network", _garbage(rng)),
            ),
            fresh_allowed,
            True,
            True,
            "PUT",
            junk,
        )
    return Case("no origin", rng.choice(["GET", "POST", "OPTIONS"]), (), None, False, False)


def check(case: Case, status: int, headers: dict[str, list[str]]) -> str | None:
    """What is wrong with this answer (None: right). 5xx are counted apart, as errors."""
    acao = headers.get("access-control-allow-origin")
    acam = headers.get("access-control-allow-methods")
    acah = headers.get("access-control-allow-headers")
    acac = headers.get("access-control-allow-credentials")
    vary = {v.strip().lower() for value in headers.get("vary", []) for v in value.split(",")}
    if status != 200:
        return f"status {status}"
    for name, values in headers.items():
        if name.startswith("access-control-") and len(values) != 1:
            return f"{name} sent {len(values)} times"
    if "origin" not in vary:
        return f"Vary lacks Origin: {headers.get('vary')}"
    if not case.allowed:
        if acao or acam or acah or acac:
            return f"CORS headers for a refused or absent origin: {headers}"
        return None
    if acao != [case.origin]:
        return f"ACAO {acao}, expected {case.origin!r}"
    if acac != ["true"]:
        return f"ACAC {acac}"
    if not case.preflight:
        return None
    if case.request_method != "PUT":
        if acam or acah:
            return f"ACAM/ACAH for a refused method {case.request_method!r}: {acam} {acah}"
        return None
    if acam is None or "PUT" not in {m.strip() for m in acam[0].split(",")}:
        return f"ACAM {acam}"
    if headers.get("access-control-max-age") != [str(MAX_AGE)]:
        return f"max-age {headers.get('access-control-max-age')}"
    if acah is not None:
        names = [n.strip() for n in acah[0].split(",")]
        if any(n not in ALLOW_HEADERS or not _TOKEN.fullmatch(n) for n in names):
            return f"ACAH lists something not allowed: {acah}"
    requested = {n.strip().lower() for n in (case.request_headers or "").split(",")}
    fully_allowed = requested <= set(ALLOW_HEADERS) and bool(set(ALLOW_HEADERS) & requested)
    if fully_allowed and (acah is None or {n.strip() for n in acah[0].split(",")} != requested):
        return f"ACAH {acah} for {case.request_headers!r}"
    return None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, list[str]]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"][0]))
    elif headers.get("transfer-encoding", [""])[0].lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers


@dataclass
class Tally:
    sent: int = 0
    served: int = 0
    errors: int = 0
    wrong: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if len(self.samples) < 10:
            self.samples.append(message)


async def client(port: int, tally: Tally, total: int, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while tally.sent < total and time.monotonic() < deadline:
        serial = tally.sent
        tally.sent += 1
        case = make_case(rng, serial)
        tally.kinds[case.kind] += 1
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(case.raw())
            status, headers = await asyncio.wait_for(read_response(reader), timeout=30)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as e:
            tally.errors += 1
            tally.note(f"error on {case.kind}: {e!r}")
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        tally.served += 1
        if status >= 500:
            tally.errors += 1
            tally.note(f"{status} for {case}")
            continue
        problem = check(case, status, headers)
        if problem is not None:
            tally.wrong += 1
            tally.note(f"wrong answer for {case}: {problem}")
        if headers.get("connection", [""])[0].lower() == "close":
            assert writer is not None
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def drive(port: int, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    # Warm up: first requests allocate Quart's and the policy's long-lived objects.
    warm = Tally()
    await asyncio.gather(
        *(
            client(port, warm, args.warmup, time.monotonic() + 60, 1000 + i)
            for i in range(min(args.connections, max(1, args.warmup)))
        )
    )
    before = rss_kib(pid)
    tally = Tally()
    deadline = time.monotonic() + args.duration
    progress: list[tuple[int, int]] = [(0, before)]

    async def watch() -> None:
        while True:
            await asyncio.sleep(5)
            progress.append((tally.served, rss_kib(pid)))
            if len(progress) % 6 == 0:  # every 30 s
                print(
                    f"  ... {tally.served} served, {tally.errors} errors, {tally.wrong} wrong, "
                    f"server RSS {progress[-1][1] / 1024:.1f} MiB",
                    file=sys.stderr,
                    flush=True,
                )

    watcher = asyncio.ensure_future(watch())
    started = time.monotonic()
    await asyncio.gather(
        *(
            client(port, tally, args.requests, deadline, args.seed + i)
            for i in range(args.connections)
        )
    )
    elapsed = time.monotonic() - started
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    await asyncio.sleep(0.5)
    after = rss_kib(pid)
    progress.append((tally.served, after))
    return {
        "requests_asked": args.requests,
        "requests_served": tally.served,
        "errors": tally.errors + warm.errors,
        "wrong_answers": tally.wrong + warm.wrong,
        "warmup_requests": warm.served,
        "connections": args.connections,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(tally.served / elapsed, 1) if elapsed else None,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "rss_growth_kib": after - before,
        "rss_progress_kib": progress,
        "mix": dict(tally.kinds),
        "samples": warm.samples + tally.samples,
        "stopped_by_duration": tally.sent < args.requests,
    }


def run_load(args: argparse.Namespace) -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    log = HERE / "results" / "load-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as server_log:
        server = subprocess.Popen(  # noqa: S603 - this script, by its own path
            [sys.executable, str(Path(__file__).resolve()), "--serve-fd", str(listener.fileno())],
            pass_fds=[listener.fileno()],
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
    listener.close()
    try:
        _wait_ready(port)
        result = asyncio.run(drive(port, server.pid, args))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    server_output = log.read_text(errors="replace")
    result["server_tracebacks"] = server_output.count("Traceback")
    print_report(result)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / time.strftime("load-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"JSON: {path}   server log: {log}")
    failed = result["errors"] or result["wrong_answers"] or result["server_tracebacks"]
    return 1 if failed else 0


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(1)
            try:
                probe.connect(("127.0.0.1", port))
                probe.sendall(b"GET /r HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/1.1 200"):
                    return
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer within 30 s")


def print_report(result: dict[str, Any]) -> None:
    mib = 1024
    print(
        f"\nrequests served: {result['requests_served']} (asked {result['requests_asked']}, "
        f"+{result['warmup_requests']} warm-up) over {result['connections']} connections in "
        f"{result['seconds']} s ({result['requests_per_second']} req/s)"
    )
    print(f"errors: {result['errors']}   wrong answers: {result['wrong_answers']}")
    print(f"server tracebacks: {result['server_tracebacks']}")
    print(
        f"server RSS: before {result['rss_before_kib'] / mib:.1f} MiB, after "
        f"{result['rss_after_kib'] / mib:.1f} MiB (growth {result['rss_growth_kib']} KiB)"
    )
    points = result["rss_progress_kib"]
    step = max(1, len(points) // 10)
    shown = [*points[:-1:step], points[-1]]
    trail = ", ".join(f"{n}: {kib / mib:.1f}" for n, kib in shown)
    print(f"RSS over the run (requests: MiB): {trail}")
    print("mix: " + ", ".join(f"{k} {v}" for k, v in sorted(result["mix"].items())))
    if result["stopped_by_duration"]:
        print("NOTE: stopped by --duration before --requests were sent")
    for sample in result["samples"]:
        print(f"  {sample[:400]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=5000, help="requests to send (5000)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=600, help="stop after S seconds")
    parser.add_argument("--warmup", type=int, default=2000, help="requests before RSS 'before'")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.serve_fd is not None:
        serve(args.serve_fd)
        return 0
    return run_load(args)


if __name__ == "__main__":
    sys.exit(main())
