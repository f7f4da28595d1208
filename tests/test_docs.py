"""The docs' code runs as written: the async test examples with the setup the docs give, and
the websocket examples against `quart-cors check --websocket`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quart_cors.cli import main

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.DOTALL)


async def test_the_guides_browser_test_passes_as_printed() -> None:
    (block,) = [
        code
        for code in python_blocks(ROOT / "docs" / "guide.md")
        if "async def test_spa_can_update_items" in code
    ]
    namespace: dict[str, Any] = {"__name__": __name__}  # Quart(__name__) needs a real module
    exec(compile(block, "docs/guide.md", "exec"), namespace)  # noqa: S102 - our own docs
    await namespace["test_spa_can_update_items"]()


def fenced(path: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.DOTALL)


def readme_app() -> str:
    """The README's usage example and its simulated-browser test, as one module."""
    readme = ROOT / "README.md"
    (usage,) = [code for code in python_blocks(readme) if "async def ws()" in code]
    (test,) = [code for code in python_blocks(readme) if "async def test_put_with_token" in code]
    return usage + "\n\n" + test


def async_test_modules() -> dict[str, str]:
    """Every async test example of the docs, each a module with the app it tests."""
    guide, testing = ROOT / "docs" / "guide.md", ROOT / "docs" / "testing.md"
    (guide_test,) = [code for code in python_blocks(guide) if "async def test_" in code]
    (testing_test,) = [code for code in python_blocks(testing) if "async def test_" in code]
    return {
        "test_readme.py": readme_app(),
        "test_guide.py": guide_test,
        "test_testing_page.py": testing_test,
    }


def run_pytest(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - pytest on the docs' own examples
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=directory,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(240)  # two pytest runs in subprocesses
def test_the_async_test_examples_pass_with_the_setup_the_docs_give(tmp_path: Path) -> None:
    for name, code in async_test_modules().items():
        (tmp_path / name).write_text(code)
    (configuration,) = fenced(ROOT / "docs" / "testing.md", "toml")
    (tmp_path / "pyproject.toml").write_text(configuration)
    configured = run_pytest(tmp_path)
    assert configured.returncode == 0, configured.stdout + configured.stderr
    assert "3 passed" in configured.stdout
    # Without the setup (pytest-asyncio's default, strict mode) each one fails.
    plain = run_pytest(tmp_path, "-o", "asyncio_mode=strict")
    assert plain.returncode == 1
    assert "3 failed" in plain.stdout
    assert "async def functions are not natively supported" in plain.stdout


def test_each_page_with_an_async_test_says_what_it_needs() -> None:
    for page in (ROOT / "README.md", ROOT / "docs" / "guide.md", ROOT / "docs" / "testing.md"):
        text = page.read_text()
        assert "async def test_" in text
        assert "pytest-asyncio" in text, page
        assert "asyncio_mode" in text, page
        assert "#running-these-tests" in text or "## Running these tests" in text, page


@pytest.mark.parametrize("page", ["README.md", "docs/guide.md"])
def test_the_websocket_examples_accept_the_connection(
    page: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if page == "README.md":
        code = readme_app()
    else:
        (snippet,) = [c for c in python_blocks(ROOT / page) if "@app.websocket" in c]
        code = "from quart import Quart\n\napp = Quart(__name__)\n" + snippet
    module = f"ws_example_{page.replace('/', '_').replace('.', '_').lower()}"
    (tmp_path / f"{module}.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    origin = "https://app.example.com"
    status = main(["check", "--app", f"{module}:app", "/ws", "--origin", origin, "--websocket"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Handshake answer: 101" in out


def test_behaviour_and_readme_agree_on_the_route_cors_only_preflight() -> None:
    behaviour = (ROOT / "docs" / "behaviour.md").read_text()
    section = behaviour.split("## 7. Performance budgets", 1)[1].split("\n## ", 1)[0]
    budget = next(item for item in section.split("\n- ") if "**0.10x**" in item)
    readme = (ROOT / "README.md").read_text()
    for text in (" ".join(budget.split()), " ".join(readme.split())):
        assert "0.98x" in text
        assert "cors(app, allow_origin=[])" in text
    assert "`route_cors` only" in budget
    assert "exception" in budget
