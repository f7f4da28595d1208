"""How long the browser keeps a preflight answer, said by the simulator and by `quart-cors check`.

Max-Age capped per browser engine (Chromium 7200 s, Firefox 86400 s, WebKit 600 s), 5 s when
absent or unreadable; a failed preflight is never kept.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from quart import Quart

from quart_cors import cors
from quart_cors.cli import main
from quart_cors.testing import Browser, preflight_lifetimes, preflight_reuse

ORIGIN = "https://app.test"


@pytest.mark.parametrize(
    ("value", "chromium", "firefox", "webkit"),
    [
        (None, 5, 5, 5),
        ("600", 600, 600, 600),
        ("601", 601, 601, 600),
        ("7200", 7200, 7200, 600),
        ("86400", 7200, 86400, 600),
        ("100000", 7200, 86400, 600),
        ("+30", 30, 30, 30),
        (" 30 ", 30, 30, 30),
        ("0", 0, 0, 0),
        ("-1", 0, 0, 0),
        ("1.5", 5, 5, 5),
        ("10s", 5, 5, 5),
        ("99999999999999999999", 5, 5, 5),  # too large for 64 bits: unreadable
    ],
)
def test_lifetimes_per_engine(value: str | None, chromium: int, firefox: int, webkit: int) -> None:
    assert preflight_lifetimes(value) == {
        "Chromium": chromium,
        "Firefox": firefox,
        "WebKit": webkit,
    }


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        (
            None,
            "browsers reuse this preflight answer for 5 s (no Access-Control-Max-Age, so the "
            "default; max_age sets it), so a change to it on the server reaches them only "
            "after that",
        ),
        (
            "600",
            "browsers reuse this preflight answer for 600 s (Access-Control-Max-Age: 600), so a "
            "change to it on the server reaches them only after that",
        ),
        (
            "86400",
            "browsers reuse this preflight answer for 7200 s in Chromium, 86400 s in Firefox "
            "and 600 s in WebKit (Access-Control-Max-Age: 86400, capped per browser), so a "
            "change to it on the server reaches them only after that",
        ),
        (
            "0",
            "browsers do not reuse this preflight answer (Access-Control-Max-Age: 0): each "
            "request asks again",
        ),
        ("1.5", "for 5 s (Access-Control-Max-Age '1.5' is not a 64-bit whole number"),
    ],
)
def test_the_sentence(value: str | None, sentence: str) -> None:
    assert sentence in preflight_reuse(value)


def make_app(**settings: Any) -> Quart:
    app = Quart(__name__)
    cors(app, allow_origin=[ORIGIN], allow_methods=["GET", "PUT"], **settings)

    @app.route("/items", methods=["GET", "PUT", "DELETE"])
    async def items() -> str:
        return ""

    return app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("max_age", "duration"),
    [
        (None, "for 5 s (no Access-Control-Max-Age"),
        (600, "for 600 s (Access-Control-Max-Age: 600)"),
        (86400, "for 7200 s in Chromium, 86400 s in Firefox and 600 s in WebKit"),
    ],
)
async def test_the_explanation_says_how_long_the_answer_is_reused(
    max_age: int | None, duration: str
) -> None:
    clock = Clock()
    browser = Browser(make_app(max_age=max_age), ORIGIN, clock=clock)
    first = await browser.fetch("/items", method="PUT")
    assert first.ok
    assert first.preflighted
    assert first.preflight_reuse.startswith(f"browsers reuse this preflight answer {duration}")
    assert first.explanation.endswith(f"; {first.preflight_reuse}")
    clock.now += 3
    second = await browser.fetch("/items", method="PUT")
    assert second.preflight_from_cache
    assert second.ok
    remaining = min(max_age or 5, 7200) - 3
    assert second.preflight_reuse == (
        f"a cached preflight answer covered it, which Chromium reuses for another {remaining} s"
    )


async def test_a_failed_preflight_is_not_kept() -> None:
    result = await Browser(make_app(max_age=600), ORIGIN).fetch("/items", method="DELETE")
    assert result.blocked_by == "method_not_allowed"
    assert result.preflight_reuse == (
        "browsers keep no failed preflight answer, so the next request asks the server again"
    )
    assert result.explanation.endswith(result.preflight_reuse)


async def test_no_preflight_no_note() -> None:
    result = await Browser(make_app(max_age=600), ORIGIN).fetch("/items")
    assert result.ok
    assert not result.preflighted
    assert result.preflight_reuse == ""
    assert "preflight" not in result.explanation


def test_check_prints_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reuse_app.py").write_text(
        "from quart import Quart\nfrom quart_cors import cors\n\n"
        "app = cors(Quart('reuse'), allow_origin='https://app.test', max_age=86400,\n"
        "           allow_methods=['PUT', 'PATCH'])\n\n"
        "@app.route('/items', methods=['PUT', 'PATCH'])\nasync def items():\n    return ''\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    status = main(["check", "--app", "reuse_app.py", "/items", "-X", "PUT", "--origin", ORIGIN])
    out = capsys.readouterr().out
    assert status == 0, out
    lines = out.splitlines()
    assert "Verdict: ALLOWED - the browser allows it: the response passed the CORS check" in lines
    assert lines[-1] == (
        "Preflight cache: browsers reuse this preflight answer for 7200 s in Chromium, 86400 s "
        "in Firefox and 600 s in WebKit (Access-Control-Max-Age: 86400, capped per browser), so "
        "a change to it on the server reaches them only after that"
    )
    status = main(["check", "--app", "reuse_app.py", "/items", "-X", "DELETE", "--origin", ORIGIN])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[-2].startswith("Fix: ")
    assert "keep no failed preflight" not in lines[-2]
    assert lines[-1] == (
        "Preflight cache: browsers keep no failed preflight answer, so the next request asks "
        "the server again"
    )
    status = main(["check", "--app", "reuse_app.py", "/items", "--origin", ORIGIN])
    assert "Preflight cache" not in capsys.readouterr().out  # no preflight, nothing kept
