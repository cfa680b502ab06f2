"""Recognising a flow's own writes when they arrive at this server as API requests.

A flow's action on a ``rolodex`` connection is an ordinary API request to that server.
It carries :data:`RUN_HEADER` with the id of the run that sends it. When the request
reaches the server the run belongs to (the same database) and is made for the run's own
account, the header names a flow run that is running right now, and the request's
changes are recorded as that flow's: ``origin.kind = "flow"`` with ``flow_id`` and
``run_id`` on their events — which is how a flow never starts from an event its own run
caused. Anywhere else (another Rolodex, another account, a run that is not running) the
header names nothing known and the request is an ordinary ``api`` one: a client cannot
claim to be a flow it is not.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.audit.capture import AuditContext
from rolodex.runs.models import RUNNING, Run

RUN_HEADER = "X-Rolodex-Run"
"""The header a flow's write to a ``rolodex`` connection carries: its run's id."""
FLOW_ORIGIN = "flow"
MAX_RUN_ID = 40


async def flow_run_of(session: AsyncSession, account_id: str, run_id: str) -> Run | None:
    """The flow run ``run_id`` of the account, when it is running; else None."""
    if not run_id or len(run_id) > MAX_RUN_ID or not run_id.isascii():
        return None
    found: Run | None = await session.scalar(
        select(Run).where(
            Run.id == run_id,
            Run.account_id == account_id,
            Run.kind == "flow",
            Run.status == RUNNING,
        )
    )
    return found


async def mark_flow_origin(
    session: AsyncSession, headers: Mapping[str, str], audit: AuditContext
) -> bool:
    """Make ``audit`` a flow's when ``headers`` name a running flow run of its account
    (see the module); whether they did."""
    run_id = headers.get(RUN_HEADER)
    if run_id is None:
        return False
    run = await flow_run_of(session, audit.account_id, run_id.strip())
    if run is None or run.owner_id is None:
        return False
    audit.origin_kind = FLOW_ORIGIN
    audit.flow_id = run.owner_id
    audit.run_id = run.id
    return True
