"""The two-origin demo prints its URLs and a verdict table, and exits 0 with --check-only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(90)
def test_demo_check_only() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and example
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--check-only"],
        capture_output=True,
        text=True,
        env=env,
        timeout=80,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("API:  http://127.0.0.1:")
    assert lines[1].startswith("Page: http://127.0.0.1:")
    table = "\n".join(lines)
    assert "NAME" in table
    assert "VERDICT" in table
    verdicts = {line.split("  ")[0]: line for line in lines if line.split("  ")[0] and "/" in line}
    assert " allowed" in verdicts["simple GET"]
    assert " allowed" in verdicts["PUT with JSON (preflighted)"]
    assert "header_not_allowed" in verdicts["custom header not allowed"]
    assert "method_not_allowed" in verdicts["DELETE not in allow_methods"]
    assert "missing_allow_origin" in verdicts["route without CORS"]
    assert " allowed" in verdicts["WebSocket"]
    page_origin = lines[1].split()[1].rstrip("/")
    api_url = lines[0].split()[1]
    assert f"curl -si -H 'Origin: {page_origin}' {api_url}/api/items" in table
    assert completed.stderr == ""
