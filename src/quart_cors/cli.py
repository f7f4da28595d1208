"""The ``quart-cors`` command: run the simulated browser against an app or a live URL.

    quart-cors check URL --origin ORIGIN [--method M] [-H 'Name: value']... [--credentials]
    quart-cors check --app MODULE:APP PATH --origin ORIGIN [...]
    quart-cors routes --app MODULE:APP [--json]

Exit status: 0 the browser would allow the request, 1 it would block it, 2 usage error
(bad arguments, bad URL, an app that cannot be imported or started, a missing optional
dependency), 3 the server could not be reached (refused connection, timeout, TLS failure),
141 stdout was closed before the report was written (``quart-cors routes ... | head -3``): the
status a shell shows for a writer killed by SIGPIPE, without the traceback.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib
import inspect
import io
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TextIO

from quart import Quart

from .describe import describe, format_table
from .errors import CORSConfigError
from .testing import (
    Browser,
    FetchResult,
    Headers,
    HTTPXTransport,
    Transport,
    TransportError,
    WebSocketResult,
    checked_method,
    cors_unsafe_request_header_names,
    forbidden_request_header,
    is_cors_safelisted_method,
    serialize_origin,
)
from .testing.origin import check_page_origin

EXIT_ALLOWED = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
# 128 + SIGPIPE: what a shell reports for a writer killed by a closed pipe.
EXIT_CLOSED_PIPE = 128 + 13

# Headers worth showing in a CORS trace; the rest is noise for this purpose.
_SHOWN_RESPONSE_HEADERS = ("access-control-", "vary", "location", "content-type")


class UsageError(Exception):
    """A problem with the command line itself (exit status 2)."""


# What --app takes: the forms `quart --app` takes.
APP_FORMS = (
    "what `quart --app` takes: MODULE[:APP], FILE.py[:APP], or MODULE:create_app() with "
    "literal arguments; imported from the current directory"
)

# What a user runs to get httpx: 0.9 is not on PyPI yet, so "quart-cors[http]" would fetch 0.8.0.
HTTPX_INSTALL = "pip install httpx (or, in a clone of quart-cors, pip install '.[http]')"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``quart-cors``."""
    parser = argparse.ArgumentParser(
        prog="quart-cors",
        description="Debug CORS: show what a browser would send and whether it would allow it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser(
        "check",
        help="simulate a browser's fetch() from ORIGIN and explain the verdict",
        description=(
            "Simulate Chromium's fetch() from a page at ORIGIN: decide whether a preflight "
            "is needed, send it, apply the browser's checks, then send the request and list "
            "the response headers JavaScript could read."
        ),
        epilog=(
            "exit status: 0 allowed, 1 blocked, 2 usage error (also an app that fails to start, "
            "or httpx missing for a live URL), 3 server unreachable. "
            "examples: quart-cors check https://api.example.com/items --origin "
            "https://app.example.com --method PUT -H 'Content-Type: application/json'; "
            "quart-cors check --app myapp:app /items --origin https://app.example.com"
        ),
    )
    check.add_argument(
        "target", metavar="URL|PATH", help="a live http(s) URL, or a path with --app"
    )
    check.add_argument(
        "--app",
        metavar="MODULE:APP",
        help=f"check a Quart app in-process ({APP_FORMS})",
    )
    check.add_argument("--origin", required=True, help="the page's origin, e.g. https://app.test")
    check.add_argument("--method", "-X", default="GET", help="the request method (default GET)")
    check.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a request header set by the page's script (repeatable)",
    )
    check.add_argument(
        "--data", "-d", default=None, help="a request body (a string, sent as fetch() would)"
    )
    check.add_argument(
        "--credentials",
        action="store_true",
        help="send with credentials: 'include' (cookies, and the credential rules of CORS)",
    )
    check.add_argument(
        "--websocket",
        action="store_true",
        help="open a WebSocket to the target instead of calling fetch() (a URL may be ws://)",
    )
    check.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for a live server (10)"
    )
    check.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates of a live server"
    )
    add_routes_parser(commands)
    return parser


