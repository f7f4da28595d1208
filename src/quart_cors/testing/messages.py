"""What the simulated browser sends, receives and reports: requests, responses, verdicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

Credentials = Literal["omit", "same-origin", "include"]
Headers = Sequence[tuple[str, str]]

if TYPE_CHECKING:
    from quart_cors.diagnose import Diagnosis


@dataclass(frozen=True)
class HTTPRequest:
    """A request as the browser puts it on the wire."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def get(self, name: str) -> str | None:
        """The header's values joined with ', ', or None when absent."""
        return get_header(self.headers, name)


@dataclass(frozen=True)
class HTTPResponse:
    """A response as the browser receives it, before any CORS filtering."""

    status: int
    headers: Headers = ()
    body: bytes = b""
    url: str = ""

    def get(self, name: str) -> str | None:
        """The header's values joined with ', ' (as JavaScript sees them), or None."""
        return get_header(self.headers, name)

    def get_all(self, name: str) -> list[str]:
        """Every value of the header, one item per header line."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (replacing undecodable bytes)."""
        return self.body.decode("utf-8", "replace")


def get_header(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    values = [value for key, value in headers if key.lower() == lowered]
    return ", ".join(values) if values else None


@dataclass(frozen=True)
class Block:
    """Why the browser refuses: a stable code and a sentence that says what to change."""

    code: str
    explanation: str


@dataclass(frozen=True)
class FetchWarning:
    """Something the browser lets through but reports in the console (or a simulator note)."""

    code: str
    message: str


@dataclass(frozen=True)
class FetchResult:
    """What a page's ``fetch()`` would get, and why.

    ``ok`` is True when the browser hands the response to JavaScript (whatever its status);
    ``blocked_by`` is then None. Otherwise ``blocked_by`` is one of the stable codes listed in
    docs/testing.md (e.g. ``header_not_allowed``) and ``explanation`` says what to change on
    the server.
    """

    ok: bool
    blocked_by: str | None
    explanation: str
    url: str
    request: HTTPRequest
    preflight_request: HTTPRequest | None
    preflight: HTTPResponse | None
    response: HTTPResponse | None
    readable_headers: Mapping[str, str]
    preflight_from_cache: bool = False
    redirects: tuple[HTTPResponse, ...] = ()
    warnings: tuple[FetchWarning, ...] = ()
    # How long browsers reuse the preflight answer, or that a failed one is not kept; "" when
    # no preflight was involved. ``explanation`` ends with it.
    preflight_reuse: str = ""
    # For an app in process: the setting of the serving rule's policy that refuses the request,
    # with where it comes from and the change that fixes it (``explanation`` then says so).
    diagnosis: Diagnosis | None = None

    @property
    def status(self) -> int | None:
        """The status JavaScript sees: the response's status when ok, else None."""
        return self.response.status if self.ok and self.response is not None else None

    @property
    def preflighted(self) -> bool:
        """Whether a preflight went on the wire for this fetch."""
        return self.preflight_request is not None

    def summary(self) -> dict[str, Any]:
        """A stable, JSON-friendly digest for comparing verdicts with a real browser."""
        return {
            "ok": self.ok,
            "blocked_by": self.blocked_by,
            "preflighted": self.preflighted,
            "status": self.status,
            "readable_headers": sorted(self.readable_headers),
            "warnings": [warning.code for warning in self.warnings],
        }


@dataclass(frozen=True)
class WebSocketResult:
    """The server's answer to a WebSocket handshake (browsers do no CORS check here).

    ``status`` is 0 when there was no answer: the browser sent no handshake (Local Network
    Access refused it) or the server never answered it (``websocket_handshake_timeout``).
    """

    accepted: bool
    status: int
    headers: Headers
    blocked_by: str | None
    explanation: str
    request: HTTPRequest
