"""The Rolodex side of a sync: reading records and changes, writing with origin ``sync``.

A sync writes Rolodex records through the same services the API uses (so every rule
holds: references, identity, tags), in a session bound to an audit context whose origin
is ``sync`` with the connection's id. The audit log records those writes, and their
events — handed to the same subscribers as a request's (webhook deliveries, other syncs)
— carry ``origin.kind = "sync"`` and ``origin.connection_id``, which is how a sync
recognises its own writes on the feed and skips them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.audit.capture import AuditContext, bind_audit
from rolodex.companies import service as companies
from rolodex.companies.schemas import CompanyPatch, CompanyWrite
from rolodex.contacts import service as contacts
from rolodex.contacts.schemas import ContactPatch, ContactWrite
from rolodex.events.models import Event
from rolodex.events.outbox import Subscriber, emit_changes
from rolodex.kinds import COMPANY, CONTACT, ResourceKind
from rolodex.schemas import dump

SYNC_ORIGIN = "sync"


def sync_principal(account_id: str, sync_id: str) -> Principal:
    """Who a sync writes as: the account itself, through the sync (as an account key
    would, with an admin's rights and no user)."""
    return Principal(
        account_id=account_id,
        user=None,
        impersonator=None,
        credential_id=sync_id,
        credential_kind="sync",
        key_scope="full",
    )


def bind_sync_origin(
    session: AsyncSession, account_id: str, sync_id: str, connection_id: str
) -> None:
    """Make the session's writes audited, and their events shown, as a sync's."""
    bind_audit(
        session,
        AuditContext(
            account_id=account_id,
            request_id=None,
            user_id=None,
            impersonator_id=None,
            credential_id=sync_id,
            credential_kind="sync",
            origin_kind=SYNC_ORIGIN,
            connection_id=connection_id,
        ),
    )


async def emit_sync_events(session: AsyncSession, subscribers: Sequence[Subscriber]) -> None:
    """Write the events of the sync's writes in this session (before it commits)."""
    await emit_changes(session, subscribers)


Writer = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class LocalKind:
    """How a sync reads and writes one Rolodex object."""

    kind: ResourceKind
    write: type[BaseModel]
    patch: type[BaseModel]
    create: Writer
    update: Writer
    delete: Writer
    restore: Writer
    key_column: str


async def _update_contact(
    session: AsyncSession, principal: Principal, record_id: str, body: Any
) -> Any:
    return await contacts.update_contact(
        session, principal, record_id, body, replace=False, precondition=None
    )


async def _update_company(
    session: AsyncSession, principal: Principal, record_id: str, body: Any
) -> Any:
    return await companies.update_company(
        session, principal, record_id, body, replace=False, precondition=None
    )


async def _delete_contact(session: AsyncSession, principal: Principal, record_id: str) -> None:
    await contacts.delete_contact(session, principal, record_id, precondition=None)


async def _delete_company(session: AsyncSession, principal: Principal, record_id: str) -> None:
    await companies.delete_company(session, principal, record_id, precondition=None)


LOCAL_KINDS: dict[str, LocalKind] = {
    "contacts": LocalKind(
        CONTACT,
        ContactWrite,
        ContactPatch,
        contacts.create_contact,
        _update_contact,
        _delete_contact,
        contacts.restore_contact,
        "email",
    ),
    "companies": LocalKind(
        COMPANY,
        CompanyWrite,
        CompanyPatch,
        companies.create_company,
        _update_company,
        _delete_company,
        companies.restore_company,
        "name",
    ),
}
"""The objects the engine can sync so far, by name."""


async def records(
    session: AsyncSession, local: LocalKind, account_id: str, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Records of the account (deleted ones too) as the API shows them, by id."""
    if not ids:
        return {}
    model = local.kind.model
    rows = await session.scalars(
        select(model)
        .where(model.account_id == account_id, model.id.in_(list(ids)))
        .options(*local.kind.load)
        .execution_options(populate_existing=True)
    )
    return {row.id: dump(local.kind.out, row) for row in rows}


async def all_ids(session: AsyncSession, local: LocalKind, account_id: str) -> list[str]:
    """Every live record of the object in the account (a full run)."""
    model = local.kind.model
    rows = await session.scalars(
        select(model.id).where(model.account_id == account_id, model.deleted_at.is_(None))
    )
    return list(rows)


async def find_by_key(
    session: AsyncSession, local: LocalKind, account_id: str, value: Any
) -> str | None:
    """A live record whose natural key (email, name) is ``value``, any case."""
    if not isinstance(value, str) or not value:
        return None
    model = local.kind.model
    column = getattr(model, local.key_column)
    found = await session.scalar(
        select(model.id)
        .where(
            model.account_id == account_id,
            model.deleted_at.is_(None),
            func.lower(column) == value.lower(),
        )
        .order_by(model.created_at)
        .limit(1)
    )
    return str(found) if found is not None else None


@dataclass(frozen=True)
class FeedPage:
    """Records changed on the feed after a cursor, not by this sync; the new cursor."""

    ids: list[str]
    cursor: int
    more: bool


async def changed_since(
    session: AsyncSession,
    local: LocalKind,
    account_id: str,
    cursor: int,
    connection_id: str,
    limit: int = 500,
) -> FeedPage:
    """The records of the object whose events come after ``cursor`` on the account's
    feed, leaving out those this connection's syncs wrote (their origin says so)."""
    rows = list(
        (
            await session.execute(
                select(Event.sequence, Event.resource_id, Event.origin)
                .where(
                    Event.account_id == account_id,
                    Event.sequence > cursor,
                    Event.resource_type == local.kind.name,
                )
                .order_by(Event.sequence)
                .limit(limit)
            )
        ).all()
    )
    ids: list[str] = []
    for _, resource_id, origin in rows:
        origin = origin or {}
        own = origin.get("kind") == SYNC_ORIGIN and origin.get("connection_id") == connection_id
        if not own and resource_id and resource_id not in ids:
            ids.append(resource_id)
    last = rows[-1][0] if rows else cursor
    return FeedPage(ids, int(last), len(rows) == limit)


async def feed_head(session: AsyncSession, account_id: str) -> int:
    """The account's last event number now."""
    found = await session.scalar(
        select(func.max(Event.sequence)).where(Event.account_id == account_id)
    )
    return int(found or 0)
