"""One entry point for newcomers and CI: `python3 dev.py demo`, `check`, `compat`, `package`
and `matrix`.

Needs nothing but Python 3.10+: it creates `.venv` and installs the project there. `demo`
installs only what the demo uses (the project, Hypercorn and httpx); `check` and `bench` add
the development tools. Each install is redone only when pyproject.toml changes.
`package` builds the sdist and the wheel, checks them (twine, and what each contains) and
installs the wheel into a clean virtual environment to import it and run `quart-cors --help`.
`matrix` runs the test suite (without the browser tests) on every supported Python with the
Quart versions users install, one virtual environment per cell under `.matrix/`. `compat`
downloads quart-cors 0.8.0's source release from PyPI and runs its own test suite, unchanged,
against this checkout (the suite is fetched each time, never kept in the repository).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
# The extras of each install; "dev" includes everything "demo" has.
EXTRAS = {"demo": ("demo",), "dev": ("demo", "dev")}
MATRIX_DIR = ROOT / ".matrix"


@dataclass(frozen=True)
class Cell:
    """One Python with one set of pinned dependencies; an empty set means the newest."""

    name: str
    python: str
    pins: tuple[str, ...] = ()


# The oldest set is what pyproject allows at the bottom: Quart 0.19.2 and the oldest Werkzeug,
# Flask and blinker that Quart 0.19.2 and Flask 3.0.0 accept, the oldest Hypercorn the test
# suite accepts (pyproject's `test` extra says why), and the floors of google-re2, interegular
# and publicsuffixlist.
MATRIX = (
    Cell(
        "py3.10-oldest",
        "3.10",
        (
            "quart==0.19.2",
            "werkzeug==3.0.0",
            "flask==3.0.0",
            "blinker==1.6.2",
            "hypercorn==0.17.0",
            "google-re2==1.1",
            "interegular==0.3.3",
            "publicsuffixlist==1.0.2.20260902",
        ),
    ),
    Cell("py3.10-newest", "3.10"),
    Cell("py3.11-quart0.19.9", "3.11", ("quart==0.19.9",)),
    Cell("py3.11-quart0.20.0", "3.11", ("quart==0.20.0",)),
    Cell("py3.11-quart0.21.0", "3.11", ("quart==0.21.0",)),
    Cell("py3.11-quart0.22.0", "3.11", ("quart==0.22.0",)),
    Cell("py3.12-newest", "3.12"),
    Cell("py3.13-newest", "3.13"),
)


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


def run(*command: str, cwd: Path = ROOT) -> None:
    """Run a command (from the project root by default); stop with its status when it fails."""
    print("$", " ".join(command), flush=True)
    with subprocess.Popen(command, cwd=cwd) as process:  # noqa: S603 (our own fixed commands)
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


# Files of a clone that users of the sdist have no use for.
NOT_IN_SDIST = frozenset({".ci/run", ".gitignore"})
# What setuptools adds to every sdist.
SDIST_METADATA = re.compile(r"PKG-INFO|setup\.cfg|src/[^/]+\.egg-info/.+")


def package() -> None:
    """The package as users get it: build the sdist and the wheel (the wheel from the sdist),
    `twine check` both, check what each contains, then install the wheel into a clean virtual
    environment and import it and run `quart-cors --help` there, away from the clone."""
    with tempfile.TemporaryDirectory(prefix="quart-cors-package-") as scratch:
        dist = Path(scratch) / "dist"
        run(str(PYTHON), "-m", "build", "--quiet", "--outdir", str(dist), str(ROOT))
        (sdist,) = dist.glob("*.tar.gz")
        (wheel,) = dist.glob("*.whl")
        run(str(PYTHON), "-m", "twine", "check", "--strict", str(sdist), str(wheel))
        with tarfile.open(sdist) as archive:
            top = sdist.name.removesuffix(".tar.gz") + "/"
            in_sdist = [
                item.name.removeprefix(top) for item in archive.getmembers() if item.isfile()
            ]
        with zipfile.ZipFile(wheel) as archive:
            in_wheel = archive.namelist()
        problems = sdist_problems(in_sdist, clone_files()) + wheel_problems(in_wheel)
        if problems:
            sys.exit("dev.py package: " + "\n  ".join(["the package is wrong:", *problems]))
        print(f"dev.py: {sdist.name}: {len(in_sdist)} files, the clone's; {wheel.name}: "
              f"{len(in_wheel)} files, the package's only", flush=True)  # fmt: skip
        clean = Path(scratch) / "clean"
        venv.EnvBuilder(with_pip=True).create(clean)
        clean_bin = clean / BIN.name
        run(str(clean_bin / "python"), "-m", "pip", "install", "--quiet", str(wheel))
        # From an empty directory: nothing of the clone can be imported by accident.
        imports = (
            "import quart_cors, quart_cors.testing, quart_cors.cli; "
            f"assert quart_cors.__file__.startswith({str(clean)!r}), quart_cors.__file__; "
            "print('imported', quart_cors.__file__)"
        )
        home = Path(scratch) / "elsewhere"
        home.mkdir()
        run(str(clean_bin / "python"), "-W", "error", "-c", imports, cwd=home)
        run(str(clean_bin / "quart-cors"), "--help", cwd=home)
    print("dev.py: package ok", flush=True)


def clone_files() -> set[str]:
    """The files of the clone that git knows or would add (not the ignored ones)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        sys.exit("dev.py package: run it in a git clone (it compares the sdist with git's files)")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    return {name for name in listed if (ROOT / name).is_file()}


