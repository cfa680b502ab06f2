"""Polling a connection's remote for changes: the ``poll_changes`` job.

Each run walks every feed of the connector (:mod:`.feeds`) from the feed's cursor less
the overlap window (``ROLODEX_INTEGRATIONS_POLL_OVERLAP_SECONDS``, 60 s: a remote may
commit a change later than the ``updated_at`` it gives it), and stores each page's
records as changes (:func:`~.store.record_changes`, which drops those already in the
stream, by webhook or an earlier poll) together with the feed's new cursor — the newest
``updated_at`` stored — in one transaction: the cursor never passes a change that is not
stored. The first poll of a connection reads every record (no cursor yet).

The jobs are queued by :func:`~.schedule.schedule_polls`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import unit_of_work, utcnow
from rolodex.integrations.changes.feeds import FEEDS, Feed, iso
from rolodex.integrations.changes.inbound import parse_time
from rolodex.integrations.changes.models import POLL, ChangeStream
from rolodex.integrations.changes.store import NewChange, lock_stream, record_changes
from rolodex.integrations.jobs import Claimed, Done, Failed, Outcome
from rolodex.integrations.models import FAILING, Connection
from rolodex.integrations.service import change_status
from rolodex.integrations.target import Target
from rolodex.integrations.worker import JobContext

log = logging.getLogger("rolodex.integrations")

MAX_PAGES = 50
"""Pages one run reads of each feed; the rest waits for the next run."""
DROPPED_FIELDS = ("searchAfter",)
"""Fields of a listed record that are the list's, not the record's."""


async def _target(context: JobContext, connection_id: str) -> Target | Failed:
    async with unit_of_work(context.runtime.sessions) as session:
        connection = await session.get(Connection, connection_id, populate_existing=True)
        if connection is None or connection.deleted_at is not None:
            return Failed("the connection was deleted", final=True)
        try:
            return Target.of(connection, context.runtime.deployment_key)
        except InvalidToken:
            return Failed(
                "the connection's credentials cannot be decrypted with this deployment's key",
                final=True,
            )


async def _begin(session: AsyncSession, target: Target) -> dict[str, Any]:
    """Mark the poll begun; the feeds' cursors."""
    await lock_stream(session, target.account_id, target.connection_id)
    stream = await session.get(ChangeStream, target.connection_id, populate_existing=True)
    assert stream is not None
    stream.polled_at = utcnow()
    return dict(stream.poll_cursors or {})


def changes_of(feed: Feed, records: list[dict[str, Any]]) -> list[NewChange]:
    """The records of one page as changes (a record without id or time is skipped)."""
    found: list[NewChange] = []
    for record in records:
        remote_id, when = record.get("id"), feed.updated_at(record)
        if isinstance(remote_id, bool) or not isinstance(remote_id, int | str) or when is None:
            continue
        shown = {k: v for k, v in record.items() if k not in DROPPED_FIELDS}
        found.append(
            NewChange(
                feed.remote_type, str(remote_id)[:100], when, feed.action_of(record), POLL, shown
            )
        )
    return found


async def _store(
    sessions: async_sessionmaker[AsyncSession],
    target: Target,
    feed: Feed,
    changes: list[NewChange],
) -> int:
    """Store one page's changes and move the feed's cursor to the newest of them, at once."""
    async with unit_of_work(sessions) as session:
        stored = await record_changes(session, target.account_id, target.connection_id, changes)
        newest = max((c.remote_updated_at for c in changes), default=None)
        if newest is not None:
            stream = await session.get(ChangeStream, target.connection_id, populate_existing=True)
            assert stream is not None
            cursors = dict(stream.poll_cursors or {})
            known = parse_time(cursors.get(feed.remote_type))
            if known is None or newest > known:
                cursors[feed.remote_type] = iso(newest)
                await session.execute(
                    update(ChangeStream)
                    .where(ChangeStream.connection_id == target.connection_id)
                    .values(poll_cursors=cursors)
                )
        return len(stored)


async def _refused(context: JobContext, target: Target, status: int, message: str) -> Failed:
    async with unit_of_work(context.runtime.sessions) as session:
        await change_status(
            session,
            target.connection_id,
            FAILING,
            f"The remote refused the credential ({status}): {message}",
        )
    return Failed(f"the remote refused the credential ({status}): {message}")


async def run_poll(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``poll_changes`` jobs: one poll of every feed of the connection."""
    if job.connection_id is None:
        return Failed("a poll job names a connection", final=True)
    target = await _target(context, job.connection_id)
    if isinstance(target, Failed):
        return target
    feeds = FEEDS.get(target.connector.kind, ())
    sessions = context.runtime.sessions
    async with unit_of_work(sessions) as session:
        cursors = await _begin(session, target)
    overlap = timedelta(seconds=context.runtime.settings.integrations_poll_overlap_seconds)
    seen = stored = 0
    for feed in feeds:
        cursor = parse_time(cursors.get(feed.remote_type))
        request: Any = feed.first(cursor - overlap if cursor else None, target.context)
        pages = 0
        while request is not None and pages < MAX_PAGES:
            sent = await context.caller.send(target, request, f"poll.{feed.remote_type}")
            target, response = sent.target, sent.response
            if not response.ok:
                message = target.mask(target.connector.error_message(response))
                if response.status in (401, 403):
                    return await _refused(context, target, response.status, message)
                return Failed(
                    f"polling {feed.remote_type}: the remote answered {response.status}: {message}",
                    final=400 <= response.status < 500 and response.status not in (408, 425),
                )
            records = feed.records(response)
            changes = changes_of(feed, records)
            seen += len(changes)
            stored += await _store(sessions, target, feed, changes)
            request = feed.after(request, response, records)
            pages += 1
    return Done({"seen": seen, "stored": stored})
