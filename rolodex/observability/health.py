"""How an account's integrations are doing, read from the database for the dashboard's
monitoring page: failed runs per connection, sync lag, and webhook delivery success.

Sync lag is the age of the oldest change in a connection's stream of remote changes
(:mod:`rolodex.integrations.changes`) that a sync pulling from it has not yet taken:
0 when every pulling sync is up to date, none when no sync pulls from the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import utcnow
from rolodex.integrations.changes.models import ChangeConsumer, RemoteChange
from rolodex.observability.backlog import read_backlog
from rolodex.runs.models import FAILED, Run
from rolodex.syncs.models import Sync
from rolodex.syncs.triggers import consumer_of
from rolodex.webhooks.models import DEAD, SUCCEEDED, WebhookDelivery


@dataclass(frozen=True)
class SyncLag:
    """Where the syncs pulling from one connection stand in its stream."""

    watching: int
    """How many enabled syncs pull from the connection (watch its stream)."""
    pending: int
    """Changes in the stream that one of them has not taken yet."""
    oldest_seconds: float | None
    """Age of the oldest of those (0 when there are none; None when nothing watches)."""


@dataclass(frozen=True)
class WebhookHealth:
    """An account's webhook deliveries: those finished since a moment, and those waiting."""

    succeeded: int
    dead: int
    pending: int
    oldest_pending_seconds: float

    @property
    def success_rate(self) -> float | None:
        """Delivered of those finished (0 to 1); None when none finished."""
        finished = self.succeeded + self.dead
        return self.succeeded / finished if finished else None


async def failed_runs_by_connection(
    session: AsyncSession, account_id: str, since: datetime
) -> dict[str | None, int]:
    """The account's runs that failed since ``since``, counted per connection (``None``:
    runs of no connection)."""
    rows = await session.execute(
        select(Run.connection_id, func.count())
        .where(Run.account_id == account_id, Run.status == FAILED, Run.created_at >= since)
        .group_by(Run.connection_id)
    )
    return {row[0]: int(row[1]) for row in rows}


async def sync_lag(
    session: AsyncSession, account_id: str, connection_id: str, now: datetime | None = None
) -> SyncLag:
    """The lag of the syncs pulling from ``connection_id`` (see the module)."""
    watching = list(
        await session.scalars(
            select(Sync.id).where(
                Sync.account_id == account_id,
                Sync.connection_id == connection_id,
                Sync.deleted_at.is_(None),
                Sync.enabled.is_(True),
                Sync.direction.in_(("pull", "both")),
            )
        )
    )
    if not watching:
        return SyncLag(0, 0, None)
    consumers = [consumer_of(sync_id) for sync_id in watching]
    found = await session.execute(
        select(ChangeConsumer.consumer, ChangeConsumer.sequence).where(
            ChangeConsumer.connection_id == connection_id,
            ChangeConsumer.consumer.in_(consumers),
        )
    )
    positions = {row[0]: int(row[1]) for row in found}
    behind = min(int(positions.get(name, 0)) for name in consumers)
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(RemoteChange.received_at)).where(
                RemoteChange.account_id == account_id,
                RemoteChange.connection_id == connection_id,
                RemoteChange.sequence > behind,
            )
        )
    ).one()
    if oldest is None:
        return SyncLag(len(watching), 0, 0.0)
    age = max(0.0, ((now or utcnow()) - oldest).total_seconds())
    return SyncLag(len(watching), int(pending), age)


async def webhook_health(session: AsyncSession, account_id: str, since: datetime) -> WebhookHealth:
    """The account's deliveries made since ``since`` that succeeded or died, and every
    delivery still waiting (the backlog) with the age of the oldest."""
    rows = await session.execute(
        select(WebhookDelivery.status, func.count())
        .where(
            WebhookDelivery.account_id == account_id,
            WebhookDelivery.status.in_((SUCCEEDED, DEAD)),
            WebhookDelivery.created_at >= since,
        )
        .group_by(WebhookDelivery.status)
    )
    finished = {row[0]: int(row[1]) for row in rows}
    backlog = await read_backlog(session, account_id)
    return WebhookHealth(
        int(finished.get(SUCCEEDED, 0)),
        int(finished.get(DEAD, 0)),
        backlog.webhook_pending,
        backlog.webhook_oldest_seconds,
    )
