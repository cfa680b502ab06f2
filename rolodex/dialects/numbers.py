"""Integer ids for surfaces whose clients need them (MOCO's are integers).

Native ids (``cnt_01jd…``) stay what they are. A record shown through such a surface is
given a number the first time it is shown, kept in ``record_numbers``: positive, stable
and never reused (an autoincrement key that never hands out a number twice, on SQLite as
on PostgreSQL), and never taken back when the record is deleted. Numbers are global, not
per account; every look-up by number is filtered by the account, so a number of another
account finds nothing.

Numbers are assigned on the way out (:func:`numbers_of`) rather than when a record is
created, so that every way a record comes to exist (a native create, a batch, an import,
a sync) is covered without each having to remember it, and records made before a
surface existed get theirs when first asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, insert_skipping_conflicts


class RecordNumber(Base):
    """The integer a record is known by on the surfaces that use integer ids."""

    __tablename__ = "record_numbers"
    __table_args__ = {"sqlite_autoincrement": True}

    number: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    record_id: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)


Index("ix_record_numbers_account_id_record_id", RecordNumber.account_id, RecordNumber.record_id)
NUMBERS: Table = RecordNumber.__table__  # type: ignore[assignment]


async def numbers_of(session: AsyncSession, account_id: str, ids: Iterable[str]) -> dict[str, int]:
    """The number of each of ``ids`` (records of ``account_id``), giving one to those that
    have none yet. Concurrent first showings of a record agree on one number."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    found = await _known(session, wanted)
    missing = [i for i in wanted if i not in found]
    if missing:
        rows = [{"record_id": i, "account_id": account_id} for i in missing]
        await session.execute(insert_skipping_conflicts(session, NUMBERS), rows)
        found.update(await _known(session, missing))
    return found


async def number_of(session: AsyncSession, account_id: str, record_id: str) -> int:
    """The number of one record (given one if it has none)."""
    return (await numbers_of(session, account_id, [record_id]))[record_id]


async def ids_of(
    session: AsyncSession, account_id: str, prefix: str, numbers: Sequence[int]
) -> dict[int, str]:
    """The ids of the records of ``account_id`` with these numbers and this id ``prefix``
    (``cnt``, ``cmp``…); numbers of other accounts or other kinds are left out."""
    wanted = sorted({n for n in numbers if n > 0})
    if not wanted:
        return {}
    stmt = select(RecordNumber.number, RecordNumber.record_id).where(
        RecordNumber.number.in_(wanted),
        RecordNumber.account_id == account_id,
        RecordNumber.record_id.startswith(f"{prefix}_"),
    )
    return {number: record_id for number, record_id in (await session.execute(stmt)).all()}


async def id_of(session: AsyncSession, account_id: str, prefix: str, number: int) -> str | None:
    """The id of the record of ``account_id`` with this number and prefix, or None."""
    return (await ids_of(session, account_id, prefix, [number])).get(number)


async def _known(session: AsyncSession, ids: Sequence[str]) -> dict[str, int]:
    stmt = select(RecordNumber.record_id, RecordNumber.number).where(
        RecordNumber.record_id.in_(ids)
    )
    return {record_id: number for record_id, number in (await session.execute(stmt)).all()}
