"""quart-cors 0.8.0's module attributes, kept so that code written against 0.8.0 imports."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from .policy import DEFAULTS as _FIELD_DEFAULTS

# Each QUART_CORS_* config key and the value used when neither an argument nor the config sets
# it: the real defaults, read-only (0.8.0's dict was mutable; a change here would do nothing).
DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {f"QUART_CORS_{name.upper()}": value for name, value in _FIELD_DEFAULTS.items()}
)

# The attribute cors_exempt() sets on a view; a view that has it set to True is exempt.
QUART_CORS_EXEMPT_ATTRIBUTE: Final = "_quart_cors_exempt"
