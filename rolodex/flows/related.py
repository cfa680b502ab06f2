"""What a flow's expressions may see besides the event: ``related.company``, the company
of a contact event's contact (as the API shows it), so that a mapping can name it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.kinds import COMPANY
from rolodex.schemas import dump


async def related_of(
    session: AsyncSession, account_id: str, event: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The related records of an event's resource, and the reads that found them."""
    data = event.get("data")
    company_id = data.get("company_id") if isinstance(data, dict) else None
    if not isinstance(company_id, str) or event.get("connection_id") is not None:
        return {}, []
    row = await session.scalar(
        select(COMPANY.model)
        .where(COMPANY.model.id == company_id, COMPANY.model.account_id == account_id)
        .options(*COMPANY.load)
    )
    read = {"what": "company", "id": company_id, "found": row is not None}
    return ({"company": dump(COMPANY.out, row)} if row is not None else {}), [read]
