"""The CORS answer to one request under one policy, and the report of each refusal."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from quart import Quart

from ._common import LOG_LIMIT, RequestFacts, Scope, logger, reporting
from .origins import CORSRequest
from .policy import Answer, Policy
from .routing import RoutingFacts
from .signals import cors_rejected

# A websocket handshake is an HTTP request: callables see the scheme fetch() would use.
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}


async def answer(
    app: Quart,
    policy: Policy,
    endpoint: str | None,
    facts: RequestFacts,
    method: str,
    *,
    response_headers: Iterable[str] = (),
    narrow: bool = False,
    scope: Scope = None,
) -> Answer:
    """The CORS answer for one request to an endpoint with a policy.

    ``narrow`` is the URL-level rule for preflights (see routing.py). ``scope`` is the
    request's ASGI scope, for origin callables that take the request.
    """
    origin = facts.origin
    preflight = facts.is_preflight(method)
    allowed = origin is not None and await policy.match_origin_async(
        origin, cors_request(app, policy, scope)
    )
    if preflight and origin is not None and facts.request_method:  # (narrows the types)
        result = policy.preflight(
            origin,
            allowed,
            facts.request_method,
            facts.request_headers,
            facts.private_network,
            narrow=narrow,
        )
    elif policy.needs_response_header_names:
        result = policy.actual_request(origin, allowed, response_headers)
    else:
        result = policy.actual_request(origin, allowed)
    if result.refusal is not None:
        await report(
            app,
            result,
            endpoint,
            origin,
            method=method,
            preflight=preflight,
            requested_method=facts.request_method,
        )
    return result


def cors_request(app: Quart, policy: Policy, scope: Scope) -> CORSRequest | None:
    """The request object for f(origin, request) callables; None when no callable takes it.

    Built from the ASGI scope alone, and only from what is the same for every request that one
    cached preflight answer covers (F#cors-preflight-cache: per origin and URL): the scheme,
    host and path. A preflight, the actual requests it lets through and a websocket handshake
    to the same URL get equal objects.
    """
    if scope is None or not policy.origins.needs_request:
        return None
    facts = RoutingFacts(scope, app.config["SERVER_NAME"])
    return CORSRequest(
        scheme=_HTTP_SCHEMES.get(facts.scheme, facts.scheme),
        host=facts.host.lower(),
        path=facts.path,
    )


async def report(
    app: Quart,
    result: Answer,
    endpoint: str | None,
    origin: str | None,
    *,
    method: str,
    preflight: bool,
    requested_method: str | None = None,
) -> None:
    """Log a refusal at DEBUG and send cors_rejected, when anyone listens."""
    if not reporting():
        return
    if logger.isEnabledFor(logging.DEBUG):
        # A preflight is logged by the method it asks for, which is what was refused.
        shown = requested_method if preflight and requested_method is not None else method
        logger.debug(
            "CORS refused (%s) at endpoint %r: %s%r %r, origin %r",
            result.refusal,
            endpoint,
            "preflight for " if preflight else "",
            shown[:LOG_LIMIT],
            (result.refused_value or "")[:LOG_LIMIT],
            (origin or "")[:LOG_LIMIT],
        )
    if not cors_rejected.receivers:
        return
    try:
        await cors_rejected.send_async(
            app,
            _sync_wrapper=app.ensure_async,  # type: ignore[arg-type]
            reason=result.refusal,
            endpoint=endpoint,
            origin=origin,
            method=method,
            preflight=preflight,
            value=result.refused_value,
        )
    except Exception:
        # A metrics receiver must never change the answer the browser gets.
        logger.exception("a cors_rejected receiver raised; the request is answered anyway")


def static_answer(policy: Policy, request_: Any) -> Answer | None:
    """The answer to an actual request when nothing needs awaiting: one scan, one lookup.

    None for preflights, for origins only callables can judge, for several Origin headers, and
    for refusals that someone observes (DEBUG logging or a cors_rejected receiver); Quart-side
    code then awaits answer().
    """
    if request_.method == "OPTIONS":
        return None
    raw_origin = None
    for name, value in request_.scope["headers"]:
        if name == b"origin":
            if raw_origin is not None:
                return None
            raw_origin = value
    result = policy.answer_raw_origin(raw_origin)
    if result is None:
        return None
    # reporting(), inlined: refusals that nobody observes are answered here.
    if result.refusal is not None and (
        cors_rejected.receivers or logger.isEnabledFor(logging.DEBUG)
    ):
        return None
    return result
