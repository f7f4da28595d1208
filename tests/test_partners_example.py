"""examples/partners.py: partner origins in SQLite, added at run time, allowed after reload()."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from types import ModuleType

import pytest

from quart_cors import describe, report_only_counts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "partners.py"
SEEDED = "https://shop.partner-one.example"
LEGACY = "https://old.legacy-partners.example"
NEW = "https://shop.partner-two.example"


def load_example(database: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("PARTNERS_DATABASE", str(database))
    spec = importlib.util.spec_from_file_location("partners_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_partners_are_loaded_added_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example(tmp_path / "partners.sqlite3", monkeypatch)
    app = example.app
    async with app.test_app() as test_app:
        client = test_app.test_client()

        async def allow_origin(origin: str) -> str | None:
            response = await client.get("/api/catalog", headers={"Origin": origin})
            value: str | None = response.headers.get("Access-Control-Allow-Origin")
            return value

        assert await allow_origin(SEEDED) == SEEDED
        assert await allow_origin(LEGACY) == LEGACY  # enforced; the candidate would refuse it
        assert await allow_origin(NEW) is None

        response = await client.post("/admin/partners", json={"origin": NEW})
        assert response.status_code == 201
        assert await allow_origin(NEW) == NEW  # no restart

        response = await client.post("/admin/partners", json={"origin": "https://bad.example/"})
        assert response.status_code == 400
        assert "E012" in (await response.get_json())["problems"][0]
        assert await allow_origin("https://bad.example") is None

        state = await (await client.get("/admin/partners")).get_json()
        assert set(state["origins"]) == {SEEDED, NEW, "https://*.legacy-partners.example"}
        assert state["last_error"] is None

        records = {record.endpoint: record for record in describe(app)}
        policy = records["catalog"].policy
        assert policy is not None
        assert "dynamic:load_partner_origins (3 origins)" in policy.allow_origin

    keys = {(key.origin, key.difference, key.direction) for key in report_only_counts(app)}
    assert (LEGACY, "origin", "candidate would refuse") in keys
    assert (NEW, "origin", "candidate would refuse") in keys
    with closing(sqlite3.connect(tmp_path / "partners.sqlite3")) as connection:
        rows = {origin for (origin,) in connection.execute("SELECT origin FROM partner_origins")}
    assert NEW in rows


def test_the_routes_command_names_the_source(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PARTNERS_DATABASE": str(tmp_path / "partners.sqlite3"),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "quart_cors", "routes", "--app", "examples.partners:app"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    assert "dynamic:load_partner_origins" in completed.stdout
    assert "report_only (candidate, never answers):" in completed.stdout
