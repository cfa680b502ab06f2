"""A flow never starts from an event its own run caused.

Two ways a flow's write can come back as its own trigger:

- **A Rolodex event.** A flow's write to a ``rolodex`` connection of this server and
  account is an API request that names its run (:mod:`rolodex.runs.origin`); its events
  say ``origin.kind = "flow"`` with the flow's id, and :func:`own_event` keeps the flow
  from starting on them. (Other flows do start on them: a flow's write is a change like
  any other for everyone else.)
- **A change of the trigger's connection.** When an action writes a record at the
  connection the flow is triggered by, the record's ``updated_at`` as the remote answered
  the write is logged (:class:`~rolodex.flows.models.FlowWrite`), as a sync logs what it
  wrote. The change of that record with that ``updated_at`` — the state the flow left it
  in, by webhook or poll — is the flow's own and does not start it (:func:`own_changes`);
  a later change of the record (a newer ``updated_at``) does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import utcnow
from rolodex.flows.models import FlowWrite
from rolodex.ids import PREFIXES, new_id
from rolodex.integrations.changes.inbound import parse_time
from rolodex.integrations.changes.models import RemoteChange
from rolodex.runs.origin import FLOW_ORIGIN

LOG_DEPTH = 5
"""Writes kept per flow and record: the newest ones are the only ones that can echo."""
STAMP_FIELDS = ("updated_at", "dateUpdated")


def own_event(flow_id: str, origin: Mapping[str, Any] | None) -> bool:
    """Whether an event with this ``origin`` was caused by a run of flow ``flow_id``."""
    origin = origin or {}
    return origin.get("kind") == FLOW_ORIGIN and origin.get("flow_id") == flow_id


def _record_of(result: Any) -> Mapping[str, Any] | None:
    """The record an action's answer shows: the answer itself when it has an ``id``,
    else its one object that does (HighLevel's ``{"contact": {…}}``)."""
    if not isinstance(result, Mapping):
        return None
    if result.get("id") is not None:
        return result
    inner = [v for v in result.values() if isinstance(v, Mapping) and v.get("id") is not None]
    return inner[0] if len(inner) == 1 else None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def written_state(result: Any) -> tuple[str, datetime] | None:
    """The id and ``updated_at`` of the record an action's answer shows, when it shows
    both; else None (a write whose answer has no ``updated_at`` cannot be recognised)."""
    record = _record_of(result)
    if record is None:
        return None
    stamp = next(
        (t for t in (parse_time(record.get(name)) for name in STAMP_FIELDS) if t is not None),
        None,
    )
    if stamp is None:
        return None
    return str(record["id"]), _utc(stamp)


async def log_write(
    session: AsyncSession,
    account_id: str,
    flow_id: str,
    run_id: str,
    connection_id: str,
    result: Any,
) -> bool:
    """Log what an action wrote at the flow's trigger connection (see the module);
    whether its answer said enough to be logged. Older writes of the same record beyond
    :data:`LOG_DEPTH` are dropped."""
    state = written_state(result)
    if state is None:
        return False
    remote_id, stamp = state
    await session.execute(
        insert(FlowWrite),
        [
            {
                "id": new_id(PREFIXES["flow_write"]),
                "account_id": account_id,
                "flow_id": flow_id,
                "run_id": run_id,
                "connection_id": connection_id,
                "remote_id": remote_id,
                "remote_updated_at": stamp,
                "created_at": utcnow(),
            }
        ],
    )
    same = (
        FlowWrite.flow_id == flow_id,
        FlowWrite.connection_id == connection_id,
        FlowWrite.remote_id == remote_id,
    )
    kept = (
        select(FlowWrite.id)
        .where(*same)
        .order_by(FlowWrite.created_at.desc(), FlowWrite.id.desc())
        .limit(LOG_DEPTH)
    )
    kept_ids = list(await session.scalars(kept))
    await session.execute(delete(FlowWrite).where(*same, FlowWrite.id.not_in(kept_ids)))
    return True


async def own_changes(
    session: AsyncSession, flow_id: str, connection_id: str, changes: Sequence[RemoteChange]
) -> set[str]:
    """The ids of those ``changes`` that are the states the flow's own writes left their
    records in (see the module)."""
    if not changes:
        return set()
    remote_ids = sorted({change.remote_id for change in changes})
    rows = await session.execute(
        select(FlowWrite.remote_id, FlowWrite.remote_updated_at).where(
            FlowWrite.flow_id == flow_id,
            FlowWrite.connection_id == connection_id,
            FlowWrite.remote_id.in_(remote_ids),
        )
    )
    written = {(remote_id, _utc(stamp)) for remote_id, stamp in rows}
    return {
        change.id
        for change in changes
        if (change.remote_id, _utc(change.remote_updated_at)) in written
    }
