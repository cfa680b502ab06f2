"""Watching a connection's stream of changes: what flows and syncs share.

A consumer of the stream (``flow:<id>``, ``sync:<id>``) has one long-lived *watch* job:
an integration job of the consumer's kind, on the connection, whose ``operation`` is the
consumer's id. Each time a worker claims it, the handler takes the changes after the
consumer's position (:func:`take_changes`, which acknowledges them in the same
transaction, so a change is taken once even by two workers), acts on them, and answers
``Later`` to look again. A consumer starts from the stream's end (:func:`start_at_end`):
changes stored before it was watching do not concern it.

Rows are inserted with Core statements: they are machinery, not changes a client made,
and stay out of the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.integrations.changes.models import RemoteChange
from rolodex.integrations.changes.store import (
    acknowledge,
    changes_after,
    last_sequence,
    position_of,
)
from rolodex.integrations.jobs import CANCELLED, QUEUED, RUNNING, WAITING, new_job
from rolodex.integrations.models import IntegrationJob

OPEN = (QUEUED, RUNNING, WAITING)


def _row(job: IntegrationJob) -> dict[str, Any]:
    columns = IntegrationJob.__mapper__.column_attrs
    return {column.key: getattr(job, column.key) for column in columns}


async def start_at_end(
    session: AsyncSession, account_id: str, connection_id: str, consumer: str
) -> None:
    """A consumer that has taken nothing yet starts at the stream's last change."""
    if await position_of(session, connection_id, consumer) == 0:
        end = await last_sequence(session, connection_id)
        await acknowledge(session, account_id, connection_id, consumer, end)


async def ensure_watch(
    session: AsyncSession,
    *,
    kind: str,
    account_id: str,
    connection_id: str,
    owner_id: str,
    job_input: dict[str, Any],
    settings: Settings | None,
) -> bool:
    """Make sure ``owner_id`` has an open watch job of ``kind`` on the connection;
    whether one was queued."""
    existing = await session.scalar(
        select(IntegrationJob.id).where(
            IntegrationJob.kind == kind,
            IntegrationJob.account_id == account_id,
            IntegrationJob.connection_id == connection_id,
            IntegrationJob.status.in_(OPEN),
            IntegrationJob.operation == owner_id,
        )
    )
    if existing is not None:
        return False
    job = new_job(
        account_id,
        kind,
        connection_id=connection_id,
        operation=owner_id,
        input=job_input,
        settings=settings,
        run_after=utcnow(),
    )
    await session.execute(insert(IntegrationJob), [_row(job)])
    return True


async def stop_watch(session: AsyncSession, kind: str, account_id: str, owner_id: str) -> int:
    """Cancel ``owner_id``'s queued watch jobs of ``kind`` (one running ends at its next
    look); how many."""
    result = await session.execute(
        update(IntegrationJob)
        .where(
            IntegrationJob.kind == kind,
            IntegrationJob.account_id == account_id,
            IntegrationJob.operation == owner_id,
            IntegrationJob.status == QUEUED,
        )
        .values(status=CANCELLED, finished_at=utcnow(), updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def take_changes(
    session: AsyncSession,
    account_id: str,
    connection_id: str,
    consumer: str,
    limit: int = 100,
) -> list[RemoteChange]:
    """The changes after the consumer's position (oldest first, at most ``limit``),
    acknowledged in this session: commit what is done with them in the same one."""
    position = await position_of(session, connection_id, consumer)
    changes = await changes_after(session, connection_id, position, limit=limit)
    if changes:
        await acknowledge(session, account_id, connection_id, consumer, changes[-1].sequence)
    return changes
