"""`quart-cors check`: exit statuses, the printed steps, one-line errors, the httpx path."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config

from quart_cors.cli import main

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://app.test"

APP_SOURCE = textwrap.dedent(
    """
    from quart import Quart, websocket
    from quart_cors import cors

    app = Quart(__name__)
    cors(
        app,
        allow_origin=["https://app.test"],
        allow_credentials=True,
        allow_headers=["x-token"],
        allow_methods=["GET", "POST", "PUT"],
        expose_headers=["x-total"],
    )

    @app.route("/items", methods=["GET", "PUT"])
    async def items():
        return {"items": []}, 200, {"X-Total": "0"}

    @app.websocket("/ws")
    async def ws():
        await websocket.accept()

    def create_app():
        return app

    not_an_app = 42

    def broken_factory():
        raise RuntimeError("no database")
    """
)


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"cli_app_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(APP_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_allowed_simple_request(capsys: pytest.CaptureFixture[str], app_module: str) -> None:
    status, out, err = run(capsys, "--app", f"{app_module}:app", "/items", "--origin", ORIGIN)
    assert status == 0, out + err
    lines = out.splitlines()
    assert "No preflight needed: a CORS-safelisted method and headers" in lines
    assert "Request sent: GET http://localhost/items" in lines
    assert "  > Origin: https://app.test" in lines
    assert any(line.startswith("Verdict: ALLOWED") for line in lines)
    assert any(line.startswith("JavaScript can read") and "x-total" in line for line in lines)
    assert err == ""


def test_allowed_preflighted_request(capsys: pytest.CaptureFixture[str], app_module: str) -> None:
    status, out, _ = run(
        capsys,
        "--app",
        f"{app_module}:create_app",
        "/items",
        "--origin",
        ORIGIN,
        "--method",
        "put",
        "-H",
        "X-Token: 1",
        "--credentials",
    )
    assert status == 0, out
    lines = out.splitlines()
    assert lines[2].startswith("Preflight needed: PUT is not a CORS-safelisted method")
    assert "header x-token: '1' is not CORS-safelisted" in lines[2]
    assert "Preflight sent: OPTIONS http://localhost/items" in lines
    assert "  > Access-Control-Request-Method: PUT" in lines
    assert "  > Access-Control-Request-Headers: x-token" in lines
    assert "Preflight answer: 200" in lines
    assert any(line.startswith("Verdict: ALLOWED") for line in lines)


@pytest.mark.parametrize(
    ("argv", "code", "fix"),
    [
        (["--origin", "https://evil.test"], "missing_allow_origin", "to allow_origin"),
        # No rule on /items serves DELETE: its 405 is the cause, not allow_methods.
        (["--origin", ORIGIN, "-X", "DELETE"], "method_not_allowed", "serves DELETE"),
        (["--origin", ORIGIN, "-H", "X-Other: 1"], "header_not_allowed", "add 'x-other'"),
    ],
)
def test_blocked(
    capsys: pytest.CaptureFixture[str], app_module: str, argv: list[str], code: str, fix: str
) -> None:
    status, out, _ = run(capsys, "--app", f"{app_module}:app", "/items", *argv)
    assert status == 1
    assert f"Verdict: BLOCKED ({code})" in out.splitlines()
    fix_line = next(line for line in out.splitlines() if line.startswith("Fix: "))
    assert fix in fix_line


def test_websocket(capsys: pytest.CaptureFixture[str], app_module: str) -> None:
    app = f"{app_module}:app"
    status, out, _ = run(capsys, "--app", app, "/ws", "--origin", ORIGIN, "--websocket")
    assert status == 0
    assert "Handshake answer: 101" in out
    status, out, _ = run(capsys, "--app", app, "/ws", "--origin", "https://x.test", "--websocket")
    assert status == 1
    assert "Verdict: BLOCKED (websocket_refused)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/items", "--origin", "https://app.test/"], "is not a serialized origin"),
        (["/items", "--origin", "HTTPS://app.test"], "is not a serialized origin"),
        (["/items", "--origin", "https://[0:0:0:0:0:0:0:1]"], "use 'https://[::1]'"),
        (["/items", "--origin", ORIGIN, "-H", "no colon"], "expected 'Name: value'"),
        (["items", "--origin", ORIGIN], "give a path starting with '/'"),
        (["/items", "--origin", ORIGIN, "-X", "TRACE"], "forbidden method"),
        (["/items", "--origin", ORIGIN, "--data", "x"], "body with GET"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], app_module: str, argv: list[str], message: str
) -> None:
    status, out, err = run(capsys, "--app", f"{app_module}:app", *argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:app", "cannot import 'no_such_module_xyz'"),
        ("{module}:missing", "has no 'missing'"),
        ("{module}:not_an_app", "is not a Quart app"),
        ("{module}:broken_factory", "calling the factory failed: RuntimeError('no database')"),
        (":app", "expected MODULE[:NAME]"),
    ],
)
def test_bad_app(
    capsys: pytest.CaptureFixture[str], app_module: str, spec: str, message: str
) -> None:
    status, _, err = run(capsys, "--app", spec.format(module=app_module), "/", "--origin", ORIGIN)
    assert status == 2
    assert message in err
    assert len(err.splitlines()) == 1


def test_argparse_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "http://127.0.0.1:1/"])  # no --origin
    assert exit_info.value.code == 2
    assert "--origin" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["not-a-url", "ftp://example.test/x", "http://", "http://127.0.0.1:99999/"]
)
def test_bad_url(capsys: pytest.CaptureFixture[str], url: str) -> None:
    status, out, err = run(capsys, url, "--origin", ORIGIN)
    assert status == 2
    assert out == ""
    assert err.startswith("quart-cors: error: bad URL")
    assert len(err.splitlines()) == 1


def test_ws_url_without_websocket_suggests_it(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "ws://127.0.0.1:1/ws", "--origin", ORIGIN)
    assert status == 2
    assert out == ""
    assert err.startswith("quart-cors: error: bad URL 'ws://127.0.0.1:1/ws'")
    assert "add --websocket" in err
    assert len(err.splitlines()) == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.timeout(60)  # starts a server or a subprocess
def test_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/items"
    status, _, err = run(capsys, url, "--origin", ORIGIN, "--timeout", "2")
    assert status == 3
    assert err.startswith(f"quart-cors: cannot connect to {url}")
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.timeout(60)  # starts a server or a subprocess
def test_python_dash_m_has_no_traceback() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "quart_cors", "check", url, "--origin", ORIGIN],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 3
    assert completed.stderr.count("\n") == 1
    assert "Traceback" not in completed.stderr


@pytest.fixture
def live_server(app_module: str) -> Iterator[str]:
    """The app served by Hypercorn on 127.0.0.1, in a thread with its own event loop."""
    import importlib

    app = importlib.import_module(app_module).app
    port = closed_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    started = threading.Event()

    async def run_server() -> None:
        started.set()
        await serve(app, config, shutdown_trigger=stop.wait)

    thread = threading.Thread(target=loop.run_until_complete, args=(run_server(),), daemon=True)
    thread.start()
    started.wait(10)
    for _ in range(200):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


@pytest.mark.timeout(60)  # starts a server or a subprocess
def test_live_server_over_httpx(capsys: pytest.CaptureFixture[str], live_server: str) -> None:
    status, out, _ = run(
        capsys, f"{live_server}/items", "--origin", ORIGIN, "-X", "PUT", "-H", "X-Token: 1"
    )
    assert status == 0, out
    assert f"Preflight sent: OPTIONS {live_server}/items" in out
    assert "Preflight answer: 200" in out
    status, out, _ = run(capsys, f"{live_server}/items", "--origin", "https://evil.test")
    assert status == 1
    assert "Verdict: BLOCKED (missing_allow_origin)" in out
    status, out, _ = run(capsys, f"{live_server}/ws", "--origin", ORIGIN, "--websocket")
    assert status == 0, out
    status, out, _ = run(capsys, f"{live_server}/ws", "--origin", "https://x.test", "--websocket")
    assert status == 1


@pytest.mark.parametrize(
    ("header", "preflighted"),
    [
        ("Cookie: a=b", False),  # forbidden: fetch() drops it, so it cannot cause a preflight
        ("Sec-Fetch-Mode: cors", False),
        ("X-Token: t", True),
    ],
)
def test_preflight_line_ignores_forbidden_headers(
    capsys: pytest.CaptureFixture[str], app_module: str, header: str, preflighted: bool
) -> None:
    status, out, _ = run(
        capsys, "--app", f"{app_module}:app", "/items", "--origin", ORIGIN, "-H", header
    )
    assert status == 0
    assert ("Preflight needed: header x-token" in out) is preflighted
    assert ("No preflight needed" in out) is not preflighted
    assert ("Preflight sent: OPTIONS" in out) is preflighted


@pytest.mark.timeout(60)  # starts a server
@pytest.mark.parametrize("scheme", ["ws", "http"])
def test_websocket_url_over_httpx(
    capsys: pytest.CaptureFixture[str], live_server: str, scheme: str
) -> None:
    url = live_server.replace("http", scheme, 1) + "/ws"
    status, out, err = run(capsys, url, "--origin", ORIGIN, "--websocket")
    assert status == 0, out + err
    assert f"Handshake sent: GET {url} (Upgrade: websocket)" in out
    status, out, _ = run(capsys, url, "--origin", "https://x.test", "--websocket")
    assert status == 1
    assert "Verdict: BLOCKED (websocket_refused)" in out


STARTUP_SOURCE = textwrap.dedent(
    """
    from pathlib import Path

    from quart import Quart
    from quart_cors import cors

    MARKER = Path(__file__).with_suffix(".stopped")

    app = Quart(__name__)
    cors(app, allow_origin=["https://app.test"])

    @app.before_serving
    async def connect():
        app.extensions["items"] = ["first"]

    @app.after_serving
    async def disconnect():
        MARKER.write_text("stopped")

    @app.get("/items")
    async def items():
        return {"items": app.extensions["items"]}

    bad_config = Quart("bad_config")
    bad_config.config["QUART_CORS_ALLOW_CREDENTIALS"] = "false"
    cors(bad_config, allow_origin=["https://app.test"])

    @bad_config.get("/items")
    async def bad_items():
        return {"items": []}

    broken_startup = Quart("broken_startup")

    @broken_startup.before_serving
    async def fail():
        raise RuntimeError("no database")
    """
)


@pytest.fixture
def startup_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    name = f"cli_startup_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(STARTUP_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name, tmp_path


def test_app_start_up_runs_as_under_a_server(
    capsys: pytest.CaptureFixture[str], startup_module: tuple[str, Path]
) -> None:
    # The view needs what before_serving prepared; after_serving runs when the check ends.
    name, directory = startup_module
    status, out, err = run(capsys, "--app", f"{name}:app", "/items", "--origin", ORIGIN)
    assert status == 0, out + err
    assert "Response: 200" in out.splitlines()
    assert (directory / f"{name}.stopped").read_text() == "stopped"


@pytest.mark.timeout(90)  # starts a server in a subprocess
def test_config_error_at_start_up_prints_the_problems(
    startup_module: tuple[str, Path],
) -> None:
    # A real process: nothing may reach stderr but the error itself (no logged traceback).
    name, directory = startup_module
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "quart_cors",
            "check",
            "--app",
            f"{name}:bad_config",
            "/items",
            "--origin",
            ORIGIN,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        cwd=directory,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith("quart-cors: the app's start-up failed:")
    assert "[quart_cors.E050] QUART_CORS_ALLOW_CREDENTIALS='false'" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert "BLOCKED" not in completed.stderr


def test_failing_start_up_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], startup_module: tuple[str, Path]
) -> None:
    name, _ = startup_module
    status, out, err = run(capsys, "--app", f"{name}:broken_startup", "/items", "--origin", ORIGIN)
    assert status == 2
    assert out == ""
    assert err == "quart-cors: the app's start-up failed: no database\n"


def test_missing_httpx_is_a_usage_error_with_the_install_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)  # what `import httpx` sees when absent
    status, out, err = run(capsys, "http://127.0.0.1:1/items", "--origin", ORIGIN)
    assert status == 2
    assert out == ""
    assert "needs httpx: pip install httpx" in err
    assert "quart-cors[http]" not in err  # that would install 0.8.0 from PyPI
    assert len(err.splitlines()) == 1
