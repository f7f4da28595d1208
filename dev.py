"""One entry point for newcomers and CI: `python3 dev.py demo` and `python3 dev.py check`.

Needs nothing but Python 3.10+: it creates `.venv`, installs the project with its
development tools, and runs them. The install is redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".quart-cors-installed"


def ensure_environment() -> None:
    """Create the virtual environment and install the project when needed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", flush=True)
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as error:
            sys.exit(
                f"dev.py: could not create .venv ({error}); on Debian or Ubuntu install "
                "python3-venv first (apt-get install python3-venv)"
            )
    print("dev.py: installing quart-cors with its development tools", flush=True)
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
    STAMP.write_text(wanted)


def run(*command: str) -> None:
    """Run a command from the project root; stop with its status when it fails."""
    print("$", " ".join(command), flush=True)
    status = subprocess.call(command, cwd=ROOT)  # noqa: S603 (our own fixed commands)
    if status:
        sys.exit(status)


def check(pytest_args: list[str]) -> None:
    """Lint, format check, strict types, then every test."""
    tool = lambda name: str(BIN / name)  # noqa: E731
    run(tool("ruff"), "check", ".")
    run(tool("ruff"), "format", "--check", ".")
    run(tool("mypy"))
    coverage = ["--cov", "--cov-report=term"]
    if os.environ.get("QUART_CORS_REQUIRE_BROWSER") == "1":
        # Only a run with the browser suite exercises the simulated browser fully (CI does).
        coverage.append("--cov-fail-under=95")
    run(tool("pytest"), *coverage, *pytest_args)


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "check", "bench"}:
        print("usage: python3 dev.py demo | check [pytest args] | bench [args]", file=sys.stderr)
        sys.exit(2)
    ensure_environment()
    command, rest = argv[0], argv[1:]
    if command == "check":
        check(rest)
    elif command == "demo":
        run(str(PYTHON), "examples/demo.py", *rest)
    else:
        run(str(PYTHON), "benchmarks/run.py", *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
