"""Settings given as Python sets: the same `routes --json` and header values on every run.

A set's order depends on string hashing, which changes with each interpreter (PYTHONHASHSEED),
so the check runs the app in several interpreters with different seeds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from quart import Quart

from quart_cors import cors, describe

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("0", "1", "2", "3", "4", "5")

APP_SOURCE = textwrap.dedent(
    """
    import asyncio
    import re
    import sys

    from quart import Quart
    from quart_cors import cors, route_cors

    def partner(origin):
        return origin.endswith(".partner.test")

    app = Quart("sets")
    cors(
        app,
        allow_origin={
            "https://a.example", "https://b.example", "https://c.example", "https://d.example",
            "https://*.e.example", re.compile(r"https://f[0-9]\\.example"), partner,
        },
        allow_methods={"GET", "PUT", "PATCH", "DELETE", "POST", "X-PURGE"},
        allow_headers={"x-one", "x-two", "x-three", "x-four", "content-type"},
        expose_headers={"X-Total", "X-Page", "X-Request-Id", "X-Rate-Limit"},
    )

    @app.route("/items", methods=["GET", "PUT", "DELETE"])
    async def items():
        return ""

    @app.route("/only")
    @route_cors(expose_headers=frozenset({"X-A", "X-B", "X-C", "X-D", "X-E"}))
    async def only():
        return ""

    async def wire():
        client = app.test_client()
        preflight = await client.options("/items", headers={
            "Origin": "https://a.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-one",
        })
        actual = await client.get("/only", headers={"Origin": "https://b.example"})
        for response in (preflight, actual):
            for name, value in sorted(response.headers.items()):
                if name.lower().startswith("access-control-"):
                    print(f"{name}: {value}")

    if __name__ == "__main__":
        asyncio.run(wire())
    """
)


def run_with_seed(arguments: list[str], seed: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": seed}
    completed = subprocess.run(  # noqa: S603 - our own interpreter, module and app
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.timeout(240)  # a dozen subprocesses
def test_the_same_json_and_headers_under_every_hash_seed(tmp_path: Path) -> None:
    (tmp_path / "sets_app.py").write_text(APP_SOURCE)
    documents = {
        seed: run_with_seed(
            ["-m", "quart_cors", "routes", "--app", "sets_app", "--json"], seed, tmp_path
        )
        for seed in SEEDS
    }
    headers = {seed: run_with_seed(["sets_app.py"], seed, tmp_path) for seed in SEEDS}
    assert len(set(documents.values())) == 1, "routes --json changed with the hash seed"
    assert len(set(headers.values())) == 1, "the header values changed with the hash seed"
    wire = headers[SEEDS[0]]
    assert "access-control-allow-methods: DELETE, GET, PATCH, POST, PUT, X-PURGE" in wire
    assert "access-control-expose-headers: X-A, X-B, X-C, X-D, X-E" in wire
    assert re.search(r"access-control-allow-headers: x-one\b", wire)


def test_sets_are_described_in_sorted_order() -> None:
    def partner(origin: str) -> bool:
        return origin.endswith(".partner.test")

    app = Quart(__name__)
    cors(
        app,
        allow_origin={"https://b.test", "https://a.test", re.compile("https://c"), partner},
        allow_headers={"x-b", "x-a"},
        expose_headers=frozenset({"X-Y", "X-X"}),
        allow_methods={"PUT", "DELETE"},
    )

    @app.get("/")
    async def index() -> str:
        return ""

    record = describe(app)[0]  # the route (the 404 pseudo-routes follow)
    policy = record.to_json()["policy"]
    assert policy["allow_origin"] == [
        "https://a.test",
        "https://b.test",
        "re:https://c",
        "callable:test_sets_are_described_in_sorted_order.<locals>.partner",
    ]
    assert policy["allow_headers"] == ["x-a", "x-b"]
    assert policy["expose_headers"] == ["X-X", "X-Y"]
    assert policy["allow_methods"] == ["DELETE", "PUT"]
