"""`quart-cors` in a shell: a closed pipe, the `--app` forms of `quart --app`, origin typos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from quart import Quart
from quart.cli import ScriptInfo

from quart_cors.cli import EXIT_CLOSED_PIPE, UsageError, load_app, main, write_report
from quart_cors.testing import Browser

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONWARNINGS": "error"}

NOTES_APP = textwrap.dedent(
    """
    from pathlib import Path

    from quart import Quart
    from quart_cors import cors

    STOPPED = Path(__file__).with_suffix(".stopped")

    app = Quart("notes")
    cors(app, allow_origin=["https://app.example.com"])

    @app.after_serving
    async def stopped():
        STOPPED.write_text("stopped")

    @app.get("/notes")
    async def notes():
        return {"notes": []}

    @app.delete("/notes/<int:note>")
    async def delete_note(note):
        return {"deleted": note}

    def create_app(name="made", prefix="/made"):
        made = Quart(name)
        cors(made, allow_origin=["https://app.example.com"])

        @made.get(prefix)
        async def index():
            return ""

        return made

    class Holder:
        app = app
    """
)

FACTORY_ONLY = textwrap.dedent(
    """
    from quart import Quart

    def make_app():
        return Quart("from_make_app")
    """
)

TWO_APPS = "from quart import Quart\n\nfirst = Quart('first')\nsecond = Quart('second')\n"
NO_APP = "value = 1\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project directory, made the current one; its module names are unique per test."""
    suffix = tmp_path.name.replace("-", "_")
    (tmp_path / f"notes_{suffix}.py").write_text(NOTES_APP)
    (tmp_path / f"factory_{suffix}.py").write_text(FACTORY_ONLY)
    (tmp_path / f"two_{suffix}.py").write_text(TWO_APPS)
    (tmp_path / f"none_{suffix}.py").write_text(NO_APP)
    package = tmp_path / f"pkg_{suffix}"
    (package / "web").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "web" / "__init__.py").write_text(
        "from quart import Quart\n\nsite = Quart('site')\n"
    )
    (package / "web" / "api.py").write_text(NOTES_APP)
    scripts = tmp_path / f"scripts_{suffix}"  # a directory that is not a package
    scripts.mkdir()
    (scripts / f"tool_{suffix}.py").write_text(NOTES_APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_app puts directories first
    return suffix


# Each form `quart --app` takes, with the app it names (a name, or the attribute path).
APP_FORMS = [
    ("notes_{s}.py", "notes"),
    ("./notes_{s}.py", "notes"),
    ("./notes_{s}.py:app", "notes"),
    ("notes_{s}", "notes"),
    ("notes_{s}:app", "notes"),
    ("notes_{s}:create_app", "made"),
    ("notes_{s}:create_app()", "made"),
    ("notes_{s}:create_app('other', prefix='/other')", "other"),
    ("notes_{s}:create_app(name='kw')", "kw"),
    ("factory_{s}", "from_make_app"),
    ("factory_{s}.py:make_app()", "from_make_app"),
    ("pkg_{s}.web.api", "notes"),
    ("pkg_{s}.web.api:app", "notes"),
    ("pkg_{s}/web/api.py:app", "notes"),
    ("./pkg_{s}/web/api.py", "notes"),
    ("scripts_{s}/tool_{s}.py", "notes"),
    ("two_{s}:second", "second"),
    ("pkg_{s}/web/__init__.py", "site"),  # the package pkg.web; its only app, by any name
    ("pkg_{s}.web", "site"),
]


@pytest.mark.parametrize(("form", "name"), APP_FORMS)
def test_app_takes_the_forms_quart_takes(project: str, form: str, name: str) -> None:
    spec = form.format(s=project)
    app = load_app(spec)
    assert isinstance(app, Quart)
    assert app.name == name
    # The same app `quart --app` finds (a factory builds a new one each time: compare names).
    quarts = ScriptInfo(spec, set_debug_flag=False).load_app()
    assert quarts.name == app.name
    if name in {"notes", "second", "site"}:  # module-level apps, not built by a factory
        assert quarts is app


def test_a_dotted_attribute_still_works(project: str) -> None:
    # Accepted before `quart --app`'s forms were, and kept: MODULE:OBJECT.ATTRIBUTE.
    assert load_app(f"notes_{project}:Holder.app").name == "notes"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("two_{s}", "holds several Quart apps: name one, as in two_{s}:app"),
        ("none_{s}", "has no Quart app or factory"),
        ("notes_{s}:create_app(name=Path)", "a factory's arguments must be literal values"),
        ("notes_{s}:create_app(**options)", "a factory's arguments must be literal values"),
        ("notes_{s}:1 + 2", "NAME must be an attribute name or a call"),
        ("notes_{s}:app(", "NAME must be an attribute name or a call"),
        ("notes_{s}:create_app(1, 2, 3)", "calling the factory failed: TypeError("),
        ("notes_{s}:", "expected MODULE[:NAME]"),
        ("missing_{s}.py", "cannot import 'missing_{s}'"),
    ],
)
def test_app_forms_that_name_no_app(project: str, form: str, message: str) -> None:
    with pytest.raises(UsageError, match=r"^--app ") as error:
        load_app(form.format(s=project))
    assert message.format(s=project) in str(error.value)


