"""The sync engine: one run of one sync, without echoes, duplicates or lost updates.

A run (no HTTP here, no transaction held while the remote is called):

1. **What changed.** On the Rolodex side, the records whose events follow the sync's
   cursor on the account's feed, leaving out the events of this connection's own writes
   (their ``origin`` is ``sync`` with its id). On the remote side, the records the remote
   lists as changed after the sync's remote cursor less an overlap window (so two rows
   with the same ``updated_at``, or one committed late, are not missed; what is seen
   twice is a no-op). A full run looks at every record of both sides.
2. **Which is which.** Each record is paired through its link; without one, by the
   natural key (email for contacts, name for companies) on the other side, and the pair
   is linked instead of duplicated. A record with neither is created on the other side
   — a Rolodex create in one transaction with its link (the link's unique keys make a
   concurrent second create fail, not duplicate), a remote create under an idempotency
   key made of the record's id (so a retried or resumed run creates once).
3. **Compare before write.** Each side's mapped fields are hashed (canonical JSON) and
   compared with the link's hash of what that side last held: unchanged is nothing to do;
   a change that changes no mapped field is unchanged. What the engine wrote is in the
   write log with its hash, so an older state of its own write seen late is not a change.
4. **Conflicts.** Changed on both sides (to different values): the sync's policy picks
   the winner (``newest_wins`` compares the sides' last change; a tie goes to Rolodex),
   whose values are written to the other side; the loser's values are in the run's step.
5. **Deletes and restores** travel with ``deletes: propagate`` (a tombstone on either
   side, a restore on either side) and are only noted in the link with ``ignore``.
6. The cursors move only when the run finished without a failed record, so a run that
   stops half-way (a 429 past the wait, a 5xx, a killed worker) is simply run again:
   what it did already is a no-op the second time.

A dry run does all the reading and deciding and writes nothing — no record, link, write
log, cursor or event — and its steps say what each write would have been.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.audit.capture import json_safe
from rolodex.db import unit_of_work, utcnow
from rolodex.errors import DomainError, invalid
from rolodex.events.outbox import Subscriber
from rolodex.ids import PREFIXES, new_id
from rolodex.syncs import local as rolodex_side
from rolodex.syncs.kinds import LINK
from rolodex.syncs.local import LocalKind
from rolodex.syncs.mapping import (
    NATURAL_KEYS,
    FieldMap,
    changed_fields,
    digest,
    passes,
)
from rolodex.syncs.models import Link, Sync, SyncWrite
from rolodex.syncs.remote import (
    Remote,
    RemoteError,
    Seen,
    is_deleted,
    remote_id_of,
    updated_at_of,
)

log = logging.getLogger("rolodex.syncs")

OVERLAP = timedelta(seconds=60)
"""How far before its cursor a run asks the remote again for changes."""
WRITE_LOG_DEPTH = 20
"""How many of its last writes per record the engine recognises as its own."""


@dataclass
class Plan:
    """What a run found and did: its steps, and whether any record failed."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0
    writes: int = 0
    reads: int = 0
    last_request: dict[str, Any] | None = None

    def step(
        self,
        operation: str,
        *,
        status: str = "succeeded",
        record_id: str | None = None,
        remote_id: str | None = None,
        request: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Add one step to the run's log: a remote write carries the request that made
        it (method, URL, status, duration), its result the ids, the body sent (or, dry,
        that would be sent) and what else there is to say (a conflict's loser)."""
        sent = None
        if operation.startswith("remote.") and self.last_request is not None:
            sent, self.last_request = self.last_request, None
        shown: dict[str, Any] = {"record_id": record_id, "remote_id": remote_id}
        if request is not None and "json" in request:
            shown["body"] = request["json"]
        shown.update(result or {})
        self.steps.append(
            {
                "operation": operation,
                "status": status,
                "request": sent,
                "result": shown,
                "error": error,
            }
        )

    async def saw(self, seen: Seen) -> None:
        """The remote side reports each request here."""
        request = {
            "method": seen.method,
            "url": seen.url,
            "status": seen.status,
            "duration_ms": seen.duration_ms,
        }
        if seen.writes:
            self.last_request = request
        else:
            self.reads += 1


@dataclass
class Side:
    """One record as one side holds it now: its mapped values and their hash."""

    id: str
    values: dict[str, Any]
    deleted: bool
    changed_at: str | None

    @property
    def hash(self) -> str:
        """The hash of its mapped values."""
        return digest(self.values)


class Engine:
    """One run of one sync."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sync: Sync,
        local: LocalKind,
        remote: Remote,
        subscribers: Sequence[Subscriber],
        *,
        dry_run: bool,
        full: bool,
        plan: Plan | None = None,
    ) -> None:
        self.sessions = sessions
        self.sync = sync
        self.local = local
        self.remote = remote
        self.subscribers = subscribers
        self.dry_run = dry_run
        self.full = full
        self.fields = FieldMap(dict(sync.mapping))
        self.plan = plan or Plan()
        self.principal = rolodex_side.sync_principal(sync.account_id, sync.id)
        self.key_name = NATURAL_KEYS.get(sync.record_type)
        self.remote_key = self.fields.fields.get(self.key_name or "", None)

    # -- reading -----------------------------------------------------------------------

    def _local_side(self, record: dict[str, Any]) -> Side:
        return Side(
            record["id"],
            self.fields.rolodex_values(record),
            record.get("deleted_at") is not None,
            record.get("deleted_at") or record.get("updated_at"),
        )

    def _remote_side(self, record: dict[str, Any]) -> Side:
        return Side(
            remote_id_of(record),
            self.fields.remote_values(record),
            is_deleted(record),
            record.get("deleted_at") or updated_at_of(record),
        )

    async def _local_changes(self) -> tuple[list[str], int]:
        sync = self.sync
        async with unit_of_work(self.sessions) as session:
            if self.full:
                ids = await rolodex_side.all_ids(session, self.local, sync.account_id)
                linked = await session.scalars(
                    select(Link.record_id).where(
                        Link.connection_id == sync.connection_id,
                        Link.record_type == sync.record_type,
                    )
                )
                ids = list(dict.fromkeys([*ids, *linked]))
                return ids, await rolodex_side.feed_head(session, sync.account_id)
            cursor, ids = sync.rolodex_cursor, []
            while True:
                page = await rolodex_side.changed_since(
                    session, self.local, sync.account_id, cursor, sync.connection_id
                )
                ids.extend(i for i in page.ids if i not in ids)
                cursor = page.cursor
                if not page.more:
                    return ids, cursor

    async def _links(
        self, *, record_ids: Sequence[str] = (), remote_ids: Sequence[str] = ()
    ) -> list[Link]:
        sync = self.sync
        async with unit_of_work(self.sessions) as session:
            found: list[Link] = []
            if record_ids:
                found.extend(
                    await session.scalars(
                        select(Link).where(
                            Link.connection_id == sync.connection_id,
                            Link.record_id.in_(list(record_ids)),
                        )
                    )
                )
            if remote_ids:
                found.extend(
                    await session.scalars(
                        select(Link).where(
                            Link.connection_id == sync.connection_id,
                            Link.remote_type == sync.remote_type,
                            Link.remote_id.in_(list(remote_ids)),
                        )
                    )
                )
            session.expunge_all()
            return list({link.id: link for link in found}.values())

    async def _own_write(self, side: str, ref: str, hash_: str) -> bool:
        """Whether the engine itself wrote this state of the record lately."""
        async with unit_of_work(self.sessions) as session:
            hashes = await session.scalars(
                select(SyncWrite.hash)
                .where(
                    SyncWrite.sync_id == self.sync.id,
                    SyncWrite.side == side,
                    SyncWrite.ref == ref,
                )
                .order_by(SyncWrite.created_at.desc())
                .limit(WRITE_LOG_DEPTH)
            )
            return hash_ in set(hashes)

    # -- the run -------------------------------------------------------------------------

    async def run(self) -> Plan:
        """Run the sync once; what it did (or, dry, would do)."""
        sync = self.sync
        pushing = sync.direction in ("push", "both")
        pulling = sync.direction in ("pull", "both")
        started = utcnow()
        local_ids, rolodex_cursor = await self._local_changes()
        since = None if self.full or sync.remote_cursor is None else sync.remote_cursor - OVERLAP
        remote_rows = await self.remote.changed(since) if pulling or self.full else []
        remote_by_id = {remote_id_of(row): row for row in remote_rows}
        newest_remote = max(
            (r for r in (updated_at_of(row) for row in remote_rows) if r), default=None
        )

        async with unit_of_work(self.sessions) as session:
            local_records = await rolodex_side.records(
                session, self.local, sync.account_id, local_ids
            )
        links = await self._links(record_ids=local_ids, remote_ids=list(remote_by_id))
        by_record = {link.record_id: link for link in links}
        by_remote = {link.remote_id: link for link in links}
        # Linked records changed on the remote side only: read their Rolodex side too.
        missing = [link.record_id for link in links if link.record_id not in local_records]
        if missing:
            async with unit_of_work(self.sessions) as session:
                local_records.update(
                    await rolodex_side.records(session, self.local, sync.account_id, missing)
                )
        done_remote: set[str] = set()
        for record_id in local_ids:
            record = local_records.get(record_id)
            if record is None:
                continue
            link = by_record.get(record_id)
            remote_row = remote_by_id.get(link.remote_id) if link is not None else None
            try:
                if link is None:
                    if not pushing or record.get("deleted_at") is not None:
                        continue
                    if not passes(sync.filter, self.fields.rolodex_values(record)):
                        continue
                    done = await self._first_push(record, remote_by_id)
                    if done is not None:
                        done_remote.add(done)
                    continue
                done_remote.add(link.remote_id)
                if remote_row is None:
                    remote_row = await self.remote.get(link.remote_id)
                await self._pair(link, record, remote_row)
            except (RemoteError, DomainError, ValidationError) as exc:
                self._failed(record_id, link.remote_id if link else None, exc)
        for remote_id, row in remote_by_id.items():
            if remote_id in done_remote:
                continue
            link = by_remote.get(remote_id)
            try:
                if link is None:
                    if not pulling or is_deleted(row):
                        continue
                    if not passes(sync.filter, self.fields.remote_values(row)):
                        continue
                    await self._first_pull(row)
                    continue
                record = local_records.get(link.record_id)
                if record is None:
                    continue
                await self._pair(link, record, row)
            except (RemoteError, DomainError, ValidationError) as exc:
                self._failed(link.record_id if link else None, remote_id, exc)
        if not self.dry_run and self.plan.failures == 0:
            await self._advance(rolodex_cursor, newest_remote, started)
        return self.plan

    def _failed(self, record_id: str | None, remote_id: str | None, exc: Exception) -> None:
        self.plan.failures += 1
        if isinstance(exc, ValidationError):
            message = invalid(exc.errors()).message
        else:
            message = getattr(exc, "message", str(exc))
        self.plan.step(
            "record.failed",
            status="failed",
            record_id=record_id,
            remote_id=remote_id,
            error=message,
        )

    async def _advance(self, rolodex_cursor: int, newest_remote: str | None, at: datetime) -> None:
        async with unit_of_work(self.sessions) as session:
            sync = await session.get(
                Sync, self.sync.id, with_for_update=True, populate_existing=True
            )
            if sync is None:
                return
            sync.rolodex_cursor = max(sync.rolodex_cursor, rolodex_cursor)
            if newest_remote is not None:
                seen = _parse_time(newest_remote)
                if seen is not None and (sync.remote_cursor is None or seen > sync.remote_cursor):
                    sync.remote_cursor = seen
            sync.last_run_at = at

    # -- first meetings ------------------------------------------------------------------

    async def _first_push(
        self, record: dict[str, Any], remote_by_id: dict[str, dict[str, Any]]
    ) -> str | None:
        """A Rolodex record without a link: link it to the remote record with its natural
        key, or create it there. The remote id it ended up with."""
        side = self._local_side(record)
        match = None
        if self.key_name and self.remote_key:
            match = await self.remote.find(self.remote_key, side.values.get(self.key_name))
        if match is not None:
            taken = await self._links(remote_ids=[remote_id_of(match)])
            if not taken:
                link = await self._link(record["id"], remote_id_of(match), None, None)
                await self._pair(link, record, remote_by_id.get(remote_id_of(match), match))
                return remote_id_of(match)
        body = self.fields.to_remote(side.values)
        key = f"rolodex-sync-{self.sync.id}-{record['id']}-create"
        if self.dry_run:
            self.plan.step("remote.create", record_id=record["id"], request={"json": body})
            return None
        created = await self.remote.create(body, key)
        remote = self._remote_side(created)
        await self._link(record["id"], remote.id, side.hash, remote.hash, wrote="remote")
        self.plan.writes += 1
        self.plan.step(
            "remote.create", record_id=record["id"], remote_id=remote.id, request={"json": body}
        )
        return remote.id

    async def _first_pull(self, row: dict[str, Any]) -> None:
        """A remote record without a link: link it to the Rolodex record with its natural
        key, or create it in Rolodex (with its link, in one transaction)."""
        remote = self._remote_side(row)
        value = remote.values.get(self.key_name) if self.key_name else None
        async with unit_of_work(self.sessions) as session:
            match = (
                await rolodex_side.find_by_key(session, self.local, self.sync.account_id, value)
                if value
                else None
            )
            if match is not None:
                taken = await session.scalar(
                    select(Link.id).where(
                        Link.connection_id == self.sync.connection_id, Link.record_id == match
                    )
                )
                if taken is not None:
                    match = None
            record = (
                (await rolodex_side.records(session, self.local, self.sync.account_id, [match]))[
                    match
                ]
                if match is not None
                else None
            )
        if record is not None:
            link = await self._link(record["id"], remote.id, None, None)
            await self._pair(link, record, row)
            return
        body = self.fields.to_rolodex(remote.values)
        if self.dry_run:
            self.local.write.model_validate(body)
            self.plan.step("rolodex.create", remote_id=remote.id, request={"json": body})
            return
        async with unit_of_work(self.sessions) as session:
            again = await session.scalar(
                select(Link.id).where(
                    Link.connection_id == self.sync.connection_id,
                    Link.remote_type == self.sync.remote_type,
                    Link.remote_id == remote.id,
                )
            )
            if again is not None:
                return  # another run linked it meanwhile
            self._bind(session)
            made = await self.local.create(
                session, self.principal, self.local.write.model_validate(body)
            )
            shown = (
                await rolodex_side.records(session, self.local, self.sync.account_id, [made.id])
            )[made.id]
            local = self._local_side(shown)
            self._add_link(session, made.id, remote.id, local.hash, remote.hash)
            self._log(session, "rolodex", made.id, "create", local.hash)
            await rolodex_side.emit_sync_events(session, self.subscribers)
        self.plan.writes += 1
        self.plan.step(
            "rolodex.create", record_id=made.id, remote_id=remote.id, request={"json": body}
        )

    # -- a linked pair ------------------------------------------------------------------

    async def _pair(self, link: Link, record: dict[str, Any], row: dict[str, Any] | None) -> None:
        """Bring one linked pair together, as the policy says."""
        sync = self.sync
        local = self._local_side(record)
        remote = self._remote_side(row) if row is not None else Side(link.remote_id, {}, True, None)
        local_changed = local.hash != link.record_hash or local.deleted != link.record_deleted
        remote_changed = remote.hash != link.remote_hash or remote.deleted != link.remote_deleted
        if (
            remote_changed
            and not remote.deleted
            and await self._own_write("remote", remote.id, remote.hash)
        ):
            remote_changed = False  # an older state of what the engine wrote there
        if (
            local_changed
            and not local.deleted
            and await self._own_write("rolodex", local.id, local.hash)
        ):
            local_changed = False
        if sync.direction == "push":
            remote_changed = False
        if sync.direction == "pull":
            local_changed = False
        if not local_changed and not remote_changed:
            return
        if local.deleted and remote.deleted:
            await self._settle(link, local, remote)
            return
        if local_changed and remote_changed:
            if (
                not local.deleted
                and not remote.deleted
                and not changed_fields(remote.values, local.values)
            ):
                await self._settle(link, local, remote)  # both made the same change
                return
            winner = self._winner(local, remote)
            loser = remote if winner is local else local
            self.plan.step(
                "conflict",
                record_id=local.id,
                remote_id=remote.id,
                result={
                    "policy": sync.conflict,
                    "winner": "rolodex" if winner is local else "remote",
                    "lost": {"deleted": True}
                    if loser.deleted
                    else changed_fields(winner.values, loser.values),
                },
            )
            if winner is local:
                await self._to_remote(link, local, remote)
            else:
                await self._to_rolodex(link, local, remote)
            return
        if local_changed:
            await self._to_remote(link, local, remote)
        else:
            await self._to_rolodex(link, local, remote)

    def _winner(self, local: Side, remote: Side) -> Side:
        policy = self.sync.conflict
        if policy == "rolodex_wins":
            return local
        if policy == "remote_wins":
            return remote
        mine, theirs = _parse_time(local.changed_at), _parse_time(remote.changed_at)
        if mine is not None and theirs is not None and theirs > mine:
            return remote
        return local

    async def _to_remote(self, link: Link, local: Side, remote: Side) -> None:
        """Make the remote record what the Rolodex record is."""
        propagate = self.sync.deletes == "propagate"
        base = f"rolodex-sync-{link.id}-{json_safe(link.synced_at)}"
        if local.deleted:
            if propagate and not remote.deleted:
                if self.dry_run:
                    self.plan.step("remote.delete", record_id=local.id, remote_id=remote.id)
                    return
                await self.remote.delete(remote.id, f"{base}-delete")
                self.plan.step("remote.delete", record_id=local.id, remote_id=remote.id)
                await self._settle(
                    link, local, Side(remote.id, remote.values, True, None), wrote="remote"
                )
                return
            await self._settle(link, local, remote)
            return
        now = remote
        if remote.deleted:
            if not propagate:
                await self._settle(link, local, remote)
                return
            if self.dry_run:
                self.plan.step("remote.restore", record_id=local.id, remote_id=remote.id)
            else:
                now = self._remote_side(await self.remote.restore(remote.id, f"{base}-restore"))
                self.plan.step("remote.restore", record_id=local.id, remote_id=remote.id)
        changes = changed_fields(now.values, local.values)
        if changes:
            body = self.fields.to_remote(changes)
            if self.dry_run:
                self.plan.step(
                    "remote.update", record_id=local.id, remote_id=remote.id, request={"json": body}
                )
                return
            now = self._remote_side(await self.remote.update(remote.id, body, f"{base}-update"))
            self.plan.step(
                "remote.update", record_id=local.id, remote_id=remote.id, request={"json": body}
            )
        if not self.dry_run:
            await self._settle(link, local, now, wrote="remote" if changes else None)

    async def _to_rolodex(self, link: Link, local: Side, remote: Side) -> None:
        """Make the Rolodex record what the remote record is."""
        propagate = self.sync.deletes == "propagate"
        if remote.deleted:
            if propagate and not local.deleted:
                if self.dry_run:
                    self.plan.step("rolodex.delete", record_id=local.id, remote_id=remote.id)
                    return
                await self._write_local(link, remote, "delete")
                return
            await self._settle(link, local, remote)
            return
        if local.deleted and not propagate:
            await self._settle(link, local, remote)
            return
        changes = changed_fields(local.values, remote.values)
        if not changes and not local.deleted:
            await self._settle(link, local, remote)
            return
        if self.dry_run:
            if local.deleted:
                self.plan.step("rolodex.restore", record_id=local.id, remote_id=remote.id)
            if changes:
                body = self.fields.to_rolodex(changes)
                self.local.patch.model_validate(body)
                self.plan.step(
                    "rolodex.update",
                    record_id=local.id,
                    remote_id=remote.id,
                    request={"json": body},
                )
            return
        await self._write_local(link, remote, "update", restore=local.deleted, changes=changes)

    async def _write_local(
        self,
        link: Link,
        remote: Side,
        action: str,
        *,
        restore: bool = False,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """One write to the Rolodex record, with origin ``sync``, and its link settled in
        the same transaction."""
        body = self.fields.to_rolodex(changes or {})
        async with unit_of_work(self.sessions) as session:
            self._bind(session)
            if action == "delete":
                await self.local.delete(session, self.principal, link.record_id)
                self.plan.step("rolodex.delete", record_id=link.record_id, remote_id=remote.id)
            else:
                if restore:
                    await self.local.restore(session, self.principal, link.record_id)
                    self.plan.step("rolodex.restore", record_id=link.record_id, remote_id=remote.id)
                if changes:
                    await self.local.update(
                        session,
                        self.principal,
                        link.record_id,
                        self.local.patch.model_validate(body),
                    )
                    self.plan.step(
                        "rolodex.update",
                        record_id=link.record_id,
                        remote_id=remote.id,
                        request={"json": body},
                    )
            shown = (
                await rolodex_side.records(
                    session, self.local, self.sync.account_id, [link.record_id]
                )
            )[link.record_id]
            local = self._local_side(shown)
            self._log(session, "rolodex", local.id, action, local.hash)
            await self._store_link(session, link, local, remote)
            await rolodex_side.emit_sync_events(session, self.subscribers)
        self.plan.writes += 1

    # -- links and the write log -------------------------------------------------------

    def _bind(self, session: AsyncSession) -> None:
        rolodex_side.bind_sync_origin(
            session, self.sync.account_id, self.sync.id, self.sync.connection_id
        )

    def _add_link(
        self,
        session: AsyncSession,
        record_id: str,
        remote_id: str,
        record_hash: str | None,
        remote_hash: str | None,
    ) -> Link:
        link = Link(
            id=LINK.new_id(),
            account_id=self.sync.account_id,
            connection_id=self.sync.connection_id,
            sync_id=self.sync.id,
            record_type=self.sync.record_type,
            record_id=record_id,
            remote_type=self.sync.remote_type,
            remote_id=remote_id,
            synced_at=utcnow(),
            record_hash=record_hash,
            remote_hash=remote_hash,
            record_deleted=False,
            remote_deleted=False,
        )
        session.add(link)
        return link

    async def _link(
        self,
        record_id: str,
        remote_id: str,
        record_hash: str | None,
        remote_hash: str | None,
        *,
        wrote: str | None = None,
    ) -> Link:
        """A new link (in a dry run, one that is not stored)."""
        if self.dry_run:
            self.plan.step("link", record_id=record_id, remote_id=remote_id)
            return Link(
                id=LINK.new_id(),
                record_id=record_id,
                remote_id=remote_id,
                record_hash=record_hash,
                remote_hash=remote_hash,
                record_deleted=False,
                remote_deleted=False,
                synced_at=utcnow(),
            )
        async with unit_of_work(self.sessions) as session:
            link = self._add_link(session, record_id, remote_id, record_hash, remote_hash)
            if wrote == "remote" and remote_hash is not None:
                self._log(session, "remote", remote_id, "create", remote_hash)
            await session.flush()
            session.expunge(link)
        if wrote is None:
            self.plan.step("link", record_id=record_id, remote_id=remote_id)
        return link

    def _log(
        self, session: AsyncSession, side: str, ref: str, action: str, hash_: str | None
    ) -> None:
        session.add(
            SyncWrite(
                id=new_id(PREFIXES["sync_write"]),
                account_id=self.sync.account_id,
                sync_id=self.sync.id,
                side=side,
                ref=ref,
                action=action,
                hash=hash_,
                created_at=utcnow(),
            )
        )

    async def _store_link(
        self, session: AsyncSession, link: Link, local: Side, remote: Side
    ) -> None:
        stored = await session.get(Link, link.id, with_for_update=True, populate_existing=True)
        if stored is None:
            return
        stored.record_hash, stored.remote_hash = local.hash, remote.hash
        stored.record_deleted, stored.remote_deleted = local.deleted, remote.deleted
        stored.synced_at = utcnow()
        link.record_hash, link.remote_hash = local.hash, remote.hash
        link.record_deleted, link.remote_deleted = local.deleted, remote.deleted
        link.synced_at = stored.synced_at

    async def _settle(
        self, link: Link, local: Side, remote: Side, *, wrote: str | None = None
    ) -> None:
        """Record in the link what both sides hold now (and, after a remote write, what
        the engine wrote there)."""
        if self.dry_run:
            return
        async with unit_of_work(self.sessions) as session:
            if wrote == "remote":
                self._log(session, "remote", remote.id, "write", remote.hash)
                self.plan.writes += 1
            await self._store_link(session, link, local, remote)


def _parse_time(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
