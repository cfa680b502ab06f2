"""What starts a run of a sync on change: Rolodex events and the connection's stream.

- **Rolodex events** are handed to :func:`queue_on_change` by the outbox, in the
  transaction that wrote them (it is one of the application's event subscribers, beside
  the webhook fan-out and the flows): each enabled sync that pushes the record type gets
  one queued run — not the sync whose own writes the events are (their ``origin`` is
  ``sync`` with its connection).
- **The connection's stream** of remote changes (webhooks and polls, stored once each,
  :mod:`rolodex.integrations.changes.store`) is watched, as flows watch it
  (:mod:`rolodex.integrations.changes.watch`), by one ``sync_watch`` job per enabled
  sync that pulls: each look takes the new changes of the sync's record type and, unless
  every one of them is a state the sync already holds (its own write coming back),
  queues one run.

Both coalesce: a sync has at most one queued run due now, which every further change
joins (:func:`rolodex.syncs.runs.queue_run`). A run reads what changed itself (its
cursors), so one run covers every change that queued it or joined it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.db import unit_of_work
from rolodex.events.models import Event
from rolodex.integrations.changes.models import DELETED, RemoteChange
from rolodex.integrations.changes.watch import ensure_watch, start_at_end, stop_watch, take_changes
from rolodex.integrations.jobs import Claimed, Done, Failed, Later, Outcome
from rolodex.integrations.worker import JobContext
from rolodex.syncs.local import LOCAL_KINDS, SYNC_ORIGIN
from rolodex.syncs.mapping import FieldMap, digest
from rolodex.syncs.models import Link, Sync, SyncWrite
from rolodex.syncs.runs import queue_run

WATCH_JOB = "sync_watch"
STREAM_TYPES = {"contacts": "contact", "companies": "company", "tasks": "task", "notes": "note"}
"""What the connection's stream calls each record type a sync keeps."""
ECHO_DEPTH = 20
"""How many of its last writes per record count as the sync's own (the engine's depth)."""


def consumer_of(sync_id: str) -> str:
    """The sync's name on its connection's stream."""
    return f"sync:{sync_id}"


def _own_event(event: Event, sync: Sync) -> bool:
    origin = event.origin or {}
    return origin.get("kind") == SYNC_ORIGIN and origin.get("connection_id") == sync.connection_id


async def queue_on_change(session: AsyncSession, account_id: str, events: Sequence[Event]) -> int:
    """An event subscriber: a run of each enabled sync that pushes the records these
    events are about — not of the sync whose own writes they are. How many were queued."""
    types = {event.resource_type for event in events}
    wanted = [name for name, kind in LOCAL_KINDS.items() if kind.kind.name in types]
    if not wanted:
        return 0
    syncs = await session.scalars(
        select(Sync).where(
            Sync.account_id == account_id,
            Sync.deleted_at.is_(None),
            Sync.enabled.is_(True),
            Sync.record_type.in_(wanted),
            Sync.direction.in_(("push", "both")),
        )
    )
    queued = 0
    for sync in syncs:
        name = LOCAL_KINDS[sync.record_type].kind.name
        event = next(
            (e for e in events if e.resource_type == name and not _own_event(e, sync)), None
        )
        if event is None:
            continue
        await queue_run(
            session, sync, None, trigger={"kind": "event", "event_id": event.id}, coalesce=True
        )
        queued += 1
    return queued


def watches(sync: Sync) -> bool:
    """Whether the sync watches its connection's stream: enabled, and pulling."""
    return sync.enabled and sync.deleted_at is None and sync.direction in ("pull", "both")


async def follow_stream(session: AsyncSession, sync: Sync, settings: Settings | None) -> None:
    """Start (or stop) watching the stream as the sync now says: from the stream's end
    when it starts, so changes from before do not queue a run."""
    if watches(sync):
        consumer = consumer_of(sync.id)
        await start_at_end(session, sync.account_id, sync.connection_id, consumer)
        await ensure_watch(
            session,
            kind=WATCH_JOB,
            account_id=sync.account_id,
            connection_id=sync.connection_id,
            owner_id=sync.id,
            job_input={"sync_id": sync.id},
            settings=settings,
        )
    else:
        await stop_watch(session, WATCH_JOB, sync.account_id, sync.id)


async def _held(session: AsyncSession, sync: Sync, change: RemoteChange) -> bool:
    """Whether a remote change is a state the sync already holds: what its link last saw
    there, or one of its own recent writes (its echo). A change without the record's
    fields, or of a record not linked, is not."""
    if not isinstance(change.payload, dict):
        return False
    link = await session.scalar(
        select(Link).where(
            Link.connection_id == sync.connection_id,
            Link.remote_type == sync.remote_type,
            Link.remote_id == change.remote_id,
        )
    )
    if link is None:
        return False
    if change.action == DELETED:
        return link.remote_deleted
    if link.remote_deleted:
        return False
    hash_ = digest(FieldMap(dict(sync.mapping)).remote_values(change.payload))
    if hash_ == link.remote_hash:
        return True
    written = await session.scalars(
        select(SyncWrite.hash)
        .where(
            SyncWrite.sync_id == sync.id,
            SyncWrite.side == "remote",
            SyncWrite.ref == change.remote_id,
        )
        .order_by(SyncWrite.created_at.desc())
        .limit(ECHO_DEPTH)
    )
    return hash_ in set(written)


async def watch_changes(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``sync_watch`` jobs: take the stream's new changes and queue a run
    when any of them concerns the sync; look again after ``ROLODEX_WORKER_POLL_SECONDS``."""
    sync_id = job.input.get("sync_id")
    if not isinstance(sync_id, str) or job.connection_id is None:
        return Failed("a watch job names its sync and connection", final=True)
    async with unit_of_work(context.runtime.sessions) as session:
        sync = await session.get(Sync, sync_id, populate_existing=True)
        if sync is None or not watches(sync) or sync.connection_id != job.connection_id:
            return Done({"stopped": "the sync no longer watches this connection"})
        changes = await take_changes(
            session, job.account_id, job.connection_id, consumer_of(sync.id)
        )
        wanted = STREAM_TYPES.get(sync.record_type, sync.record_type)
        concerned = [c for c in changes if c.remote_type == wanted and not c.stale]
        news = [c for c in concerned if not await _held(session, sync, c)]
        if news:
            last = news[-1]
            trigger = {
                "kind": "change",
                "change_id": last.id,
                "source": last.source,
                "remote_id": last.remote_id,
                "changes": len(news),
            }
            await queue_run(session, sync, context.runtime.settings, trigger=trigger, coalesce=True)
    echoes = len(concerned) - len(news)
    return Later(
        context.runtime.settings.worker_poll_seconds,
        f"watching (queued for {len(news)}, {echoes} already held)",
    )
