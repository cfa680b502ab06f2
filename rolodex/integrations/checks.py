"""``check``: one cheap authenticated call to the remote, and what it showed.

The call is the connector's own (``GET /users/me`` of another Rolodex, ``GET /session``
of MOCO…), sent once — no retries, a short wait for the budget at most — through the
shared transport, so it is counted and paced like any other request. Whatever happens
is an answer, never an error: a refused credential is ``ok: false`` with the remote's
status and message.
"""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.db import release
from rolodex.integrations import service
from rolodex.integrations.budget import Deferred
from rolodex.integrations.runtime import Runtime
from rolodex.integrations.schemas import CheckResult
from rolodex.integrations.target import Target, open_target
from rolodex.integrations.tokens import NeedsAuth
from rolodex.integrations.transport import Caller, RemoteFailure, remote_client
from rolodex.keyring import KeyRing

CHECK_OPERATION = "check"
CHECK_MAX_WAIT_SECONDS = 5.0


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def run_check(caller: Caller, target: Target) -> CheckResult:
    """Call the remote once with the connection's credentials; what it answered."""
    started = time.monotonic()
    if target.auth_type == "oauth2" and not target.credentials.get("access_token"):
        return CheckResult(
            ok=False,
            status=None,
            message="The connection is not authorized yet: POST /connections/{id}/authorize",
            latency_ms=0,
        )
    operation = target.connector.check
    try:
        sent = await caller.send(
            target,
            operation.request({}, target.context),
            CHECK_OPERATION,
            attempts=1,
            max_wait=CHECK_MAX_WAIT_SECONDS,
        )
    except Deferred as exc:
        return CheckResult(
            ok=False,
            status=None,
            message=f"Not checked: {exc.reason}; the next request may go in {exc.wait:.0f} s",
            latency_ms=_elapsed(started),
        )
    except NeedsAuth as exc:
        return CheckResult(
            ok=False,
            status=None,
            message=f"The connection must be authorized again: {exc}",
            latency_ms=_elapsed(started),
        )
    except RemoteFailure as exc:
        return CheckResult(
            ok=False,
            status=exc.status,
            message=target.mask(exc.message),
            latency_ms=_elapsed(started),
        )
    response = sent.response
    if response.ok:
        message = "OK"
    else:
        message = target.mask(sent.target.connector.error_message(response))
        if response.status in (401, 403):
            message = f"The remote refused the credential ({response.status}): {message}"
    return CheckResult(
        ok=response.ok, status=response.status, message=message, latency_ms=response.elapsed_ms
    )


async def check_connection(
    session: AsyncSession,
    principal: Principal,
    connection_id: str,
    runtime: Runtime,
    deployment_key: KeyRing,
) -> CheckResult:
    """Check a connection of the principal's account (``POST /connections/{id}/check``
    and the dashboard's "Check" button) and keep what the check saw."""
    connection = await service.get_connection(session, principal, connection_id)
    target = open_target(connection, deployment_key)
    # Nothing stays locked while the remote is called (SQLite's write lock included).
    await release(session)
    async with remote_client(runtime.settings, max_connections=2) as client:
        result = await run_check(runtime.caller(client), target)
    await service.record_check(session, principal, connection_id, result)
    return result
