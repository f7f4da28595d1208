"""A preflight answer is a promise for the whole URL (docs/behaviour.md, section 3.3).

Browsers keep a preflight answer per (origin, URL, credentials) for every method and header name
it lists, for Max-Age. These tests drive the simulated browser, which keeps that cache as
Chromium does, and check that no cached answer carries a request past a rule that refuses it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Blueprint, Quart, Request, request
from quart.views import MethodView

from conftest import cors_headers, preflight_headers, send
from quart_cors import QuartCORS, cors, cors_exempt, describe, route_cors
from quart_cors.testing import Browser

ROOT = Path(__file__).resolve().parent.parent
PARTNER = "https://partner.example"
ADMIN = "https://admin.example"
ACAO = "Access-Control-Allow-Origin"
ACAM = "Access-Control-Allow-Methods"
MAX_AGE = "Access-Control-Max-Age"
JSON = {"Content-Type": "application/json"}


@dataclass
class Views:
    """Which views ran, by name and method."""

    calls: list[str] = field(default_factory=list)

    def view(self, name: str) -> Callable[[], Any]:
        async def view() -> str:
            self.calls.append(f"{name} {request.method}")
            return name

        view.__name__ = name
        return view


def never_clock() -> float:
    """A clock that never moves: every cached answer stays within its Max-Age."""
    return 0.0


# --- the shapes the security finding named ---------------------------------------------------


def get_then_strict_delete(shape: str) -> tuple[Quart, Views]:
    """GET /account for the partner; DELETE /account only for the admin, in each shape."""
    app = Quart(__name__)
    views = Views()
    partner: dict[str, Any] = {"allow_origin": [PARTNER], "allow_credentials": True, "max_age": 600}
    if shape != "route_cors only":
        cors(app, **partner)
    read: Any = views.view("read")
    if shape == "route_cors only":
        read = route_cors(**partner)(read)
    app.route("/account", methods=["GET"])(read)
    remove: Any = views.view("delete")
    if shape == "exempt delete":
        remove = cors_exempt(remove)
    else:
        remove = route_cors(allow_origin=[ADMIN], allow_credentials=True)(remove)
    app.route("/account", methods=["DELETE"])(remove)
    return app, views


@pytest.mark.parametrize("shape", ["cors(app)", "route_cors only", "exempt delete"])
async def test_a_get_preflight_never_carries_a_delete_past_its_rule(shape: str) -> None:
    app, views = get_then_strict_delete(shape)
    browser = Browser(app, PARTNER, clock=never_clock)
    # A non-simple GET: its preflight is answered by the GET rule, which allows the partner.
    read = await browser.fetch("/account", headers=JSON, credentials="include")
    assert read.ok
    assert read.preflight is not None
    assert read.preflight.get(MAX_AGE) == "0"
    assert read.preflight.get(ACAM) == "GET"
    # The DELETE needs a preflight of its own, which the DELETE rule refuses.
    removed = await browser.fetch("/account", method="DELETE", credentials="include")
    assert not removed.ok
    assert removed.preflighted
    assert views.calls == ["read GET"]


async def test_a_uniform_url_keeps_its_max_age() -> None:
    # One policy on the URL: listing everything it allows promises nothing another rule refuses.
    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER], allow_credentials=True, max_age=600)
    views = Views()
    app.route("/notes", methods=["GET", "DELETE"])(views.view("notes"))
    browser = Browser(app, PARTNER, clock=never_clock)
    read = await browser.fetch("/notes", headers=JSON, credentials="include")
    assert read.preflight is not None
    assert read.preflight.get(MAX_AGE) == "600"
    removed = await browser.fetch("/notes", method="DELETE", credentials="include")
    assert removed.ok
    assert removed.preflight_from_cache
    assert views.calls == ["notes GET", "notes DELETE"]


async def test_header_names_from_a_get_preflight_never_carry_a_json_post_past_its_rule() -> None:
    # POST is safelisted, so only the cached "content-type" stood between the page and the POST.
    app = Quart(__name__)
    views = Views()
    cors(app, allow_origin=[PARTNER], allow_credentials=True, max_age=600)
    app.route("/orders", methods=["GET"])(views.view("read"))
    app.route("/orders", methods=["POST"])(
        route_cors(allow_origin=[ADMIN], allow_credentials=True)(views.view("create"))
    )
    browser = Browser(app, PARTNER, clock=never_clock)
    assert (await browser.fetch("/orders", headers=JSON, credentials="include")).ok
    created = await browser.fetch(
        "/orders", method="POST", headers=JSON, body="{}", credentials="include"
    )
    assert not created.ok
    assert created.preflighted
    assert views.calls == ["read GET"]


async def test_a_request_aware_callable_cannot_decide_by_method() -> None:
    # What one cached answer covers is the same for every method: the callable sees no method.
    seen: list[tuple[str, ...]] = []

    def by_url(origin: str, request: Any) -> bool:
        seen.append(tuple(vars(request) if hasattr(request, "__dict__") else ()))
        return not hasattr(request, "method") and origin == PARTNER

    app = Quart(__name__)
    cors(app, allow_origin=by_url)
    app.route("/x", methods=["GET", "DELETE"])(Views().view("x"))
    response = await app.test_client().options("/x", headers=preflight_headers(PARTNER, "DELETE"))
    assert response.headers[ACAO] == PARTNER


# --- MethodView --------------------------------------------------------------------------------


class Account(MethodView):
    calls: list[str] = []  # noqa: RUF012 (shared by the instances Quart makes per request)

    async def get(self) -> str:
        self.calls.append("GET")
        return "account"

    @route_cors(allow_origin=[ADMIN], allow_credentials=True)
    async def delete(self) -> str:
        self.calls.append("DELETE")
        return "deleted"


def method_view_app() -> Quart:
    Account.calls = []
    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER], allow_credentials=True, max_age=600)
    app.add_url_rule("/account", view_func=Account.as_view("account"))
    return app


@pytest.mark.parametrize(
    ("origin", "method", "allowed"),
    [
        (PARTNER, "DELETE", False),
        (ADMIN, "DELETE", True),
        (PARTNER, "GET", True),
        (ADMIN, "GET", False),
        (PARTNER, "HEAD", True),
    ],
)
async def test_route_cors_on_a_method_view_method_is_honoured(
    origin: str, method: str, allowed: bool
) -> None:
    app = method_view_app()
    client = app.test_client()
    preflight = await client.options("/account", headers=preflight_headers(origin, method))
    assert (preflight.headers.get(ACAO) == origin) is allowed
    if allowed:
        # The URL's two methods have different policies: nothing is kept.
        assert preflight.headers[MAX_AGE] == "0"
        assert preflight.headers[ACAM] == method
    actual = await send(app, method, "/account", {"Origin": origin})
    assert (actual.headers.get(ACAO) == origin) is allowed


async def test_a_method_view_preflight_never_carries_the_delete() -> None:
    app = method_view_app()
    browser = Browser(app, PARTNER, clock=never_clock)
    assert (await browser.fetch("/account", headers=JSON, credentials="include")).ok
    removed = await browser.fetch("/account", method="DELETE", credentials="include")
    assert not removed.ok
    assert Account.calls == ["GET"]


async def test_describe_shows_a_method_view_methods_own_policy() -> None:
    records = [record for record in describe(method_view_app()) if record.rule == "/account"]
    by_methods = {record.methods: record for record in records}
    assert set(by_methods) == {("GET",), ("DELETE",)}
    delete = by_methods[("DELETE",)]
    assert delete.policy is not None
    assert delete.sources is not None
    assert delete.policy.allow_origin == (ADMIN,)
    assert delete.sources["allow_origin"] == "route_cors"
    read = by_methods[("GET",)]
    assert read.policy is not None
    assert read.policy.allow_origin == (PARTNER,)


async def test_cors_exempt_on_a_method_view_method() -> None:
    class Feed(MethodView):
        async def get(self) -> str:
            return "feed"

        @cors_exempt
        async def post(self) -> str:
            return "posted"

    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER])
    app.add_url_rule("/feed", view_func=Feed.as_view("feed"))
    client = app.test_client()
    assert (await client.get("/feed", headers={"Origin": PARTNER})).headers[ACAO] == PARTNER
    posted = await client.post("/feed", headers={"Origin": PARTNER})
    assert cors_headers(posted) == {}
    assert "Vary" not in posted.headers


# --- view shapes that cannot be honoured are refused -------------------------------------------


async def test_route_cors_on_a_method_view_without_cors_is_refused() -> None:
    Account.calls = []
    app = Quart(__name__)
    app.add_url_rule("/account", view_func=Account.as_view("account"))
    response = await app.test_client().delete("/account", headers={"Origin": ADMIN})
    assert response.status_code == 500
    assert Account.calls == []
    with pytest.raises(Exception, match=r"E071") as error:
        describe(app)
    assert "cors(app, allow_origin=[])" in str(error.value)


async def test_route_cors_on_a_helper_of_a_view_class_is_refused() -> None:
    class Report(MethodView):
        async def get(self) -> str:
            return "report"

        @route_cors(allow_origin=[ADMIN])
        async def render(self) -> str:
            return "never a handler"

    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER])
    app.add_url_rule("/report", view_func=Report.as_view("report"))
    with pytest.raises(Exception, match=r"E071.*Report\.render is not a method handler"):
        describe(app)


# --- provide_automatic_options=False where Quart answers OPTIONS anyway ------------------------


async def test_own_options_steps_aside_only_where_quart_would_not_answer_options() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER])
    views = Views()
    before: list[str] = []

    @app.before_request
    async def authenticate() -> tuple[str, int]:
        before.append(request.method)
        return "log in first", 401

    # No "OPTIONS" among the methods: Quart adds its automatic answer, which the view never sees.
    app.route("/x", methods=["GET", "PUT"])(
        route_cors(allow_origin=[PARTNER], provide_automatic_options=False)(views.view("x"))
    )
    response = await app.test_client().options("/x", headers=preflight_headers(PARTNER, "PUT"))
    assert response.status_code == 200
    assert response.headers[ACAO] == PARTNER
    assert before == []
    assert views.calls == []


# --- a Host Quart refuses keeps Quart's answer ---------------------------------------------------


class TrustedHostsRequest(Request):
    trusted_hosts = ["api.example"]  # noqa: RUF012 (Werkzeug declares it a list)


@pytest.mark.parametrize("host", ["a..b", "x" * 64 + ".example", "evil.example"])
@pytest.mark.parametrize("method", ["GET", "PUT", "OPTIONS"])
@pytest.mark.parametrize("trusted", [True, False], ids=["trusted_hosts", "any host"])
async def test_a_refused_host_gets_the_answer_bare_quart_gives(
    host: str, method: str, trusted: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Quart 0.23 answers 400 (0.19 and 0.20 raise through the test client); with cors() the
    # answer must be the same, and quart_cors must not log a traceback of its own.
    def build(with_cors: bool) -> Quart:
        app = Quart(__name__)
        if trusted:
            app.request_class = TrustedHostsRequest
        if with_cors:
            cors(app, allow_origin=[PARTNER])
        app.route("/x", methods=["GET"])(Views().view("x"))
        return app

    async def status(app: Quart) -> object:
        headers = {"Host": host, **preflight_headers(PARTNER, "GET")}
        try:
            response = await send(app, method, "/x", headers)
        except Exception as error:
            return type(error)
        return response.status_code

    bare = await status(build(with_cors=False))
    caplog.clear()
    assert await status(build(with_cors=True)) == bare
    assert not [record for record in caplog.records if record.name == "quart_cors"]


# --- one app-level policy ------------------------------------------------------------------------


def test_init_app_after_cors_is_refused() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[ADMIN], allow_credentials=True)
    with pytest.raises(RuntimeError, match="already set up"):
        QuartCORS(allow_origin="*").init_app(app)


def test_cors_after_init_app_is_refused() -> None:
    app = Quart(__name__)
    QuartCORS(allow_origin=[ADMIN]).init_app(app)
    with pytest.raises(RuntimeError, match="already set up"):
        cors(app, allow_origin="*")


def test_a_second_cors_on_one_app_is_refused() -> None:
    app = Quart(__name__)
    cors(app, allow_origin=[ADMIN])
    with pytest.raises(RuntimeError, match="already set up"):
        cors(app)


# --- the property: over random rule sets, the cache never carries a refused request ------------

ORIGINS = [PARTNER, ADMIN, "https://other.example"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
HEADER_CHOICES = [["content-type"], ["x-token"], ["content-type", "x-token"], ["*"]]
REQUEST_HEADERS: list[dict[str, str]] = [
    {},
    JSON,
    {"X-Token": "t"},
    {**JSON, "X-Token": "t"},
]


@st.composite
def settings_layer(draw: st.DrawFn) -> dict[str, Any]:
    origins = draw(st.lists(st.sampled_from(ORIGINS), min_size=1, max_size=2, unique=True))
    return {
        "allow_origin": origins,
        "allow_credentials": draw(st.booleans()),
        "allow_headers": draw(st.sampled_from(HEADER_CHOICES)),
        "allow_methods": draw(
            st.one_of(st.just(["*"]), st.lists(st.sampled_from(METHODS), min_size=1))
        ),
        "max_age": draw(st.sampled_from([None, 600])),
    }


RULE_KINDS = st.one_of(
    st.just(("inherit", None)),
    st.just(("exempt", None)),
    st.tuples(st.just("route_cors"), settings_layer()),
    st.tuples(st.just("blueprint"), settings_layer()),
)


def _method_view(methods: list[str], layer: dict[str, Any] | None, views: Views) -> Any:
    """A MethodView serving ``methods``; the first one carries route_cors when ``layer``."""
    namespace: dict[str, Any] = {}
    for index, method in enumerate(methods):

        async def handler(self: Any, method: str = method) -> str:
            views.calls.append(f"view {method}")
            return "ok"

        namespace[method.lower()] = (
            route_cors(**layer)(handler) if index == 0 and layer is not None else handler
        )
    return type("Generated", (MethodView,), namespace)


def random_app(
    rules: list[tuple[list[str], tuple[str, Any]]], app_layer: dict[str, Any], method_view: bool
) -> tuple[Quart, Views]:
    app = Quart(__name__)
    cors(app, **app_layer)
    views = Views()
    for index, (methods, (kind, layer)) in enumerate(rules):
        name = f"rule{index}"
        if method_view and index == 0:
            view_class = _method_view(methods, layer if kind == "route_cors" else None, views)
            app.add_url_rule("/p", view_func=view_class.as_view(name))
            continue
        view: Any = views.view(name)
        if kind == "exempt":
            view = cors_exempt(view)
        elif kind == "route_cors":
            view = route_cors(**layer)(view)
        if kind == "blueprint":
            blueprint = Blueprint(f"bp{index}", __name__)
            cors(blueprint, **layer)
            blueprint.add_url_rule("/p", name, view, methods=methods)
            app.register_blueprint(blueprint)
        else:
            app.add_url_rule("/p", name, view, methods=methods)
    return app, views


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rules=st.lists(
        st.tuples(
            st.lists(st.sampled_from(METHODS), min_size=1, max_size=2, unique=True), RULE_KINDS
        ),
        min_size=1,
        max_size=4,
    ),
    app_layer=settings_layer(),
    method_view=st.booleans(),
    origin=st.sampled_from(ORIGINS),
    requests=st.lists(
        st.tuples(
            st.sampled_from(METHODS),
            st.sampled_from(range(len(REQUEST_HEADERS))),
            st.sampled_from(["omit", "include"]),
        ),
        min_size=2,
        max_size=6,
    ),
)
async def test_no_cached_answer_carries_a_request_past_a_rule_that_refuses_it(
    rules: list[tuple[list[str], tuple[str, Any]]],
    app_layer: dict[str, Any],
    method_view: bool,
    origin: str,
    requests: list[tuple[str, int, Any]],
) -> None:
    # A request that a fresh browser (empty preflight cache) would be refused by its own
    # preflight must not reach a view from a browser that kept earlier answers.
    app, views = random_app(rules, app_layer, method_view)
    cached = Browser(app, origin, clock=never_clock)
    for method, headers_index, credentials in requests:
        headers = REQUEST_HEADERS[headers_index]
        body = "{}" if method != "GET" else None
        before = len(views.calls)
        await Browser(app, origin, clock=never_clock).fetch(
            "/p", method=method, headers=headers, body=body, credentials=credentials
        )
        fresh_reached = len(views.calls) > before
        before = len(views.calls)
        await cached.fetch("/p", method=method, headers=headers, body=body, credentials=credentials)
        cached_reached = len(views.calls) > before
        assert fresh_reached or not cached_reached, (method, headers, credentials)


def test_the_property_covers_method_views_and_blueprints() -> None:
    # The generator builds each shape it claims to (a guard against a silently narrower search).
    layer = {"allow_origin": [ADMIN], "allow_credentials": True}
    app, _ = random_app(
        [(["GET", "DELETE"], ("route_cors", layer)), (["PUT"], ("blueprint", layer))],
        {"allow_origin": [PARTNER]},
        method_view=True,
    )
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {"rule0", "bp1.rule1"} <= endpoints
    view_class = getattr(app.view_functions["rule0"], "view_class", None)
    assert view_class is not None
    assert re.search("Generated", repr(view_class))


# --- the example shop ----------------------------------------------------------------------------


async def test_the_shops_subdomains_cannot_reach_delete_account(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # examples/shop.py: GET /api/account for every *.shop.example page with credentials;
    # DELETE /api/account only for the admin's. A cached GET answer must not carry a DELETE.
    monkeypatch.syspath_prepend(str(ROOT))
    app = importlib.import_module("examples.shop").app
    browser = Browser(app, "https://www.shop.example", clock=never_clock)
    assert (await browser.fetch("/api/account", headers=JSON, credentials="include")).ok
    removed = await browser.fetch("/api/account", method="DELETE", credentials="include")
    assert not removed.ok
    assert removed.preflighted
    assert removed.response is None  # the DELETE itself never went out
    admin = Browser(app, "https://admin.shop.example", clock=never_clock)
    assert (await admin.fetch("/api/account", method="DELETE", credentials="include")).ok


async def test_a_method_views_own_head_takes_the_views_policy_not_gets() -> None:
    # Quart calls head() when the class defines one; only without it does HEAD fall back to get().
    class Page(MethodView):
        @route_cors(allow_origin=[ADMIN])
        async def get(self) -> str:
            return "page"

        async def head(self) -> str:
            return ""

    app = Quart(__name__)
    cors(app, allow_origin=[PARTNER])
    app.add_url_rule("/page", view_func=Page.as_view("page"))
    client = app.test_client()
    head = await client.head("/page", headers={"Origin": PARTNER})
    assert head.headers.get(ACAO) == PARTNER
    got = await client.get("/page", headers={"Origin": PARTNER})
    assert ACAO not in got.headers
