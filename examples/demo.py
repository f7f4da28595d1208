"""A two-origin CORS demo: an API on one loopback port, a page on another.

    python3 dev.py demo                 # or: .venv/bin/python examples/demo.py
    python3 examples/demo.py --check-only

It prints both URLs and a verdict table computed by quart-cors's simulated browser (the
simulation behind `quart-cors check`), then serves until Ctrl-C or SIGTERM. Open the page URL:
it shows the API's cors() settings, runs the same fetches and a WebSocket against the API in
your browser, and shows for each one the request sent, what the browser did, what the
simulator predicted, and why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import socket
import sys
import textwrap
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from quart import Quart, Response, request, websocket

from quart_cors import cors, cors_exempt
from quart_cors.testing import Browser, FetchResult, HTTPResponse

HOST = "127.0.0.1"
SESSION = "demo-user"
# What the terminal output fits in.
WIDTH = 100

# The API's cors() arguments besides allow_origin (the page's origin, known at start-up); the
# page shows this same dictionary, so what it says is what the API runs.
CORS_SETTINGS: dict[str, object] = {
    "allow_credentials": True,
    "allow_methods": ["GET", "POST", "PUT"],
    "allow_headers": ["content-type"],
    "expose_headers": ["x-request-id"],
    "max_age": 600,
}

PREFLIGHT_LINE = (
    "A preflight is the OPTIONS request a browser sends first, without cookies, to ask whether "
    "the API accepts a method or header a plain HTML form could not send; the real request "
    "goes out only if the answer allows it."
)


@dataclass(frozen=True)
class Scenario:
    """One fetch() the page makes; the same values drive the table and the page."""

    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    credentials: str = "same-origin"

    def request_lines(self) -> list[str]:
        """The request as the page's script writes it: method, path, headers, body, mode."""
        lines = [f"{self.method} {self.path}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers.items())
        if self.body is not None:
            lines.append(f"body {self.body}")
        if self.credentials == "include":
            lines.append("credentials: include (cookies)")
        return lines


SCENARIOS = [
    Scenario("simple GET", "/api/items"),
    Scenario(
        "PUT with JSON (preflighted)",
        "/api/items/1",
        "PUT",
        {"Content-Type": "application/json"},
        '{"name": "demo"}',
    ),
    Scenario("login, cookie set (credentials)", "/api/login", "POST", credentials="include"),
    Scenario("who am I (credentials)", "/api/me", credentials="include"),
    Scenario("custom header not allowed", "/api/items", headers={"X-Debug": "1"}),
    Scenario("DELETE not in allow_methods", "/api/items/1", "DELETE"),
    Scenario("route without CORS", "/internal/stats"),
]


def create_api(page_origin: str) -> Quart:
    """The API: quart-cors allows the page's origin, with cookies."""
    api = Quart("demo_api")

    @api.get("/api/items")
    async def list_items() -> tuple[dict[str, object], int, dict[str, str]]:
        return {"items": [{"id": 1, "name": "first"}]}, 200, {"X-Request-Id": "42"}

    @api.put("/api/items/<int:item>")
    async def update_item(item: int) -> dict[str, object]:
        return {"id": item, "updated": await request.get_json(force=True, silent=True)}

    @api.delete("/api/items/<int:item>")
    async def delete_item(item: int) -> dict[str, object]:
        return {"deleted": item}

    @api.post("/api/login")
    async def login() -> Response:
        body = json.dumps({"logged_in": True, "session": SESSION})
        response = Response(body, content_type="application/json")
        response.set_cookie("session", SESSION, httponly=True, samesite="Lax")
        return response

    @api.get("/api/me")
    async def me() -> dict[str, object]:
        return {"session": request.cookies.get("session")}

    @api.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hello from the API")

    cors(api, allow_origin=[page_origin], **CORS_SETTINGS)  # type: ignore[arg-type]

    @api.get("/internal/stats")
    @cors_exempt
    async def internal_stats() -> dict[str, int]:
        return {"requests": 1}

    return api


def cors_call(page_origin: str) -> str:
    """The cors() call the API makes, as Python source."""
    arguments = {"allow_origin": [page_origin], **CORS_SETTINGS}
    lines = [f"    {name}={value!r}," for name, value in arguments.items()]
    return "cors(\n    api,\n" + "\n".join(lines) + "\n)"


def _header(response: HTTPResponse | None, name: str) -> str | None:
    return None if response is None else response.get(name)


def why_allowed(result: FetchResult, credentials: str) -> str:
    """Which answers made the browser hand the response to the script."""
    reasons = []
    if result.preflight is not None:
        methods = _header(result.preflight, "Access-Control-Allow-Methods")
        allowed_headers = _header(result.preflight, "Access-Control-Allow-Headers")
        granted = f"Access-Control-Allow-Methods: {methods}"
        if allowed_headers:
            granted += f" and Access-Control-Allow-Headers: {allowed_headers}"
        reasons.append(f"the preflight answered {granted}")
    elif result.preflight_from_cache:
        reasons.append("a cached preflight answer covered it")
    allow_origin = _header(result.response, "Access-Control-Allow-Origin")
    reasons.append(f"the response's Access-Control-Allow-Origin: {allow_origin} names this page")
    if credentials == "include":
        reasons.append("Access-Control-Allow-Credentials: true lets it carry cookies")
    exposed = sorted(name for name in result.readable_headers if name.startswith("x-"))
    if exposed:
        reasons.append(f"expose_headers lets the script read {', '.join(exposed)}")
    return "; ".join(reasons)


def session_of(result: FetchResult) -> str:
    """The session value in a JSON answer (the cookie rows), or ''."""
    if not result.ok or result.response is None:
        return ""
    try:
        answer = json.loads(result.response.body)
    except ValueError:
        return ""
    return str(answer.get("session", "")) if isinstance(answer, dict) else ""


async def simulate(api: Quart, page_origin: str, api_url: str) -> list[dict[str, object]]:
    """Run every scenario through the simulated browser (one tab: shared cookies and cache)."""
    browser = Browser(api, page_origin, base_url=api_url)
    rows: list[dict[str, object]] = []
    for scenario in SCENARIOS:
        result = await browser.fetch(
            scenario.path,
            method=scenario.method,
            headers=scenario.headers,
            body=scenario.body,
            credentials=scenario.credentials,  # type: ignore[arg-type]
        )
        session = session_of(result)
        rows.append(
            {
                "name": scenario.name,
                "request": "; ".join(scenario.request_lines()),
                "request_lines": scenario.request_lines(),
                "verdict": "allowed" if result.ok else "blocked",
                "blocked_by": result.blocked_by or "",
                "preflight": "yes" if result.preflighted else "no",
                "explanation": (
                    why_allowed(result, scenario.credentials) if result.ok else result.explanation
                ),
                "session": session,
            }
        )
    ws_url = api_url.replace("http://", "ws://") + "/ws"
    handshake = await browser.websocket("/ws")
    rows.append(
        {
            "name": "WebSocket",
            "request": f"WebSocket {ws_url}",
            "request_lines": [f"new WebSocket({ws_url!r})"],
            "verdict": "allowed" if handshake.accepted else "blocked",
            "blocked_by": handshake.blocked_by or "",
            "preflight": "no",
            "explanation": (
                "browsers do no CORS check on WebSockets; the API accepted the handshake "
                "because its Origin is in allow_origin"
                if handshake.accepted
                else handshake.explanation
            ),
            "session": "",
        }
    )
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    """A plain-text table within WIDTH columns: one line per scenario (name, preflight,
    verdict), then its request and the reason it was blocked (or the session), indented."""
    name_width = max(len("name"), *(len(str(row["name"])) for row in rows))
    lines = [f"{'NAME'.ljust(name_width)}  PREFLIGHT  VERDICT"]
    for row in rows:
        verdict = str(row["verdict"])
        if row["blocked_by"]:
            verdict += f" ({row['blocked_by']})"
        lines.append(f"{str(row['name']).ljust(name_width)}  {row['preflight']!s:9}  {verdict}")
        lines.extend(_indented(str(row["request"]), "    "))
        if row["blocked_by"]:
            lines.extend(_indented(str(row["explanation"]), "    why: ", "         "))
        elif row["session"]:
            lines.extend(_indented(f"session: {row['session']}", "    "))
    return "\n".join(lines)


def _indented(text: str, first: str, rest: str | None = None) -> list[str]:
    """``text`` wrapped to WIDTH columns, the first line after ``first``, the others ``rest``."""
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
    )


