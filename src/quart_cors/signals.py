"""The signals quart-cors sends, for metrics and alerts (Quart's signal style)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the app as sender and the keyword arguments ``reason`` ("origin", "method",
#: "headers" or "private_network"), ``endpoint``, ``origin``, ``method``, ``preflight`` and
#: ``value`` (the offending value, as received).
cors_rejected = _signals.signal("cors-rejected")

#: Sent with the DynamicOrigins as sender when a loaded value is skipped (``kind="value"``,
#: with its ``code``, ``value`` and ``message``) or a load fails (``kind="load"``, with the
#: exception as ``error``; the last good set stays in force).
dynamic_origins_problem = _signals.signal("dynamic-origins-problem")

#: Sent with the app as sender when a report-only candidate policy would answer a request
#: differently from the enforced one: ``origin``, ``path``, ``rule``, ``method``,
#: ``preflight``, ``direction`` ("candidate would refuse" or "candidate would allow") and
#: ``difference`` ("origin", "method", "headers", "credentials" or "private_network").
cors_report_only = _signals.signal("cors-report-only")
