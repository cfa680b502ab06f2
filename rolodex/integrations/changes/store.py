"""The stream of a connection's remote changes: storing them once, reading them in order.

:func:`record_changes` stores what a webhook or a poll saw. A change is identified by its
remote type, remote id, ``updated_at`` and whether the record is deleted
(:func:`dedup_key`): the same change arriving by webhook and by poll, twice, or late is
stored once; two records changed at the same moment are two changes. Each connection's
changes are numbered from a counter row (:class:`~.models.ChangeStream`) that the
storing transaction keeps locked until it commits, so numbers become visible in
increasing order and a consumer that has read up to *n* never later finds a committed
change below *n*.

Consumers (flows, syncs: :mod:`.watch`) read with :func:`changes_after` and keep their
place with :func:`acknowledge` / :func:`position_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import utcnow
from rolodex.ids import PREFIXES, new_id
from rolodex.integrations.changes.models import (
    ACTIONS,
    DELETED,
    SOURCES,
    ChangeConsumer,
    ChangeStream,
    RemoteChange,
)

ID_PREFIX = PREFIXES["remote_change"]
MAX_READ = 1000


@dataclass(frozen=True)
class NewChange:
    """A change of a remote record, as a webhook or a poll reports it."""

    remote_type: str
    remote_id: str
    remote_updated_at: datetime
    action: str
    source: str
    payload: Any = None
    event: str | None = None
    occurrence: str | None = None
    """The remote's id of the event, when the record carries no ``updated_at`` of its own
    (a HighLevel task completed): the change is then identified by it instead, so a
    redelivery of the same event is still one change."""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}")
        if self.remote_updated_at.tzinfo is None:
            raise ValueError("remote_updated_at must carry its time zone")


def dedup_key(
    remote_type: str,
    remote_id: str,
    updated_at: datetime,
    action: str,
    occurrence: str | None = None,
) -> str:
    """A change's identity: type, id, ``updated_at`` to the microsecond (UTC) — or the
    remote's event id, when the record has no ``updated_at`` — and whether the record is
    deleted. ``created`` and ``updated`` are one (a poll cannot always tell them apart); a
    delete at the same moment as the last update is a change of its own."""
    moment = (
        f"event:{occurrence}"
        if occurrence
        else updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    )
    presence = "deleted" if action == DELETED else "live"
    return f"{remote_type}|{remote_id}|{moment}|{presence}"[:300]


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def lock_stream(session: AsyncSession, account_id: str, connection_id: str) -> int:
    """Lock the connection's counter row until the transaction ends (made on first use);
    the last sequence number handed out."""
    insert = _insert(session)
    stmt = (
        insert(ChangeStream)
        .values(
            connection_id=connection_id, account_id=account_id, last_sequence=0, poll_cursors={}
        )
        .on_conflict_do_update(
            index_elements=[ChangeStream.connection_id],
            set_={"last_sequence": ChangeStream.last_sequence},
        )
        .returning(ChangeStream.last_sequence)
    )
    return int((await session.execute(stmt)).scalar_one())


async def _newest(
    session: AsyncSession, connection_id: str, records: set[tuple[str, str]]
) -> dict[tuple[str, str], datetime]:
    if not records:
        return {}
    found: dict[tuple[str, str], datetime] = {}
    items = sorted(records)
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        rows = await session.execute(
            select(
                RemoteChange.remote_type,
                RemoteChange.remote_id,
                func.max(RemoteChange.remote_updated_at),
            )
            .where(
                RemoteChange.connection_id == connection_id,
                or_(
                    *(
                        and_(RemoteChange.remote_type == kind, RemoteChange.remote_id == rid)
                        for kind, rid in chunk
                    )
                ),
            )
            .group_by(RemoteChange.remote_type, RemoteChange.remote_id)
        )
        for kind, rid, newest in rows.all():
            found[(kind, rid)] = newest
    return found


async def _known(session: AsyncSession, connection_id: str, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = await session.scalars(
            select(RemoteChange.dedup_key).where(
                RemoteChange.connection_id == connection_id,
                RemoteChange.dedup_key.in_(keys[start : start + 500]),
            )
        )
        known.update(rows)
    return known


async def record_changes(
    session: AsyncSession,
    account_id: str,
    connection_id: str,
    changes: Sequence[NewChange],
) -> list[RemoteChange]:
    """Store the changes not stored yet, numbered after the stream's last; the new rows.

    The stream's counter stays locked until the transaction ends, so call this late in
    it (and commit soon)."""
    last = await lock_stream(session, account_id, connection_id)
    if not changes:
        return []
    keyed = [
        (dedup_key(c.remote_type, c.remote_id, c.remote_updated_at, c.action, c.occurrence), c)
        for c in changes
    ]
    known = await _known(session, connection_id, [key for key, _ in keyed])
    fresh: list[tuple[str, NewChange]] = []
    for key, change in keyed:
        if key not in known:
            known.add(key)
            fresh.append((key, change))
    if not fresh:
        return []
    newest = await _newest(session, connection_id, {(c.remote_type, c.remote_id) for _, c in fresh})
    now = utcnow()
    rows: list[RemoteChange] = []
    for key, change in fresh:
        record = (change.remote_type, change.remote_id)
        before = newest.get(record)
        stale = before is not None and _utc(before) > change.remote_updated_at
        if before is None or _utc(before) < change.remote_updated_at:
            newest[record] = change.remote_updated_at
        last += 1
        rows.append(
            RemoteChange(
                id=new_id(ID_PREFIX),
                account_id=account_id,
                connection_id=connection_id,
                sequence=last,
                remote_type=change.remote_type,
                remote_id=change.remote_id,
                remote_updated_at=change.remote_updated_at,
                action=change.action,
                source=change.source,
                event=change.event,
                received_at=now,
                stale=stale,
                dedup_key=key,
                payload=change.payload,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(rows)
    await session.execute(
        update(ChangeStream)
        .where(ChangeStream.connection_id == connection_id)
        .values(last_sequence=last)
    )
    await session.flush()
    return rows


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def changes_after(
    session: AsyncSession,
    connection_id: str,
    after_sequence: int = 0,
    limit: int = 100,
    *,
    remote_type: str | None = None,
) -> list[RemoteChange]:
    """The connection's changes numbered after ``after_sequence``, oldest first, at most
    ``limit`` (1 to 1,000); optionally of one remote type."""
    limit = max(1, min(limit, MAX_READ))
    stmt = select(RemoteChange).where(
        RemoteChange.connection_id == connection_id, RemoteChange.sequence > after_sequence
    )
    if remote_type is not None:
        stmt = stmt.where(RemoteChange.remote_type == remote_type)
    rows = await session.scalars(stmt.order_by(RemoteChange.sequence).limit(limit))
    return list(rows)


async def latest_of(
    session: AsyncSession, connection_id: str, remote_type: str, remote_id: str
) -> RemoteChange | None:
    """The newest change of one remote record (by its ``updated_at``; a delete wins a
    tie), whatever order the changes arrived in: the record's state as last seen."""
    rows = await session.scalars(
        select(RemoteChange)
        .where(
            RemoteChange.connection_id == connection_id,
            RemoteChange.remote_type == remote_type,
            RemoteChange.remote_id == remote_id,
        )
        .order_by(RemoteChange.remote_updated_at.desc(), RemoteChange.sequence.desc())
    )
    found = list(rows)
    if not found:
        return None
    top = [row for row in found if row.remote_updated_at == found[0].remote_updated_at]
    return next((row for row in top if row.action == DELETED), top[0])


