"""The benchmark command runs end to end with a tiny n and prints its table; --quick judges
no budget (a 2-second run measures noise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)  # about 15 s alone; a hang fails here, not at CI's limit
def test_benchmark_prints_its_table(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    done = subprocess.run(  # noqa: S603 - our own script, by path
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| scenario" in done.stdout
    assert "ours/bare" in done.stdout
    assert "budget (docs/behaviour.md section 7)" in done.stdout
    assert "WRONG" not in done.stdout + done.stderr
    # A 2-second run measures noise: no verdict, and a note that says so.
    budget_rows = [line for line in done.stdout.splitlines() if "<=" in line]
    assert budget_rows
    assert all("not judged (--quick)" in row for row in budget_rows)
    assert "FAILS" not in done.stdout
    assert "holds" not in done.stdout
    assert "--quick times too few requests to judge a budget" in done.stdout
    # docs/behaviour.md section 7 sets no preflight budget for a route_cors-only app.
    assert not any("(route_cors)" in row and "preflight" in row for row in budget_rows)
    data = json.loads(output.read_text())
    names = [row["scenario"] for row in data["rows"]]
    assert "preflight, cors()" in names
    assert "WebSocket handshake, cors()" in names
    ours = [row["us_per_request"]["ours"] for row in data["rows"]]
    assert all(value is not None for value in ours), data["ours"]
    assert all(budget["holds"] is None for budget in data["budgets"])


def test_quick_refuses_to_fail_on_budgets() -> None:
    done = subprocess.run(  # noqa: S603 - our own script, by path
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--fail-on-budget"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--fail-on-budget needs a full run" in done.stderr


@pytest.mark.timeout(120)
def test_redos_benchmark_prints_its_table() -> None:
    done = subprocess.run(  # noqa: S603 - our own script, by path
        [sys.executable, str(ROOT / "benchmarks" / "redos.py"), "--repeat", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| origin | https://(a+)+\\.com" in done.stdout
    assert "| engine | (a|aa)+" in done.stdout
    assert "12 rows, 3 matches each" in done.stdout
