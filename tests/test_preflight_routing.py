"""Preflights routed by the method they ask for (docs/behaviour.md, section 3.3).

A browser preflights a URL, not a route: when rules on one path have different policies, the
preflight for method M must get the answer of the rule that serves M, never that of another rule
that happens to accept OPTIONS first.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart, Request, abort, request
from werkzeug.exceptions import HTTPException

from conftest import cors_headers, preflight_headers, send, vary
from quart_cors import cors, cors_exempt, route_cors

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
BLOG = "https://blog.example"
ADMIN = "https://admin.example"
MAX_AGE = "Access-Control-Max-Age"
DEFAULT_METHODS = "GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE"


def narrow(method: str) -> dict[str, str]:
    """What an answer on a URL whose rules differ lists: the method asked, kept for 0 s."""
    return {ACAM: method, MAX_AGE: "0"}


@dataclass
class Calls:
    """Which views ran, and whether before_request ran (it must not for a preflight)."""

    views: list[str] = field(default_factory=list)
    before_request: list[str] = field(default_factory=list)


def _view(name: str, calls: Calls) -> Callable[[], Any]:
    async def view() -> str:
        calls.views.append(f"{name} {request.method}")
        return name

    view.__name__ = name
    return view


def account_app(*, app_cors: bool = True) -> tuple[Quart, Calls]:
    """GET under a broad credentialed policy, DELETE on the same path with a strict one."""
    app = Quart(__name__)
    calls = Calls()
    if app_cors:
        cors(
            app,
            allow_origin=re.compile(r"https://(?:blog|admin|other)\.example"),
            allow_credentials=True,
        )
    read: Any = _view("read_account", calls)
    if not app_cors:
        read = route_cors(
            allow_origin=re.compile(r"https://(?:blog|admin|other)\.example"),
            allow_credentials=True,
        )(read)
    app.route("/account", methods=["GET"])(read)
    delete = route_cors(allow_origin=ADMIN, allow_credentials=True)(_view("delete_account", calls))
    app.route("/account", methods=["DELETE"])(delete)
    return app, calls


@pytest.mark.parametrize("app_cors", [True, False], ids=["cors(app)", "route_cors only"])
@pytest.mark.parametrize(
    ("origin", "method", "expected"),
    [
        # The DELETE rule's policy decides the DELETE preflight: the blog is not allowed there.
        # The rules differ, so each answer lists only what was asked, for 0 s.
        (BLOG, "DELETE", {}),
        (ADMIN, "DELETE", {ACAO: ADMIN, ACAC: "true", **narrow("DELETE")}),
        # The GET rule's policy decides a preflight for GET (e.g. with a custom header).
        (BLOG, "GET", {ACAO: BLOG, ACAC: "true", **narrow("GET")}),
        # No rule on the path serves PUT: the preflight is answered as the actual PUT's 405 is,
        # by the enclosing scope's policy (the app's cors(); none in a route_cors-only app).
        (ADMIN, "PUT", {ACAO: ADMIN, ACAC: "true", **narrow("PUT")}),
        (BLOG, "PUT", {ACAO: BLOG, ACAC: "true", **narrow("PUT")}),
    ],
)
async def test_the_rule_serving_the_requested_method_answers(
    app_cors: bool, origin: str, method: str, expected: dict[str, str]
) -> None:
    if method == "PUT" and not app_cors:
        expected = {}  # no scope encloses the two rules with a policy: Quart's 405 has none
    app, calls = account_app(app_cors=app_cors)
    response = await app.test_client().options(
        "/account", headers=preflight_headers(origin, method)
    )
    assert response.status_code == 200
    assert cors_headers(response) == expected
    assert calls.views == []


@pytest.mark.parametrize("app_cors", [True, False], ids=["cors(app)", "route_cors only"])
async def test_refused_delete_preflight_means_the_actual_delete_is_refused_too(
    app_cors: bool,
) -> None:
    app, _ = account_app(app_cors=app_cors)
    client = app.test_client()
    actual = await client.delete("/account", headers={"Origin": BLOG})
    assert ACAO not in actual.headers
    allowed = await client.delete("/account", headers={"Origin": ADMIN})
    assert allowed.headers[ACAO] == ADMIN


def _rules_app(build: Callable[[Quart, Calls], None], *, app_cors: dict[str, Any] | None) -> Any:
    app = Quart(__name__)
    calls = Calls()
    if app_cors is not None:
        cors(app, **app_cors)
    build(app, calls)
    if app_cors is None:
        return app, calls

    @app.before_request
    async def authenticate() -> None:
        # Under cors() preflights are answered first; an auth check like this never sees them.
        calls.before_request.append(request.method)
        abort(401)

    return app, calls


def get_post_put(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["GET"])(route_cors(allow_origin=BLOG)(_view("get", calls)))
    app.route("/r", methods=["POST"])(route_cors(allow_origin=ADMIN)(_view("post", calls)))
    app.route("/r", methods=["PUT"])(
        route_cors(allow_origin=ADMIN, allow_methods=["PUT"])(_view("put", calls))
    )


def blueprint_beside_app_rule(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["GET"])(_view("get", calls))
    blueprint = Blueprint("bp", __name__)
    cors(blueprint, allow_origin=ADMIN, allow_methods=["DELETE"])
    blueprint.route("/r", methods=["DELETE"])(_view("delete", calls))
    app.register_blueprint(blueprint)


def lowercase_methods(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["get"])(_view("get", calls))
    app.route("/r", methods=["delete"])(route_cors(allow_origin=ADMIN)(_view("delete", calls)))


def explicit_options_rule(app: Quart, calls: Calls) -> None:
    # A rule that lists OPTIONS answers plain OPTIONS requests itself; it is not a preflight's
    # answer for the other methods of the path.
    app.route("/r", methods=["OPTIONS"])(route_cors(allow_origin=BLOG)(_view("options", calls)))
    app.route("/r", methods=["PATCH"])(route_cors(allow_origin=ADMIN)(_view("patch", calls)))


def head_via_get(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["POST"])(route_cors(allow_origin=BLOG)(_view("post", calls)))
    app.route("/r", methods=["GET"])(route_cors(allow_origin=ADMIN)(_view("get", calls)))


def exempt_first(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["GET"])(cors_exempt(_view("get", calls)))
    app.route("/r", methods=["PUT"])(_view("put", calls))


def stricter_first(app: Quart, calls: Calls) -> None:
    app.route("/r", methods=["GET"])(route_cors(allow_origin=[])(_view("get", calls)))
    app.route("/r", methods=["PUT"])(_view("put", calls))


# (name, rules, app cors() arguments or None, Origin, ACRM, expected CORS headers)
SAME_PATH: list[tuple[str, Any, dict[str, Any] | None, str, str, dict[str, str]]] = [
    ("GET+POST+PUT: GET", get_post_put, None, BLOG, "GET", {ACAO: BLOG, **narrow("GET")}),
    ("GET+POST+PUT: POST, blog", get_post_put, None, BLOG, "POST", {}),
    (
        "GET+POST+PUT: POST, admin",
        get_post_put,
        None,
        ADMIN,
        "POST",
        {ACAO: ADMIN, **narrow("POST")},
    ),
    ("GET+POST+PUT: PUT, admin", get_post_put, None, ADMIN, "PUT", {ACAO: ADMIN, **narrow("PUT")}),
    ("GET+POST+PUT: PUT, blog", get_post_put, None, BLOG, "PUT", {}),
    ("GET+POST+PUT: PUT, cors(app)", get_post_put, {}, BLOG, "PUT", {}),
    (
        "blueprint: DELETE, admin",
        blueprint_beside_app_rule,
        {},
        ADMIN,
        "DELETE",
        {ACAO: ADMIN, **narrow("DELETE")},
    ),
    ("blueprint: DELETE, blog", blueprint_beside_app_rule, {}, BLOG, "DELETE", {}),
    (
        "blueprint: GET, app policy",
        blueprint_beside_app_rule,
        {},
        BLOG,
        "GET",
        {ACAO: "*", **narrow("GET")},
    ),
    ("lowercase rule methods: DELETE", lowercase_methods, {}, BLOG, "DELETE", {}),
    (
        "lowercase rule methods: DELETE, admin",
        lowercase_methods,
        {},
        ADMIN,
        "DELETE",
        {ACAO: ADMIN, **narrow("DELETE")},
    ),
    # A lowercase ACRM is routed as the actual request is (Werkzeug uppercases methods) but
    # compared case-sensitively against the allowed methods, as browsers do.
    ("lowercase ACRM: delete, admin", lowercase_methods, {}, ADMIN, "delete", {ACAO: ADMIN}),
    ("lowercase ACRM: delete, blog", lowercase_methods, {}, BLOG, "delete", {}),
    ("explicit OPTIONS rule: PATCH, blog", explicit_options_rule, {}, BLOG, "PATCH", {}),
    (
        "explicit OPTIONS rule: PATCH, admin",
        explicit_options_rule,
        {},
        ADMIN,
        "PATCH",
        {ACAO: ADMIN, **narrow("PATCH")},
    ),
    ("HEAD via GET: admin", head_via_get, {}, ADMIN, "HEAD", {ACAO: ADMIN, **narrow("HEAD")}),
    ("HEAD via GET: blog", head_via_get, {}, BLOG, "HEAD", {}),
    (
        "exempt rule first: PUT passes",
        exempt_first,
        {},
        BLOG,
        "PUT",
        {ACAO: "*", **narrow("PUT")},
    ),
    ("exempt rule first: GET gets nothing", exempt_first, {}, BLOG, "GET", {}),
    (
        "stricter rule first: PUT passes",
        stricter_first,
        {},
        BLOG,
        "PUT",
        {ACAO: "*", **narrow("PUT")},
    ),
    ("stricter rule first: GET refused", stricter_first, {}, BLOG, "GET", {}),
]


@pytest.mark.parametrize(
    ("rules", "app_cors", "origin", "method", "expected"),
    [case[1:] for case in SAME_PATH],
    ids=[case[0] for case in SAME_PATH],
)
async def test_same_path_rules(
    rules: Callable[[Quart, Calls], None],
    app_cors: dict[str, Any] | None,
    origin: str,
    method: str,
    expected: dict[str, str],
) -> None:
    app, calls = _rules_app(rules, app_cors=app_cors)
    response = await app.test_client().options("/r", headers=preflight_headers(origin, method))
    assert cors_headers(response) == expected
    assert calls.views == []
    if app_cors is not None and expected:
        # Under cors() the answer comes before the app's before_request (which refuses OPTIONS).
        assert response.status_code == 200
        assert calls.before_request == []


async def test_refused_preflight_still_varies_on_the_request_headers() -> None:
    app, _ = _rules_app(get_post_put, app_cors={})
    response = await app.test_client().options("/r", headers=preflight_headers(BLOG, "PUT"))
    assert cors_headers(response) == {}
    assert vary(response) == [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ]


async def test_a_method_no_rule_serves_is_answered_as_its_405_is() -> None:
    # One rule, one policy: the preflight lets the DELETE go, and the page sees its 405 instead
    # of a CORS error (as 0.8.0, flask-cors and Starlette answer it).
    app = Quart(__name__)
    cors(app, allow_methods="*", allow_headers="*")

    @app.route("/only-get")
    async def only_get() -> str:
        return "x"

    client = app.test_client()
    response = await client.options(
        "/only-get", headers=preflight_headers(BLOG, "DELETE", "x-custom")
    )
    assert cors_headers(response) == {ACAO: "*", ACAM: "*", ACAH: "x-custom"}
    actual = await client.delete("/only-get", headers={"Origin": BLOG})
    assert actual.status_code == 405
    assert actual.headers[ACAO] == "*"


async def test_own_options_view_answers_when_quart_routes_options_to_it() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=BLOG)
    calls = Calls()

    @app.route("/r", methods=["PUT", "OPTIONS"])
    @route_cors(allow_origin=ADMIN, allow_methods=["PUT"], provide_automatic_options=False)
    async def own() -> tuple[str, int]:
        calls.views.append(request.method)
        return "", 204

    @app.route("/r", methods=["GET"])
    async def read() -> str:
        return "r"

    client = app.test_client()
    response = await client.options("/r", headers=preflight_headers(ADMIN, "PUT"))
    assert calls.views == ["OPTIONS"]
    assert response.status_code == 204
    assert cors_headers(response) == {ACAO: ADMIN, **narrow("PUT")}
    # A preflight for GET, which the own-options view does not serve, still reaches it (Quart
    # sends OPTIONS there) and gets the GET rule's policy.
    response = await client.options("/r", headers=preflight_headers(BLOG, "GET"))
    assert cors_headers(response) == {ACAO: BLOG, **narrow("GET")}


# --- property: a preflight for M is answered as the actual M request is -------------------

ORIGINS = [BLOG, ADMIN, "https://other.example"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
METHOD_SETS = st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True)
POLICIES = st.one_of(
    st.just("inherit"),
    st.just("exempt"),
    st.lists(st.sampled_from(ORIGINS), max_size=2, unique=True),
)


@st.composite
def rule_sets(draw: st.DrawFn) -> list[tuple[list[str], Any]]:
    count = draw(st.integers(1, 4))
    return [
        (
            draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True)),
            draw(POLICIES),
        )
        for _ in range(count)
    ]


def _property_app(rules: list[tuple[list[str], Any]], app_origins: list[str]) -> Quart:
    app = Quart(__name__)
    cors(app, allow_origin=app_origins, allow_credentials=True)
    for index, (methods, policy) in enumerate(rules):
        view: Any = _view(f"rule{index}", Calls())
        if policy == "exempt":
            view = cors_exempt(view)
        elif policy != "inherit":
            view = route_cors(allow_origin=policy)(view)
        app.add_url_rule("/p", f"rule{index}", view, methods=methods)
    return app


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rules=rule_sets(),
    app_origins=st.lists(st.sampled_from(ORIGINS), max_size=2, unique=True),
    method=st.sampled_from(METHODS),
    origin=st.sampled_from(ORIGINS),
)
async def test_preflight_for_a_method_gets_the_actual_requests_allow_origin(
    rules: list[tuple[list[str], Any]], app_origins: list[str], method: str, origin: str
) -> None:
    app = _property_app(rules, app_origins)
    client = app.test_client()
    preflight = await client.options("/p", headers=preflight_headers(origin, method))
    actual = await send(app, method, "/p", {"Origin": origin})
    assert preflight.headers.get(ACAO) == actual.headers.get(ACAO)
    assert preflight.headers.get(ACAC) == actual.headers.get(ACAC)


# --- the gate reads the scope as Quart does -------------------------------------------------


def title_case_host(app: Any, host: bytes) -> Any:
    """Middleware that sets Host under a title-case name (ASGI asks for lowercase; Quart
    reads header names case-insensitively, so it routes by this Host all the same)."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
            # A server always names its own address; with no "host" the gate fell back to it.
            scope = {**scope, "headers": [(b"Host", host), *headers], "server": ("localhost", 80)}
        await app(scope, receive, send)

    return middleware


