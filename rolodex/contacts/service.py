"""Contacts: creating, changing, finding, deleting and restoring them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex import tagged
from rolodex.accounts.principal import Principal
from rolodex.companies.models import Company
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import IDENTIFYING_FIELDS, ContactWrite
from rolodex.db import utcnow
from rolodex.errors import ValidationFailed
from rolodex.kinds import CHILDREN, COMPANY, CONTACT, USER
from rolodex.preconditions import Precondition
from rolodex.records import (
    Reference,
    References,
    get_of_kind,
    like_pattern,
    require_present,
    restore,
    soft_delete,
    to_columns,
)
from rolodex.tags import service as tags
from rolodex.tags.models import Tag, contact_tags


async def get_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Contact:
    """A contact of the principal's account, with its tags; ``for_update`` when it is the
    target of a write (locked, ``precondition`` checked)."""
    contact: Contact = await get_of_kind(
        session,
        CONTACT,
        principal.account_id,
        contact_id,
        include_deleted=include_deleted,
        options=CONTACT.load,
        for_update=for_update,
        precondition=precondition,
    )
    return contact


REFERENCES = (
    Reference.to("company_id", COMPANY),
    Reference.to("owner_id", USER, "active user"),
)


def _check_identified(values: dict[str, Any]) -> None:
    if all(values.get(name) in (None, "") for name in IDENTIFYING_FIELDS):
        raise ValidationFailed(
            "A contact needs at least one of first_name, last_name, email or phone",
            details=[
                {"field": name, "message": "one of these is required"}
                for name in IDENTIFYING_FIELDS
            ],
        )


def new_contact(principal: Principal, values: dict[str, Any], references: References) -> Contact:
    """A new contact of :func:`~rolodex.records.owned_values`, checked (references loaded
    before), not yet added to the session."""
    references.check(values)
    columns = to_columns(values)
    _check_identified(columns)
    return Contact(id=CONTACT.new_id(), account_id=principal.account_id, **columns)


def checked_changes(
    contact: Contact, values: dict[str, Any], references: References
) -> dict[str, Any]:
    """The columns a write's ``values`` (tags aside) set on a loaded contact, checked
    against it; nothing is set yet (:func:`~rolodex.records.apply` does)."""
    require_present(values, ["do_not_contact"])
    references.check(values)
    columns = to_columns(values)
    _check_identified(
        {name: columns.get(name, getattr(contact, name)) for name in IDENTIFYING_FIELDS}
    )
    return columns


RULES = tagged.Rules(CONTACT.name, REFERENCES, new_contact, checked_changes)


async def create_contact(
    session: AsyncSession, principal: Principal, body: ContactWrite
) -> Contact:
    """A new contact, owned by the acting user unless ``owner_id`` says otherwise."""
    return await tagged.create(session, principal, body, RULES)


async def update_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    body: ContactWrite,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> Contact:
    """PUT (``replace``) sets every field, omitted ones to null; PATCH only those sent."""
    contact = await get_contact(
        session, principal, contact_id, for_update=True, precondition=precondition
    )
    return await tagged.update(session, principal, contact, body, RULES, replace=replace)


async def _reload(session: AsyncSession, contact: Contact) -> Contact:
    await session.flush()
    await session.refresh(contact, ["tags", "updated_at"])
    return contact


async def delete_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Soft-delete a contact and, with it, its live tasks, notes and appointments."""
    contact = await get_contact(
        session, principal, contact_id, for_update=True, precondition=precondition
    )
    soft_delete(contact)
    # Child by child through the ORM (not one bulk UPDATE), so that each deletion is
    # audited like any other.
    for kind in CHILDREN:
        model = kind.model
        for child in await session.scalars(
            select(model).where(model.contact_id == contact.id, model.deleted_at.is_(None))
        ):
            child.deleted_at = child.updated_at = contact.deleted_at
    await session.flush()


async def restore_contact(session: AsyncSession, principal: Principal, contact_id: str) -> Contact:
    """Bring back a deleted contact and the children that were deleted with it."""
    contact = await get_contact(session, principal, contact_id, include_deleted=True)
    deleted_at = contact.deleted_at
    restore(contact, CONTACT.name)
    for kind in CHILDREN:  # through the ORM, so that each restoration is audited
        model = kind.model
        for child in await session.scalars(
            select(model).where(model.contact_id == contact.id, model.deleted_at == deleted_at)
        ):
            child.deleted_at = None
            child.updated_at = contact.updated_at
    return await _reload(session, contact)


async def add_tags(
    session: AsyncSession, principal: Principal, contact_id: str, names: Sequence[str]
) -> Contact:
    """Add tags by name, creating unknown ones."""
    contact = await get_contact(session, principal, contact_id)
    found = await tags.resolve_tags(session, principal.account_id, names)
    if await tags.attach(session, "contact", contact, found):
        contact.updated_at = utcnow()
    return await _reload(session, contact)


async def remove_tags(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    names: Sequence[str],
    *,
    precondition: Precondition | None,
) -> Contact:
    """Remove tags by name; names the contact does not have are ignored."""
    contact = await get_contact(
        session, principal, contact_id, for_update=True, precondition=precondition
    )
    ids = await tags.tag_ids_named(session, principal.account_id, names)
    if await tags.detach(session, "contact", contact, ids):
        contact.updated_at = utcnow()
    return await _reload(session, contact)


def search(
    principal: Principal,
    *,
    q: str | None = None,
    email: str | None = None,
    tag_names: Sequence[str] | None = None,
    company_id: str | None = None,
    owner_id: str | None = None,
) -> Select[Any]:
    """The account's contacts matching the filters; all filters must hold.

    ``q`` matches part of the name, email, phone or company name, in any case;
    ``tag_names`` keeps contacts that have every one of the tags.
    """
    stmt = select(Contact).where(Contact.account_id == principal.account_id)
    if q:
        pattern = like_pattern(q)
        company_match = exists().where(
            Company.id == Contact.company_id,
            Company.deleted_at.is_(None),
            func.lower(Company.name).like(pattern, escape="\\"),
        )
        full_name = func.lower(
            func.coalesce(Contact.first_name, "") + " " + func.coalesce(Contact.last_name, "")
        )
        stmt = stmt.where(
            or_(
                full_name.like(pattern, escape="\\"),
                func.lower(Contact.email).like(pattern, escape="\\"),
                func.lower(Contact.phone).like(pattern, escape="\\"),
                func.lower(Contact.mobile_phone).like(pattern, escape="\\"),
                company_match,
            )
        )
    if email:
        stmt = stmt.where(func.lower(Contact.email) == email.lower())
    if company_id is not None:
        stmt = stmt.where(Contact.company_id == company_id)
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == owner_id)
    for name in tag_names or ():
        stmt = stmt.where(
            exists().where(
                and_(
                    contact_tags.c.contact_id == Contact.id,
                    contact_tags.c.tag_id == Tag.id,
                    func.lower(Tag.name) == name.lower(),
                    Tag.deleted_at.is_(None),
                )
            )
        )
    return stmt
