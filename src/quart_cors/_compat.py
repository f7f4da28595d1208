"""Every place where quart-cors depends on how a Quart or Werkzeug version works inside.

Checked against Quart 0.19.2, 0.19.9, 0.20.0, 0.21.0, 0.22.0 and 0.23.1, and Werkzeug 3.0.0
to 3.1.9. Each difference is named here with the versions it applies to, detected from the
installed code rather than from version numbers, and pinned by tests/test_compat.py, which
fails loudly when a new release changes one of them.

- ``make_default_options_response``: Quart 0.19-0.22 take no argument, 0.23 takes the app
  context. We build the same answer from public parts instead (:func:`default_options_response`).
- ``process_response``: Quart 0.19-0.22 call it as ``(response, request_context=None)``, 0.23 as
  ``(ctx, response)``. :func:`wrap_process_response` wraps either form.
- ``quart.testing.connections.WebsocketDisconnectError``: raised by the test client of Quart
  0.19-0.22 when an app closes a websocket; gone in 0.23 (:data:`WEBSOCKET_DISCONNECT_ERRORS`),
  whose test client reports a close before accept with no exception at all, so the simulated
  browser looks at the app's task instead (:func:`websocket_app_returned`).
- ``Quart.asgi_http_class``: constructed as ``asgi_http_class(app, scope)`` and awaited as
  ``handler(receive, send)`` in every version above; nothing to adapt.
- ``werkzeug.datastructures.Headers._list``: the list behind a ``Headers``, private but stable
  in Werkzeug 3.0-3.1; :func:`header_list` is the one place that reads it, to append headers
  that were validated when the policy was compiled without validating them again per request.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from quart import Quart, Response
from quart.testing import connections as _test_connections
from quart.typing import ResponseTypes
from quart.wrappers import BaseRequestWebsocket
from werkzeug.datastructures import Headers

__all__ = [
    "PROCESS_RESPONSE_TAKES_CONTEXT",
    "WEBSOCKET_DISCONNECT_ERRORS",
    "default_options_response",
    "header_list",
    "websocket_app_returned",
    "wrap_process_response",
]

# Quart 0.23 passes the app context first: process_response(ctx, response).
PROCESS_RESPONSE_TAKES_CONTEXT: bool = list(inspect.signature(Quart.process_response).parameters)[
    1:2
] == ["ctx"]

# Quart 0.19-0.22 only; an empty tuple makes ``isinstance`` and ``except`` match nothing.
WEBSOCKET_DISCONNECT_ERRORS: tuple[type[Exception], ...] = tuple(
    getattr(_test_connections, name)
    for name in ("WebsocketDisconnectError",)
    if hasattr(_test_connections, name)
)

ProcessResponse = Callable[[ResponseTypes], Awaitable[ResponseTypes]]


async def default_options_response(app: Quart, request: BaseRequestWebsocket) -> Response:
    """Quart's automatic answer to ``OPTIONS``: 200, empty body, ``Allow`` naming the methods.

    Built from public parts because ``make_default_options_response`` changed its signature in
    Quart 0.23; this is what it returns in every version (a test compares the two).
    """
    adapter = app.create_url_adapter(request)
    methods = adapter.allowed_methods() if adapter is not None else []
    return app.response_class("", headers={"Allow": ", ".join(methods)})


def wrap_process_response(
    app: Quart, around: Callable[[ResponseTypes, ProcessResponse], Awaitable[ResponseTypes]]
) -> None:
    """Route ``app.process_response`` through ``around(response, proceed)``.

    ``proceed(response)`` runs Quart's own step (after-request functions, session saving) with
    whatever context arguments this Quart version passes, so ``around`` can act before it,
    after it, or both, on every supported version.
    """
    original: Callable[..., Awaitable[ResponseTypes]] = app.process_response

    async def process_response_0_23(ctx: Any, response: ResponseTypes) -> ResponseTypes:
        return await around(response, lambda response: original(ctx, response))

    async def process_response_0_19(
        response: ResponseTypes, request_context: Any = None
    ) -> ResponseTypes:
        return await around(response, lambda response: original(response, request_context))

    wrapper: Callable[..., Any] = (
        process_response_0_23 if PROCESS_RESPONSE_TAKES_CONTEXT else process_response_0_19
    )
    app.process_response = wrapper  # type: ignore[method-assign]


def header_list(headers: Headers) -> list[tuple[str, str]]:
    """The list behind a Werkzeug ``Headers`` (``Headers._list``, Werkzeug 3.0-3.1)."""
    return headers._list


def websocket_app_returned(connection: object) -> bool:
    """Whether the app behind a Quart test-client websocket has returned (``_task``, 0.19-0.23)."""
    task = getattr(connection, "_task", None)
    return isinstance(task, asyncio.Future) and task.done()