def absolute_form(app: Any, prefix: str) -> Any:
    """Middleware that hands the app an absolute-form target, as a server does for
    ``OPTIONS http://host/path HTTP/1.1``."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": prefix + scope["path"]}
        await app(scope, receive, send)

    return middleware


def by_host(calls: Calls) -> Quart:
    """A broad policy on the server's own host, a strict one on the public host."""
    app = Quart(__name__, host_matching=True, static_host="static.example")
    cors(app, allow_origin=ADMIN)
    app.route("/r", methods=["DELETE"], host="localhost")(
        route_cors(allow_origin=BLOG)(_view("server_host", calls))
    )
    app.route("/r", methods=["DELETE"], host="api.example")(_view("public_host", calls))
    app.asgi_app = title_case_host(app.asgi_app, b"api.example")  # type: ignore[method-assign]
    return app


def by_path_parameters(calls: Calls) -> Quart:
    """A broad policy on "/r;v", a strict one on "/r", where Quart routes "http://h/r;v"."""
    app = Quart(__name__)
    cors(app, allow_origin=ADMIN)
    app.route("/r;v", methods=["DELETE"])(route_cors(allow_origin=BLOG)(_view("params", calls)))
    app.route("/r", methods=["DELETE"])(_view("plain", calls))
    app.asgi_app = absolute_form(app.asgi_app, "http://api.example")  # type: ignore[method-assign]
    return app


