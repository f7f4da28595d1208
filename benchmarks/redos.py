r"""ReDoS benchmark: the classic evil regexes against 2,048-character inputs, per match.

Run it with ``.venv/bin/python benchmarks/redos.py`` (``--repeat N`` for more samples,
``--check`` to exit 1 when a row is over budget). docs/behaviour.md section 7: an
attacker-chosen Origin of up to 2,048 characters is matched against any accepted regex in at
most 1 ms.

Two rows per pattern:

- ``engine``: the pattern as quart-cors matches it (RE2, through ``regexes.linear``), on a
  2,048-character string built to make Python's backtracking engine explode (``"a" * 2047 +
  "!"`` for ``(a+)+``). Python's ``re`` takes longer than the age of the universe on most of
  these; it is not run.
- ``origin``: the same idea shaped as an origin (``https://(a+)+\.com``), through the whole
  matcher a request goes through (``OriginMatcher.match``: the Origin grammar, then the regex).

The figure is the median time of one match over ``--repeat`` matches, and the slowest.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

from quart_cors.origins import MAX_ORIGIN_LENGTH, compile_origins, split_origin
from quart_cors.regexes import linear

BUDGET_MS = 1.0
LENGTH = MAX_ORIGIN_LENGTH  # 2,048


def _engine_cases() -> list[tuple[str, str]]:
    """(pattern, input): the classic evil patterns, each on an input that does not match."""
    a_run = "a" * (LENGTH - 1) + "!"
    return [
        (r"(a+)+", a_run),
        (r"(a|aa)+", a_run),
        (r"(a|a?)+", a_run),
        (r"(.*a){12}", "a" * 11 + "b" * (LENGTH - 11)),
        (r"([a-z0-9]+-?)+\.example\.com", "a" * (LENGTH - 11) + ".example.co"),
        (r"(\w+\s?)+$", "a" * (LENGTH - 1) + "!"),
        (r"^(([a-z])+.)+[A-Z]([a-z])+$", "a" * (LENGTH - 1) + "!"),
    ]


def _origin_cases() -> list[tuple[str, str]]:
    """(pattern, origin): the same, shaped as origins that pass the grammar."""
    host = LENGTH - len("https://") - len(".co")
    return [
        (r"https://([a-z0-9]+-?)+\.example\.com", "https://" + "a" * (host - 8) + ".example.co"),
        (r"https://(a+)+\.com", "https://" + "a" * host + ".co"),
        (r"https://(a|aa)+\.com", "https://" + "a" * host + ".co"),
        (r"https://(.*a){12}\.com", "https://" + "a" * host + ".co"),
        (r"https://(\w+\.?)+\.example\.com", "https://" + "a." * ((host - 8) // 2) + "example.co"),
    ]


def _time(match: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and slowest milliseconds of one call."""
    match()  # warm-up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        match()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="matches per row (200)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a row is over budget")
    options = parser.parse_args(argv)
    rows: list[tuple[str, str, int, float, float]] = []
    for pattern, text in _engine_cases():
        median, slowest = _time(
            partial(linear(re.compile(pattern)).fullmatch, text), options.repeat
        )
        rows.append(("engine", pattern, len(text), median, slowest))
    for pattern, origin in _origin_cases():
        if split_origin(origin) is None:  # too long, or not an origin: it never reaches a regex
            raise SystemExit(f"{origin[:40]}... does not pass the Origin grammar")
        origins, problems = compile_origins(re.compile(pattern))
        assert not problems, problems
        median, slowest = _time(partial(origins.match, origin), options.repeat)
        rows.append(("origin", pattern, len(origin), median, slowest))
    width = max(len(pattern) for _, pattern, *_ in rows)
    print(
        f"| path   | {'pattern':{width}} | chars | median ms | slowest ms | budget {BUDGET_MS} ms |"
    )
    print(f"|--------|{'-' * (width + 2)}|------:|----------:|-----------:|:--|")
    over = 0
    for path, pattern, chars, median, slowest in rows:
        verdict = "holds" if median <= BUDGET_MS else "FAILS"
        over += verdict == "FAILS"
        print(
            f"| {path:6} | {pattern:{width}} | {chars:5} | {median:9.4f} | {slowest:10.4f} "
            f"| {verdict} |"
        )
    print(f"{len(rows)} rows, {options.repeat} matches each; {over} over budget")
    return 1 if over and options.check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
