"""One entry point for newcomers and CI: `python3 dev.py demo` and `python3 dev.py check`.

Needs nothing but Python 3.10+: it creates `.venv` and installs the project there. `demo`
installs only what the demo uses (the project, Hypercorn and httpx); `check` and `bench` add
the development tools. Each install is redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
# The extras of each install; "dev" includes everything "demo" has.
EXTRAS = {"demo": ("demo",), "dev": ("demo", "dev")}


def stamp(extra: str) -> Path:
    """The file that records which pyproject.toml an install was made from."""
    return VENV / f".quart-cors-installed-{extra}"


def ensure_environment(extra: str) -> None:
    """Create the virtual environment and install the project with ``extra`` when needed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp(extra).exists() and stamp(extra).read_text() == wanted:
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
        run(str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    what = "its development tools" if extra == "dev" else "what the demo needs"
    print(f"dev.py: installing quart-cors with {what}", flush=True)
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[{','.join(EXTRAS[extra])}]")
    for covered in EXTRAS[extra]:
        stamp(covered).write_text(wanted)


def run(*command: str) -> None:
    """Run a command from the project root; stop with its status when it fails."""
    print("$", " ".join(command), flush=True)
    with subprocess.Popen(command, cwd=ROOT) as process:  # noqa: S603 (our own fixed commands)
        # SIGTERM to dev.py is passed on; Ctrl-C reaches the child itself (same process group).
        previous = signal.signal(signal.SIGTERM, lambda number, _: process.send_signal(number))
        try:
            status = process.wait()
        except KeyboardInterrupt:
            status = process.wait()  # the child stops on its own; no traceback from dev.py
        finally:
            signal.signal(signal.SIGTERM, previous)
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
    command, rest = argv[0], argv[1:]
    ensure_environment("demo" if command == "demo" else "dev")
    if command == "check":
        check(rest)
    elif command == "demo":
        run(str(PYTHON), "examples/demo.py", *rest)
    else:
        run(str(PYTHON), "benchmarks/run.py", *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
