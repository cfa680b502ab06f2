"""The event feed: finding an account's events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.errors import NotFound, ValidationFailed
from rolodex.events.models import Event
from rolodex.events.types import check_pattern
from rolodex.ids import is_valid_id
from rolodex.kinds import EVENT


def type_patterns(raw: str | None) -> list[str] | None:
    """The event type patterns of a comma-separated ``type`` filter, checked; None when
    there is no filter."""
    if raw is None:
        return None
    patterns = [part.strip() for part in raw.split(",") if part.strip()]
    if not patterns or len(patterns) > 50:
        raise ValidationFailed.field("type", "must list 1 to 50 event types")
    for pattern in patterns:
        problem = check_pattern(pattern)
        if problem:
            raise ValidationFailed.field("type", problem)
    return patterns


def search(
    principal: Principal,
    *,
    types: str | None = None,
    created_after: datetime | None = None,
    updated_after: datetime | None = None,
) -> Select[Any]:
    """The account's events of the ``types`` (see :func:`type_patterns`) committed
    strictly after ``created_after``; all filters must hold. Events never change:
    ``updated_after`` means the same as ``created_after``."""
    stmt = select(Event).where(Event.account_id == principal.account_id)
    patterns = type_patterns(types)
    if patterns is not None and "*" not in patterns:
        stmt = stmt.where(
            or_(
                *(
                    Event.type.startswith(p[:-1], autoescape=True)
                    if p.endswith(".*")
                    else Event.type == p
                    for p in patterns
                )
            )
        )
    for after in (created_after, updated_after):
        if after is not None:
            stmt = stmt.where(Event.created_at > after)
    return stmt


async def get_event(session: AsyncSession, principal: Principal, event_id: str) -> Event:
    """An event of the principal's account, or 404."""
    event = None
    if is_valid_id(EVENT.prefix, event_id):
        event = await session.scalar(
            select(Event).where(Event.id == event_id, Event.account_id == principal.account_id)
        )
    if event is None:
        raise NotFound(f"No event with id {event_id!r}")
    return event
