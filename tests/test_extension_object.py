"""QuartCORS(app=None, **settings) with init_app(app): the same as cors(app, **settings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from quart import Blueprint, Quart

from conftest import send
from quart_cors import CORSConfigError, QuartCORS, cors, describe

ORIGIN = "https://app.example"

SETTINGS: list[dict[str, Any]] = [
    {},
    {"allow_origin": ORIGIN, "allow_credentials": True, "max_age": 600},
    {"allow_origin": ["https://*.example"], "allow_headers": ["x-token"], "expose_headers": "*"},
    {"allow_origin": "*", "send_origin_wildcard": False, "allow_methods": ["GET"]},
    {"allow_origin": [lambda origin: origin.endswith(".example")], "allow_private_network": True},
]

REQUESTS: list[tuple[str, dict[str, str]]] = [
    ("GET", {"Origin": ORIGIN}),
    ("GET", {"Origin": "https://evil.test"}),
    ("GET", {}),
    ("OPTIONS", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}),
    (
        "OPTIONS",
        {
            "Origin": "https://b.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-token",
            "Access-Control-Request-Private-Network": "true",
        },
    ),
]


def with_routes(app: Quart) -> Quart:
    @app.route("/items", methods=["GET", "PUT"])
    async def items() -> tuple[str, int, dict[str, str]]:
        return "items", 200, {"X-Total": "1"}

    return app


def by_cors(settings: dict[str, Any]) -> Quart:
    return with_routes(cors(Quart(__name__), **settings))


def by_constructor(settings: dict[str, Any]) -> Quart:
    app = with_routes(Quart(__name__))
    QuartCORS(app, **settings)
    return app


def by_factory(settings: dict[str, Any]) -> Quart:
    extension = QuartCORS(**settings)
    app = with_routes(Quart(__name__))
    extension.init_app(app)
    return app


async def answers(app: Quart) -> list[tuple[int, list[tuple[str, str]]]]:
    results = []
    for method, headers in REQUESTS:
        response = await send(app, method, "/items", headers)
        cors_headers = sorted(
            (name, value)
            for name, value in response.headers.items()
            if name.lower().startswith("access-control-") or name.lower() == "vary"
        )
        results.append((response.status_code, cors_headers))
    return results


@pytest.mark.parametrize("build", [by_constructor, by_factory])
@pytest.mark.parametrize("settings", SETTINGS)
async def test_equivalent_to_cors(
    build: Callable[[dict[str, Any]], Quart], settings: dict[str, Any]
) -> None:
    expected, app = by_cors(settings), build(settings)
    assert await answers(app) == await answers(expected)
    assert [record.to_json() for record in describe(app)] == [
        record.to_json() for record in describe(expected)
    ]


def test_instance_is_kept_in_app_extensions() -> None:
    extension = QuartCORS(allow_origin=ORIGIN)
    app = Quart(__name__)
    assert "QUART_CORS" not in app.extensions
    extension.init_app(app)
    assert app.extensions["QUART_CORS"] is extension
    other = Quart(__name__)
    assert QuartCORS(other).settings == {}
    assert isinstance(other.extensions["QUART_CORS"], QuartCORS)


async def test_one_instance_serves_many_apps_each_with_its_own_config() -> None:
    origins = (origin for origin in [ORIGIN])  # one-shot: every app must still see it
    extension = QuartCORS(allow_origin=origins)
    apps = []
    for max_age in (10, 20):
        app = with_routes(Quart(__name__))
        app.config["QUART_CORS_MAX_AGE"] = max_age
        extension.init_app(app)
        apps.append(app)
    for app, sent in zip(apps, ("10", "20"), strict=True):
        response = await app.test_client().options(
            "/items", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
        )
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert response.headers["Access-Control-Max-Age"] == sent
    assert extension.settings == {"allow_origin": (ORIGIN,)}


@pytest.mark.parametrize(
    ("settings", "codes"),
    [
        ({"allow_origin": "*", "allow_credentials": True}, ["E001"]),
        ({"allow_methods": ["TRACE"], "max_age": -1}, ["E021", "E040"]),
        ({"allow_headers": ["X-Company-*"]}, ["E031"]),
    ],
)
def test_bad_settings_fail_at_the_constructor(settings: dict[str, Any], codes: list[str]) -> None:
    with pytest.raises(CORSConfigError) as caught:
        QuartCORS(**settings)
    assert sorted(caught.value.codes) == codes
    assert "QuartCORS()" in str(caught.value)


async def test_config_problems_fail_each_apps_startup() -> None:
    extension = QuartCORS()
    app = with_routes(Quart(__name__))
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = True  # with the default origin "*"
    extension.init_app(app)
    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E001",)


def test_a_second_init_on_one_app_is_refused() -> None:
    app = Quart(__name__)
    QuartCORS(app, allow_origin=ORIGIN)
    with pytest.raises(RuntimeError, match="already set up"):
        QuartCORS(allow_origin="*").init_app(app)


def test_a_blueprint_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"cors\(blueprint"):
        QuartCORS().init_app(Blueprint("bp", __name__))  # type: ignore[arg-type]


def test_repr_shows_the_settings() -> None:
    assert repr(QuartCORS(max_age=5)) == "QuartCORS(max_age=5)"
