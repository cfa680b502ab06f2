"""Syncs: create, change, delete and list them; the links they keep.

Only owners and admins manage syncs, as they manage connections: a sync writes to
another system for the whole account. A sync's mapping is checked when it is saved
(400 with a detail per problem); without one it takes its connector's. Changes are
audited like any other write.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.audit.capture import record
from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.errors import NotFound, ValidationFailed
from rolodex.integrations.service import get_connection, require_manager
from rolodex.preconditions import Precondition
from rolodex.records import get_record, soft_delete
from rolodex.runs.models import Run
from rolodex.syncs import mapping as maps
from rolodex.syncs.kinds import SYNC
from rolodex.syncs.models import Link, Sync
from rolodex.syncs.runs import drop_automatic_runs, queue_run
from rolodex.syncs.schemas import SyncCreate, SyncPatch
from rolodex.syncs.triggers import follow_stream


async def get_sync(
    session: AsyncSession,
    principal: Principal,
    sync_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Sync:
    """A sync of the principal's account, or 404."""
    require_manager(principal)
    found: Sync = await get_record(
        session,
        Sync,
        principal.account_id,
        sync_id,
        prefix=SYNC.prefix,
        label=SYNC.title,
        for_update=for_update,
        precondition=precondition,
    )
    return found


def syncs_of(
    principal: Principal, *, connection_id: str | None = None, enabled: bool | None = None
) -> Select[Any]:
    """The account's syncs, optionally of one connection, enabled or not."""
    require_manager(principal)
    stmt = select(Sync).where(Sync.account_id == principal.account_id)
    if connection_id is not None:
        stmt = stmt.where(Sync.connection_id == connection_id)
    if enabled is not None:
        stmt = stmt.where(Sync.enabled.is_(enabled))
    return stmt


async def create_sync(session: AsyncSession, principal: Principal, body: SyncCreate) -> Sync:
    """A new sync of a connection of the account (400 for a foreign or unknown one)."""
    require_manager(principal)
    try:
        connection = await get_connection(session, principal, body.connection_id)
    except NotFound:
        raise ValidationFailed.field(
            "connection_id", "is not a connection of this account"
        ) from None
    kind, obj = connection.kind, body.object
    remote_type = maps.REMOTE_TYPES.get((kind, obj))
    if remote_type is None:
        maps.default_mapping(kind, obj)  # raises the 400 that says so
    fields = (
        maps.check_mapping(obj, body.mapping)
        if body.mapping is not None
        else maps.default_mapping(kind, obj)
    )
    now = utcnow()
    sync = Sync(
        id=SYNC.new_id(),
        account_id=principal.account_id,
        connection_id=connection.id,
        record_type=obj,
        remote_type=remote_type or obj,
        direction=body.direction,
        mapping=fields,
        conflict=body.conflict,
        deletes=body.deletes,
        filter=maps.check_filter(body.filter),
        poll_seconds=body.poll_seconds,
        enabled=body.enabled,
        rolodex_cursor=0,
        next_poll_at=now if body.enabled else None,
    )
    session.add(sync)
    await session.flush()
    if sync.enabled:
        await queue_run(session, sync, None, trigger={"kind": "poll"}, coalesce=True)
        await follow_stream(session, sync, None)
    return sync


async def update_sync(
    session: AsyncSession,
    principal: Principal,
    sync_id: str,
    body: SyncPatch,
    *,
    precondition: Precondition | None,
) -> Sync:
    """Change what was sent of a sync (its mapping checked again)."""
    sync = await get_sync(session, principal, sync_id, for_update=True, precondition=precondition)
    given = body.model_dump(exclude_unset=True)
    if "mapping" in given:
        mapping = given.pop("mapping")
        if mapping is None:
            connection = await get_connection(session, principal, sync.connection_id)
            sync.mapping = maps.default_mapping(connection.kind, sync.record_type)
        else:
            sync.mapping = maps.check_mapping(sync.record_type, mapping)
    if "filter" in given:
        sync.filter = maps.check_filter(given.pop("filter"))
    for name, value in given.items():
        if value is not None:
            setattr(sync, name, value)
    if given.get("enabled") is True and sync.next_poll_at is None:
        sync.next_poll_at = utcnow()
        await queue_run(session, sync, None, trigger={"kind": "poll"}, coalesce=True)
    if given.get("enabled") is False:
        sync.next_poll_at = None
        await drop_automatic_runs(session, sync)
    await session.flush()
    if "enabled" in given or "direction" in given:
        await follow_stream(session, sync, None)
    return sync


async def delete_sync(
    session: AsyncSession,
    principal: Principal,
    sync_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Delete a sync: it stops (its own queued runs and its watch are dropped); its
    links stay (a new sync of the connection reuses them, so nothing is created twice)."""
    sync = await get_sync(session, principal, sync_id, for_update=True, precondition=precondition)
    soft_delete(sync)
    sync.enabled = False
    sync.next_poll_at = None
    await drop_automatic_runs(session, sync)
    await session.flush()
    await follow_stream(session, sync, None)


async def request_run(
    session: AsyncSession,
    principal: Principal,
    sync_id: str,
    settings: Settings | None,
    *,
    dry_run: bool = False,
    full: bool = False,
) -> Run:
    """A run asked for by a user (``full``: every record; ``dry_run``: write nothing),
    queued and audited; the run."""
    sync = await get_sync(session, principal, sync_id)
    run = await queue_run(
        session,
        sync,
        settings,
        dry_run=dry_run,
        full=full,
        trigger={"kind": "manual", "user_id": principal.user_id},
    )
    record(
        session,
        "sync.run_requested",
        SYNC.name,
        sync.id,
        {"run_id": [None, run.id], "dry_run": [None, dry_run], "full": [None, full]},
    )
    return run


def links_of(
    principal: Principal,
    *,
    connection_id: str | None = None,
    record_id: str | None = None,
    remote_id: str | None = None,
    sync_id: str | None = None,
) -> Select[Any]:
    """The account's links, filtered by connection, Rolodex record, remote record or sync."""
    require_manager(principal)
    stmt = select(Link).where(Link.account_id == principal.account_id)
    if connection_id is not None:
        stmt = stmt.where(Link.connection_id == connection_id)
    if record_id is not None:
        stmt = stmt.where(Link.record_id == record_id)
    if remote_id is not None:
        stmt = stmt.where(Link.remote_id == remote_id)
    if sync_id is not None:
        stmt = stmt.where(Link.sync_id == sync_id)
    return stmt
