"""Companies: creating, changing, finding, deleting and restoring them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex import tagged
from rolodex.accounts.principal import Principal
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyWrite
from rolodex.db import utcnow
from rolodex.kinds import COMPANY, USER
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


async def get_company(
    session: AsyncSession,
    principal: Principal,
    company_id: str,
    *,
    include_deleted: bool = False,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Company:
    """A company of the principal's account, with its tags; ``for_update`` when it is the
    target of a write (locked, ``precondition`` checked)."""
    company: Company = await get_of_kind(
        session,
        COMPANY,
        principal.account_id,
        company_id,
        include_deleted=include_deleted,
        options=COMPANY.load,
        for_update=for_update,
        precondition=precondition,
    )
    return company


async def _reload(session: AsyncSession, company: Company) -> Company:
    await session.flush()
    await session.refresh(company, ["tags", "updated_at"])
    return company


REFERENCES = (Reference.to("owner_id", USER, "active user"),)


def new_company(principal: Principal, values: dict[str, Any], references: References) -> Company:
    """A new company of :func:`~rolodex.records.owned_values`, checked (references loaded
    before), not yet added to the session."""
    references.check(values)
    return Company(id=COMPANY.new_id(), account_id=principal.account_id, **to_columns(values))


def checked_changes(
    company: Company, values: dict[str, Any], references: References
) -> dict[str, Any]:
    """The columns a write's ``values`` (tags aside) set on a loaded company, checked;
    nothing is set yet (:func:`~rolodex.records.apply` does)."""
    require_present(values, ["name"])
    references.check(values)
    return to_columns(values)


RULES = tagged.Rules(COMPANY.name, REFERENCES, new_company, checked_changes)


async def create_company(
    session: AsyncSession, principal: Principal, body: CompanyWrite
) -> Company:
    """A new company, owned by the acting user unless ``owner_id`` says otherwise."""
    return await tagged.create(session, principal, body, RULES)


async def update_company(
    session: AsyncSession,
    principal: Principal,
    company_id: str,
    body: CompanyWrite,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> Company:
    """PUT (``replace``) sets every field, omitted ones to null; PATCH only those sent."""
    company = await get_company(
        session, principal, company_id, for_update=True, precondition=precondition
    )
    return await tagged.update(session, principal, company, body, RULES, replace=replace)


async def delete_company(
    session: AsyncSession,
    principal: Principal,
    company_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Soft-delete a company. Its contacts keep their ``company_id`` for a restore."""
    soft_delete(
        await get_company(
            session, principal, company_id, for_update=True, precondition=precondition
        )
    )
    await session.flush()


async def restore_company(session: AsyncSession, principal: Principal, company_id: str) -> Company:
    """Bring back a deleted company."""
    company = await get_company(session, principal, company_id, include_deleted=True)
    restore(company, COMPANY.name)
    return await _reload(session, company)


async def set_archived(
    session: AsyncSession,
    principal: Principal,
    company_id: str,
    archived: bool,
    *,
    precondition: Precondition | None,
) -> Company:
    """Archive a company (``archived``) or bring it back; one already so is left as it is.
    An archived company is kept and shown (``archived_at``), and writable as before."""
    company = await get_company(
        session, principal, company_id, for_update=True, precondition=precondition
    )
    if archived != (company.archived_at is not None):
        now = utcnow()
        company.archived_at = now if archived else None
        company.updated_at = now
    return await _reload(session, company)


def search(
    principal: Principal,
    *,
    q: str | None = None,
    type_: str | None = None,
    owner_id: str | None = None,
) -> Select[Any]:
    """The account's companies matching the filters."""
    stmt = select(Company).where(Company.account_id == principal.account_id)
    if q:
        stmt = stmt.where(func.lower(Company.name).like(like_pattern(q), escape="\\"))
    if type_ is not None:
        stmt = stmt.where(Company.type == type_)
    if owner_id is not None:
        stmt = stmt.where(Company.owner_id == owner_id)
    return stmt
