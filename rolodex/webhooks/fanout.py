"""Turning new events into delivery jobs, in the transaction that wrote the events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import utcnow
from rolodex.events.models import Event
from rolodex.events.outbox import NewEvent, write_events
from rolodex.events.types import matches_any
from rolodex.webhooks.formats import format_named
from rolodex.webhooks.kinds import WEBHOOK_DELIVERY
from rolodex.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint


async def enqueue_deliveries(
    session: AsyncSession,
    account_id: str,
    events: Sequence[Event],
    *,
    only_endpoint: str | None = None,
) -> int:
    """A pending delivery per event and enabled endpoint subscribed to its type (and
    whose format can show it); how many.

    ``only_endpoint``: deliver to that endpoint alone, whatever it subscribes to (a ping).
    """
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.format).where(
        WebhookEndpoint.account_id == account_id,
        WebhookEndpoint.enabled.is_(True),
        WebhookEndpoint.deleted_at.is_(None),
    )
    if only_endpoint is not None:
        stmt = stmt.where(WebhookEndpoint.id == only_endpoint)
    endpoints = list((await session.execute(stmt)).all())
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {
            "id": WEBHOOK_DELIVERY.new_id(),
            "account_id": account_id,
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "event_type": event.type,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for endpoint_id, patterns, name in endpoints
        if (only_endpoint is not None or matches_any(patterns, event.type))
        and format_named(name).accepts(event.type)
    ]
    if rows:
        await session.execute(insert(WebhookDelivery), rows)
    return len(rows)


async def publish(
    session: AsyncSession,
    account_id: str,
    origin: dict[str, Any],
    pending: list[NewEvent],
    *,
    only_endpoint: str | None = None,
) -> list[Event]:
    """Write events of the webhooks themselves and queue their deliveries at once.

    ``only_endpoint``: only this endpoint receives them (a test ping).
    """
    events = await write_events(session, account_id, origin, pending)
    await enqueue_deliveries(session, account_id, events, only_endpoint=only_endpoint)
    return events
