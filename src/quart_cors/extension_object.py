"""QuartCORS: the extension-object form of cors(app), for app factories."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from quart import Quart

from .decorators import (
    EXTENSION_NAME,
    MaxAgeSetting,
    NamesSetting,
    OriginSetting,
    ReportOnlySetting,
    cors,
)
from .report_only import report_only_layer
from .settings import explicit_layer


class QuartCORS:
    """``cors(app, **settings)`` as an object: settings now, the app now or in ``init_app``.

    The settings are checked here, so a bad value fails where it is written; values that come
    from ``app.config`` are checked when each app starts, as with ``cors()``.
    """

    def __init__(
        self,
        app: Quart | None = None,
        *,
        allow_origin: OriginSetting | None = None,
        allow_credentials: bool | None = None,
        allow_methods: NamesSetting | None = None,
        allow_headers: NamesSetting | None = None,
        expose_headers: NamesSetting | None = None,
        max_age: MaxAgeSetting | None = None,
        send_origin_wildcard: bool | None = None,
        allow_private_network: bool | None = None,
        report_only: ReportOnlySetting | None = None,
    ) -> None:
        given = {
            "allow_origin": allow_origin,
            "allow_credentials": allow_credentials,
            "allow_methods": allow_methods,
            "allow_headers": allow_headers,
            "expose_headers": expose_headers,
            "max_age": max_age,
            "send_origin_wildcard": send_origin_wildcard,
            "allow_private_network": allow_private_network,
        }
        # Validated once here (a generator becomes a tuple, so every app sees its items).
        self._settings = MappingProxyType(dict(explicit_layer("QuartCORS()", **given)))
        report_layer = report_only_layer("QuartCORS()", report_only)
        self._report_only = None if report_layer is None else MappingProxyType(dict(report_layer))
        if app is not None:
            self.init_app(app)

    @property
    def settings(self) -> Mapping[str, object]:
        """The settings given to the constructor (those left as None are not set here)."""
        return self._settings

    def init_app(self, app: Quart) -> None:
        """Enable CORS on ``app`` with these settings, as ``cors(app, **settings)`` does."""
        if not isinstance(app, Quart):
            raise TypeError(
                f"QuartCORS.init_app() takes a Quart app, not {type(app).__name__}; "
                "for a blueprint use cors(blueprint, ...)"
            )
        # cors() refuses an app that already has an app-level policy (from cors() or another
        # init_app): a second one would silently replace the first.
        cors(app, **self._settings, report_only=self._report_only)  # type: ignore[arg-type]
        app.extensions[EXTENSION_NAME] = self

    def __repr__(self) -> str:
        given = [f"{name}={value!r}" for name, value in self._settings.items()]
        if self._report_only is not None:
            given.append(f"report_only={dict(self._report_only)!r}")
        return f"QuartCORS({', '.join(given)})"