@pytest.mark.timeout(60)  # a subprocess
def test_the_command_takes_a_file_path(project: str, tmp_path: Path) -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "quart_cors", "check", "--app", f"./notes_{project}.py:app",
         "/notes", "--origin", "https://app.example.com"],
        capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "Verdict: ALLOWED" in completed.stdout


def closed_pipe_run(arguments: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command with its stdout's reader gone before it writes: status and stderr."""
    with subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "quart_cors", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=cwd,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # as `| head -1` does, only sooner: every write fails
        errors = process.stderr.read()
        return process.wait(timeout=60), errors


@pytest.mark.timeout(120)  # subprocesses
@pytest.mark.parametrize(
    "arguments",
    [
        ["routes", "--app", "notes_{s}:app"],
        ["routes", "--app", "notes_{s}:app", "--json"],
        ["check", "--app", "notes_{s}:app", "/notes", "--origin", "https://app.example.com"],
        # Blocked (status 1 when the report is read); a closed pipe must not read as "blocked".
        ["check", "--app", "notes_{s}", "/notes/1", "-X", "DELETE", "--origin", "https://x.test"],
    ],
)
def test_a_closed_pipe_is_the_status_of_a_killed_writer_without_a_traceback(
    project: str, tmp_path: Path, arguments: list[str]
) -> None:
    status, errors = closed_pipe_run([part.format(s=project) for part in arguments], tmp_path)
    assert errors == ""
    assert status == EXIT_CLOSED_PIPE == 141
    # The report waited for the app's shut-down, which ran in full.
    assert (tmp_path / f"notes_{project}.stopped").read_text() == "stopped"


@pytest.mark.timeout(120)  # subprocesses
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for PIPESTATUS")
def test_head_in_a_shell_pipeline(project: str, tmp_path: Path) -> None:
    # The reader may close before or after the report is written: 0 or 141, never 1, and
    # never a traceback.
    bash = shutil.which("bash")
    assert bash is not None
    for command in (
        f"routes --app notes_{project}:app | head -3",
        f"check --app notes_{project}:app /notes --origin https://app.example.com | head -1",
    ):
        script = f'{sys.executable} -m quart_cors {command}; echo "status=${{PIPESTATUS[0]}}"'
        completed = subprocess.run(  # noqa: S603 - bash running our own command
            [bash, "-c", script], capture_output=True, text=True, env=ENV, cwd=tmp_path,
            timeout=60, check=False,
        )  # fmt: skip
        assert completed.stderr == ""
        *shown, status = completed.stdout.splitlines()
        assert status in {"status=0", "status=141"}
        assert len(shown) == (3 if command.startswith("routes") else 1)


def test_a_closed_stdout_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w") as stdout:  # a file descriptor
        monkeypatch.setattr(sys, "stdout", stdout)
        assert write_report("the report\n" * 10_000, 1) == EXIT_CLOSED_PIPE
        stdout.write("more")  # stdout now leads nowhere, quietly
        stdout.flush()


@pytest.mark.parametrize(
    ("origin", "fix"),
    [
        ("https://app.example.com/", "use 'https://app.example.com'"),
        ("https://app.example.com/login", "use 'https://app.example.com'"),
        ("HTTPS://App.Example.com", "use 'https://app.example.com'"),
        ("https://app.example.com:443", "use 'https://app.example.com'"),
        ("http://127.1:8080", "use 'http://127.0.0.1:8080'"),
        ("app.example.com", "use scheme://host[:port]"),
    ],
)
def test_an_origin_typo_gets_the_fix_browser_gives(
    capsys: pytest.CaptureFixture[str], project: str, origin: str, fix: str
) -> None:
    with pytest.raises(ValueError, match=r"^origin ") as raised:
        Browser(Quart(__name__), origin)
    status = main(["check", "--app", f"notes_{project}:app", "/notes", "--origin", origin])
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err == f"quart-cors: error: --{raised.value}\n"
    assert fix in err