def add_routes_parser(commands: Any) -> None:
    """The ``routes`` subcommand: every route's effective policy and where it came from."""
    routes = commands.add_parser(
        "routes",
        help="list every route's effective CORS policy and where each setting came from",
        description=(
            "Run the app's start-up as a server would, then list every URL rule (HTTP and "
            "websocket) and the 404 answers that get a policy: whether CORS is on, exempt or "
            "off, the effective value of each setting, and where it came from (route_cors, "
            "websocket_cors, blueprint:NAME, app, config:QUART_CORS_..., default)."
        ),
        epilog=(
            "exit status: 0 listed, 2 usage or configuration error. "
            "example: quart-cors routes --app myapp:app --json > cors-routes.json"
        ),
    )
    routes.add_argument(
        "--app",
        metavar="MODULE:APP",
        required=True,
        help=f"the Quart app ({APP_FORMS})",
    )
    routes.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list, one object per route, values in full (for diffs in CI)",
    )


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> ('Name', 'value')."""
    name, separator, value = text.partition(":")
    name = name.strip()
    if not separator or not name or any(char in name for char in " \t\r\n"):
        raise UsageError(f"-H {text!r}: expected 'Name: value'")
    return name, value.strip()


def load_app(spec: str) -> Quart:
    """Find the app as ``quart --app`` does (Quart's and Flask's CLI rules), for ``spec``:

    - ``MODULE`` or ``MODULE:NAME``, where MODULE is a dotted name (``pkg.module``) or a file
      (``notes_app.py``, ``./src/notes_app.py``, ``pkg/__init__.py``); a file's directory, or
      that of the outermost package around it, goes first on ``sys.path``;
    - NAME is an attribute (``app``; dotted, ``obj.app``, is also accepted), or a factory
      call with literal arguments (``create_app()``, ``create_app('testing', debug=True)``);
      a function given without parentheses is called without arguments;
    - without NAME: ``app`` or ``application``, else the module's only Quart app, else a
      ``create_app`` or ``make_app`` factory called without arguments.
    """
    # A colon followed by a slash belongs to a Windows path (C:\app.py), not to NAME.
    module_path, *rest = re.split(r":(?![\\/])", spec, maxsplit=1)
    name = rest[0] if rest else None
    if not module_path or name == "":
        raise UsageError(f"--app {spec!r}: expected MODULE[:NAME], e.g. myproject.app:app")
    module_name = _import_name(module_path)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise UsageError(f"--app {spec!r}: cannot import {module_name!r}: {error}") from error
    target = _find_app(module, spec) if name is None else _app_by_name(module, name, spec)
    if not isinstance(target, Quart):
        raise UsageError(f"--app {spec!r} is not a Quart app (got {type(target).__name__})")
    return target


def _import_name(path: str) -> str:
    """The module name for a dotted name or a file path; its root goes first on sys.path."""
    location = os.path.realpath(path)
    stem, extension = os.path.splitext(location)
    if extension == ".py":
        location = stem
    if os.path.basename(location) == "__init__":
        location = os.path.dirname(location)
    parts: list[str] = []
    while True:  # up through the packages around it (directories with an __init__.py)
        location, part = os.path.split(location)
        parts.append(part)
        if not os.path.exists(os.path.join(location, "__init__.py")):
            break
    if sys.path[:1] != [location]:
        sys.path.insert(0, location)
    return ".".join(reversed(parts))


def _find_app(module: ModuleType, spec: str) -> object:
    """No NAME given: app or application, the only Quart instance, or create_app/make_app."""
    for attribute in ("app", "application"):
        found = getattr(module, attribute, None)
        if isinstance(found, Quart):
            return found
    apps = [value for value in vars(module).values() if isinstance(value, Quart)]
    if len(apps) > 1:
        raise UsageError(
            f"--app {spec!r}: {module.__name__!r} holds several Quart apps: "
            f"name one, as in {module.__name__}:app"
        )
    if apps:
        return apps[0]
    for attribute in ("create_app", "make_app"):
        factory = getattr(module, attribute, None)
        if inspect.isfunction(factory):
            return _call_factory(factory, (), {}, spec)
    raise UsageError(
        f"--app {spec!r}: {module.__name__!r} has no Quart app or factory: "
        f"name it, as in {module.__name__}:app"
    )


def _app_by_name(module: ModuleType, name: str, spec: str) -> object:
    """NAME: an attribute (dotted or not), or a call of a function with literal arguments."""
    try:
        expression = ast.parse(name.strip(), mode="eval").body
    except SyntaxError:
        expression = None
    arguments: tuple[Any, ...] = ()
    keywords: dict[str, Any] = {}
    called = isinstance(expression, ast.Call)
    if isinstance(expression, ast.Call):
        literal = all(item.arg is not None for item in expression.keywords)  # no f(**mapping)
        try:
            arguments = tuple(ast.literal_eval(item) for item in expression.args)
            keywords = {str(item.arg): ast.literal_eval(item.value) for item in expression.keywords}
        except ValueError:
            literal = False
        if not literal:
            raise UsageError(
                f"--app {spec!r}: a factory's arguments must be literal values (strings, "
                "numbers, lists...), as with quart --app"
            )
        expression = expression.func
    path = _dotted_name(expression)
    if path is None:
        raise UsageError(
            f"--app {spec!r}: NAME must be an attribute name or a call such as create_app()"
        )
    target: object = module
    for part in path:
        try:
            target = getattr(target, part)
        except AttributeError as error:
            raise UsageError(f"--app {spec!r}: {module.__name__!r} has no {part!r}") from error
    if inspect.isfunction(target) or (called and callable(target)):
        return _call_factory(target, arguments, keywords, spec)
    return target


def _dotted_name(expression: ast.expr | None) -> list[str] | None:
    """['obj', 'app'] for ``obj.app``; None for anything but names joined by dots."""
    if isinstance(expression, ast.Name):
        return [expression.id]
    if isinstance(expression, ast.Attribute):
        head = _dotted_name(expression.value)
        return None if head is None else [*head, expression.attr]
    return None


def _call_factory(
    factory: Any, arguments: tuple[Any, ...], keywords: dict[str, Any], spec: str
) -> object:
    try:
        return factory(*arguments, **keywords)
    except Exception as error:
        raise UsageError(f"--app {spec!r}: calling the factory failed: {error!r}") from error


def preflight_reasons(method: str, headers: Headers, *, cross_origin: bool = True) -> list[str]:
    """Why a browser would preflight this request (empty: it would not)."""
    if not cross_origin:
        return []
    reasons = []
    if not is_cors_safelisted_method(method):
        reasons.append(f"{method} is not a CORS-safelisted method (GET, HEAD, POST)")
    # fetch() silently drops the headers a script may not set, so they never cause a preflight.
    sent = [(key, value) for key, value in headers if not forbidden_request_header(key, value)]
    for name in cors_unsafe_request_header_names(sent):
        value = next((value for key, value in sent if key.lower() == name), "")
        reasons.append(f"header {name}: {value!r} is not CORS-safelisted")
    return reasons


def _print_headers(out: TextIO, marker: str, headers: Headers, *, only_cors: bool) -> None:
    shown = 0
    for name, value in headers:
        if only_cors and not name.lower().startswith(_SHOWN_RESPONSE_HEADERS):
            continue
        print(f"  {marker} {name}: {value}", file=out)
        shown += 1
    if only_cors and not shown:
        print(f"  {marker} (no CORS headers)", file=out)


def report_fetch(result: FetchResult, out: TextIO) -> int:
    """Print each step of a simulated fetch; return the exit status."""
    if result.preflight_request is not None:
        print(f"Preflight sent: OPTIONS {result.preflight_request.url}", file=out)
        _print_headers(out, ">", result.preflight_request.headers, only_cors=False)
    if result.preflight is not None:
        print(f"Preflight answer: {result.preflight.status}", file=out)
        _print_headers(out, "<", result.preflight.headers, only_cors=True)
    elif result.preflight_from_cache:
        print("Preflight: answered from the preflight cache", file=out)
    for redirect in result.redirects:
        print(f"Redirect: {redirect.status} to {redirect.get('location')}", file=out)
    if result.response is not None:
        print(f"Request sent: {result.request.method} {result.request.url}", file=out)
        _print_headers(out, ">", result.request.headers, only_cors=False)
        print(f"Response: {result.response.status}", file=out)
        _print_headers(out, "<", result.response.headers, only_cors=True)
    elif result.preflight is not None:
        print("Request sent: none (the preflight failed)", file=out)
    for warning in result.warnings:
        print(f"Warning ({warning.code}): {warning.message}", file=out)
    # The explanation ends with how long the preflight answer is kept: a line of its own here.
    explanation = result.explanation.removesuffix(f"; {result.preflight_reuse}")
    if result.ok:
        print(f"Verdict: ALLOWED - {explanation}", file=out)
        readable = ", ".join(result.readable_headers) or "(none)"
        print(f"JavaScript can read these response headers: {readable}", file=out)
    else:
        print(f"Verdict: BLOCKED ({result.blocked_by})", file=out)
        print(f"Fix: {explanation}", file=out)
    if result.preflight_reuse:
        print(f"Preflight cache: {result.preflight_reuse}", file=out)
    return EXIT_ALLOWED if result.ok else EXIT_BLOCKED


def report_websocket(result: WebSocketResult, out: TextIO) -> int:
    """Print a simulated WebSocket handshake; return the exit status."""
    print(f"Handshake sent: GET {result.request.url} (Upgrade: websocket)", file=out)
    _print_headers(out, ">", result.request.headers, only_cors=False)
    print(f"Handshake answer: {result.status}", file=out)
    if result.accepted:
        print(f"Verdict: ALLOWED - {result.explanation}", file=out)
        return EXIT_ALLOWED
    print(f"Verdict: BLOCKED ({result.blocked_by})", file=out)
    print(f"Fix: {result.explanation}", file=out)
    return EXIT_BLOCKED


def check_url(url: str, *, websocket: bool) -> None:
    """Refuse a live-server URL that cannot be checked (http(s), or ws(s) with --websocket)."""
    try:
        serialize_origin(url)
    except ValueError as error:
        raise UsageError(f"bad URL {url!r}: {error}") from error
    if url.startswith(("ws://", "wss://")):
        if not websocket:
            raise UsageError(
                f"bad URL {url!r}: a ws:// or wss:// URL opens a WebSocket: add --websocket"
            )
    elif not url.startswith(("http://", "https://")):
        schemes = "http://, https://, ws:// and wss://" if websocket else "http:// and https://"
        raise UsageError(f"bad URL {url!r}: only {schemes} URLs can be checked")


def require_httpx() -> None:
    """Refuse early, with the install line, when live URLs cannot be checked."""
    try:
        import httpx  # noqa: F401, PLC0415 - the optional `http` extra
    except ImportError as error:
        raise UsageError(f"checking a live URL needs httpx: {HTTPX_INSTALL}") from error


@dataclass(frozen=True)
class Request:
    """The fetch() the command line describes, checked before anything is started."""

    origin: str
    method: str
    headers: list[tuple[str, str]]


def parse_request(args: argparse.Namespace) -> Request:
    """Refuse an --origin, -H or --method a browser would never send (exit status 2)."""
    origin = args.origin
    try:
        check_page_origin(origin, "--origin")  # the same message Browser() gives
    except ValueError as error:
        raise UsageError(str(error)) from error
    headers = [parse_header(text) for text in args.headers]
    try:
        method = checked_method(args.method, args.data)
    except TypeError as error:
        raise UsageError(f"fetch() would throw before sending: {error}") from error
    return Request(origin, method, headers)


async def run_check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate the arguments, then check against the app (started) or the live URL."""
    request = parse_request(args)
    if args.app is None:
        check_url(args.target, websocket=args.websocket)
        require_httpx()
        transport = HTTPXTransport(timeout=args.timeout, verify=not args.insecure)
        return await simulate(args, request, transport, out, base_url=args.target)
    app = load_app(args.app)
    if not args.target.startswith("/"):
        raise UsageError(f"with --app, give a path starting with '/', not {args.target!r}")
    async with serving(app):  # before_serving and while_serving run, as under a server
        return await simulate(args, request, app, out, base_url=None)


