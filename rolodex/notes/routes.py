"""Routes of notes: nested under a contact, and the account-wide ``/notes``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from rolodex.contacts.subresources import account_wide, nested_routes
from rolodex.http.envelope import JsonResponse, ListEnvelope
from rolodex.http.pagination import ListParams, QueryText, list_params, list_response, paginate
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.notes import service
from rolodex.notes.models import Note
from rolodex.notes.schemas import NoteOut

router = api_router("contacts", tags=["Notes"])
nested_routes(service.SPEC, router)


@router.get("/notes", response_model=ListEnvelope[NoteOut], summary="List the account's notes")
async def list_notes(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(list_params(list(service.SPEC.sorts), "nte"))],
    contact_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    author_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    pinned: Annotated[bool | None, Query()] = None,
) -> JsonResponse:
    stmt = account_wide(service.SPEC, principal)
    if contact_id is not None:
        stmt = stmt.where(Note.contact_id == contact_id)
    if author_id is not None:
        stmt = stmt.where(Note.author_id == author_id)
    if pinned is not None:
        stmt = stmt.where(Note.pinned.is_(pinned))
    page = await paginate(
        session,
        stmt,
        model=Note,
        collection="notes",
        sortable=service.SPEC.sorts,
        params=params,
        secret=secret,
    )
    return list_response(request, page, NoteOut)
