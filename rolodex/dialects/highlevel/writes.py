"""HighLevel's contact writes over the native contact service: create, update, upsert.

Every write is the native PATCH path: the body is translated (:mod:`.shapes`), checked by
the native schema and applied by :mod:`rolodex.contacts.service`, so fields HighLevel
does not know (a title, a job title, a second address line, a description) are never
touched. A ``companyName`` names a company of the account (case-insensitively, the oldest
of that name); one is created when there is none, as HighLevel keeps the name on the
contact itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.companies import service as companies
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyWrite
from rolodex.contacts import service as contacts
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactOut, ContactPatch, ContactWrite
from rolodex.dialects.highlevel import shapes
from rolodex.dialects.highlevel.answers import native
from rolodex.preconditions import Precondition
from rolodex.schemas import dump


async def company_named(session: AsyncSession, principal: Principal, name: str) -> str:
    """The id of the account's live company called ``name`` (any case; the oldest of
    them), made through the company service when there is none."""
    stmt = (
        select(Company.id)
        .where(
            Company.account_id == principal.account_id,
            Company.deleted_at.is_(None),
            func.lower(Company.name) == name.lower(),
        )
        .order_by(Company.created_at, Company.id)
        .limit(1)
    )
    found = await session.scalar(stmt)
    if found is not None:
        return str(found)
    company = await companies.create_company(
        session, principal, native(CompanyWrite, {"name": name})
    )
    return company.id


async def _values(
    session: AsyncSession,
    principal: Principal,
    sent: Mapping[str, Any],
    current: Mapping[str, Any] | None,
) -> dict[str, Any]:
    changes = shapes.contact_values_of(sent, current)
    values = dict(changes.values)
    if changes.company_name is not None:
        values["company_id"] = await company_named(session, principal, changes.company_name)
    return values


async def create_contact(
    session: AsyncSession, principal: Principal, sent: Mapping[str, Any]
) -> Contact:
    """A new contact of a HighLevel body (by HighLevel's names, as sent)."""
    values = await _values(session, principal, sent, None)
    return await contacts.create_contact(session, principal, native(ContactWrite, values))


async def update_contact(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    sent: Mapping[str, Any],
    *,
    precondition: Precondition | None,
) -> Contact:
    """Apply a HighLevel body to a contact: only what it sends changes."""
    current = await contacts.get_contact(
        session, principal, contact_id, for_update=True, precondition=precondition
    )
    values = await _values(session, principal, sent, dump(ContactOut, current))
    return await contacts.update_contact(
        session,
        principal,
        contact_id,
        native(ContactPatch, values),
        replace=False,
        precondition=None,  # checked above, on the locked row
    )


async def find_duplicate(
    session: AsyncSession, principal: Principal, email: str | None, phone: str | None
) -> str | None:
    """The live contact an upsert updates: the oldest with this email (any case), else
    the oldest with this phone (as its phone or mobile phone, exactly)."""
    base = (
        select(Contact.id)
        .where(Contact.account_id == principal.account_id, Contact.deleted_at.is_(None))
        .order_by(Contact.created_at, Contact.id)
        .limit(1)
    )
    if email and email.strip():
        found = await session.scalar(base.where(func.lower(Contact.email) == email.strip().lower()))
        if found is not None:
            return str(found)
    if phone and phone.strip():
        value = phone.strip()
        found = await session.scalar(
            base.where(or_(Contact.phone == value, Contact.mobile_phone == value))
        )
        if found is not None:
            return str(found)
    return None


async def upsert_contact(
    session: AsyncSession, principal: Principal, sent: Mapping[str, Any]
) -> tuple[Contact, bool]:
    """Update the contact the body's email (then phone) names, or create one; whether it
    is new."""
    existing = await find_duplicate(session, principal, sent.get("email"), sent.get("phone"))
    if existing is None:
        return await create_contact(session, principal, sent), True
    return await update_contact(session, principal, existing, sent, precondition=None), False
