"""Running one operation of a connection now, for ``POST /connections/{id}/operations/{key}``.

:func:`invoke` sends the operation's request through the shared transport (budget,
retries, token refresh, usage, logging with secrets masked) and answers what came back;
a remote that refused, failed or did not answer is a :class:`RemoteError` that says
which, so the route can answer a clear error of its own: the remote's 4xx is never a
5xx here, its 5xx is a 502 and no answer a 504. A refused credential (401 or 403) makes
the connection ``failing``, as a job's would.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from rolodex.db import unit_of_work
from rolodex.integrations.budget import Deferred
from rolodex.integrations.connector import Operation
from rolodex.integrations.models import FAILING
from rolodex.integrations.rendering import absolute_url, build_request
from rolodex.integrations.runtime import Runtime
from rolodex.integrations.service import change_status
from rolodex.integrations.target import Target
from rolodex.integrations.tokens import NeedsAuth
from rolodex.integrations.transport import Caller, RemoteFailure

RemoteErrorKind = Literal["rejected", "refused", "throttled", "failed", "unreachable", "needs_auth"]


class RemoteError(Exception):
    """The remote did not do it: ``rejected`` (its 4xx), ``refused`` (the credential,
    401/403), ``throttled`` (still 429 after waiting what may be waited), ``failed`` (its
    5xx after the retries), ``unreachable`` (no answer), ``needs_auth`` (the connection
    must be authorized again)."""

    def __init__(
        self,
        kind: RemoteErrorKind,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Invocation:
    """What a live run did: the remote's status, the operation's output, the request's
    method and URL (secrets masked), how long it took and in how many attempts."""

    status: int
    output: Any
    method: str
    url: str
    duration_ms: int
    attempts: int


async def invoke(
    runtime: Runtime,
    caller: Caller,
    target: Target,
    operation: Operation,
    values: dict[str, Any],
) -> Invocation:
    """Send ``operation`` with its validated input ``values`` through ``target`` now."""
    request = build_request(target, operation, values)
    shown_url = target.mask(absolute_url(target, request))
    started = time.monotonic()
    try:
        sent = await caller.send(
            target,
            request,
            operation.key,
            writes=operation.writes,
            idempotency_key=f"rolodex-{uuid.uuid4()}",
        )
    except Deferred as exc:
        raise RemoteError(
            "throttled",
            f"The remote's rate limit allows the next request in {exc.wait:.0f} s: {exc.reason}",
            status=429,
            retry_after=exc.wait,
        ) from None
    except NeedsAuth as exc:
        raise RemoteError("needs_auth", f"The connection must be authorized again: {exc}") from None
    except RemoteFailure as exc:
        raise RemoteError("unreachable", target.mask(exc.message), status=exc.status) from None
    response = sent.response
    elapsed = int((time.monotonic() - started) * 1000)
    if response.ok:
        return Invocation(
            status=response.status,
            output=operation.parse(response),
            method=request.method,
            url=shown_url,
            duration_ms=elapsed,
            attempts=sent.attempts,
        )
    message = target.mask(target.connector.error_message(response))
    said = f"{target.connector.title} answered {response.status}: {message}"
    if response.status in (401, 403):
        async with unit_of_work(runtime.sessions) as session:
            await change_status(
                session,
                target.connection_id,
                FAILING,
                f"The remote refused the credential ({response.status}): {message}"[:500],
            )
        raise RemoteError("refused", said, status=response.status)
    if response.status == 429:
        raise RemoteError("throttled", said, status=429, retry_after=None)
    if response.status >= 500:
        raise RemoteError("failed", said, status=response.status)
    raise RemoteError("rejected", said, status=response.status)
