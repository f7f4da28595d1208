"""The README's example outputs are what the code prints today.

Each output block is regenerated here and compared with the README. After a change of wording,
rewrite them all with:

    QUART_CORS_UPDATE_README=1 .venv/bin/pytest tests/test_readme_outputs.py

Two kinds of block: a `quart-cors` command (a block whose first line is `$ quart-cors ...`,
continued with backslashes, run from the repository root), and the configuration error the
README describes in prose, built here as it says.
`quart-cors routes` blocks are compared by tests/test_cli_routes.py instead.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from quart import Quart

from quart_cors import CORSConfigError, cors

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
UPDATE = os.environ.get("QUART_CORS_UPDATE_README") == "1"
# A block of the command's lines, then its output: "$ quart-cors ..." up to the closing fence.
COMMAND_BLOCK = re.compile(r"```\n(\$ quart-cors (?:[^\n]*\\\n)*[^\n]*\n)(.*?)```", re.DOTALL)


def command_blocks() -> list[tuple[str, str]]:
    """(command lines, output shown) of each `$ quart-cors` block but `routes`."""
    return [
        (command, shown)
        for command, shown in COMMAND_BLOCK.findall(README.read_text())
        if not command.startswith("$ quart-cors routes")
    ]


def run_command(command: str) -> str:
    words = shlex.split(command.removeprefix("$ ").replace("\\\n", " "))
    assert words[0] == "quart-cors"
    completed = subprocess.run(  # noqa: S603 - the README's own command, our interpreter
        [sys.executable, "-m", "quart_cors", *words[1:]],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert completed.stderr == ""
    return completed.stdout


async def configuration_error() -> str:
    """The README's error: an app named 'api' whose config holds two values from the
    environment, as strings, when it starts."""
    app = Quart("api")
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = "false"
    app.config["QUART_CORS_ALLOW_ORIGIN"] = "https://a.com,https://b.com"
    cors(app)
    with pytest.raises(CORSConfigError) as error:
        await app.startup()  # what a server's lifespan start-up runs
    return str(error.value) + "\n"


def check_or_update(shown: str, actual: str, replace: Callable[[str], str]) -> None:
    if UPDATE and shown != actual:
        README.write_text(replace(README.read_text()))
        return
    assert shown == actual, "README output is stale: QUART_CORS_UPDATE_README=1 regenerates it"


def test_the_readme_has_command_outputs() -> None:
    commands = [command.split("\n")[0] for command, _ in command_blocks()]
    assert any(
        command.startswith("$ quart-cors check --app examples.shop:app") for command in commands
    )


@pytest.mark.timeout(120)  # a subprocess per block
@pytest.mark.parametrize("index", range(len(command_blocks())))
def test_each_command_output_is_what_the_command_prints(index: int) -> None:
    command, shown = command_blocks()[index]
    actual = run_command(command)
    check_or_update(
        shown, actual, lambda text: text.replace(f"{command}{shown}```", f"{command}{actual}```", 1)
    )


async def test_the_configuration_error_is_what_start_up_raises() -> None:
    block = re.compile(r"```\n(invalid CORS configuration for app .*?)```", re.DOTALL)
    found = block.search(README.read_text())
    assert found is not None, "README lost its configuration error example"
    shown, actual = found.group(1), await configuration_error()
    # On Quart 0.19 app.config is Flask's, whose from_prefixed_env() reads FLASK_ variables, and
    # the message names that prefix; the README shows the QUART_ of every later Quart.
    actual = actual.replace("FLASK_QUART_CORS_", "QUART_QUART_CORS_")
    check_or_update(shown, actual, lambda text: text.replace(shown, actual, 1))
