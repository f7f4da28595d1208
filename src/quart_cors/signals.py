"""The signal sent for every refused CORS request, for metrics (Quart's signal style)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with the app as sender and the keyword arguments ``reason`` ("origin", "method",
#: "headers" or "private_network"), ``endpoint``, ``origin``, ``method``, ``preflight`` and
#: ``value`` (the offending value, as received).
cors_rejected = _signals.signal("cors-rejected")
