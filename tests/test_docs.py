"""The docs' code runs as written: the guide's simulated-browser test passes as printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
