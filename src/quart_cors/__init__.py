"""CORS for Quart: a compiled, validated policy that follows the Fetch Standard."""

from __future__ import annotations

from ._legacy import DEFAULTS, QUART_CORS_EXEMPT_ATTRIBUTE
from .decorators import cors, cors_exempt, route_cors, websocket_cors
from .describe import EffectivePolicy, RouteDescription, describe
from .dynamic import DynamicOrigins, DynamicOriginsError
from .errors import ConfigProblem, CORSConfigError
from .extension_object import QuartCORS
from .origins import CORSRequest
from .report_only import ReportOnly, ReportOnlyKey, report_only_counts
from .signals import cors_rejected, cors_report_only, dynamic_origins_problem

__all__ = [
    "DEFAULTS",
    "QUART_CORS_EXEMPT_ATTRIBUTE",
    "CORSConfigError",
    "CORSRequest",
    "ConfigProblem",
    "DynamicOrigins",
    "DynamicOriginsError",
    "EffectivePolicy",
    "QuartCORS",
    "ReportOnly",
    "ReportOnlyKey",
    "RouteDescription",
    "cors",
    "cors_exempt",
    "cors_rejected",
    "cors_report_only",
    "describe",
    "dynamic_origins_problem",
    "report_only_counts",
    "route_cors",
    "websocket_cors",
]
