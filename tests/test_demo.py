"""The two-origin demo: its table, the command it prints, its page, and a clean stop."""

from __future__ import annotations

import importlib
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs a POSIX shell")
def test_a_long_command_is_continued_within_100_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    demo = importlib.import_module("examples.demo")
    words = ["/a/very/long/path/to/a/virtual/environment/bin/quart-cors", "check"]
    words += ["http://127.0.0.1:65000/api/items", "--origin", "http://127.0.0.1:65001"]
    lines = demo.shell_lines(words)
    assert len(lines) > 1
    assert all(len(line) <= 100 for line in lines)
    assert all(line.endswith(" \\") for line in lines[:-1])
    # A POSIX shell reads the continued lines as the one command.
    script = "set -- " + "\n".join(lines).strip() + '\nprintf "%s\\n" "$@"'
    shell = subprocess.run(  # noqa: S603 - sh printing its arguments
        ["/bin/sh", "-c", script], capture_output=True, text=True, timeout=10, check=True
    )
    assert shell.stdout.splitlines() == words
    assert demo.shell_lines(["curl", "-si"]) == ["  curl -si"]


@pytest.mark.timeout(90)
def test_demo_check_only() -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and example
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--check-only"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=80,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("API:  http://127.0.0.1:")
    assert lines[1].startswith("Page: http://127.0.0.1:")
    table = "\n".join(lines)
    assert "NAME" in table
    assert "VERDICT" in table
    # Each scenario: its line, then its request and reason, indented beneath it.
    rows: dict[str, str] = {}
    name = ""
    for line in lines[lines.index(next(line for line in lines if line.startswith("NAME"))) + 1 :]:
        if not line:
            break
        if line.startswith(" "):
            rows[name] += "\n" + line.strip()
        else:
            name = line.split("  ")[0]
            rows[name] = line
    assert "allowed" in rows["simple GET"].splitlines()[0]
    assert "allowed" in rows["PUT with JSON (preflighted)"].splitlines()[0]
    assert "blocked (header_not_allowed)" in rows["custom header not allowed"]
    assert "blocked (method_not_allowed)" in rows["DELETE not in allow_methods"]
    assert "blocked (missing_allow_origin)" in rows["route without CORS"]
    assert "allowed" in rows["WebSocket"].splitlines()[0]
    # Each row shows its request with its headers: the two GET /api/items rows differ.
    assert "\nGET /api/items; X-Debug: 1\n" in rows["custom header not allowed"]
    assert "X-Debug" not in rows["simple GET"]
    # The cookie rows show the session the API saw.
    assert rows["who am I (credentials)"].endswith("\nsession: demo-user")
    assert any(line.startswith("A preflight is the OPTIONS request") for line in lines)
    # The whole output fits a 100-column terminal.
    assert max(len(line) for line in lines) <= 100
    page_origin = lines[1].split()[1].rstrip("/")
    api_url = lines[0].split()[1]
    assert f"curl -si -H 'Origin: {page_origin}' {api_url}/api/items" in table
    assert completed.stderr == ""


class Demo:
    """examples/demo.py serving in a child process, its stdout read line by line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "examples/demo.py"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self.reader.join(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def read_until(self, prefix: str, timeout: float = 60) -> list[str]:
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if line.startswith(prefix):
                return seen


@pytest.fixture
def demo() -> Iterator[Demo]:
    running = Demo()
    try:
        yield running
    finally:
        running.close()


def port_of(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_listening(*urls: str) -> None:
    # "Serving" is printed just before Hypercorn binds; give it a moment.
    deadline = time.monotonic() + 20
    while not all(is_listening(port_of(url)) for url in urls):
        assert time.monotonic() < deadline, f"not listening: {urls}"
        time.sleep(0.05)


@pytest.mark.timeout(90)  # starts a server in a subprocess
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_both_servers_and_the_process(demo: Demo, number: int) -> None:
    lines = demo.read_until("Serving")
    api_url, page_url = lines[0].split()[1], lines[1].split()[1]
    wait_listening(api_url, page_url)
    # Both servers answer before the signal...
    with urllib.request.urlopen(page_url, timeout=10) as answer:  # noqa: S310 - loopback
        page = answer.read().decode()
    with urllib.request.urlopen(f"{api_url}/api/items", timeout=10) as answer:  # noqa: S310
        assert answer.status == 200
    demo.process.send_signal(number)
    # ...and the process ends by itself, cleanly, with both ports closed.
    assert demo.process.wait(timeout=20) == 0
    stderr = demo.process.stderr.read() if demo.process.stderr else ""
    assert "Traceback" not in stderr
    assert demo.read_until("Stopped.", timeout=5)[-1] == "Stopped."
    assert not is_listening(port_of(api_url))
    assert not is_listening(port_of(page_url))
    # The page names no favicon the page server lacks: the console holds CORS messages only.
    assert '<link rel="icon" href="data:,">' in page
    assert "allow_credentials=True" in page  # the API's cors() settings are on the page


@pytest.mark.timeout(90)  # starts a server in a subprocess
def test_the_printed_check_command_runs_from_the_repository_root(demo: Demo) -> None:
    lines = demo.read_until("Serving")
    wait_listening(lines[0].split()[1])
    start = lines.index("Check one yourself (from this directory):") + 1
    command_lines = [lines[start]]
    while command_lines[-1].endswith("\\"):
        command_lines.append(lines[start + len(command_lines)])
    command = shlex.split(" ".join(line.removesuffix("\\") for line in command_lines))
    completed = subprocess.run(  # noqa: S603 - the command the demo printed
        command, capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Verdict: ALLOWED" in completed.stdout
