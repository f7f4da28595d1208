"""`python3 dev.py demo` installs only what the demo uses; `check` adds the tools, once each."""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[str]]:
    """dev.py with its .venv in tmp_path and every command recorded instead of run."""
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()  # an existing environment
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "PYTHON", venv / "bin" / "python")
    installs: list[str] = []
    monkeypatch.setattr(module, "run", lambda *command: installs.append(command[-1]))
    return module, installs


def test_demo_installs_the_demo_extra_only_once(dev: tuple[ModuleType, list[str]]) -> None:
    module, installs = dev
    module.ensure_environment("demo")
    module.ensure_environment("demo")
    assert installs == [f"{ROOT}[demo]"]


def test_check_adds_the_tools_once_and_then_covers_the_demo(
    dev: tuple[ModuleType, list[str]],
) -> None:
    module, installs = dev
    module.ensure_environment("demo")
    module.ensure_environment("dev")
    module.ensure_environment("dev")
    module.ensure_environment("demo")
    assert installs == [f"{ROOT}[demo]", f"{ROOT}[demo,dev]"]


def test_the_demo_extra_is_small() -> None:
    # The demo needs Hypercorn to serve and httpx for the check line it prints; nothing else.
    # (tomllib is Python 3.11+; the one line is read directly.)
    found = re.search(r"^demo = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.MULTILINE)
    assert found is not None
    names = sorted(item.strip(' "').split("=")[0] for item in found.group(1).split(","))
    assert names == ["httpx", "hypercorn"]


# dev.py's run() in a child process, running the demo as `python3 dev.py demo` does.
RUN_DEMO = (
    "import sys; sys.path.insert(0, '.'); import dev; dev.run(sys.executable, 'examples/demo.py')"
)


@pytest.mark.timeout(90)  # starts a server in a subprocess
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals and process groups")
@pytest.mark.parametrize("to_group", [True, False], ids=["ctrl-c to the terminal", "sigterm"])
def test_dev_py_demo_stops_without_a_traceback(to_group: bool) -> None:
    # Ctrl-C in a terminal signals the whole process group (dev.py and the demo); a service
    # manager's SIGTERM reaches dev.py alone, which passes it on.
    with subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", RUN_DEMO],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Serving"):
                break
        api_port = int(lines[1].split()[1].rsplit(":", 1)[1])  # line 0 is dev.py's "$ ..."
        deadline = time.monotonic() + 20
        while not listening(api_port):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        if to_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        assert process.returncode == 0, err
        assert "Traceback" not in err
        assert out.rstrip().endswith("Stopped.")
        assert not listening(api_port)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