async def simulate(
    args: argparse.Namespace,
    request: Request,
    target: Quart | Transport,
    out: TextIO,
    *,
    base_url: str | None,
) -> int:
    """Run the simulated fetch (or WebSocket) against ``target``, print it; the exit status."""
    url = args.target
    origin, method, headers = request.origin, request.method, request.headers
    browser = Browser(target, origin, base_url=base_url)
    if args.websocket:
        return report_websocket(await browser.websocket(url), out)
    cross_origin = serialize_origin(browser.resolve(url)) != origin
    reasons = preflight_reasons(method, headers, cross_origin=cross_origin)
    print(f"Page origin: {origin}", file=out)
    print(f"fetch({url!r}, method={method!r}, credentials=", end="", file=out)
    print(f"{'include' if args.credentials else 'same-origin'!r})", file=out)
    if not cross_origin:
        print("Same-origin request: CORS does not apply", file=out)
    elif reasons:
        print("Preflight needed: " + "; ".join(reasons), file=out)
    else:
        print("No preflight needed: a CORS-safelisted method and headers", file=out)
    try:
        result = await browser.fetch(
            url,
            method=method,
            headers=headers,
            body=args.data,
            credentials="include" if args.credentials else "same-origin",
        )
    except TypeError as error:
        raise UsageError(f"fetch() would throw before sending: {error}") from error
    return report_fetch(result, out)