def shell_lines(words: list[str], indent: str = "  ") -> list[str]:
    """A command to copy, on one line or, when longer than WIDTH, continued with backslashes."""
    line = indent + " ".join(words)
    if len(line) <= WIDTH:
        return [line]
    lines, current = [], indent + words[0]
    for word in words[1:]:
        if len(current) + len(word) + 3 > WIDTH:
            lines.append(current + " \\")
            current = indent + "    " + word
        else:
            current += " " + word
    return [*lines, current]


def create_page(api_url: str, page_origin: str, rows: list[dict[str, object]]) -> Quart:
    """The page: runs each scenario with fetch() and a WebSocket, next to the prediction."""
    page = Quart("demo_page")
    scenarios = [
        {
            "name": scenario.name,
            "path": scenario.path,
            "method": scenario.method,
            "headers": scenario.headers,
            "body": scenario.body,
            "credentials": scenario.credentials,
        }
        for scenario in SCENARIOS
    ]
    data = json.dumps({"api": api_url, "scenarios": scenarios, "predictions": rows})
    html = (
        PAGE.replace("__DATA__", data.replace("</", "<\\/"))
        .replace("__API__", escape(api_url))
        .replace("__CORS__", escape(cors_call(page_origin)))
        .replace("__PREFLIGHT__", escape(PREFLIGHT_LINE))
    )

    @page.get("/")
    async def index() -> Response:
        return Response(html, content_type="text/html; charset=utf-8")

    return page


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quart-cors demo</title>
<link rel="icon" href="data:,">
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; max-width: 80em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3em .6em; }
td { vertical-align: top; } pre { margin: 0; } code, pre { font-size: 90%; }
.allowed { color: #0a6b0a; } .blocked { color: #b00020; }
</style></head>
<body>
<h1>quart-cors: two-origin demo</h1>
<p>This page and the API (<code>__API__</code>) run on different ports, so every call is
cross-origin: the browser lets this page's script read an answer only when the API's CORS
headers allow it. The API is configured with:</p>
<pre id="settings">__CORS__</pre>
<p><b>Preflight.</b> __PREFLIGHT__</p>
<p>Each row shows the request the script sends, what your browser did, what quart-cors's
simulated browser predicted, and why. The DevTools console holds the browser's own CORS
messages for the blocked rows.</p>
<table><thead><tr><th>scenario</th><th>request</th><th>preflight</th><th>your browser</th>
<th>simulator</th><th>why</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const DATA = __DATA__;
function row(prediction, outcome) {
  const tr = document.createElement("tr");
  const cells = [prediction.name, prediction.request_lines.join("\\n"), prediction.preflight,
                 outcome, prediction.verdict + (prediction.session ?
                   " (session: " + prediction.session + ")" : ""),
                 (prediction.blocked_by ? prediction.blocked_by + ": " : "") +
                 prediction.explanation];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    if (i === 1) {
      const pre = document.createElement("pre");
      pre.textContent = text;
      td.appendChild(pre);
    } else {
      td.textContent = text;
    }
    if (i === 3 || i === 4) td.className = text.startsWith("allowed") ? "allowed" : "blocked";
    tr.appendChild(td);
  });
  document.getElementById("rows").appendChild(tr);
}
async function run() {
  for (const [i, s] of DATA.scenarios.entries()) {
    let outcome;
    try {
      const init = {method: s.method, headers: s.headers, credentials: s.credentials};
      if (s.body !== null) init.body = s.body;
      const response = await fetch(DATA.api + s.path, init);
      outcome = "allowed (" + response.status + ")";
      if (DATA.predictions[i].session) {
        const answer = await response.json();
        outcome += " (session: " + answer.session + ")";
      }
    } catch (error) {
      outcome = "blocked (" + error + ")";
    }
    row(DATA.predictions[i], outcome);
  }
  const wsPrediction = DATA.predictions[DATA.predictions.length - 1];
  const ws = new WebSocket(DATA.api.replace("http://", "ws://") + "/ws");
  let done = false;
  ws.onmessage = (event) => { if (!done) { done = true; row(wsPrediction,
    "allowed (" + event.data + ")"); ws.close(); } };
  ws.onerror = () => {
    if (!done) { done = true; row(wsPrediction, "blocked (handshake refused)"); }
  };
}
run();
</script></body></html>
"""


def free_port() -> int:
    """A free TCP port on the loopback interface (random and high, never a browser-unsafe one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def check_command() -> str:
    """How to run `quart-cors` from the current directory with the interpreter running us."""
    python = Path(sys.executable)
    script = python.with_name("quart-cors.exe" if os.name == "nt" else "quart-cors")

    def shown(path: Path) -> str:
        try:
            text = os.path.relpath(path)
        except ValueError:  # another drive on Windows
            text = str(path)
        if text.startswith(".."):
            text = str(path)
        elif os.sep not in text:
            text = os.path.join(".", text)
        return shlex.quote(text)

    if script.exists():
        return shown(script)
    return f"{shown(python)} -m quart_cors"


async def serve(api: Quart, page: Quart, api_port: int, page_port: int) -> None:
    """Serve both apps with Hypercorn on 127.0.0.1 until Ctrl-C (SIGINT) or SIGTERM."""

    def config(port: int) -> Config:
        settings = Config()
        settings.bind = [f"{HOST}:{port}"]
        settings.accesslog = None
        return settings

    # One trigger for both servers: each Hypercorn serve() left to itself installs its own
    # signal handlers, and the second replaces the first's, leaving one server running.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        # Windows has no add_signal_handler: there Ctrl-C raises KeyboardInterrupt instead.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(number, stop.set)
    await asyncio.gather(
        hypercorn_serve(api, config(api_port), shutdown_trigger=stop.wait),
        hypercorn_serve(page, config(page_port), shutdown_trigger=stop.wait),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the URLs and the verdict table; serve both apps unless --check-only."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check-only", action="store_true", help="print the table and exit")
    parser.add_argument("--api-port", type=int, default=0, help="API port (default: random)")
    parser.add_argument("--page-port", type=int, default=0, help="page port (default: random)")
    args = parser.parse_args(argv)
    api_port = args.api_port or free_port()
    page_port = args.page_port or free_port()
    api_url = f"http://{HOST}:{api_port}"
    page_origin = f"http://{HOST}:{page_port}"
    api = create_api(page_origin)
    rows = asyncio.run(simulate(api, page_origin, api_url))
    page = create_page(api_url, page_origin, rows)
    print(f"API:  {api_url}  (quart-cors allows {page_origin}, with credentials)")
    print(f"Page: {page_origin}/  (open it in a browser)")
    print()
    print(format_table(rows))
    print()
    print(textwrap.fill(PREFLIGHT_LINE, WIDTH))
    print()
    print("Check one yourself (from this directory):")
    check = [check_command(), "check", f"{api_url}/api/items", "--origin", page_origin]
    print(*shell_lines(check), sep="\n")
    print("Or see the raw headers:")
    curl = ["curl", "-si", "-H", shlex.quote(f"Origin: {page_origin}"), f"{api_url}/api/items"]
    print(*shell_lines(curl), sep="\n")
    if args.check_only:
        return 0
    print("Serving; press Ctrl-C to stop.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(api, page, api_port, page_port))
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
