"""What a MOCO shape needs beyond the record itself: integer ids, and the company and
user it embeds (``company: {id, type, name}``, ``user: {id, firstname, lastname}``).

:func:`refs_for` gathers them for any number of native records in a few queries (one
for the numbers, one per embedded kind), so that a page of 100 costs the same as one.
:func:`resolve` and :func:`resolve_many` go the other way, from MOCO's integers to native
ids, for this account and kind only: another account's number, or a number of another
kind, finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.schemas import UserOut
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyOut
from rolodex.dialects.numbers import ids_of, numbers_of
from rolodex.kinds import COMPANY
from rolodex.schemas import dump

MAX_NUMBER = 2**63 - 1
"""The largest number a record can have (the column is a signed 64-bit integer)."""


@dataclass(frozen=True)
class Refs:
    """Numbers of native ids, and the native dumps of the companies and users that
    records embed, by native id."""

    numbers: Mapping[str, int] = field(default_factory=dict)
    companies: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    users: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def number(self, record_id: str | None) -> int | None:
        """The number of a native id (None for none)."""
        return self.numbers.get(record_id) if record_id else None


async def refs_for(
    session: AsyncSession,
    account_id: str,
    *,
    ids: Iterable[str | None] = (),
    company_ids: Iterable[str | None] = (),
    user_ids: Iterable[str | None] = (),
) -> Refs:
    """The numbers of ``ids``, and the live companies and the users named, with theirs."""
    wanted_companies = sorted({i for i in company_ids if i})
    wanted_users = sorted({i for i in user_ids if i})
    companies: dict[str, dict[str, Any]] = {}
    if wanted_companies:
        rows = await session.scalars(
            select(Company)
            .where(
                Company.id.in_(wanted_companies),
                Company.account_id == account_id,
                Company.deleted_at.is_(None),
            )
            .options(*COMPANY.load)
        )
        companies = {row.id: dump(CompanyOut, row) for row in rows}
    users: dict[str, dict[str, Any]] = {}
    if wanted_users:
        found = await session.scalars(
            select(User).where(User.id.in_(wanted_users), User.account_id == account_id)
        )
        users = {row.id: dump(UserOut, row) for row in found}
    numbers = await numbers_of(session, account_id, [*(i for i in ids if i), *companies, *users])
    return Refs(numbers=numbers, companies=companies, users=users)


def valid_numbers(numbers: Iterable[int]) -> list[int]:
    """The numbers that can name a record at all (positive, within the column's range)."""
    return [n for n in numbers if 0 < n <= MAX_NUMBER]


async def resolve_many(
    session: AsyncSession, account_id: str, prefix: str, numbers: Sequence[int]
) -> dict[int, str]:
    """The native ids of the account's records of this id ``prefix`` with these numbers;
    numbers that name nothing of the kind in the account are left out."""
    return await ids_of(session, account_id, prefix, valid_numbers(numbers))


async def resolve(session: AsyncSession, account_id: str, prefix: str, number: int) -> str | None:
    """The native id of the account's record of this prefix with this number, or None."""
    return (await resolve_many(session, account_id, prefix, [number])).get(number)