def _not_a_config_error(record: logging.LogRecord) -> bool:
    # Quart logs a failed start-up with its traceback; a CORSConfigError's problems are printed.
    return not (record.exc_info and isinstance(record.exc_info[1], CORSConfigError))


class StartupError(Exception):
    """The app's own start-up (before_serving) failed; the message is the app's."""


class FirstRequestError(Exception):
    """An app without cors() started, but its CORS configuration is invalid: quart-cors
    compiles it on the first request to a route_cors view, which then fails with a 500."""


@asynccontextmanager
async def serving(app: Quart, timeout: float = 60.0) -> AsyncIterator[None]:
    """Run the app's start-up and shut-down through the ASGI lifespan protocol, as servers do."""
    to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, to_app.get, from_app.put))  # type: ignore[arg-type]

    async def exchange(message_type: str) -> dict[str, Any]:
        await to_app.put({"type": message_type})
        reply = asyncio.ensure_future(from_app.get())
        done, _ = await asyncio.wait({reply, task}, timeout=timeout, return_when="FIRST_COMPLETED")
        if reply not in done:
            reply.cancel()
            if task in done and task.exception() is not None:
                raise StartupError(f"{task.exception()!r}")
            raise StartupError(f"no answer to {message_type} within {timeout:g} s")
        return reply.result()

    try:
        app.logger.addFilter(_not_a_config_error)
        try:
            answer = await exchange("lifespan.startup")
        finally:
            app.logger.removeFilter(_not_a_config_error)
        if answer["type"] != "lifespan.startup.complete":
            raise StartupError(str(answer.get("message", "")))
        yield
        await exchange("lifespan.shutdown")
    finally:
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def run_routes(args: argparse.Namespace, out: TextIO) -> int:
    """Start the app, describe its routes, print them as a table or as JSON."""
    app = load_app(args.app)
    async with serving(app):
        try:
            records = describe(app)
        except CORSConfigError as error:  # under cors() the start-up has failed already
            raise FirstRequestError(str(error)) from error
    if args.json:
        print(json.dumps([record.to_json() for record in records], indent=2), file=out)
    else:
        print(format_table(records), file=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quart-cors`` console script and of ``python -m quart_cors``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = run_routes if args.command == "routes" else run_check
    # The report is written once the command is done, so that the app's start-up and
    # shut-down run in full even when the reader of stdout goes away early.
    report = io.StringIO()
    try:
        status = asyncio.run(command(args, report))
    except UsageError as error:
        print(f"quart-cors: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (CORSConfigError, StartupError) as error:
        print(f"quart-cors: the app's start-up failed: {error}", file=sys.stderr)
        return EXIT_USAGE
    except FirstRequestError as error:
        print(
            "quart-cors: the app starts (it has no cors()), but its first request to a "
            f"route_cors view fails with a 500: {error}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except TransportError as error:
        print(f"quart-cors: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        return 130
    return write_report(report.getvalue(), status)


def write_report(text: str, status: int) -> int:
    """Print the report; ``status``, or EXIT_CLOSED_PIPE when stdout's reader has gone."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # `quart-cors routes ... | head -3`: the reader has what it wanted. Python ignores
        # SIGPIPE, so the write failed instead of killing us; exit as a killed writer would
        # look to the shell, and point stdout at devnull so that the flush at exit is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_CLOSED_PIPE
    return status
