"""The event feed: finding an account's events, those the principal may see.

A principal sees the events of the kinds of resource it may read
(:func:`rolodex.events.access.readable_families`); the filter is part of the query, so
the feed's order, cursors and ``resume_cursor`` hold for the events it shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.errors import NotFound, ValidationFailed
from rolodex.events.access import EVENT_KINDS, readable_families
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


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Events of the principal's account about resources it may read."""
    of_account = Event.account_id == principal.account_id
    families = readable_families(principal)
    if families == frozenset(EVENT_KINDS):
        return of_account
    if not families:
        return of_account & false()
    return of_account & Event.resource_type.in_(sorted(families))


def search(
    principal: Principal,
    *,
    types: str | None = None,
    created_after: datetime | None = None,
    updated_after: datetime | None = None,
) -> Select[Any]:
    """The account's events the principal may see (:func:`visible_to`) of the ``types``
    (see :func:`type_patterns`) committed strictly after ``created_after``; all filters
    must hold. Events never change: ``updated_after`` means the same as ``created_after``."""
    stmt = select(Event).where(visible_to(principal))
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
    """An event of the principal's account that it may see, or 404: an event about a
    resource it may not read is answered as if it did not exist."""
    event = None
    if is_valid_id(EVENT.prefix, event_id):
        event = await session.scalar(
            select(Event).where(Event.id == event_id, visible_to(principal))
        )
    if event is None:
        raise NotFound(f"No event with id {event_id!r}")
    return event
