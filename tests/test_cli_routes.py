"""`quart-cors routes`: the app's start-up runs, the table, the JSON shape, exit statuses."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from quart_cors import describe
from quart_cors.cli import StartupError, main, serving
from quart_cors.describe import TABLE_WIDTH

ROOT = Path(__file__).resolve().parent.parent

APP_SOURCE = textwrap.dedent(
    """
    from quart import Blueprint, Quart
    from quart_cors import cors, route_cors

    app = Quart(__name__, static_folder=None)

    @app.before_serving
    async def load_settings():
        # As an app that reads its settings at start-up (from a vault, a database...).
        app.config["QUART_CORS_MAX_AGE"] = 42

    cors(app, allow_origin="https://app.test")
    api = cors(Blueprint("api", __name__), allow_credentials=True)

    @api.route("/items")
    async def items():
        return {}

    app.register_blueprint(api, url_prefix="/api")

    bad = Quart("bad")
    cors(bad)
    bad.config["QUART_CORS_ALLOW_CREDENTIALS"] = True  # with the default origin "*"

    only_route_cors = Quart("only_route_cors")
    only_route_cors.config["QUART_CORS_ALLOW_CREDENTIALS"] = True

    @only_route_cors.route("/r")
    @route_cors()
    async def r():
        return ""

    failing = Quart("failing")

    @failing.before_serving
    async def connect():
        raise RuntimeError("no database")
    """
)


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"routes_app_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(APP_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["routes", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_has_the_stable_shape_and_sees_the_startup(
    capsys: pytest.CaptureFixture[str], app_module: str
) -> None:
    status, out, err = run(capsys, "--app", f"{app_module}:app", "--json")
    assert (status, err) == (0, "")
    routes = json.loads(out)
    assert [route["endpoint"] for route in routes] == ["api.items", None, "api.<unmatched>"]
    items = routes[0]
    assert set(items) == {
        "rule",
        "endpoint",
        "url_prefix",
        "methods",
        "websocket",
        "cors",
        "policy",
        "sources",
        "problem",
    }
    assert (items["rule"], items["methods"], items["websocket"], items["cors"]) == (
        "/api/items",
        ["GET"],
        False,
        "on",
    )
    # Set by a before_serving function: only a real start-up shows it.
    assert items["policy"]["max_age"] == 42
    assert items["sources"]["max_age"] == "config:QUART_CORS_MAX_AGE"
    assert items["policy"]["allow_credentials"] is True
    assert items["sources"]["allow_credentials"] == "blueprint:api"
    assert items["policy"]["allow_origin"] == ["https://app.test"]
    assert items["sources"]["allow_origin"] == "app"
    assert routes[1]["rule"] is None
    assert routes[1]["policy"]["allow_credentials"] is False


def test_table(capsys: pytest.CaptureFixture[str], app_module: str) -> None:
    status, out, _ = run(capsys, "--app", f"{app_module}:app")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RULE", "METHODS", "ENDPOINT", "CORS"]
    assert lines[1].split() == ["/api/items", "GET", "api.items", "on"]
    assert lines[2].split() == ["allow_origin", "https://app.test", "app"]
    assert "(404 under /api)" in out
    assert all(len(line) <= TABLE_WIDTH for line in lines)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{module}:bad", "[quart_cors.E001]"),
        ("{module}:only_route_cors", "[quart_cors.E001]"),
        ("{module}:failing", "no database"),
        ("{module}:missing", "has no 'missing'"),
        ("no_such_module_xyz:app", "cannot import"),
    ],
)
def test_configuration_and_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], app_module: str, spec: str, message: str
) -> None:
    status, out, err = run(capsys, "--app", spec.format(module=app_module))
    assert status == 2
    assert out == ""
    assert message in err


def test_app_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["routes"])
    assert exit_info.value.code == 2
    assert "--app" in capsys.readouterr().err


def _routes_command(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(  # noqa: S603 - our own interpreter and example
        [sys.executable, "-m", "quart_cors", "routes", "--app", "examples.shop:app", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def test_readme_shows_the_real_output_of_the_example() -> None:
    completed = _routes_command()
    assert completed.returncode == 0, completed.stderr
    readme = (ROOT / "README.md").read_text()
    shown = re.search(
        r"```\n\$ quart-cors routes --app examples\.shop:app\n(.*?)```", readme, re.DOTALL
    )
    assert shown is not None, "README lost its 'quart-cors routes' example"
    assert shown.group(1) == completed.stdout


def test_json_of_the_example_is_describe(monkeypatch: pytest.MonkeyPatch) -> None:
    completed = _routes_command("--json")
    assert completed.returncode == 0, completed.stderr
    monkeypatch.syspath_prepend(str(ROOT))
    app = importlib.import_module("examples.shop").app  # as the command imports it
    assert json.loads(completed.stdout) == [record.to_json() for record in describe(app)]


async def test_startup_that_never_answers_or_dies_is_a_startup_error() -> None:
    hanging = Quart("hanging")

    @hanging.before_serving
    async def wait_forever() -> None:
        await asyncio.Event().wait()

    with pytest.raises(StartupError, match=r"no answer to lifespan\.startup"):
        async with serving(hanging, timeout=0.05):
            pass

    dying = Quart("dying")

    async def broken_middleware(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("middleware bug")

    dying.asgi_app = broken_middleware  # type: ignore[method-assign]
    with pytest.raises(StartupError, match="middleware bug"):
        async with serving(dying):
            pass