@pytest.mark.parametrize(
    ("build_app", "path", "view"),
    [(by_host, "/r", "public_host"), (by_path_parameters, "/r;v", "plain")],
    ids=["title-case Host", "absolute-form target"],
)
async def test_the_gate_routes_the_scope_as_quart_does(
    build_app: Callable[[Calls], Quart], path: str, view: str
) -> None:
    calls = Calls()
    client = build_app(calls).test_client()
    actual = await client.delete(path, headers={"Origin": BLOG})
    assert calls.views == [f"{view} DELETE"]
    assert ACAO not in actual.headers
    response = await client.options(path, headers=preflight_headers(BLOG, "DELETE"))
    assert cors_headers(response) == {}


@pytest.mark.parametrize("method", ["DELETE", "GET", "PUT"])
@pytest.mark.parametrize("origin", [BLOG, ADMIN])
async def test_a_redirected_preflight_takes_the_redirected_requests_policy(
    origin: str, method: str
) -> None:
    # Werkzeug redirects "/account" to "/account/" (or answers 404 for PUT, which no rule
    # serves); the actual request's answer takes the policy of the rule it is redirected to,
    # and so does the preflight's. Browsers refuse a redirected preflight; the answer must
    # not claim more all the same.
    app = Quart(__name__)
    calls = Calls()
    cors(
        app,
        allow_origin=re.compile(r"https://(?:blog|admin|other)\.example"),
        allow_credentials=True,
    )
    app.route("/account/", methods=["GET"])(_view("read_account", calls))
    app.route("/account/", methods=["DELETE"])(
        route_cors(allow_origin=ADMIN, allow_credentials=True)(_view("delete_account", calls))
    )
    client = app.test_client()
    preflight = await client.options("/account", headers=preflight_headers(origin, method))
    actual = await send(app, method, "/account", {"Origin": origin})
    assert preflight.headers.get(ACAO) == actual.headers.get(ACAO)
    assert preflight.headers.get(ACAC) == actual.headers.get(ACAC)
    assert calls.views == []


