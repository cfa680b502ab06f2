"""Named leases in the database: one holder at a time across every worker process.

A lease is a row of ``integration_leases``: taken by inserting it, or by taking over one
whose time has run out (a compare-and-set ``UPDATE``), and given back by deleting it.
A holder that dies simply lets it run out. Token refreshes take one per connection, so
that only one worker of the deployment refreshes a connection's tokens at a time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import insert_skipping_conflicts, unit_of_work, utcnow
from rolodex.integrations.models import IntegrationLease


async def acquire(
    sessions: async_sessionmaker[AsyncSession], name: str, owner: str, seconds: float
) -> bool:
    """Take the lease ``name`` for ``seconds``; whether ``owner`` holds it now."""
    now = utcnow()
    expires = now + timedelta(seconds=seconds)
    async with unit_of_work(sessions) as session:
        inserted = await session.scalar(
            insert_skipping_conflicts(session, IntegrationLease.__table__)  # type: ignore[arg-type]
            .values(name=name, owner=owner, expires_at=expires)
            .returning(IntegrationLease.name)
        )
        if inserted is not None:
            return True
        taken = await session.scalar(
            update(IntegrationLease)
            .where(IntegrationLease.name == name, IntegrationLease.expires_at <= now)
            .values(owner=owner, expires_at=expires)
            .returning(IntegrationLease.name)
        )
        return taken is not None


async def release(sessions: async_sessionmaker[AsyncSession], name: str, owner: str) -> None:
    """Give the lease back, if ``owner`` still holds it."""
    async with unit_of_work(sessions) as session:
        await session.execute(
            delete(IntegrationLease).where(
                IntegrationLease.name == name, IntegrationLease.owner == owner
            )
        )
