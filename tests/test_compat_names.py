"""quart-cors 0.8.0's module attributes `DEFAULTS` and `QUART_CORS_EXEMPT_ATTRIBUTE` still work."""

from __future__ import annotations

from typing import Any

import pytest
from quart import Quart

from quart_cors import DEFAULTS, QUART_CORS_EXEMPT_ATTRIBUTE, cors, cors_exempt, describe

# The keys of 0.8.0's DEFAULTS (quart_cors/__init__.py of 0.8.0), plus the one added since.
KEYS_080 = {
    "QUART_CORS_ALLOW_CREDENTIALS",
    "QUART_CORS_ALLOW_HEADERS",
    "QUART_CORS_ALLOW_METHODS",
    "QUART_CORS_ALLOW_ORIGIN",
    "QUART_CORS_EXPOSE_HEADERS",
    "QUART_CORS_MAX_AGE",
    "QUART_CORS_SEND_ORIGIN_WILDCARD",
}

# A valid value other than the default, per key.
OTHER_VALUES: dict[str, Any] = {
    "QUART_CORS_ALLOW_CREDENTIALS": True,
    "QUART_CORS_ALLOW_HEADERS": ["x-token"],
    "QUART_CORS_ALLOW_METHODS": ["GET"],
    "QUART_CORS_ALLOW_ORIGIN": ["https://app.test"],
    "QUART_CORS_EXPOSE_HEADERS": ["X-Total"],
    "QUART_CORS_MAX_AGE": 600,
    "QUART_CORS_SEND_ORIGIN_WILDCARD": False,
    "QUART_CORS_ALLOW_PRIVATE_NETWORK": True,
}


def described(app: Quart) -> dict[str, Any]:
    @app.get("/")
    async def index() -> str:
        return ""

    record: dict[str, Any] = describe(app)[0].to_json()
    return record


def setting(key: str) -> str:
    return key.removeprefix("QUART_CORS_").lower()


def test_the_keys_are_0_8_0s_and_the_new_one() -> None:
    assert set(DEFAULTS) == {*KEYS_080, "QUART_CORS_ALLOW_PRIVATE_NETWORK"}
    assert set(DEFAULTS) == set(OTHER_VALUES)


def test_the_values_are_what_an_app_without_settings_uses() -> None:
    record = described(cors(Quart(__name__)))
    for key, value in DEFAULTS.items():
        expected = list(value) if isinstance(value, tuple) else value
        assert record["policy"][setting(key)] == expected, key
        assert record["sources"][setting(key)] == "default"


@pytest.mark.parametrize("key", sorted(OTHER_VALUES))
def test_each_key_is_the_config_key_of_its_setting(key: str) -> None:
    app = Quart(__name__)
    app.config[key] = OTHER_VALUES[key]
    if key == "QUART_CORS_ALLOW_CREDENTIALS":
        app.config["QUART_CORS_ALLOW_ORIGIN"] = ["https://app.test"]  # not with "*" (E001)
    record = described(cors(app))
    assert record["sources"][setting(key)] == f"config:{key}"
    assert record["policy"][setting(key)] != DEFAULTS[key]


def test_defaults_are_read_only() -> None:
    # 0.8.0's dict could be edited to change the defaults; here that would change nothing, so
    # it fails loudly instead. Set app.config or cors() arguments.
    with pytest.raises(TypeError):
        DEFAULTS["QUART_CORS_MAX_AGE"] = 600  # type: ignore[index]


async def test_the_exempt_attribute_is_what_cors_exempt_sets_and_reads() -> None:
    app = cors(Quart(__name__), allow_origin="https://app.test")

    async def by_hand() -> str:
        return "by hand"

    setattr(by_hand, QUART_CORS_EXEMPT_ATTRIBUTE, True)  # the 0.8.0 idiom
    app.add_url_rule("/by-hand", view_func=by_hand)

    @app.get("/decorated")
    @cors_exempt
    async def decorated() -> str:
        return "decorated"

    @app.get("/plain")
    async def plain() -> str:
        return "plain"

    assert QUART_CORS_EXEMPT_ATTRIBUTE == "_quart_cors_exempt"  # 0.8.0's value
    assert getattr(decorated, QUART_CORS_EXEMPT_ATTRIBUTE) is True
    client = app.test_client()
    for path, exempt in (("/by-hand", True), ("/decorated", True), ("/plain", False)):
        response = await client.get(path, headers={"Origin": "https://app.test"})
        assert ("Access-Control-Allow-Origin" in response.headers) is not exempt, path
    cors_by_rule = {record.rule: record.cors for record in describe(app)}
    assert cors_by_rule["/by-hand"] == "exempt"
