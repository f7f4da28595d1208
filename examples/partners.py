"""Partner origins kept in a SQLite table, loaded with DynamicOrigins, tightened with report_only.

    QUART_APP=examples.partners:app quart run             # or: hypercorn examples.partners:app
    quart-cors routes --app examples.partners:app         # shows dynamic:load_partner_origins

- Partners' shops call `GET /api/catalog` from their own sites; their origins are rows of the
  `partner_origins` table (the standard library's sqlite3, file from PARTNERS_DATABASE).
- The set loads when the app starts and every 60 seconds after. `POST /admin/partners` adds a
  row and reloads at once, so the new partner is allowed on its next request.
- A bad row (`https://shop.example/`, `https://*.com`) is skipped with a WARNING; the rest loads.
  If the database is down the last good set stays in force.
- The report-only candidate drops the `*.legacy-partners.example` pattern: the log says which
  partners still call from there before the pattern is removed for real.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from quart import Quart, request

from quart_cors import DynamicOrigins, cors, cors_exempt

DATABASE = Path(
    os.environ.get("PARTNERS_DATABASE", Path(tempfile.gettempdir()) / "quart-cors-partners.sqlite3")
)
SEED = ("https://shop.partner-one.example", "https://*.legacy-partners.example")


def _connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE)
    with connection:
        connection.execute("CREATE TABLE IF NOT EXISTS partner_origins (origin TEXT PRIMARY KEY)")
    return connection


def _read_origins() -> list[str]:
    """Blocking: sqlite3 waits on the disk, so this runs in a worker thread."""
    # closing(): a sqlite3 connection's own `with` commits but does not close it.
    with closing(_connect()) as connection:
        rows = connection.execute("SELECT origin FROM partner_origins ORDER BY origin")
        return [origin for (origin,) in rows]


def _add_origin(origin: str) -> None:
    with closing(_connect()) as connection, connection:
        connection.execute("INSERT OR IGNORE INTO partner_origins VALUES (?)", (origin,))


def _seed() -> None:
    with closing(_connect()) as connection, connection:
        connection.executemany(
            "INSERT OR IGNORE INTO partner_origins VALUES (?)", [(origin,) for origin in SEED]
        )


async def load_partner_origins() -> list[str]:
    """The rows of partner_origins; sqlite3 blocks, so it runs in a thread (asyncio.to_thread)."""
    return await asyncio.to_thread(_read_origins)


partners = DynamicOrigins(load_partner_origins, refresh=60, timeout=5)

app = Quart(__name__, static_folder=None)
cors(
    app,
    allow_origin=["https://www.example.com", partners],
    allow_credentials=True,
    allow_headers=["content-type"],
    # Watch first: which partners would this refuse? (docs/guide.md, "Tightening a policy")
    report_only={"allow_origin": ["https://www.example.com", "https://shop.partner-one.example"]},
)


@app.before_serving
async def create_table() -> None:
    # Registered after cors(), so it runs after the first load: a new database starts empty.
    await asyncio.to_thread(_seed)
    await partners.reload()


@app.get("/api/catalog")
async def catalog() -> dict[str, list[str]]:
    return {"items": ["tea", "cups"]}


@app.post("/admin/partners")
@cors_exempt  # the admin tool is same-origin; no partner may call this
async def add_partner() -> tuple[dict[str, object], int]:
    data = await request.get_json()
    origin = str(data.get("origin", ""))
    await asyncio.to_thread(_add_origin, origin)
    loaded = await partners.reload()  # allowed from the partner's next request on
    skipped = [str(problem) for problem in partners.skipped if problem.value == origin]
    status = 201 if loaded and not skipped else 400
    return {"origin": origin, "allowed": partners.size, "problems": skipped}, status


@app.get("/admin/partners")
@cors_exempt
async def partner_state() -> dict[str, object]:
    return {
        "origins": list(partners.origins),
        "size": partners.size,
        "loaded_at": None if partners.loaded_at is None else partners.loaded_at.isoformat(),
        "last_error": None if partners.last_error is None else repr(partners.last_error),
        "skipped": [str(problem) for problem in partners.skipped],
    }
