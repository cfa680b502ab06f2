"""Queueing the polls of connections: one ``poll_changes`` job per connection that has
none open, due ``ROLODEX_INTEGRATIONS_POLL_SECONDS`` (300) after its last poll began (at
once for one never polled). Workers call :func:`schedule_polls` every
:func:`schedule_every` seconds; one of them at a time does the work (a lease).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.integrations import leases
from rolodex.integrations.changes.models import ChangeStream
from rolodex.integrations.jobs import QUEUED, RUNNING, WAITING, new_job
from rolodex.integrations.models import ACTIVE, FAILING, Connection, IntegrationJob

POLL_JOB = "poll_changes"
SCHEDULE_LEASE = "changes:schedule"


def schedule_every(settings: Settings) -> float:
    """How often a worker looks for polls to queue (0: polling is off)."""
    every = settings.integrations_poll_seconds
    return 0.0 if every <= 0 else min(30.0, every)


def enqueue_poll(
    connection: Connection, settings: Settings, run_after: datetime | None = None
) -> IntegrationJob:
    """A poll job of a connection (add it to a session to queue it)."""
    return new_job(
        connection.account_id,
        POLL_JOB,
        connection_id=connection.id,
        max_attempts=3,
        settings=settings,
        run_after=run_after,
    )


async def schedule_polls(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, owner: str
) -> int:
    """Queue a poll of every connection that has none open, due ``poll_seconds`` after
    its last poll began (now, for one never polled); how many. One worker of the
    deployment does it at a time (a lease); the others return 0."""
    every = settings.integrations_poll_seconds
    if every <= 0 or not await leases.acquire(sessions, SCHEDULE_LEASE, owner, 60):
        return 0
    try:
        async with unit_of_work(sessions) as session:
            open_polls = select(IntegrationJob.connection_id).where(
                IntegrationJob.kind == POLL_JOB,
                IntegrationJob.status.in_((QUEUED, RUNNING, WAITING)),
                IntegrationJob.connection_id.is_not(None),
            )
            rows = await session.execute(
                select(Connection, ChangeStream.polled_at)
                .outerjoin(ChangeStream, ChangeStream.connection_id == Connection.id)
                .where(
                    Connection.status.in_((ACTIVE, FAILING)),
                    Connection.deleted_at.is_(None),
                    Connection.id.not_in(open_polls),
                )
            )
            now = utcnow()
            queued = 0
            for connection, polled_at in rows.all():
                due = now if polled_at is None else max(now, polled_at + timedelta(seconds=every))
                session.add(enqueue_poll(connection, settings, run_after=due))
                queued += 1
            return queued
    finally:
        await leases.release(sessions, SCHEDULE_LEASE, owner)
