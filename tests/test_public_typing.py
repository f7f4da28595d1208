"""The public API as users write it: mypy --strict checks this file, pytest runs it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from quart import Blueprint, Quart, websocket

from quart_cors import (
    ConfigProblem,
    CORSConfigError,
    CORSRequest,
    DynamicOrigins,
    EffectivePolicy,
    QuartCORS,
    ReportOnly,
    ReportOnlyKey,
    RouteDescription,
    cors,
    cors_exempt,
    describe,
    report_only_counts,
    route_cors,
    websocket_cors,
)


async def tenant_allowed(origin: str) -> bool:
    return origin.endswith(".tenant.example")


def tenant_of_host(origin: str, request: CORSRequest) -> bool:
    return origin == f"https://{request.host.partition('.')[0]}.shop.example"


def typed_app() -> Quart:
    app = Quart(__name__)
    app = cors(
        app,
        allow_origin=["https://app.example.com", "https://*.example.org", tenant_allowed],
        allow_credentials=True,
        allow_headers=["content-type", "x-token"],
        expose_headers="X-Request-Id",
        max_age=timedelta(minutes=10),
    )
    admin = cors(
        Blueprint("admin", __name__), allow_origin=re.compile(r"https://admin\d\.example\.com")
    )

    @admin.route("/users")
    async def users() -> dict[str, list[str]]:
        return {"users": []}

    @app.route("/items/<int:item_id>", methods=["GET", "PUT"])
    @route_cors(allow_methods=["GET", "PUT"], max_age=600)
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.route("/tenant")
    @route_cors(allow_origin=tenant_of_host)
    async def tenant() -> str:
        return "tenant"

    @app.route("/health")
    @cors_exempt
    async def health() -> str:
        return "ok"

    @app.websocket("/ws")
    @websocket_cors(allow_origin=lambda origin: origin == "https://app.example.com")
    async def ws() -> None:
        await websocket.accept()

    app.register_blueprint(admin)
    return app


async def test_the_typed_app_answers() -> None:
    client = typed_app().test_client()
    response = await client.get("/items/3", headers={"Origin": "https://a.tenant.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://a.tenant.example"
    assert response.headers["Access-Control-Expose-Headers"] == "X-Request-Id"
    answered = await client.options(
        "/items/3",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"},
    )
    assert answered.headers["Access-Control-Max-Age"] == "600"
    assert answered.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    tenant = await client.get(
        "/tenant", headers={"Host": "a.api.example", "Origin": "https://a.shop.example"}
    )
    assert tenant.headers["Access-Control-Allow-Origin"] == "https://a.shop.example"


def test_config_errors_are_typed() -> None:
    try:
        cors(Quart(__name__), allow_origin="*", allow_credentials=True)
    except CORSConfigError as error:
        problems: tuple[ConfigProblem, ...] = error.problems
        assert [problem.code for problem in problems] == ["E001"]
    else:
        raise AssertionError("credentials with '*' must be refused")


def test_describe_returns_typed_records() -> None:
    routes: list[RouteDescription] = describe(typed_app())
    item = next(route for route in routes if route.endpoint == "item")
    policy: EffectivePolicy | None = item.policy
    assert policy is not None
    max_age: int | None = policy.max_age
    assert max_age == 600
    assert item.sources is not None
    assert item.sources["max_age"] == "route_cors"
    assert item.cors == "on"
    shape: dict[str, object] = item.to_json()
    assert shape["methods"] == ["GET", "PUT"]


cors_extension = QuartCORS(allow_origin=["https://app.example.com"], max_age=timedelta(minutes=5))


def create_app() -> Quart:
    app = Quart(__name__)
    cors_extension.init_app(app)
    return app


def test_extension_object_in_a_factory() -> None:
    app = create_app()
    assert app.extensions["QUART_CORS"] is cors_extension
    assert cors_extension.settings["max_age"] == timedelta(minutes=5)


def load_partners() -> list[str]:
    return ["https://partner.example", "https://*.partners.example"]


async def test_dynamic_origins_and_report_only_as_users_write_them() -> None:
    partners = DynamicOrigins(load_partners, refresh=30, timeout=5, initial=[])
    app = Quart(__name__)
    cors(
        app,
        allow_origin=["https://app.example.com", partners],
        report_only=ReportOnly(allow_origin=["https://app.example.com"]),
    )
    api = cors(Blueprint("api", __name__), report_only={"max_age": 60})

    @api.get("/orders")
    @route_cors(allow_methods=["GET"], report_only=ReportOnly(allow_methods=["GET", "PUT"]))
    async def orders() -> str:
        return "orders"

    app.register_blueprint(api)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get(
            "/orders", headers={"Origin": "https://a.partners.example"}
        )
        assert response.headers["Access-Control-Allow-Origin"] == "https://a.partners.example"
        reloaded: bool = await partners.reload()
        assert reloaded
        origins: tuple[str, ...] = partners.origins
        assert len(origins) == partners.size == 2
        loaded_at: datetime | None = partners.loaded_at
        assert loaded_at is not None
        error: BaseException | None = partners.last_error
        assert error is None
    counts: dict[ReportOnlyKey, int] = report_only_counts(app)
    (key,) = counts
    assert (key.origin, key.difference, key.direction) == (
        "https://a.partners.example",
        "origin",
        "candidate would refuse",
    )
