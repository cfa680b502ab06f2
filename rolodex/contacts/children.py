"""Records that live under a contact (tasks, notes, appointments): their service, written once.

What a kind is comes from its :class:`~rolodex.kinds.ResourceKind` (table, schemas, id
prefix); what it allows comes from its own service, as :class:`ChildRules` (fields that
may not be null, references to users, and a hook for the rest: a task's completion, a
note's author, an appointment's time order). The nested routes are in
:mod:`rolodex.contacts.child_routes`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.contacts.models import Contact
from rolodex.db import utcnow
from rolodex.errors import NotFound
from rolodex.ids import is_valid_id
from rolodex.kinds import CONTACT, USER, ResourceKind
from rolodex.preconditions import Precondition
from rolodex.records import (
    apply,
    changes_of,
    check_reference,
    get_record,
    require_present,
    soft_delete,
)
from rolodex.schemas import WriteModel

# (values, record or None for a creation, principal, fields the client sent) → None
Hook = Callable[[dict[str, Any], Any, Principal, set[str]], Awaitable[None] | None]


@dataclass(frozen=True)
class ChildRules:
    """A kind's own rules for writing a record under a contact."""

    required: tuple[str, ...] = ()
    """Fields that may be omitted on creation but never set to null."""
    user_fields: tuple[str, ...] = ()
    """Fields that name an active user of the account."""
    prepare: Hook | None = None
    """The rest of the kind's rules, run on the values before they are written."""


async def live_contact(session: AsyncSession, principal: Principal, contact_id: str) -> Contact:
    """The contact a nested route names; deleted or foreign contacts are 404."""
    return await get_record(
        session,
        Contact,
        principal.account_id,
        contact_id,
        prefix=CONTACT.prefix,
        label=CONTACT.name,
    )


async def get_child(
    session: AsyncSession,
    principal: Principal,
    kind: ResourceKind,
    contact_id: str,
    child_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Any:
    """One record under a live contact of the principal's account; ``for_update`` when
    it is the target of a write (row locked, ``precondition`` checked, as in
    ``get_record``)."""
    await live_contact(session, principal, contact_id)
    model = kind.model
    record = None
    if is_valid_id(kind.prefix, child_id):
        stmt = select(model).where(
            model.id == child_id,
            model.contact_id == contact_id,
            model.account_id == principal.account_id,
            model.deleted_at.is_(None),
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        record = await session.scalar(stmt)
    if record is None:
        raise NotFound(f"No {kind.name} with id {child_id!r} on this contact")
    if precondition is not None:
        precondition.check(record, kind.name)
    return record


async def _prepare(
    session: AsyncSession,
    principal: Principal,
    rules: ChildRules,
    values: dict[str, Any],
    record: Any,
    sent: set[str],
) -> None:
    require_present(values, rules.required)
    for name in rules.user_fields:
        await check_reference(
            session,
            User,
            principal.account_id,
            values.get(name),
            field=name,
            prefix=USER.prefix,
            label="active user",
        )
    if rules.prepare is not None:
        outcome = rules.prepare(values, record, principal, sent)
        if outcome is not None:
            await outcome


async def create_child(
    session: AsyncSession,
    principal: Principal,
    kind: ResourceKind,
    rules: ChildRules,
    contact_id: str,
    body: WriteModel,
) -> Any:
    """A new record under the contact."""
    await live_contact(session, principal, contact_id)
    values = dict(body)
    await _prepare(session, principal, rules, values, None, set(body.model_fields_set))
    record = kind.model(
        id=kind.new_id(), account_id=principal.account_id, contact_id=contact_id, **values
    )
    session.add(record)
    await session.flush()
    return record


async def update_child(
    session: AsyncSession,
    principal: Principal,
    kind: ResourceKind,
    rules: ChildRules,
    contact_id: str,
    child_id: str,
    body: WriteModel,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> Any:
    """PUT (``replace``) sets every field, omitted ones to null; PATCH only those sent."""
    record = await get_child(
        session, principal, kind, contact_id, child_id, for_update=True, precondition=precondition
    )
    values = changes_of(body, replace=replace)
    await _prepare(session, principal, rules, values, record, set(body.model_fields_set))
    if apply(record, values):
        record.updated_at = utcnow()
    await session.flush()
    return record


async def delete_child(
    session: AsyncSession,
    principal: Principal,
    kind: ResourceKind,
    contact_id: str,
    child_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Soft-delete a record under the contact."""
    record = await get_child(
        session, principal, kind, contact_id, child_id, for_update=True, precondition=precondition
    )
    soft_delete(record)
    await session.flush()


def account_wide(kind: ResourceKind, principal: Principal) -> Select[Any]:
    """Every record of this kind in the account. Those of a deleted contact were
    deleted with it, so the usual tombstone filter hides them too."""
    model = kind.model
    return select(model).where(model.account_id == principal.account_id)


async def of_contact(
    session: AsyncSession, principal: Principal, kind: ResourceKind, contact_id: str
) -> Select[Any]:
    """The records of this kind under a live contact of the account (404 otherwise)."""
    await live_contact(session, principal, contact_id)
    return account_wide(kind, principal).where(kind.model.contact_id == contact_id)