class TrustedHostsRequest(Request):
    trusted_hosts = ["api.example"]  # noqa: RUF012 (Werkzeug declares it a list)


async def test_an_untrusted_host_gets_quarts_answer_for_the_preflight_too() -> None:
    # Quart refuses both requests before any view (SecurityError); the gate must not answer
    # the preflight for a host the actual request can never reach.
    host = "evil.example"
    app = Quart(__name__)
    app.request_class = TrustedHostsRequest
    calls = Calls()
    cors(app, allow_origin=BLOG)
    app.route("/r", methods=["DELETE"])(_view("delete", calls))
    client = app.test_client()

    async def outcome(request: Awaitable[Any]) -> object:
        # Quart 0.19 and 0.20 raise the SecurityError through the test client; 0.21 and later
        # answer it with a 500. Either way both requests must end the same.
        try:
            response = await request
        except HTTPException as error:
            return type(error)
        assert response.status_code >= 400
        return (response.status_code, "access-control-allow-origin" in response.headers)

    actual = await outcome(client.delete("/r", headers={"Host": host, "Origin": BLOG}))
    preflight = await outcome(
        client.options("/r", headers={"Host": host, **preflight_headers(BLOG, "DELETE")})
    )
    assert preflight == actual
    assert calls.views == []


# --- property: apps with route_cors only never answer more than the actual request gets ----

