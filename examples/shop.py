"""A small shop whose routes get different CORS policies, to show `quart-cors routes`.

    quart-cors routes --app examples.shop:app           # from the repository root
    quart-cors routes --app examples.shop:app --json

- `/` has no CORS: the shop's page is served from the app's own origin.
- `/api/...` (a blueprint with `cors()`) serves the shop's front ends with credentials; its
  nested `/api/catalog/...` is public and read-only; `/api/health` is `cors_exempt`.
- `DELETE /api/account` is stricter than `GET /api/account` on the same path (`route_cors`).
- `/api/orders` lets partners in through a callable; `/live` is a websocket with its own check.
- `max_age` and `allow_headers` come from `app.config`.
"""

from __future__ import annotations

import re

from quart import Blueprint, Quart, websocket

from quart_cors import cors, cors_exempt, route_cors, websocket_cors

PARTNER = re.compile(r"https://[a-z0-9-]+\.partners\.example")

app = Quart(__name__, static_folder=None)
app.config["QUART_CORS_MAX_AGE"] = 600
app.config["QUART_CORS_ALLOW_HEADERS"] = ["content-type", "x-csrf-token"]

api = Blueprint("api", __name__)
cors(api, allow_origin=["https://shop.example", "https://*.shop.example"], allow_credentials=True)
catalog = Blueprint("catalog", __name__)
cors(catalog, allow_origin="*", allow_credentials=False, allow_methods=["GET", "HEAD"])


def partner_origin(origin: str) -> bool:
    """Partners' shops, as registered with us (a real app would look them up)."""
    return PARTNER.fullmatch(origin) is not None


@app.get("/")
async def index() -> str:
    return "<h1>Shop</h1>"


@app.websocket("/live")
@websocket_cors(allow_origin="https://shop.example")
async def live() -> None:
    await websocket.accept()
    await websocket.send("hello")


@api.get("/account")
async def account() -> dict[str, str]:
    return {"name": "Ada"}


@api.delete("/account")
@route_cors(allow_origin="https://admin.shop.example", allow_methods=["DELETE"])
async def delete_account() -> tuple[str, int]:
    return "", 204


@api.route("/orders", methods=["GET", "POST"])
@route_cors(allow_origin=["https://shop.example", partner_origin], expose_headers=["X-Total"])
async def orders() -> dict[str, list[str]]:
    return {"orders": []}


@api.get("/health")
@cors_exempt
async def health() -> str:
    return "ok"


@catalog.get("/products")
async def products() -> dict[str, list[str]]:
    return {"products": []}


api.register_blueprint(catalog, url_prefix="/catalog")
app.register_blueprint(api, url_prefix="/api")
