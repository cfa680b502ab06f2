"""What the synchronous and the asynchronous clients share: a call as data (what to send and
how to read its answer), building its request, deciding whether and when to retry it, and
turning an answer into data or an exception. Neither transport has logic of its own beyond
sending, sleeping and looping."""

from __future__ import annotations

import email.utils
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from rolodex.client.errors import APIConnectionError, APIError, RolodexError, error_class

API_PREFIX = "/api/v1"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
USER_AGENT = "rolodex-python"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RetryPolicy:
    """How failed requests are retried: up to ``max_retries`` more times, waiting
    ``Retry-After`` when the server sends it, otherwise an exponential back-off from
    ``initial_delay`` with full jitter; no single wait is longer than ``max_delay``.

    A failure to connect at all (refused, no route, the connect timeout) is retried at
    most ``connect_retries`` times within those: a server that is not there is reported
    at once rather than after a long back-off, while a brief restart is ridden out."""

    max_retries: int = 3
    initial_delay: float = 0.5
    max_delay: float = 60.0
    connect_retries: int = 1

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            # A little jitter on top, so that many clients told the same time spread out.
            return min(self.max_delay, max(0.0, retry_after) + random.uniform(0, 0.25))  # noqa: S311 - jitter, not a secret
        backoff = min(self.max_delay, self.initial_delay * 2 ** (attempt - 1))
        return random.uniform(backoff / 2, backoff)  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class Options:
    """Per-client options, overridable per call."""

    impersonate: str | None = None
    request_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def merged(
        self,
        impersonate: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Options:
        """These options with the call's own on top."""
        return replace(
            self,
            impersonate=impersonate or self.impersonate,
            request_id=request_id or self.request_id,
            headers={**self.headers, **(headers or {})},
        )


@dataclass
class Call:
    """One logical call; its Idempotency-Key is the same on every retry."""

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: Any = None
    idempotency_key: str | None = None
    options: Options = field(default_factory=Options)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.method in MUTATING_METHODS and self.idempotency_key is None:
            self.idempotency_key = f"rdx-{uuid.uuid4()}"

    @property
    def safe_to_resend(self) -> bool:
        """Whether sending it again after a broken connection can do no harm."""
        return self.method in IDEMPOTENT_METHODS or self.idempotency_key is not None


@dataclass(frozen=True)
class Operation(Generic[T]):
    """A call that answers one result: what to send, and how its JSON body becomes ``T``."""

    call: Call
    read: Callable[[Any], T]


@dataclass(frozen=True)
class Listing(Generic[M]):
    """A list walked page by page: the call of a page for its query, the first page's
    query, and the model of its rows."""

    call: Callable[[dict[str, Any]], Call]
    params: dict[str, Any]
    model: type[M]


def clean_params(params: dict[str, Any] | None) -> dict[str, str]:
    """Query parameters as strings: ``None`` dropped, lists joined with commas,
    booleans as ``true``/``false``, datetimes in ISO 8601."""
    out: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | tuple | set):
            out[name] = ",".join(str(v) for v in value)
        elif hasattr(value, "isoformat"):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


def build_request(client: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
    """The HTTP request of a call."""
    headers: dict[str, str] = {}
    if call.idempotency_key:
        headers["Idempotency-Key"] = call.idempotency_key
    if call.options.impersonate:
        headers["X-IMPERSONATE-USER-ID"] = call.options.impersonate
    if call.options.request_id:
        headers["X-Request-Id"] = call.options.request_id
    content = None
    if call.body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(call.body, default=_json_default).encode()
    headers.update(call.options.headers)  # the caller's own headers win
    return client.build_request(
        call.method,
        API_PREFIX + call.path,
        params=clean_params(call.params),
        headers=headers,
        content=content,
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_unset=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def retry_after_of(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if sent."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(raw) if raw else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def should_retry_response(call: Call, response: httpx.Response) -> bool:
    """429 and 5xx are retried (a mutation carries its Idempotency-Key, so it cannot be
    done twice), and so is a 409 saying the same key is still being processed."""
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code == 409 and call.idempotency_key:
        details = _error_body(response).get("details") or []
        return any(d.get("field") == "Idempotency-Key" for d in details if isinstance(d, dict))
    return False


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def error_of(response: httpx.Response) -> APIError:
    """The exception an error answer stands for."""
    error = _error_body(response)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    message = error.get("message") or response.reason_phrase or f"HTTP {response.status_code}"
    cls = error_class(response.status_code, code)
    return cls(
        str(message),
        status=response.status_code,
        code=code,
        details=error.get("details"),
        request_id=error.get("request_id") or response.headers.get("x-request-id"),
        headers=dict(response.headers),
    )


def is_connect_failure(outcome: object) -> bool:
    """Whether an attempt made no connection at all, so the server never saw it."""
    return isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout)


def _server_of(exc: httpx.TransportError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # an error raised before any request was made
        return "the server"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def connection_error(call: Call, exc: httpx.TransportError) -> RolodexError:
    """The exception a transport failure stands for, naming the server it tried."""
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"no answer to the connection attempt ({reason})"
    server = _server_of(exc)
    if is_connect_failure(exc):
        return APIConnectionError(f"connecting to the Rolodex server at {server} failed: {reason}")
    return APIConnectionError(
        f"{call.method} {call.path} to {server} failed: {type(exc).__name__}: {reason}"
    )


Outcome = httpx.Response | httpx.TransportError
"""What one attempt came to: an answer, or a failure to get one."""


def retry_delay(
    call: Call, policy: RetryPolicy, attempt: int, outcome: Outcome, connect_failures: int = 0
) -> float | None:
    """Seconds to wait before sending ``call`` again after attempt number ``attempt``
    (0-based) came to ``outcome``, when ``connect_failures`` attempts before it failed
    to connect; None when the outcome is final."""
    if attempt >= policy.max_retries:
        return None
    if isinstance(outcome, httpx.TransportError):
        if is_connect_failure(outcome) and connect_failures >= policy.connect_retries:
            return None
        return policy.delay(attempt + 1, None) if call.safe_to_resend else None
    if should_retry_response(call, outcome):
        return policy.delay(attempt + 1, retry_after_of(outcome))
    return None


def result(call: Call, outcome: Outcome) -> Any:
    """The JSON body of a final outcome, or the exception it stands for."""
    if isinstance(outcome, httpx.TransportError):
        raise connection_error(call, outcome) from outcome
    return parse(outcome)


def parse(response: httpx.Response) -> Any:
    """The JSON body of a successful answer (None when empty)."""
    if response.status_code >= 400:
        raise error_of(response)
    if not response.content:
        return None
    return response.json()