async def last_sequence(session: AsyncSession, connection_id: str) -> int:
    """The last sequence number the connection's stream handed out (0: none yet)."""
    found = await session.scalar(
        select(ChangeStream.last_sequence).where(ChangeStream.connection_id == connection_id)
    )
    return int(found or 0)


async def position_of(session: AsyncSession, connection_id: str, consumer: str) -> int:
    """The last sequence ``consumer`` acknowledged on the connection's stream (0: none)."""
    found = await session.scalar(
        select(ChangeConsumer.sequence).where(
            ChangeConsumer.connection_id == connection_id, ChangeConsumer.consumer == consumer
        )
    )
    return int(found or 0)


async def acknowledge(
    session: AsyncSession, account_id: str, connection_id: str, consumer: str, sequence: int
) -> int:
    """Record that ``consumer`` has dealt with the stream up to ``sequence``; a position
    never moves back. The consumer's position now."""
    insert = _insert(session)
    now = utcnow()
    stmt = (
        insert(ChangeConsumer)
        .values(
            connection_id=connection_id,
            consumer=consumer[:100],
            account_id=account_id,
            sequence=sequence,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[ChangeConsumer.connection_id, ChangeConsumer.consumer],
            set_={
                "sequence": func.max(ChangeConsumer.sequence, sequence)
                if insert is sqlite_insert
                else func.greatest(ChangeConsumer.sequence, sequence),
                "updated_at": now,
            },
        )
        .returning(ChangeConsumer.sequence)
    )
    return int((await session.execute(stmt)).scalar_one())
