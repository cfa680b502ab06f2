"""What every HighLevel route does the same way: the answer with its ``traceId``, the
``locationId`` check, native validation of a translated body, contacts as shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.companies.models import Company
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactOut
from rolodex.dialects.highlevel import shapes
from rolodex.dialects.highlevel.surface import TRACE_HEADER
from rolodex.errors import Forbidden, invalid
from rolodex.http.envelope import JsonResponse
from rolodex.http.errors import request_id_of
from rolodex.schemas import dump

M = TypeVar("M", bound=BaseModel)


def trace_id(request: Request) -> str | None:
    """The request's id, which HighLevel's clients know as its ``traceId``."""
    return request_id_of(request)


TraceId = Annotated[str | None, Depends(trace_id)]


def answer(trace: str | None, body: dict[str, Any], status_code: int = 200) -> JsonResponse:
    """``body`` with the ``traceId`` in it and in the header, as HighLevel answers."""
    headers = {TRACE_HEADER: trace} if trace else None
    return JsonResponse({**body, "traceId": trace}, status_code=status_code, headers=headers)


def check_location(principal: Principal, location_id: str | None) -> None:
    """A ``locationId`` must be the credential's account: another account's (or an
    unknown one) is 403, whatever it holds."""
    if location_id != principal.account_id:
        raise Forbidden("The token does not have access to this location")


def native(schema: type[M], values: Mapping[str, Any]) -> M:
    """A native write (or PATCH) schema of translated values; its errors are the usual
    validation errors, named as HighLevel names the fields when they are drawn."""
    try:
        return schema.model_validate(dict(values))
    except ValidationError as exc:
        raise invalid(exc.errors()) from None


async def company_names(
    session: AsyncSession, account_id: str, ids: Iterable[str | None]
) -> dict[str, str]:
    """The names of the account's companies with these ids (deleted ones included: a
    contact keeps naming its company until it is changed)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    stmt = select(Company.id, Company.name).where(
        Company.id.in_(wanted), Company.account_id == account_id
    )
    return {row.id: row.name for row in await session.execute(stmt)}


async def show_contacts(
    session: AsyncSession, principal: Principal, contacts: Sequence[Contact]
) -> list[dict[str, Any]]:
    """Contacts (loaded with their tags) as HighLevel shows them."""
    dumped = [dump(ContactOut, contact) for contact in contacts]
    names = await company_names(session, principal.account_id, (c["company_id"] for c in dumped))
    return [
        shapes.contact_of(
            contact,
            location_id=principal.account_id,
            company_name=names.get(contact["company_id"] or ""),
        )
        for contact in dumped
    ]


async def show_contact(
    session: AsyncSession, principal: Principal, contact: Contact
) -> dict[str, Any]:
    """One contact as HighLevel shows it."""
    return (await show_contacts(session, principal, [contact]))[0]
