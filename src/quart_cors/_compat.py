"""Where Quart and Werkzeug differ between the supported versions, in one place.

Checked against Quart 0.19.2, 0.19.9, 0.20.0, 0.21.0, 0.22.0 and 0.23.1, and Werkzeug 3.0.0
to 3.1.9. Each item names the difference and the versions it applies to, detected from the
installed code rather than from version numbers; tests/test_compat.py fails loudly when a
checked assumption stops holding.

- Request context: 0.19 to 0.22 keep it in a ContextVar of its own (``_cv_request``); 0.23
  keeps the request on the app context (:func:`current_app_and_request`).
- ``process_response``: ``(response, request_context=None)`` in 0.19 to 0.22, ``(ctx,
  response)`` in 0.23 (:func:`wrap_process_response`).
- ``make_default_options_response``: no argument in 0.19 to 0.22, the app context in 0.23; we
  build the same answer from public parts (:func:`default_options_response`).
- ``root_path``: 0.19 and 0.20.0 split the path at its first occurrence, 0.20.1 and later strip
  it as a prefix (:func:`request_path`).
- ``Quart.asgi_http_class``: built as ``asgi_http_class(app, scope)`` and awaited as
  ``handler(receive, send)`` in every version above.
- ``werkzeug.routing.Map._rules``: the list of a map's rules, private but the same in Werkzeug
  3.0 and 3.1 (:func:`rule_count`).
- ``werkzeug.routing.Rule._trace``: a bound rule's tokens as Werkzeug parsed them (slashes
  merged, converter arguments kept whole), private but the same in Werkzeug 3.0 and 3.1
  (:func:`rule_path_tokens`).
- ``werkzeug.datastructures.Headers._list``: the list behind a ``Headers``, private but the same
  in Werkzeug 3.0 and 3.1 (:func:`header_list`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

import quart.asgi
import quart.globals
from quart import Quart, request
from quart.typing import ResponseTypes
from werkzeug.datastructures import Headers
from werkzeug.routing import Map, Rule

# Read through getattr: which of these exist depends on the version (typing differs too).
# The app context's ContextVar, in every version.
_cv_app: Any = getattr(quart.globals, "_cv_app")  # noqa: B009 (typing differs by version)
# 0.19 to 0.22 keep the request context in a ContextVar of its own; 0.23 passes it instead.
_cv_request: Any = getattr(quart.globals, "_cv_request", None)
# 0.20.1 and later strip root_path as a prefix (quart.asgi._normalise_path); 0.19 and 0.20.0
# split the path at its first occurrence.
_ROOT_PATH_AS_PREFIX = hasattr(quart.asgi, "_normalise_path")

# 0.23 passes the app context first: process_response(ctx, response). 0.19 to 0.22:
# process_response(response, request_context=None), with the request context in a ContextVar
# when the caller passes none.
PROCESS_RESPONSE_TAKES_CTX = "ctx" in inspect.signature(Quart.process_response).parameters

# A function called with (request, response) once Quart's response processing is done, also when
# an after_request function raised; it returns an awaitable only when it has async work to do.
ResponseHook = Callable[[Any, ResponseTypes], "Awaitable[object] | None"]


def wrap_process_response(app: Quart, hook: ResponseHook) -> None:
    """Run ``hook`` after the app's after_request functions, even when one of them raises.

    When an after_request function raises, Quart answers 500 and runs the response processing
    again for that 500 (logging the second failure): the hook then still adds its headers,
    whatever order the functions were registered in.
    """
    original: Any = app.process_response
    if PROCESS_RESPONSE_TAKES_CTX:

        async def process_response(ctx: Any, response: ResponseTypes) -> ResponseTypes:
            try:
                response = await original(ctx, response)
            except Exception:
                pending = hook(ctx.request, response)
                if pending is not None:
                    await pending
                raise
            pending = hook(ctx.request, response)
            if pending is not None:
                await pending
            return response

    else:

        async def process_response(  # type: ignore[misc]
            response: ResponseTypes, request_context: Any = None
        ) -> ResponseTypes:
            try:
                response = await original(response, request_context)
            except Exception:
                pending = hook((request_context or _cv_request.get()).request, response)
                if pending is not None:
                    await pending
                raise
            pending = hook((request_context or _cv_request.get()).request, response)
            if pending is not None:
                await pending
            return response

    app.process_response = process_response  # type: ignore[method-assign,assignment]


def request_path(path: str, root_path: str) -> str:
    """The path Quart routes for an ASGI scope's path and root_path.

    0.19.x splits the path at the first occurrence of root_path; 0.20 and later strip it as a
    prefix. In both, a path outside the root (or equal to it) becomes " ", which matches nothing.
    """
    if path[:1] != "/":
        # An absolute-form target; urlparse, as Quart: its path drops the last ";params".
        path = urlparse(path).path
    if not root_path:
        return path
    if _ROOT_PATH_AS_PREFIX:
        if path == root_path or not path.startswith(root_path):
            return " "
        return path[len(root_path) :]
    parts = path.split(root_path, 1)
    if len(parts) < 2:
        return " "
    return parts[1] or " "


async def default_options_response(app: Quart) -> ResponseTypes:
    """Quart's automatic OPTIONS answer (200, empty body, ``Allow``), from public parts.

    ``make_default_options_response`` takes the app context from 0.23 on; this builds what it
    returns in every version, during a request (a test compares the two).
    """
    adapter = app.create_url_adapter(request)
    methods = adapter.allowed_methods() if adapter is not None else []
    return app.response_class("", headers={"Allow": ", ".join(methods)})


def current_app_and_request() -> tuple[Any, Any]:
    """The app and request of the running request, read from Quart's context variables.

    Cheaper than the ``current_app`` and ``request`` proxies. 0.23 keeps the request on the app
    context; 0.19 to 0.22 on a request context of its own.
    """
    if _cv_request is None:
        context = _cv_app.get()
        return context.app, context.request
    return _cv_app.get().app, _cv_request.get().request


def header_list(headers: Headers) -> list[tuple[str, str]]:
    """The list behind a Werkzeug ``Headers`` (``Headers._list``, Werkzeug 3.0 and 3.1).

    Appending to it skips the per-value validation of ``Headers.add`` for values that were
    validated when the policy was compiled.
    """
    return headers._list


def rule_path_tokens(rule: Rule) -> list[tuple[bool, str]] | None:
    """A bound rule's path as Werkzeug parsed it (``Rule._trace`` after the host part).

    Items are ``(False, "/")`` for a slash, ``(False, text)`` for static text and ``(True,
    name)`` for a converter's variable. None for a rule not bound to a map.
    """
    trace: list[tuple[bool, str]] | None = getattr(rule, "_trace", None)
    if not trace or (False, "|") not in trace:
        return None
    return trace[trace.index((False, "|")) + 1 :]


def rule_count(url_map: Map) -> int:
    """How many rules a URL map holds (``Map._rules``), without building a list of them."""
    return len(url_map._rules)
