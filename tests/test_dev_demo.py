"""`python3 dev.py demo` installs only what the demo uses; `check` adds the tools, once each."""

from __future__ import annotations

import importlib.util
import re
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