ROUTE_POLICIES = st.one_of(
    st.just("plain"),
    st.just("exempt"),
    # (origins, whether the view answers OPTIONS itself)
    st.tuples(st.lists(st.sampled_from(ORIGINS), max_size=2, unique=True), st.booleans()),
)


def _route_cors_app(rules: list[tuple[list[str], Any]], *, under_empty_cors: bool) -> Quart:
    app = Quart(__name__)
    if under_empty_cors:
        cors(app, allow_origin=[])
    for index, (rule_methods, policy) in enumerate(rules):
        view: Any = _view(f"rule{index}", Calls())
        methods = rule_methods
        if policy == "exempt":
            view = cors_exempt(view)
        elif policy != "plain":
            origins, own_options = policy
            view = route_cors(
                allow_origin=origins,
                allow_credentials=True,
                provide_automatic_options=not own_options,
            )(view)
            if own_options:
                methods = [*rule_methods, "OPTIONS"]
        app.add_url_rule("/p", f"rule{index}", view, methods=methods)
    return app


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rules=st.lists(st.tuples(METHOD_SETS, ROUTE_POLICIES), min_size=1, max_size=4),
    method=st.sampled_from(METHODS),
    origin=st.sampled_from(ORIGINS),
    under_empty_cors=st.booleans(),
)
async def test_route_cors_preflight_never_allows_what_the_actual_request_refuses(
    rules: list[tuple[list[str], Any]], method: str, origin: str, under_empty_cors: bool
) -> None:
    # Without cors() a plain rule that Quart sends OPTIONS to answers without CORS headers (a
    # refusal, as documented); a preflight that does allow M must agree with the actual M.
    app = _route_cors_app(rules, under_empty_cors=under_empty_cors)
    preflight = await app.test_client().options("/p", headers=preflight_headers(origin, method))
    actual = await send(app, method, "/p", {"Origin": origin})
    allowed = [item.strip() for item in preflight.headers.get(ACAM, "").split(",")]
    # Without cors() nothing of quart-cors runs for a 405, which then has no CORS headers, even
    # where the preflight was answered by the path's one policy (as 0.8.0 answered it).
    served = any(
        method in methods or (method == "HEAD" and "GET" in methods) for methods, _ in rules
    )
    if under_empty_cors or (method in allowed and served):
        assert preflight.headers.get(ACAO) == actual.headers.get(ACAO)
        assert preflight.headers.get(ACAC) == actual.headers.get(ACAC)
