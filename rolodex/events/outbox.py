"""The transactional outbox: events written in the same transaction as the change.

The request pipeline calls :func:`emit_changes` once the route has returned and before the
unit of work commits. By then the audit capture knows, per resource, what the request
created, changed, deleted or restored (:func:`~rolodex.audit.capture.take_changes`); each
of those becomes an event whose ``data`` is the resource as the API shows it now.

Ordering without gaps: every event gets the account's next ``sequence`` number from
:class:`~rolodex.events.models.EventSequence`, taken with an upsert that locks the
account's counter row until the transaction ends. A second writer of the same account
waits for the first to commit (or roll back) before it can number its own events, so
sequence numbers become visible in increasing order, and a reader that has seen number
*n* can never later find a committed event below *n*. The lock is taken at the very end of
the request, just before commit, so it is held only for the insert of the events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.audit.capture import AuditContext, Change, context_of, json_safe, take_changes
from rolodex.db import utcnow
from rolodex.events.models import Event, EventSequence
from rolodex.kinds import EVENT, EVENT_SOURCES, ResourceKind
from rolodex.schemas import dump

Subscriber = Callable[[AsyncSession, str, Sequence[Event]], Awaitable[object]]
"""What is handed an account's new events in the transaction that wrote them (the webhook
fan-out queues their deliveries). The application passes its subscribers to
:func:`emit_changes`, so the outbox knows none of the packages that subscribe."""


@dataclass(frozen=True)
class NewEvent:
    """An event about to be written."""

    type: str
    resource_type: str
    resource_id: str | None
    data: dict[str, Any] | None
    changes: dict[str, Any] | None = None


def origin_of(context: AuditContext | None) -> dict[str, Any]:
    """Where a change came from, as an event's ``origin`` shows it."""
    if context is None:
        return {
            "kind": "system",
            "surface": None,
            "request_id": None,
            "user_id": None,
            "impersonator_id": None,
            "credential_id": None,
            "connection_id": None,
            "flow_id": None,
            "run_id": None,
        }
    return {
        "kind": context.origin_kind,
        "surface": context.surface if context.origin_kind == "api" else None,
        "request_id": context.request_id,
        "user_id": context.user_id,
        "impersonator_id": context.impersonator_id,
        "credential_id": context.credential_id,
        "connection_id": context.connection_id,
        "flow_id": context.flow_id,
        "run_id": context.run_id,
    }


def classify(change: Change, kind: ResourceKind) -> list[tuple[str, dict[str, Any] | None]]:
    """The event types (with their ``changes``) of one audited change."""
    resource_type, verb, changes = change.resource_type, change.verb, change.changes
    if verb in ("created", "deleted", "restored"):
        return [(f"{resource_type}.{verb}", None)]
    if verb != "updated":
        return []
    found: list[tuple[str, dict[str, Any] | None]] = []
    if any(name != "tags" for name in changes):
        found.append((f"{resource_type}.updated", changes))
    tags = changes.get("tags")
    if kind.tagged and tags is not None:
        old, new = list(tags[0] or []), list(tags[1] or [])
        old_keys, new_keys = {n.lower() for n in old}, {n.lower() for n in new}
        if any(n.lower() not in old_keys for n in new):
            found.append((f"{resource_type}.tags_added", {"tags": tags}))
        if any(n.lower() not in new_keys for n in old):
            found.append((f"{resource_type}.tags_removed", {"tags": tags}))
    completed = changes.get("completed")
    if "completed" in kind.event_actions and completed is not None and completed[1] is True:
        found.append((f"{resource_type}.completed", changes))
    return found


async def shown(
    session: AsyncSession, resource_type: str, resource_ids: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Resources of one type as the API shows them (deleted ones too), by id, in one
    query per type; ids that are gone are left out."""
    if not resource_ids:
        return {}
    kind = EVENT_SOURCES[resource_type]
    model = kind.model
    rows = await session.scalars(
        select(model)
        .where(model.id.in_(list(resource_ids)))
        .options(*kind.load)
        .execution_options(populate_existing=True)
    )
    return {row.id: dump(kind.out, row) for row in rows}


async def emit_changes(session: AsyncSession, subscribers: Sequence[Subscriber]) -> list[Event]:
    """Write an event for every change this request made, in its transaction, and hand
    them to ``subscribers``."""
    context = context_of(session)
    if context is None:
        return []
    await session.flush()  # the audit capture sees the last changes
    found: list[tuple[Change, list[tuple[str, dict[str, Any] | None]]]] = []
    for change in take_changes(session):
        kind = EVENT_SOURCES.get(change.resource_type)
        made = classify(change, kind) if kind is not None else []
        if made:
            found.append((change, made))
    by_type: dict[str, set[str]] = {}
    for change, _ in found:
        by_type.setdefault(change.resource_type, set()).add(change.resource_id)
    data = {
        (resource_type, resource_id): shown_data
        for resource_type, ids in by_type.items()
        for resource_id, shown_data in (await shown(session, resource_type, ids)).items()
    }
    pending = [
        NewEvent(
            event_type,
            change.resource_type,
            change.resource_id,
            data.get((change.resource_type, change.resource_id)),
            event_changes,
        )
        for change, made in found
        for event_type, event_changes in made
    ]
    events = await write_events(session, context.account_id, origin_of(context), pending)
    for subscriber in subscribers if events else ():
        await subscriber(session, context.account_id, events)
    return events


async def _allocate(session: AsyncSession, account_id: str, count: int) -> int:
    """Reserve ``count`` sequence numbers for the account; the first of them.

    The upsert locks the account's counter row until the transaction ends.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(EventSequence)
        .values(account_id=account_id, last_sequence=count)
        .on_conflict_do_update(
            index_elements=[EventSequence.account_id],
            set_={"last_sequence": EventSequence.last_sequence + count},
        )
        .returning(EventSequence.last_sequence)
    )
    last = int((await session.execute(stmt)).scalar_one())
    return last - count + 1


async def write_events(
    session: AsyncSession,
    account_id: str,
    origin: dict[str, Any],
    pending: list[NewEvent],
) -> list[Event]:
    """Number and store a batch of events of one account."""
    if not pending:
        return []
    first = await _allocate(session, account_id, len(pending))
    now = utcnow()
    events = [
        Event(
            id=EVENT.new_id(),
            account_id=account_id,
            sequence=first + offset,
            type=item.type,
            created_at=now,
            resource_type=item.resource_type,
            resource_id=item.resource_id,
            data=item.data,
            changes=json_safe(item.changes) if item.changes is not None else None,
            origin=origin,
        )
        for offset, item in enumerate(pending)
    ]
    session.add_all(events)
    await session.flush()
    return events
