"""Routes of notes: nested under a contact, and the account-wide ``/notes``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from rolodex.contacts.child_routes import nested_routes
from rolodex.http.envelope import JsonResponse, ListEnvelope
from rolodex.http.pagination import ListParams, QueryText, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.kinds import NOTE
from rolodex.notes import service
from rolodex.notes.schemas import NoteOut

router = api_router(NOTE.scope, tags=["Notes"])
nested_routes(NOTE, service.RULES, router)


@router.get(NOTE.path, response_model=ListEnvelope[NoteOut], summary="List the account's notes")
async def list_notes(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(NOTE))],
    contact_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    author_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    pinned: Annotated[bool | None, Query()] = None,
) -> JsonResponse:
    stmt = service.search(principal, contact_id=contact_id, author_id=author_id, pinned=pinned)
    page = await paginate_kind(
        session,
        stmt,
        NOTE,
        params=params,
        secret=secret,
    )
    return list_response(request, page, NoteOut)
