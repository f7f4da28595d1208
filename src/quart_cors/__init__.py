"""CORS for Quart: a compiled, validated policy that follows the Fetch Standard."""

from __future__ import annotations

from ._legacy import DEFAULTS, QUART_CORS_EXEMPT_ATTRIBUTE
from .decorators import cors, cors_exempt, route_cors, websocket_cors
from .describe import EffectivePolicy, RouteDescription, describe
from .errors import ConfigProblem, CORSConfigError
from .extension_object import QuartCORS
from .origins import CORSRequest
from .signals import cors_rejected

__all__ = [
    "DEFAULTS",
    "QUART_CORS_EXEMPT_ATTRIBUTE",
    "CORSConfigError",
    "CORSRequest",
    "ConfigProblem",
    "EffectivePolicy",
    "QuartCORS",
    "RouteDescription",
    "cors",
    "cors_exempt",
    "cors_rejected",
    "describe",
    "route_cors",
    "websocket_cors",
]