def sdist_problems(names: list[str], clone: set[str]) -> list[str]:
    """What is wrong with an sdist holding ``names``: every file of the clone (docs,
    examples, tests, benchmarks...) but CI's, and nothing else but setuptools's metadata."""
    files = set(names)
    problems = [f"sdist lacks {name}" for name in sorted(clone - NOT_IN_SDIST - files)]
    problems += [
        f"sdist has {name}, which is not a file of the clone (git ignores it, or it is CI's)"
        for name in sorted(files - clone)
        if not SDIST_METADATA.fullmatch(name)
    ]
    problems += [f"sdist has {name}" for name in sorted(files & NOT_IN_SDIST)]
    for folder in ("docs/", "examples/", "tests/"):
        if not any(name.startswith(folder) for name in files):
            problems.append(f"sdist has no {folder}")
    return problems


def wheel_problems(names: list[str]) -> list[str]:
    """What is wrong with a wheel holding ``names``: the package (with py.typed and its
    testing subpackage) and its .dist-info, nothing from the rest of the repository."""
    problems = [
        f"wheel has {name}, which is not the package"
        for name in names
        if not name.startswith("quart_cors/")
        and not re.fullmatch(r"quart_cors-[^/]+\.dist-info/.+", name)
    ]
    problems += [f"wheel has {name}" for name in names if "__pycache__" in name]
    for needed in ("quart_cors/py.typed", "quart_cors/testing/__init__.py", "quart_cors/cli.py"):
        if needed not in names:
            problems.append(f"wheel lacks {needed}")
    return problems


