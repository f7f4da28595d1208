"""The package as users get it: what `python3 dev.py package` accepts in the sdist and the
wheel, and the project metadata it is built from."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

WHEEL = [
    "quart_cors/__init__.py",
    "quart_cors/cli.py",
    "quart_cors/py.typed",
    "quart_cors/testing/__init__.py",
    "quart_cors-0.9.0.dev0.dist-info/METADATA",
    "quart_cors-0.9.0.dev0.dist-info/RECORD",
]
CLONE = {
    ".ci/run",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "docs/guide.md",
    "examples/demo.py",
    "tests/conftest.py",
    "tests/browser/apps.py",
    "src/quart_cors/__init__.py",
}
SDIST = [
    *sorted(CLONE - {".ci/run", ".gitignore"}),
    "PKG-INFO",
    "setup.cfg",
    "src/quart_cors.egg-info/SOURCES.txt",
]


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ROOT))
    return importlib.import_module("dev")


def test_a_wheel_of_the_package_only_passes(dev: Any) -> None:
    assert dev.wheel_problems(WHEEL) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (["tests/test_api.py"], "wheel has tests/test_api.py, which is not the package"),
        (["examples/demo.py"], "wheel has examples/demo.py, which is not the package"),
        (["quart_cors/__pycache__/cli.cpython-311.pyc"], "wheel has quart_cors/__pycache__"),
        (["-quart_cors/py.typed"], "wheel lacks quart_cors/py.typed"),
        (["-quart_cors/testing/__init__.py"], "wheel lacks quart_cors/testing/__init__.py"),
    ],
)
def test_a_wrong_wheel_is_named(dev: Any, change: list[str], problem: str) -> None:
    names = list(WHEEL)
    for item in change:
        if item.startswith("-"):
            names.remove(item[1:])
        else:
            names.append(item)
    assert any(found.startswith(problem) for found in dev.wheel_problems(names))


def test_an_sdist_of_the_clone_passes(dev: Any) -> None:
    assert dev.sdist_problems(SDIST, CLONE) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (["-docs/guide.md"], "sdist lacks docs/guide.md"),
        (["-tests/browser/apps.py"], "sdist lacks tests/browser/apps.py"),
        (["benchmarks/results/latest.json"], "sdist has benchmarks/results/latest.json, which"),
        ([".ci/run"], "sdist has .ci/run"),
        (["-examples/demo.py"], "sdist has no examples/"),
    ],
)
def test_a_wrong_sdist_is_named(dev: Any, change: list[str], problem: str) -> None:
    names = list(SDIST)
    for item in change:
        if item.startswith("-"):
            names.remove(item[1:])
        else:
            names.append(item)
    assert any(found.startswith(problem) for found in dev.sdist_problems(names, CLONE))


def test_the_metadata_points_at_no_other_project() -> None:
    # The URLs named quart-cors 0.8.0's repository, which is not this project's home.
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert "[project.urls]" not in pyproject
    assert "github.com" not in pyproject


def test_ci_checks_the_package_with_pinned_tools() -> None:
    assert "python3 dev.py package" in (ROOT / ".ci" / "run").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    dev_extra = re.search(r"^dev = \[(.*?)^\]", pyproject, re.MULTILINE | re.DOTALL)
    assert dev_extra is not None
    pins = dict(re.findall(r'"([a-z-]+)==([0-9.]+)"', dev_extra.group(1)))
    assert {"build", "twine"} <= set(pins)
    manifest = (ROOT / "MANIFEST.in").read_text()
    for folder in ("docs", "examples", "tests"):
        assert f"graft {folder}" in manifest
