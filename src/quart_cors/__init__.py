"""CORS for Quart: a compiled, validated policy that follows the Fetch Standard."""

from __future__ import annotations

from .errors import ConfigProblem, CORSConfigError
from .extension import cors, cors_exempt, route_cors, websocket_cors
from .signals import cors_rejected

__all__ = [
    "CORSConfigError",
    "ConfigProblem",
    "cors",
    "cors_exempt",
    "cors_rejected",
    "route_cors",
    "websocket_cors",
]
