"""Every CORSConfigError code, all problems at once, raised early.

The contract: docs/behaviour.md, section 4 (Configuration errors).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from quart import Blueprint, Quart

from conftest import ORIGIN
from quart_cors import ConfigProblem, CORSConfigError, cors, route_cors, websocket_cors

# (keyword arguments, expected codes in any order)
BAD_ARGUMENTS: list[tuple[dict[str, Any], list[str]]] = [
    # credentials with an origin that must never be credentialed
    ({"allow_credentials": True, "allow_origin": "*"}, ["E001"]),
    ({"allow_credentials": True, "allow_origin": ["https://a.com", "*"]}, ["E001"]),
    ({"allow_credentials": True, "allow_origin": "null"}, ["E002"]),
    ({"allow_credentials": True, "allow_origin": ["https://a.com", "null"]}, ["E002"]),
    ({"allow_credentials": True, "allow_origin": "https://*.com"}, ["E003"]),
    ({"allow_credentials": True, "allow_origin": "https://*.co.uk"}, ["E003"]),
    ({"allow_credentials": True, "allow_origin": "https://*.github.io"}, ["E003"]),
    # credentials with a regex that matches sites no one controls (the .invalid canaries)
    ({"allow_credentials": True, "allow_origin": re.compile(".*")}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": re.compile(r"https?://.+")}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": re.compile(r"https://[^/]+")}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": re.compile(r"http://[a-z.-]+")}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": re.compile(r"http://[\w.-]+:\d+")}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": re.compile("HTTPS://.*", re.I)}, ["E004"]),
    ({"allow_credentials": True, "allow_origin": ["https://a.com", re.compile(".+")]}, ["E004"]),
    # origin items
    ({"allow_origin": 42}, ["E010"]),
    ({"allow_origin": "example.com"}, ["E011"]),
    ({"allow_origin": "https://a.com/"}, ["E012"]),
    ({"allow_origin": "https://u@a.com"}, ["E013"]),
    ({"allow_origin": "https://a.com "}, ["E014"]),
    ({"allow_origin": "file://a.com"}, ["E015"]),
    ({"allow_origin": "https://a.*.com"}, ["E016"]),
    ({"allow_origin": "https://a.com,https://b.com"}, ["E017"]),
    ({"allow_origin": "http://127.1"}, ["E018"]),
    # regexes RE2 cannot match in linear time
    ({"allow_origin": re.compile(r"(https?)://a\.com\1")}, ["E019"]),
    ({"allow_origin": re.compile(r"https://(?!evil)[a-z]+\.example\.com")}, ["E019"]),
    ({"allow_origin": re.compile(r"https://[a-z]{1,2000}\.example\.com")}, ["E019"]),
    # methods
    ({"allow_methods": ["GE T"]}, ["E020"]),
    ({"allow_methods": ["GET,POST"]}, ["E020"]),
    ({"allow_methods": [""]}, ["E020"]),
    ({"allow_methods": ["G(ET"]}, ["E020"]),
    ({"allow_methods": ["CONNECT"]}, ["E021"]),
    ({"allow_methods": ["TRACE"]}, ["E021"]),
    ({"allow_methods": ["TRACK"]}, ["E021"]),
    ({"allow_methods": ["trace"]}, ["E021"]),
    ({"allow_methods": "CONNECT"}, ["E021"]),
    # header names
    ({"allow_headers": ["X Bad"]}, ["E030"]),
    ({"allow_headers": ["x:y"]}, ["E030"]),
    ({"allow_headers": [""]}, ["E030"]),
    ({"allow_headers": ["x-ok\r\nx-evil"]}, ["E030"]),
    ({"expose_headers": ["bad header"]}, ["E030"]),
    ({"expose_headers": ["x-a,x-b"]}, ["E030"]),
    # header names with "*" inside are literal names no one sends, not patterns
    ({"allow_headers": ["X-Company-*"]}, ["E031"]),
    ({"allow_headers": "x-*"}, ["E031"]),
    ({"allow_headers": ["content-type", "**"]}, ["E031"]),
    ({"allow_headers": ["*-id"]}, ["E031"]),
    ({"expose_headers": ["X-Company-*"]}, ["E031"]),
    ({"expose_headers": ["*", "X-Rate*"]}, ["E031"]),
    # max_age
    ({"max_age": -1}, ["E040"]),
    ({"max_age": 1.5}, ["E040"]),
    ({"max_age": "10m"}, ["E040"]),
    ({"max_age": "-1"}, ["E040"]),
    ({"max_age": True}, ["E040"]),
    ({"max_age": timedelta(seconds=1.5)}, ["E040"]),
    ({"max_age": timedelta(seconds=-1)}, ["E040"]),
    ({"max_age": float("nan")}, ["E040"]),
    ({"max_age": float("inf")}, ["E040"]),
    # above the longest cache any browser keeps; Chromium ignores unparsably large values
    ({"max_age": 86_401}, ["E040"]),
    ({"max_age": 10**20}, ["E040"]),
    ({"max_age": "99999999999999999999"}, ["E040"]),
    ({"max_age": timedelta(days=2)}, ["E040"]),
    ({"max_age": 1e20}, ["E040"]),
    # bools
    ({"allow_credentials": "true"}, ["E050"]),
    ({"allow_credentials": "False"}, ["E050"]),
    ({"allow_credentials": 1}, ["E050"]),
    ({"send_origin_wildcard": "no"}, ["E050"]),
    ({"allow_private_network": 1}, ["E050"]),
    # list settings of the wrong type
    ({"allow_methods": 42}, ["E060"]),
    ({"allow_headers": [None]}, ["E060"]),
    ({"expose_headers": 3.5}, ["E060"]),
]


CALLS: dict[str, Callable[..., object]] = {
    "cors(app)": lambda **arguments: cors(Quart(__name__), **arguments),
    "cors(blueprint)": lambda **arguments: cors(Blueprint("bp", __name__), **arguments),
    "route_cors": route_cors,
}


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize(("arguments", "codes"), BAD_ARGUMENTS)
def test_explicit_arguments_raise_at_the_call(
    call: str, arguments: dict[str, Any], codes: list[str]
) -> None:
    with pytest.raises(CORSConfigError) as caught:
        CALLS[call](**arguments)
    assert sorted(caught.value.codes) == sorted(codes)
    for problem in caught.value.problems:
        assert isinstance(problem, ConfigProblem)
        assert f"[quart_cors.{problem.code}]" in str(caught.value)


@pytest.mark.parametrize(
    ("arguments", "codes"),
    [
        ({"allow_origin": "https://a.com/"}, ["E012"]),
        ({"allow_origin": "ftp://a.com"}, ["E015"]),
        ({"allow_origin": 42}, ["E010"]),
        ({"send_origin_wildcard": "yes"}, ["E050"]),
    ],
)
def test_websocket_cors_raises_at_call(arguments: dict[str, Any], codes: list[str]) -> None:
    with pytest.raises(CORSConfigError) as caught:
        websocket_cors(**arguments)
    assert sorted(caught.value.codes) == sorted(codes)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(CORSConfigError, ValueError)
    with pytest.raises(ValueError, match=re.escape("[quart_cors.E021]")):
        cors(Quart(__name__), allow_methods=["TRACE"])


def test_every_problem_of_one_policy_reported_together() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(
            Quart(__name__),
            allow_origin=["*", "https://a.com/"],
            allow_credentials=True,
            allow_methods=["GET", "TRACE"],
            allow_headers=["bad header"],
            max_age=-5,
            send_origin_wildcard="yes",  # type: ignore[arg-type]
        )
    assert sorted(caught.value.codes) == ["E001", "E012", "E021", "E030", "E040", "E050"]
    message = str(caught.value)
    lines = [line.strip() for line in message.splitlines()]
    for problem in caught.value.problems:
        assert any(
            line.startswith(f"[quart_cors.{problem.code}] {problem.setting}") for line in lines
        ), (problem, message)
    # each offending value is named in the message
    for value in ("https://a.com/", "TRACE", "bad header", "-5", "yes"):
        assert value in message


def test_max_age_above_the_bound_names_the_bound() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), max_age=10**20)
    (problem,) = caught.value.problems
    assert problem.code == "E040"
    assert "at most 86400" in problem.message


def test_problem_fields() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_methods=["GET", "CONNECT"])
    (problem,) = caught.value.problems
    assert problem.code == "E021"
    assert problem.setting.lower().endswith("allow_methods")
    assert problem.value == "CONNECT"
    assert problem.message


@pytest.mark.parametrize(
    "arguments",
    [
        {"allow_credentials": True, "allow_origin": "https://*.example.com"},
        {"allow_credentials": True, "allow_origin": "https://*.example.co.uk"},
        {"allow_credentials": True, "allow_origin": "http://*.localhost:3000"},
        {"allow_credentials": True, "allow_origin": "https://*.localhost"},
        {"allow_credentials": True, "allow_origin": ["https://a.com", re.compile("https://b")]},
        {"allow_credentials": True, "allow_origin": re.compile(r"https://[a-z]+\.example\.com")},
        {"allow_credentials": True, "allow_origin": re.compile(r"http://localhost:\d+")},
        {"allow_credentials": True, "allow_origin": lambda origin: True},  # allow-all on purpose
        {"allow_origin": re.compile(".*")},  # without credentials: a warning at start-up only
        {"allow_headers": ["*"], "expose_headers": "*"},
        {"allow_credentials": False, "allow_origin": "*"},
        {"allow_origin": "null"},
        {"max_age": 0},
        {"max_age": 600.0},
        {"max_age": timedelta(minutes=10)},
        {"max_age": "600"},  # 0.8.0 accepted digit strings from config files
        {"max_age": 86_400},
        {"max_age": timedelta(days=1)},
        {"allow_methods": ["get", "PATCH", "X-CUSTOM"]},
        {"allow_methods": "*"},
        {"allow_headers": "X-Custom"},
        {"expose_headers": []},
        {"allow_origin": []},
    ],
)
def test_valid_arguments_accepted(arguments: dict[str, Any]) -> None:
    app = Quart(__name__)
    assert cors(app, **arguments) is app
    decorator = route_cors(**arguments)
    assert callable(decorator)


# Values from app.config: the error comes at start-up, or on the first request that needs them.
BAD_CONFIG: list[tuple[dict[str, Any], str]] = [
    ({"QUART_CORS_ALLOW_ORIGIN": "https://a.com/"}, "E012"),
    ({"QUART_CORS_ALLOW_CREDENTIALS": True}, "E001"),  # with the default origin "*"
    ({"QUART_CORS_ALLOW_CREDENTIALS": "true"}, "E050"),
    ({"QUART_CORS_ALLOW_METHODS": ["TRACE"]}, "E021"),
    ({"QUART_CORS_ALLOW_HEADERS": ["bad header"]}, "E030"),
    ({"QUART_CORS_ALLOW_HEADERS": ["X-Company-*"]}, "E031"),
    ({"QUART_CORS_EXPOSE_HEADERS": "X-*"}, "E031"),
    (
        {"QUART_CORS_ALLOW_ORIGIN": re.compile(".*"), "QUART_CORS_ALLOW_CREDENTIALS": True},
        "E004",
    ),
    ({"QUART_CORS_EXPOSE_HEADERS": ["x a"]}, "E030"),
    ({"QUART_CORS_MAX_AGE": -1}, "E040"),
    ({"QUART_CORS_MAX_AGE": "ten"}, "E040"),
    ({"QUART_CORS_MAX_AGE": "604800"}, "E040"),
    ({"QUART_CORS_ALLOW_ORIGIN": "https://a.com,https://b.com"}, "E017"),
    ({"QUART_CORS_SEND_ORIGIN_WILDCARD": "false"}, "E050"),
    ({"QUART_CORS_ALLOW_PRIVATE_NETWORK": "yes"}, "E050"),
    ({"QUART_CORS_ALLOW_METHODS": 7}, "E060"),
]


def _app_with_config_after_cors(config: dict[str, Any]) -> Quart:
    app = Quart(__name__)
    cors(app)  # nothing explicit, so nothing to reject here
    app.config.update(config)

    @app.route("/")
    async def index() -> str:
        return "index"

    return app


@pytest.mark.parametrize(("config", "code"), BAD_CONFIG)
async def test_config_error_at_startup(config: dict[str, Any], code: str) -> None:
    app = _app_with_config_after_cors(config)
    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert code in caught.value.codes


@pytest.mark.parametrize(("config", "code"), BAD_CONFIG)
async def test_config_error_on_first_request_is_500_and_logged(
    config: dict[str, Any], code: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_with_config_after_cors(config)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG):
        response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert response.status_code == 500
    assert "Access-Control-Allow-Origin" not in response.headers
    logged = "\n".join(
        record.getMessage() + "\n" + str(record.exc_info[1] if record.exc_info else "")
        for record in caplog.records
    )
    assert f"quart_cors.{code}" in logged


async def test_config_error_for_route_cors_on_first_request() -> None:
    app = Quart(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = True

    @app.route("/r")
    @route_cors()  # origin "*" by default, credentials from app.config: E001
    async def view() -> str:
        return "r"

    response = await app.test_client().get("/r", headers={"Origin": ORIGIN})
    assert response.status_code == 500


async def test_config_error_for_route_cors_at_startup() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[])  # installs the start-up check; the route has its own origins
    app.config["QUART_CORS_ALLOW_CREDENTIALS"] = True

    @app.route("/r")
    @route_cors(allow_origin="*")
    async def view() -> str:
        return "r"

    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E001",)


async def test_inherited_conflict_between_blueprint_and_app() -> None:
    app = Quart(__name__)
    blueprint = Blueprint("bp", __name__)
    cors(app, allow_credentials=True, allow_origin=ORIGIN)
    cors(blueprint, allow_origin="*")  # valid alone; credentials are inherited from the app

    @blueprint.route("/b")
    async def view() -> str:
        return "b"

    app.register_blueprint(blueprint)
    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E001",)


async def test_inherited_conflict_between_route_and_app() -> None:
    app = Quart(__name__)
    cors(app, allow_credentials=True, allow_origin=ORIGIN)

    @app.route("/r")
    @route_cors(allow_origin="null")
    async def view() -> str:
        return "r"

    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E002",)


async def test_valid_config_starts_and_serves() -> None:
    app = _app_with_config_after_cors(
        {"QUART_CORS_ALLOW_ORIGIN": ORIGIN, "QUART_CORS_ALLOW_CREDENTIALS": True}
    )
    await app.startup()
    response = await app.test_client().get("/", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers.get("Access-Control-Allow-Origin") == ORIGIN
    assert response.headers.get("Access-Control-Allow-Credentials") == "true"
    await app.shutdown()


@pytest.mark.parametrize(("config", "code"), BAD_CONFIG)
async def test_config_error_on_first_preflight_is_500_and_logged(
    config: dict[str, Any], code: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app_with_config_after_cors(config)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG):
        response = await app.test_client().options(
            "/", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
        )
    assert response.status_code == 500
    assert "Access-Control-Allow-Origin" not in response.headers
    logged = "\n".join(
        record.getMessage() + "\n" + str(record.exc_info[1] if record.exc_info else "")
        for record in caplog.records
    )
    assert f"quart_cors.{code}" in logged


async def test_every_config_problem_reported_together_at_startup() -> None:
    app = _app_with_config_after_cors(
        {
            "QUART_CORS_ALLOW_ORIGIN": ["https://a.com/", "ftp://b.com"],
            "QUART_CORS_ALLOW_METHODS": ["TRACE"],
            "QUART_CORS_MAX_AGE": -1,
            "QUART_CORS_ALLOW_PRIVATE_NETWORK": "yes",
        }
    )
    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert sorted(set(caught.value.codes)) == ["E012", "E015", "E021", "E040", "E050"]
    settings = {problem.setting for problem in caught.value.problems}
    assert "QUART_CORS_MAX_AGE" in settings


async def test_route_cors_above_app_route_is_refused_at_start_up() -> None:
    """Above @app.route, route_cors wraps a function the app never calls: refuse it (E070)."""
    app = Quart(__name__)
    cors(app, allow_origin="https://app.example.com")

    @route_cors(allow_origin="https://admin.example.com")
    @app.route("/misplaced")
    async def misplaced() -> str:
        return "x"

    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E070",)
    assert "below @app.route" in str(caught.value)


async def test_route_cors_below_app_route_is_accepted() -> None:
    app = Quart(__name__)
    cors(app, allow_origin="https://app.example.com")

    @app.route("/placed")
    @route_cors(allow_origin="https://admin.example.com")
    async def placed() -> str:
        return "x"

    async with app.test_app() as test_app:
        response = await test_app.test_client().get(
            "/placed", headers={"Origin": "https://admin.example.com"}
        )
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"


async def test_one_function_registered_plain_and_with_route_cors_is_accepted() -> None:
    app = Quart(__name__)
    cors(app, allow_origin="https://app.example.com")

    async def view() -> str:
        return "x"

    app.add_url_rule("/plain", "plain", view)
    app.add_url_rule(
        "/strict", "strict", route_cors(allow_origin="https://admin.example.com")(view)
    )
    await app.startup()
    response = await app.test_client().get(
        "/strict", headers={"Origin": "https://admin.example.com"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://admin.example.com"


# --- E004: a regex that matches any site ------------------------------------------------


def test_any_origin_regex_with_credentials_names_the_pattern_and_the_fix() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=re.compile(r"https?://.*"), allow_credentials=True)
    (problem,) = caught.value.problems
    assert problem.code == "E004"
    message = str(caught.value)
    assert "https?://.*" in message
    assert "callable that returns True" in message


# Regexes that accept sites anyone can register, though not every host: E004 probes names
# under common top-level domains and the pattern's own literal host, glued or extended.
@pytest.mark.parametrize(
    ("pattern", "registrable"),
    [
        (r"https://[a-z0-9-]+\.com", "https://evil.com"),
        (r"https://[a-z]+\.com", "https://evil.com"),
        (r"https://.*example\.com", "https://evilexample.com"),
        (r"https://[a-z]*example\.com", "https://evilexample.com"),
        (r"https://example\.com.*", "https://example.com.evil.net"),
        (r"https?://example\.com(\..*)?", "https://example.com.evil.net"),
    ],
)
def test_regex_that_accepts_registrable_sites_with_credentials_is_refused(
    pattern: str, registrable: str
) -> None:
    regex = re.compile(pattern)
    assert regex.fullmatch(registrable)  # the pattern does let that site in
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_origin=regex, allow_credentials=True)
    assert caught.value.codes == ("E004",)


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://([a-z]+\.)?example\.com",
        r"https://(a|b)\.example\.com",
        r"https://[a-z]+\.example\.com",
        r"https://.*\.example\.com",
        r"https://app-[0-9]+\.example\.com",
        r"https://example\.com(:\d+)?",
        r"http://localhost:\d+",
        r"https://[a-z0-9-]+\.example\.co\.uk",
    ],
)
def test_regex_narrowed_to_your_sites_is_accepted_with_credentials(pattern: str) -> None:
    cors(Quart(__name__), allow_origin=re.compile(pattern), allow_credentials=True)


async def test_inherited_credentials_meet_a_routes_any_origin_regex_at_startup() -> None:
    app = Quart(__name__)
    cors(app, allow_credentials=True, allow_origin=ORIGIN)

    @app.route("/r")
    @route_cors(allow_origin=re.compile(r"https://.+"))  # valid alone: no credentials here
    async def view() -> str:
        return "r"

    with pytest.raises(CORSConfigError) as caught:
        await app.startup()
    assert caught.value.codes == ("E004",)


async def test_allow_all_callable_with_credentials_stays_allowed() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=lambda origin: True, allow_credentials=True)

    @app.route("/")
    async def index() -> str:
        return "index"

    await app.startup()
    response = await app.test_client().get("/", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://any.example"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    await app.shutdown()


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "quart_cors" and record.levelno == logging.WARNING
    ]


def _app_with_routes(**arguments: Any) -> Quart:
    app = Quart(__name__)
    cors(app, **arguments)
    blueprint = Blueprint("bp", __name__)

    for target in (app, blueprint):
        target.add_url_rule("/a", "a", lambda: "a")
        target.add_url_rule("/b", "b", lambda: "b")
    app.register_blueprint(blueprint, url_prefix="/bp")
    return app


async def test_any_origin_regex_without_credentials_warns_once_at_startup(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _app_with_routes(allow_origin=[re.compile(r"https?://.*"), re.compile("https://a.com")])
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        await app.startup()
        client = app.test_client()
        for path in ("/a", "/b", "/bp/a", "/missing"):
            response = await client.get(path, headers={"Origin": "https://any.example"})
            assert response.headers["Access-Control-Allow-Origin"] == "https://any.example"
        await app.shutdown()
    (warning,) = _warnings(caplog)
    assert "https?://.*" in warning
    assert "quart-cors-canary.invalid" in warning


async def test_any_origin_regex_warning_without_lifespan_comes_on_first_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _app_with_routes(allow_origin=re.compile(".+"))
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        assert _warnings(caplog) == []
        await client.get("/a", headers={"Origin": ORIGIN})
        await client.get("/b", headers={"Origin": ORIGIN})
    assert len(_warnings(caplog)) == 1


async def test_narrow_regex_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    app = _app_with_routes(allow_origin=re.compile(r"https://[a-z]+\.example\.com"))
    with caplog.at_level(logging.WARNING, logger="quart_cors"):
        await app.startup()
    assert _warnings(caplog) == []


def test_header_pattern_problem_names_the_fix() -> None:
    with pytest.raises(CORSConfigError) as caught:
        cors(Quart(__name__), allow_headers=["content-type", "X-Company-*"])
    (problem,) = caught.value.problems
    assert (problem.code, problem.setting, problem.value) == (
        "E031",
        "allow_headers",
        "X-Company-*",
    )
    assert "'*' alone" in problem.message
