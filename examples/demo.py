"""A two-origin CORS demo: an API on one loopback port, a page on another.

    python3 dev.py demo                 # or: .venv/bin/python examples/demo.py
    python examples/demo.py --check-only

It prints both URLs and a verdict table computed by quart-cors's simulated browser (the
simulation behind `quart-cors check`), then serves until Ctrl-C. Open the page URL: it runs
the same fetches and a WebSocket against the API in your browser and shows, for each one,
what the browser did next to what the simulator predicted and why.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from dataclasses import dataclass, field
from html import escape

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config
from quart import Quart, Response, request, websocket

from quart_cors import cors, cors_exempt
from quart_cors.testing import Browser

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Scenario:
    """One fetch() the page makes; the same values drive the table and the page."""

    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    credentials: str = "same-origin"


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
        response = Response('{"logged_in": true}', content_type="application/json")
        response.set_cookie("session", "demo-user", httponly=True, samesite="Lax")
        return response

    @api.get("/api/me")
    async def me() -> dict[str, object]:
        return {"session": request.cookies.get("session")}

    @api.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        await websocket.send("hello from the API")

    cors(
        api,
        allow_origin=[page_origin],
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["content-type"],
        expose_headers=["x-request-id"],
        max_age=600,
    )

    @api.get("/internal/stats")
    @cors_exempt
    async def internal_stats() -> dict[str, int]:
        return {"requests": 1}

    return api


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
        rows.append(
            {
                "name": scenario.name,
                "request": f"{scenario.method} {scenario.path}",
                "verdict": "allowed" if result.ok else "blocked",
                "blocked_by": result.blocked_by or "",
                "preflight": "yes" if result.preflighted else "no",
                "explanation": result.explanation,
            }
        )
    ws_url = api_url.replace("http://", "ws://") + "/ws"
    handshake = await browser.websocket("/ws")
    rows.append(
        {
            "name": "WebSocket",
            "request": f"WebSocket {ws_url}",
            "verdict": "allowed" if handshake.accepted else "blocked",
            "blocked_by": handshake.blocked_by or "",
            "preflight": "no",
            "explanation": handshake.explanation,
        }
    )
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    """A plain-text table: scenario, request, preflight, verdict (code); then the reasons."""
    columns = ("name", "request", "preflight", "verdict")
    widths = {
        column: max(len(column), *(len(str(row[column])) for row in rows)) for column in columns
    }
    lines = ["  ".join(column.upper().ljust(widths[column]) for column in columns) + "  WHY"]
    for row in rows:
        cells = "  ".join(str(row[column]).ljust(widths[column]) for column in columns)
        reason = f"{row['blocked_by']}: {row['explanation']}" if row["blocked_by"] else ""
        lines.append(f"{cells}  {reason}".rstrip())
    return "\n".join(lines)


def create_page(api_url: str, rows: list[dict[str, object]]) -> Quart:
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
    html = PAGE.replace("__DATA__", data.replace("</", "<\\/")).replace("__API__", escape(api_url))

    @page.get("/")
    async def index() -> Response:
        return Response(html, content_type="text/html; charset=utf-8")

    return page


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>quart-cors demo</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .3em .6em; }
.allowed { color: #0a6b0a; } .blocked { color: #b00020; } code { font-size: 90%; }
</style></head>
<body>
<h1>quart-cors: two-origin demo</h1>
<p>This page and the API (<code>__API__</code>) run on different ports, so every call is
cross-origin. Each row shows what your browser did and what quart-cors's simulated browser
predicted, with the reason. Open the DevTools console to see the browser's own messages.</p>
<table><thead><tr><th>scenario</th><th>request</th><th>your browser</th>
<th>simulator</th><th>why</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const DATA = __DATA__;
function row(prediction, outcome) {
  const tr = document.createElement("tr");
  const cells = [prediction.name, prediction.request, outcome, prediction.verdict,
                 (prediction.blocked_by ? prediction.blocked_by + ": " : "") +
                 prediction.explanation];
  cells.forEach((text, i) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (i === 2 || i === 3) td.className = text.startsWith("allowed") ? "allowed" : "blocked";
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


async def serve(api: Quart, page: Quart, api_port: int, page_port: int) -> None:
    """Serve both apps with Hypercorn on 127.0.0.1 until cancelled (Ctrl-C)."""

    def config(port: int) -> Config:
        settings = Config()
        settings.bind = [f"{HOST}:{port}"]
        settings.accesslog = None
        return settings

    await asyncio.gather(
        hypercorn_serve(api, config(api_port)),
        hypercorn_serve(page, config(page_port)),
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
    page = create_page(api_url, rows)
    print(f"API:  {api_url}  (quart-cors allows {page_origin}, with credentials)")
    print(f"Page: {page_origin}/  (open it in a browser)")
    print()
    print(format_table(rows))
    print()
    print(f"Check one yourself: quart-cors check {api_url}/api/items --origin {page_origin}")
    print(f"Or see the raw headers: curl -si -H 'Origin: {page_origin}' {api_url}/api/items")
    if args.check_only:
        return 0
    print("Serving; press Ctrl-C to stop.", flush=True)
    try:
        asyncio.run(serve(api, page, api_port, page_port))
    except KeyboardInterrupt:
        print("\nStopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
