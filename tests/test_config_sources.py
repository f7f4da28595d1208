"""No setting goes nowhere (E080), and every message names where its value came from.

The contract: docs/behaviour.md, section 4 (Configuration errors).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from quart import Quart

from conftest import make_app
from quart_cors import CORSConfigError, QuartCORS, cors
from quart_cors.settings import env_prefix

ACAO = "Access-Control-Allow-Origin"


def _app(config: dict[str, Any] | None = None, **arguments: Any) -> Quart:
    app = Quart(__name__)
    app.config.update(config or {})
    cors(app, **arguments)

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


async def _startup_error(app: Quart) -> CORSConfigError:
    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    return caught.value


# --- E080: keys that look like QUART_CORS_* keys but are not -----------------------------


@pytest.mark.parametrize(
    ("key", "value", "right"),
    [
        ("CORS_MAX_AGE", 600, "QUART_CORS_MAX_AGE"),
        ("CORS_ALLOW_ORIGIN", "https://a.com", "QUART_CORS_ALLOW_ORIGIN"),
        ("CORS_ALLOW_CREDENTIALS", True, "QUART_CORS_ALLOW_CREDENTIALS"),
        ("QUART_CORS_ALLOWED_ORIGINS", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),
        ("QUART_CORS_ALLOW_ORIGINS", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),
        ("QUART_CORS_ORIGINS", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),
        ("QUART_CORS_SUPPORTS_CREDENTIALS", True, "QUART_CORS_ALLOW_CREDENTIALS"),
        ("QUART_CORS_MAXAGE", 600, "QUART_CORS_MAX_AGE"),
        ("QUART_CORS_ALLOW_ORGIN", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),  # a typo
        ("quart_cors_max_age", 600, "QUART_CORS_MAX_AGE"),  # config keys are upper case
        ("CORS_ORIGINS", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),  # flask-cors' name
        ("CORS_ALLOWED_ORIGINS", ["https://a.com"], "QUART_CORS_ALLOW_ORIGIN"),  # django's
    ],
)
async def test_misplaced_key_is_e080_naming_the_right_key_and_variable(
    key: str, value: object, right: str
) -> None:
    error = await _startup_error(_app({key: value}))
    (problem,) = error.problems
    assert (problem.code, problem.setting, problem.value) == ("E080", key, value)
    assert right in problem.message
    assert f"{PREFIX}_{right}" in problem.message  # what from_prefixed_env() reads


async def test_unknown_key_in_our_namespace_lists_the_keys_we_read() -> None:
    error = await _startup_error(_app({"QUART_CORS_SOMETHING_ELSE": 1}))
    (problem,) = error.problems
    assert problem.code == "E080"
    assert "QUART_CORS_ALLOW_PRIVATE_NETWORK" in problem.message


async def test_a_cors_key_the_app_passes_on_itself_is_not_refused() -> None:
    # The app reads CORS_ORIGINS itself and passes it to cors(): the setting goes somewhere.
    app = _app({"CORS_ORIGINS": ["https://a.com"]}, allow_origin=["https://a.com"])
    await app.startup()
    response = await app.test_client().get("/", headers={"Origin": "https://a.com"})
    assert response.headers[ACAO] == "https://a.com"
    await app.shutdown()


async def test_cors_keys_of_the_app_that_name_no_setting_are_left_alone() -> None:
    app = _app({"CORS_TEAM_EMAIL": "cors@example.com", "CORS_PROXY": "https://p.example"})
    await app.startup()
    await app.shutdown()


async def test_misplaced_key_on_first_request_without_lifespan_is_500() -> None:
    app = _app({"CORS_MAX_AGE": 600})
    response = await app.test_client().get("/", headers={"Origin": "https://a.com"})
    assert response.status_code == 500


# --- the README's app factory, with the environment of a new user --------------------------


# What app.config.from_prefixed_env() strips: "QUART", or "FLASK" on Quart 0.19, whose
# app.config is Flask's Config.
PREFIX = env_prefix(Quart(__name__).config)


def test_the_prefix_is_read_from_the_apps_config_class() -> None:
    assert PREFIX in ("QUART", "FLASK")
    assert env_prefix({}) == "QUART"


def _factory_app() -> Quart:
    extension = QuartCORS()

    def create_app() -> Quart:
        app = Quart(__name__)
        app.config.from_prefixed_env()
        extension.init_app(app)

        @app.route("/")
        async def index() -> str:
            return "index"

        return app

    return create_app()


async def test_from_prefixed_env_with_quart_cors_variables_is_e080(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # QUART_CORS_MAX_AGE lands in CORS_MAX_AGE: from_prefixed_env() strips "QUART_".
    monkeypatch.setenv(f"{PREFIX}_CORS_MAX_AGE", "600")
    monkeypatch.setenv(f"{PREFIX}_CORS_ALLOW_ORIGIN", "https://a.com,https://b.com")
    error = await _startup_error(_factory_app())
    assert error.codes == ("E080", "E080")
    assert {problem.setting for problem in error.problems} == {
        "CORS_MAX_AGE",
        "CORS_ALLOW_ORIGIN",
    }
    assert f"{PREFIX}_QUART_CORS_MAX_AGE=600" in str(error)
    assert f"strips the prefix {PREFIX}_" in str(error)


async def test_a_comma_joined_origin_list_never_leaves_the_default_star(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The documented variable, as from_prefixed_env() reads it: refused with the JSON fix.
    monkeypatch.setenv(f"{PREFIX}_QUART_CORS_ALLOW_ORIGIN", "https://a.com,https://b.com")
    app = _factory_app()
    response = await app.test_client().get("/", headers={"Origin": "https://evil.example"})
    assert response.status_code == 500
    assert ACAO not in response.headers
    error = await _startup_error(_factory_app())
    (problem,) = error.problems
    assert (problem.code, problem.setting) == ("E017", "QUART_CORS_ALLOW_ORIGIN")
    assert f"""{PREFIX}_QUART_CORS_ALLOW_ORIGIN='["https://a.com", "https://b.com"]'""" in (
        problem.message
    )


async def test_the_json_form_e017_shows_works_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(f"{PREFIX}_QUART_CORS_ALLOW_ORIGIN", '["https://a.com", "https://b.com"]')
    monkeypatch.setenv(f"{PREFIX}_QUART_CORS_MAX_AGE", "600")
    app = _factory_app()
    await app.startup()
    client = app.test_client()
    response = await client.get("/", headers={"Origin": "https://b.com"})
    assert response.headers[ACAO] == "https://b.com"
    refused = await client.get("/", headers={"Origin": "https://evil.example"})
    assert ACAO not in refused.headers
    preflight = await client.options(
        "/", headers={"Origin": "https://a.com", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Max-Age"] == "600"
    await app.shutdown()


def test_e017_for_an_argument_shows_the_python_list() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin="https://a.com, https://b.com")
    (problem,) = caught.value.problems
    assert "['https://a.com', 'https://b.com']" in problem.message
    assert "JSON" not in problem.message


# --- where each value came from ----------------------------------------------------------


async def test_inherited_default_star_is_named_as_the_default() -> None:
    error = await _startup_error(_app(allow_credentials=True))
    (problem,) = error.problems
    assert problem.code == "E001"
    assert "the default" in problem.source
    assert "QUART_CORS_ALLOW_ORIGIN" in problem.source
    assert "(the default" in str(error)


async def test_star_from_config_is_named_by_its_key() -> None:
    error = await _startup_error(_app({"QUART_CORS_ALLOW_ORIGIN": "*"}, allow_credentials=True))
    (problem,) = error.problems
    assert (problem.code, problem.setting, problem.source) == (
        "E001",
        "QUART_CORS_ALLOW_ORIGIN",
        "from app.config",
    )


async def test_credentials_from_config_are_named_by_their_key() -> None:
    error = await _startup_error(
        _app({"QUART_CORS_ALLOW_CREDENTIALS": True}, allow_origin="https://*.co.uk")
    )
    (problem,) = error.problems
    assert problem.code == "E003"
    assert problem.source == "from an argument"
    assert "QUART_CORS_ALLOW_CREDENTIALS=True (in app.config)" in problem.message


def test_explicit_values_are_named_as_arguments() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin="*", allow_credentials=True, max_age=-1)
    assert {problem.source for problem in caught.value.problems} == {"from an argument"}
    assert "(from an argument)" in str(caught.value)


async def test_every_message_that_names_a_value_names_its_source() -> None:
    app = _app(
        {
            "QUART_CORS_MAX_AGE": -5,
            "QUART_CORS_ALLOW_METHODS": ["TRACE"],
            "QUART_CORS_ALLOW_CREDENTIALS": True,
        },
        allow_origin=["null", re.compile(r"https://.*\.com")],
    )
    error = await _startup_error(app)
    assert sorted(error.codes) == ["E002", "E004", "E021", "E040"]
    assert all(problem.source for problem in error.problems)


async def test_a_good_app_with_its_own_config_keys_still_starts() -> None:
    app, _ = make_app(allow_origin="https://a.com")
    app.config["SECRET_KEY"] = "x"
    app.config["CORS_NOTES"] = "kept by the app"
    await app.startup()
    await app.shutdown()


async def test_a_misplaced_value_json_cannot_hold_is_named_without_one() -> None:
    error = await _startup_error(_app({"CORS_ALLOW_ORIGIN": {"https://a.com"}}))
    (problem,) = error.problems
    assert problem.code == "E080"
    assert f"{PREFIX}_QUART_CORS_ALLOW_ORIGIN," in problem.message