def find_python(version: str) -> str | None:
    """The newest pyenv CPython ``version`` (3.X), else ``python3.X`` on PATH."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        found = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)  # noqa: S603
        roots.insert(0, found.stdout)
    for root in filter(None, (root.strip() for root in roots)):
        found = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python3"))
        final = [path for path in found if re.search(rf"/{re.escape(version)}\.\d+/bin/", path)]
        if final:
            return max(final, key=lambda path: int(Path(path).parent.parent.name.split(".")[2]))
    return shutil.which(f"python{version}")


@dataclass
class CellResult:
    cell: Cell
    ok: bool = False
    quart: str = "-"
    summary: str = ""
    passed: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    setup_seconds: float = 0.0
    log: Path | None = None


def prepare_cell(cell: Cell, result: CellResult) -> Path | None:
    """Create or reuse the cell's venv; its Python, or None when the cell cannot run."""
    started = time.monotonic()
    home = MATRIX_DIR / cell.name
    interpreter = find_python(cell.python)
    if interpreter is None:
        result.summary = f"no Python {cell.python} found (pyenv install {cell.python})"
        return None
    result.log = home / "log.txt"
    bin_dir = home / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    stamp = home / ".installed"
    wanted = hashlib.sha256(
        b"\0".join(
            [interpreter.encode(), (ROOT / "pyproject.toml").read_bytes()]
            + [pin.encode() for pin in cell.pins]
        )
    ).hexdigest()
    if stamp.exists() and stamp.read_text().startswith(wanted):
        result.log.write_text(f"reusing {home} ({stamp.read_text()})\n")
    else:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        with result.log.open("w") as log:
            steps = [
                [interpreter, "-m", "venv", str(home)],
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "-e", f"{ROOT}[test]", *cell.pins],
            ]  # fmt: skip
            for step in steps:
                log.write(f"$ {' '.join(step)}\n")
                log.flush()
                if subprocess.call(step, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT):  # noqa: S603
                    result.summary = "install failed"
                    return None
        version = subprocess.run(  # noqa: S603 (our own venv)
            [str(python), "-c", "import importlib.metadata as m; print(m.version('quart'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        stamp.write_text(f"{wanted} {version}")
    result.quart = stamp.read_text().split()[1]
    result.setup_seconds = time.monotonic() - started
    return python


def run_cell(cell: Cell, result: CellResult, python: Path) -> None:
    """The suite without the browser tests, in the cell's venv; its log beside the venv."""
    started = time.monotonic()
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--ignore=tests/browser", "-m", "not browser"]  # fmt: skip
    assert result.log is not None
    with result.log.open("a") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        # Fewer Hypothesis examples per cell: a cell checks compatibility, `check` searches.
        env = {**os.environ, "QUART_CORS_PROPERTY_EXAMPLES": "50"}
        process = subprocess.Popen(  # noqa: S603 (our own venv)
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env
        )
        if hasattr(os, "wait4"):  # CPU seconds too: wall time depends on what else runs
            _, wait_status, usage = os.wait4(process.pid, 0)
            status = os.waitstatus_to_exitcode(wait_status)
            result.cpu_seconds = usage.ru_utime + usage.ru_stime
        else:
            status = process.wait()
    result.seconds = time.monotonic() - started
    lines = result.log.read_text(errors="replace").splitlines()
    result.summary = lines[-1].strip("= ") if lines else "no output"
    passed = re.search(r"(\d+) passed", result.summary)
    result.passed = int(passed.group(1)) if passed else 0
    result.ok = status == 0 and passed is not None


def matrix(names: list[str]) -> None:
    """Every cell of MATRIX (or those named); two at a time; a table; fail if any cell fails."""
    unknown = set(names) - {cell.name for cell in MATRIX}
    if unknown:
        sys.exit(f"dev.py: unknown cells {sorted(unknown)}; cells: {[c.name for c in MATRIX]}")
    cells = [cell for cell in MATRIX if not names or cell.name in names]
    results = [CellResult(cell) for cell in cells]
    started = time.monotonic()
    # Installs one after another (they share src/*.egg-info) while earlier cells run their
    # tests, two at a time (one per core).
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = []
        for result in results:
            python = prepare_cell(result.cell, result)
            print(f"dev.py: {result.cell.name}: {result.summary or 'testing'}", flush=True)
            if python is not None:
                running.append(pool.submit(run_cell, result.cell, result, python))
        for future in running:
            future.result()
    rows = [("cell", "quart", "passed", "seconds", "cpu s", "setup s", "result")]
    for result in results:
        rows.append(
            (
                result.cell.name,
                result.quart,
                str(result.passed),
                f"{result.seconds:.0f}",
                f"{result.cpu_seconds:.0f}",
                f"{result.setup_seconds:.0f}",
                "ok" if result.ok else f"FAILED: {result.summary}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(6)]
    for row in rows:
        print("  ".join(row[column].ljust(widths[column]) for column in range(6)), row[6])
    print(f"total {time.monotonic() - started:.0f} s (logs in {MATRIX_DIR.name}/<cell>/log.txt)")
    failed = [result for result in results if not result.ok]
    for result in failed:
        if result.log is not None and result.log.exists():
            tail = result.log.read_text(errors="replace").splitlines()[-30:]
            print(f"--- {result.cell.name}: last lines of {result.log}", *tail, sep="\n")
    if failed:
        sys.exit(1)


# The release this project replaces: its own test suite must pass against us, unchanged.
COMPAT_RELEASE = "quart-cors==0.8.0"


def compat() -> None:
    """Run quart-cors 0.8.0's own tests (from its sdist on PyPI) against this checkout."""
    with tempfile.TemporaryDirectory(prefix="quart-cors-compat-") as scratch:
        where = Path(scratch)
        run(str(PYTHON), "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
            ":all:", "--disable-pip-version-check", COMPAT_RELEASE, "-d", str(where))  # fmt: skip
        (archive,) = where.glob("*.tar.gz")
        tests = where / "tests"
        tests.mkdir()
        with tarfile.open(archive) as sdist:
            for member in sdist.getmembers():
                parts = Path(member.name).parts
                # Only the suite's own files, written by name: nothing else of the archive.
                if member.isfile() and len(parts) == 3 and parts[1] == "tests":
                    source = sdist.extractfile(member)
                    assert source is not None
                    (tests / parts[2]).write_bytes(source.read())
        found = sorted(path.name for path in tests.glob("test_*.py"))
        print(f"dev.py: {COMPAT_RELEASE}'s tests: {', '.join(found)}", flush=True)
        if not found:
            sys.exit("dev.py: the sdist has no tests/test_*.py")
        # 0.8.0's pytest settings (pyproject.toml), without its coverage options.
        run(str(PYTHON), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", scratch,
            "-c", os.devnull, "-o", "asyncio_mode=auto",
            "-o", "asyncio_default_fixture_loop_scope=function", str(tests))  # fmt: skip


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"demo", "check", "bench", "matrix", "compat", "package"}:
        print(
            "usage: python3 dev.py demo | check [pytest args] | compat | package | bench [args] | "
            "matrix [cells]",
            file=sys.stderr,
        )
        sys.exit(2)
    if argv[0] == "matrix":
        matrix(argv[1:])
        return
    command, rest = argv[0], argv[1:]
    ensure_environment("demo" if command == "demo" else "dev")
    if command == "check":
        check(rest)
    elif command == "compat":
        compat()
    elif command == "package":
        package()
    elif command == "demo":
        run(str(PYTHON), "examples/demo.py", *rest)
    else:
        run(str(PYTHON), "benchmarks/run.py", *rest)


if __name__ == "__main__":
    main(sys.argv[1:])
