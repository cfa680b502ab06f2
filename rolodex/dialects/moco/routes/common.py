"""What every MOCO route does alike: its router, finding a record by number, the
answers (an entity, ``204``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.dialects.moco.refs import resolve
from rolodex.dialects.moco.surface import ERROR_DOCS, MOCO, MocoJson
from rolodex.errors import NotFound, ValidationFailed
from rolodex.http.pipeline import api_router


def moco_router(resource: str, prefix: str, tag: str) -> APIRouter:
    """A router of the MOCO surface whose routes need ``<resource>.readonly`` to read and
    ``<resource>.write`` to change anything (the native scopes)."""
    return api_router(
        resource,
        surface=MOCO,
        prefix=prefix,
        tags=[tag],
        responses=dict(ERROR_DOCS),
        default_response_class=MocoJson,
    )


async def found(
    session: AsyncSession, principal: Principal, prefix: str, number: int, label: str
) -> str:
    """The native id of the account's record with this number, or 404."""
    record_id = await resolve(session, principal.account_id, prefix, number)
    if record_id is None:
        raise NotFound(f"No {label} with id {number}")
    return record_id


async def referenced(
    session: AsyncSession,
    principal: Principal,
    prefix: str,
    number: int | None,
    field: str,
    label: str,
) -> str | None:
    """The native id a body field's number names (None for none), or 422."""
    if number is None:
        return None
    record_id = await resolve(session, principal.account_id, prefix, number)
    if record_id is None:
        raise ValidationFailed.field(field, f"names no {label} of this account")
    return record_id


@contextmanager
def missing_as(label: str, number: int) -> Iterator[None]:
    """A record that is gone (deleted since it was numbered) is told by its number."""
    try:
        yield
    except NotFound:
        raise NotFound(f"No {label} with id {number}") from None


def entity(body: Any) -> MocoJson:
    """An entity (or a list of them), ``200``."""
    return MocoJson(body)


def no_content() -> Response:
    """What a deletion answers: ``204`` and no body."""
    return Response(status_code=204)
