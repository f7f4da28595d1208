"""The public names, keyword-only signatures and defaults of 0.8.0.

The contract: docs/behaviour.md, section 1 (Public API).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from quart import Blueprint, Quart

import quart_cors
from quart_cors import (
    ConfigProblem,
    CORSConfigError,
    QuartCORS,
    cors,
    cors_exempt,
    cors_rejected,
    route_cors,
    websocket_cors,
)

SETTINGS = [
    "allow_origin",
    "allow_credentials",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "max_age",
    "send_origin_wildcard",
    "allow_private_network",
]


def test_public_names() -> None:
    assert sorted(quart_cors.__all__) == sorted(
        [
            "DEFAULTS",  # 0.8.0's module attributes, kept for compatibility
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
    )
    # In the order of ruff's RUF022 (constants, classes, functions), which `ruff check` keeps.
    constants = [name for name in quart_cors.__all__ if name.isupper()]
    assert quart_cors.__all__[: len(constants)] == sorted(constants)


def _keyword_only(function: Callable[..., Any]) -> dict[str, Any]:
    parameters = inspect.signature(function).parameters.values()
    return {
        parameter.name: parameter.default
        for parameter in parameters
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def test_cors_signature() -> None:
    parameters = list(inspect.signature(cors).parameters.values())
    assert parameters[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert _keyword_only(cors) == {**dict.fromkeys(SETTINGS), "report_only": None}
    assert len(parameters) == 1 + len(SETTINGS) + 1


def test_quart_cors_signature_is_that_of_cors() -> None:
    parameters = list(inspect.signature(QuartCORS).parameters.values())
    assert (parameters[0].name, parameters[0].default) == ("app", None)
    assert _keyword_only(QuartCORS) == _keyword_only(cors)
    assert len(parameters) == 1 + len(SETTINGS) + 1


def test_route_cors_signature() -> None:
    assert _keyword_only(route_cors) == {
        **dict.fromkeys(SETTINGS),
        "provide_automatic_options": True,
        "report_only": None,
    }
    assert len(inspect.signature(route_cors).parameters) == len(SETTINGS) + 2


def test_websocket_cors_signature() -> None:
    assert _keyword_only(websocket_cors) == {"allow_origin": None, "send_origin_wildcard": None}
    assert len(inspect.signature(websocket_cors).parameters) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: cors(Quart(__name__), "*"),  # type: ignore[call-arg]
        lambda: route_cors("*"),  # type: ignore[call-arg]
        lambda: websocket_cors("*"),  # type: ignore[call-arg]
        lambda: QuartCORS(None, "*"),  # type: ignore[call-arg]
    ],
)
def test_arguments_are_keyword_only(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


def test_cors_returns_its_argument() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    assert cors(app) is app
    assert cors(blueprint) is blueprint


def test_decorators_keep_the_view_name() -> None:
    async def my_view() -> str:
        return "x"

    assert route_cors()(my_view).__name__ == "my_view"
    assert websocket_cors()(my_view).__name__ == "my_view"
    assert cors_exempt(my_view).__name__ == "my_view"


def test_config_error_types() -> None:
    assert issubclass(CORSConfigError, ValueError)
    problem = ConfigProblem("E021", "allow_methods", "TRACE", "remove it")
    error = CORSConfigError([problem])
    assert error.problems == (problem,)
    assert error.codes == ("E021",)
    assert str(problem).startswith("[quart_cors.E021] allow_methods")


def test_cors_rejected_is_a_named_blinker_signal() -> None:
    assert cors_rejected.name == "cors-rejected"
    assert callable(cors_rejected.connect)
    assert callable(cors_rejected.send_async)
