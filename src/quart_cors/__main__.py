"""``python -m quart_cors``: the same as the ``quart-cors`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
