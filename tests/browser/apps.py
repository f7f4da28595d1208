"""The API apps the browser talks to, one Hypercorn server (one origin) each.

| app      | CORS set-up                                                               |
|----------|---------------------------------------------------------------------------|
| `api`    | app `cors()` for the page origin, no credentials, a blueprint `cors()`,   |
|          | `route_cors` overrides, `cors_exempt`, a WebSocket, a switchable ACAO     |
| `creds`  | app `cors()` with credentials, `allow_headers="*"`, `expose_headers="*"`  |
| `routes` | no `cors()` at all: `route_cors` and `websocket_cors` only                |
| `wild`   | app `cors()` with a wildcard subdomain pattern, plus `:*` and regex routes |
| `quirks` | no quart-cors: fixed CORS answers, to pin one browser rule at a time      |
| `tenants`| app `cors()` and a `route_cors` whose origin callables read the request's Host |
| `promise`| several policies on one URL: what a cached preflight may not carry past a rule |
| `demo`   | the API of `examples/demo.py`, for its eight calls and their "why" column    |
| `partners`| origins from a DynamicOrigins the tests reload, and a report-only candidate   |
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from quart import Blueprint, Quart, Response, abort, redirect, request, websocket
from quart.typing import ResponseReturnValue
from quart.views import MethodView
from werkzeug.routing import BaseConverter, Map

from quart_cors import (
    CORSRequest,
    DynamicOrigins,
    cors,
    cors_exempt,
    route_cors,
    websocket_cors,
)

# The api app's config key: when true, the actual PUT responses of /flaky lack ACAO.
BREAK_FLAKY = "TEST_BREAK_FLAKY_CORS"
# The creds app's config key: the Origin of each call of the DELETE /account view.
ACCOUNT_DELETES = "TEST_ACCOUNT_DELETES"
# The promise app's config key: "METHOD path" of each call of a strict view.
STRICT_CALLS = "TEST_STRICT_CALLS"
# The partners app's config key: the rows its DynamicOrigins loads (tests change them); and
# its extension key: the DynamicOrigins itself, for the tests to reload.
PARTNER_ROWS = "TEST_PARTNER_ROWS"
PARTNERS = "test_partners"


@dataclass(frozen=True)
class Origins:
    """The page origins. Every page is served by one server on two ports."""

    page_port: int
    alt_port: int
    public_port: int
    local_port: int

    def on(self, host: str) -> str:
        return f"http://{host}:{self.page_port}"

    @property
    def page(self) -> str:
        """The main page: same site as every API (`localhost`), other port."""
        return self.on("localhost")

    @property
    def other(self) -> str:
        """A different origin *and* site: 127.0.0.1 instead of localhost."""
        return self.on("127.0.0.1")

    def alt(self, host: str = "localhost") -> str:
        """The same page on another port: another origin, same site."""
        return f"http://{host}:{self.alt_port}"

    @property
    def public(self) -> str:
        """A page that Chromium is told to treat as public (Local Network Access)."""
        return f"http://localhost:{self.public_port}"

    @property
    def local(self) -> str:
        """A page that Chromium is told to treat as local (a private address)."""
        return f"http://localhost:{self.local_port}"


def _hello(text: str) -> Response:
    response = Response(text, content_type="text/plain")
    response.headers["X-Exposed"] = "exposed-value"
    response.headers["X-Hidden"] = "hidden-value"
    response.headers["X-Other"] = "other-value"
    return response


async def _echo_one_message(prefix: str) -> None:
    message = await websocket.receive()
    text = message if isinstance(message, str) else message.decode()
    await websocket.send(f"{prefix} {text}")


def _add_common_routes(app: Quart) -> None:
    """Routes that `api` and `creds` share: cookies, echoes, errors, a redirect."""

    @app.get("/simple")
    async def simple() -> Response:
        return _hello(f"simple from {app.name}")

    @app.route("/item", methods=["GET", "POST", "PUT", "DELETE"])
    async def item() -> Response:
        custom = request.headers.get("X-Custom", "-")
        return _hello(f"{request.method} item, X-Custom={custom}")

    @app.get("/set-cookie")
    async def set_cookie() -> Response:
        response = _hello("cookie set")
        response.set_cookie("sid", f"{app.name}-session", samesite="Lax", httponly=True)
        return response

    @app.get("/whoami")
    async def whoami() -> Response:
        return _hello(f"sid={request.cookies.get('sid', '<none>')}")

    @app.route("/auth", methods=["GET", "PUT"])
    async def auth() -> Response:
        authorization = request.headers.get("Authorization", "<none>")
        return _hello(f"authorization={authorization}; sid={request.cookies.get('sid', '<none>')}")

    @app.get("/headers")
    async def headers() -> Response:
        response = _hello("headers")
        response.headers["X-One"] = "1"
        response.headers["X-Two"] = "2"
        response.set_cookie("tracker", "t", samesite="Lax")
        return response

    @app.get("/forbidden")
    async def forbidden() -> Response:
        abort(403)

    @app.get("/boom")
    async def boom() -> Response:
        raise RuntimeError("boom (expected: the browser tests turn this into a 500)")

    @app.get("/redirect")
    async def to_simple() -> ResponseReturnValue:
        # Same-origin redirect on the API; the query string travels along.
        return redirect(f"/simple?{request.query_string.decode('ascii')}", 302)


def make_api(origins: Origins) -> Quart:
    app = Quart("api")
    _add_common_routes(app)

    @app.route("/cached", methods=["PUT"])
    @route_cors(max_age=600)
    async def cached() -> Response:
        return _hello("cached")

    @app.route("/flaky", methods=["PUT"])
    @route_cors(max_age=600)
    async def flaky() -> Response:
        return _hello("flaky")

    quart_asgi = app.asgi_app

    async def break_flaky(scope: Any, receive: Any, send: Any) -> None:
        """While a test sets app.config[BREAK_FLAKY], the PUT to /flaky loses its ACAO, so
        the actual response fails the CORS check while the preflight (OPTIONS, cacheable for
        600 s) still passes. ASGI middleware: quart-cors adds its headers after every
        after_request function, so only code outside the app can take one away. The toggle is
        server state, not a query parameter: the preflight cache is keyed by the URL, query
        string included."""
        breaking = (
            app.config[BREAK_FLAKY]
            and scope["type"] == "http"
            and scope["path"] == "/flaky"
            and scope["method"] == "PUT"
        )

        async def strip_allow_origin(message: Any) -> None:
            if breaking and message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        (name, value)
                        for name, value in message["headers"]
                        if name.lower() != b"access-control-allow-origin"
                    ],
                }
            await send(message)

        await quart_asgi(scope, receive, strip_allow_origin)

    app.asgi_app = break_flaky  # type: ignore[method-assign]
    app.config[BREAK_FLAKY] = False

    @app.route("/uncached", methods=["PUT"])
    @route_cors(max_age=0)
    async def uncached() -> Response:
        return _hello("uncached")

    @app.route("/any-header", methods=["PUT"])
    @route_cors(allow_headers="*")
    async def any_header() -> Response:
        return _hello(f"authorization={request.headers.get('Authorization', '<none>')}")

    @app.get("/expose-all")
    @route_cors(expose_headers="*")
    async def expose_all() -> Response:
        response = _hello("expose all")
        response.headers["X-One"] = "1"
        response.headers["X-Two"] = "2"
        return response

    @app.get("/route-origin")
    @route_cors(allow_origin=origins.on("a.localhost"))
    async def route_origin() -> Response:
        return _hello("route origin")

    @app.get("/route-expose")
    @route_cors(expose_headers=["X-Other"])
    async def route_expose() -> Response:
        return _hello("route expose")

    @app.get("/exempt")
    @cors_exempt
    async def exempt() -> Response:
        return _hello("exempt")

    @app.get("/local")
    @route_cors(allow_origin=origins.public, allow_private_network=True)
    async def local() -> Response:
        return _hello("local network")

    @app.websocket("/ws")
    async def ws() -> None:
        await _echo_one_message("echo")

    @app.websocket("/ws-exempt")
    @cors_exempt
    async def ws_exempt() -> None:
        await _echo_one_message("exempt")

    @app.websocket("/ws-raises")
    async def ws_raises() -> None:
        raise RuntimeError("expected: the handshake of /ws-raises fails with 500")

    @app.websocket("/ws-hangs")
    async def ws_hangs() -> None:
        await asyncio.sleep(60)  # neither accepts nor refuses: the handshake never completes

    # A blueprint with its own cors(): its allow_origin replaces the app's.
    other = Blueprint("other", __name__, url_prefix="/other")

    @other.get("/hello")
    async def other_hello() -> Response:
        return _hello("blueprint with its own origin")

    @other.get("/forbidden")
    async def other_forbidden() -> Response:
        abort(403)

    @other.get("/route-expose")
    @route_cors(expose_headers=["X-Other"])
    async def other_route_expose() -> Response:
        return _hello("route_cors in a blueprint with cors()")

    # A blueprint nested in `other`, with a cors() of its own: the innermost one wins.
    inner = Blueprint("inner", __name__, url_prefix="/inner")

    @inner.get("/hello")
    async def inner_hello() -> Response:
        return _hello("nested blueprint")

    cors(inner, allow_origin=origins.on("a.localhost"))
    other.register_blueprint(inner)
    cors(other, allow_origin=origins.other)
    app.register_blueprint(other)

    # A blueprint without cors(): it inherits the app's policy.
    plain = Blueprint("plain", __name__, url_prefix="/plain")

    @plain.get("/hello")
    async def plain_hello() -> Response:
        return _hello("blueprint inheriting the app")

    app.register_blueprint(plain)

    return cors(
        app,
        allow_origin=[origins.page],
        allow_methods=["GET", "HEAD", "POST", "PUT"],
        allow_headers=["X-Custom"],
        expose_headers=["X-Exposed"],
    )


def make_creds(origins: Origins) -> Quart:
    app = Quart("creds")
    _add_common_routes(app)

    @app.before_request
    async def require_session() -> ResponseReturnValue | None:
        """Authentication: browsers never send the cookie on a preflight, so this must not
        see preflights (cors() answers them before before_request)."""
        if request.path.startswith("/private") and "sid" not in request.cookies:
            return Response("log in first", status=401, content_type="text/plain")
        return None

    @app.route("/private", methods=["GET", "PUT"])
    async def private() -> Response:
        return _hello(f"private for {request.cookies['sid']}")

    # One path, two policies: the page may read the account; only the admin page (the alt
    # port) may delete it. The preflight for DELETE must get the DELETE rule's answer.
    deletes: list[str] = []
    app.config[ACCOUNT_DELETES] = deletes

    @app.get("/account")
    async def read_account() -> Response:
        return _hello("account")

    @app.delete("/account")
    @route_cors(allow_origin=origins.alt(), allow_credentials=True)
    async def delete_account() -> Response:
        deletes.append(request.headers.get("Origin", "-"))
        return _hello("account deleted")

    return cors(
        app,
        allow_origin=origins.page,
        allow_credentials=True,
        allow_headers="*",
        expose_headers="*",
    )


def make_routes(origins: Origins) -> Quart:
    """No cors(): every CORS header comes from the decorators."""
    app = Quart("routes")

    @app.get("/simple")
    @route_cors(allow_origin=origins.page, expose_headers=["X-Exposed"])
    async def simple() -> Response:
        return _hello("simple from routes")

    @app.route("/item", methods=["GET", "PUT", "DELETE"])
    @route_cors(allow_origin=origins.page, allow_methods=["GET", "PUT"], allow_headers=["X-Custom"])
    async def item() -> Response:
        return _hello(f"{request.method} item, X-Custom={request.headers.get('X-Custom', '-')}")

    @app.get("/forbidden")
    @route_cors(allow_origin=origins.page)
    async def forbidden() -> Response:
        abort(403)

    @app.get("/items/<int:number>")
    @route_cors(allow_origin=origins.page)
    async def missing_item(number: int) -> Response:
        abort(404)

    @app.get("/boom")
    @route_cors(allow_origin=origins.page)
    async def boom() -> Response:
        raise RuntimeError("boom (expected: the browser tests turn this into a 500)")

    @app.errorhandler(418)
    async def teapot_handler(error: Exception) -> tuple[str, int]:
        return "handled teapot", 418

    @app.get("/custom-error")
    @route_cors(allow_origin=origins.page)
    async def custom_error() -> Response:
        abort(418)

    @app.websocket("/ws")
    @websocket_cors(allow_origin=origins.page)
    async def ws() -> None:
        await _echo_one_message("echo")

    return app


def make_wild(origins: Origins) -> Quart:
    app = Quart("wild")

    @app.get("/simple")
    async def simple() -> Response:
        return _hello("wild simple")

    @app.get("/any-port")
    @route_cors(allow_origin="http://localhost:*")
    async def any_port() -> Response:
        return _hello("any port")

    @app.get("/regex")
    @route_cors(allow_origin=re.compile(r"http://(a|b)\.localhost:\d+"))
    async def regex() -> Response:
        return _hello("regex")

    @app.websocket("/ws")
    async def ws() -> None:
        await _echo_one_message("echo")

    return cors(app, allow_origin=f"http://*.localhost:{origins.page_port}")


def make_quirks(origins: Origins) -> Quart:
    """Fixed CORS answers written by hand, no quart-cors: each route isolates one browser
    rule. Every answer allows the requesting origin (echoed), so only that rule decides.
    ``max_age`` in the query string becomes Access-Control-Max-Age, byte for byte."""
    app = Quart("quirks")

    def answer(text: str, **headers: str) -> Response:
        response = Response(text, content_type="text/plain")
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        for name, value in headers.items():
            response.headers[name.replace("_", "-")] = value
        if request.method == "OPTIONS" and "max_age" in request.args:
            response.headers["Access-Control-Max-Age"] = request.args["max_age"]
        return response

    @app.route("/patch", methods=["OPTIONS", "PATCH"], provide_automatic_options=False)
    async def patch() -> Response:
        # Lists PATCH in uppercase only, whatever method the preflight asks for.
        if request.method == "OPTIONS":
            return answer("", Access_Control_Allow_Methods="PATCH")
        return answer("patched")

    @app.route("/put", methods=["OPTIONS", "PUT"], provide_automatic_options=False)
    async def put() -> Response:
        if request.method == "OPTIONS":
            return answer("", Access_Control_Allow_Methods="PUT")
        return answer("put")

    @app.route("/echo-origin", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    async def echo_origin() -> Response:
        # A preflight gets ACAO only: any header it asks about is refused.
        return answer("" if request.method == "OPTIONS" else "hello")

    return app


def make_tenants(origins: Origins) -> Quart:
    """One server for two tenants: the Host a request came to (a.localhost or b.localhost)
    decides which front end may read it."""
    app = Quart("tenants")

    def front_end_of_host(origin: str, request: CORSRequest) -> bool:
        tenant = request.host.partition(".localhost:")[0]
        return tenant in ("a", "b") and origin == origins.on(f"{tenant}.localhost")

    async def front_end_of_host_async(origin: str, request: CORSRequest) -> bool:
        return front_end_of_host(origin, request)

    @app.route("/items", methods=["GET", "PUT"])
    async def items() -> Response:
        return _hello(f"{request.method} items of {request.host.partition('.')[0]}")

    @app.route("/route-items", methods=["GET", "PUT"])
    @route_cors(allow_origin=front_end_of_host_async)
    async def route_items() -> Response:
        return _hello(f"{request.method} route items of {request.host.partition('.')[0]}")

    return cors(app, allow_origin=front_end_of_host, allow_headers=["content-type"])


class RegexConverter(BaseConverter):
    """The common recipe ``<regex("..."):name>``; this one may match a "/"."""

    part_isolating = False

    def __init__(self, url_map: Map, *items: str) -> None:
        super().__init__(url_map)
        self.regex = items[0]


def make_promise(origins: Origins) -> Quart:
    """Three shapes of one URL with two policies: the page may read, only the alt page may write.

    Every strict view records its calls; none may run for the page, whatever the page's browser
    kept from earlier preflights (max_age=600 keeps an answer the browser may reuse).
    """
    app = Quart("promise")
    strict: list[str] = []
    app.config[STRICT_CALLS] = strict
    admin: dict[str, Any] = {"allow_origin": origins.alt(), "allow_credentials": True}

    async def record() -> Response:
        strict.append(f"{request.method} {request.path}")
        return _hello("strict")

    @app.get("/account")
    async def read_account() -> Response:
        return _hello("account")

    app.route("/account", methods=["DELETE"], endpoint="delete_account")(
        route_cors(**admin)(record)
    )

    @app.get("/orders")
    async def read_orders() -> Response:
        return _hello("orders")

    app.route("/orders", methods=["POST"], endpoint="create_order")(route_cors(**admin)(record))

    class Profile(MethodView):
        async def get(self) -> Response:
            return _hello("profile")

        @route_cors(**admin)
        async def delete(self) -> Response:
            return await record()

    app.add_url_rule("/profile", view_func=Profile.as_view("profile"))

    # strict_slashes=False: '/notes/' serves '/notes' too, without a redirect.
    @app.get("/notes")
    async def read_notes() -> Response:
        return _hello("notes")

    app.add_url_rule(
        "/notes/",
        "delete_notes",
        route_cors(**admin)(record),
        methods=["DELETE"],
        strict_slashes=False,
    )

    # strict_slashes=False: '/drafts/' serves GET and DELETE at '/drafts' and answers OPTIONS
    # there, while Werkzeug routes PUT /drafts to a 404 (not a 405).
    app.add_url_rule(
        "/drafts/",
        "drafts",
        route_cors(**admin)(record),
        methods=["GET", "DELETE"],
        strict_slashes=False,
    )

    # PUT /memos is a 405 whose methods Werkzeug takes from '/memos' alone, while '/memos/'
    # (strict_slashes=False) serves DELETE at /memos for the alt page only.
    @app.get("/memos")
    async def read_memos() -> Response:
        return _hello("memos")

    app.add_url_rule(
        "/memos/",
        "delete_memos",
        route_cors(**admin)(record),
        methods=["DELETE"],
        strict_slashes=False,
    )

    # A converter whose argument holds a "/": '/files/team/logo' is served by both rules.
    app.url_map.converters["regex"] = RegexConverter

    @app.get('/files/<regex("[a-z]+/[a-z]+"):name>')
    async def read_file(name: str) -> Response:
        return _hello(name)

    app.route("/files/team/logo", methods=["DELETE"], endpoint="delete_logo")(
        route_cors(**admin)(record)
    )
    return cors(
        app,
        allow_origin=origins.page,
        allow_credentials=True,
        allow_headers=["content-type"],
        max_age=600,
    )


def load_demo() -> ModuleType:
    """examples/demo.py as a module (the examples are not a package)."""
    name = "quart_cors_example_demo"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def make_demo(origins: Origins) -> Quart:
    app: Quart = load_demo().create_api(origins.page)
    return app


def make_partners(origins: Origins) -> Quart:
    """Origins loaded from a "table" (a config list) and a stricter report-only candidate.

    Enforced: the page, plus what the loader returns (at first the alt page), with
    ``x-custom`` allowed. The candidate keeps only the page and allows no request headers.
    """
    app = Quart("partners")
    app.config[PARTNER_ROWS] = [origins.alt()]

    async def load_partner_origins() -> list[str]:
        return list(app.config[PARTNER_ROWS])

    partners = DynamicOrigins(load_partner_origins, refresh=None)
    app.extensions[PARTNERS] = partners

    @app.route("/partner", methods=["GET", "PUT"])
    async def partner() -> Response:
        custom = request.headers.get("X-Custom", "-")
        return _hello(f"{request.method} partner, X-Custom={custom}")

    return cors(
        app,
        allow_origin=[origins.page, partners],
        allow_methods=["GET", "PUT"],
        allow_headers=["x-custom"],
        report_only={"allow_origin": [origins.page], "allow_headers": []},
    )


APP_FACTORIES = {
    "api": make_api,
    "creds": make_creds,
    "routes": make_routes,
    "wild": make_wild,
    "quirks": make_quirks,
    "tenants": make_tenants,
    "promise": make_promise,
    "demo": make_demo,
    "partners": make_partners,
}
