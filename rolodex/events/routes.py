"""Routes of ``/events``: the account's event feed."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.events import service
from rolodex.events.schemas import EventListEnvelope, EventOut
from rolodex.http.cursor import Cursor, decode_cursor, encode_cursor
from rolodex.http.envelope import DataEnvelope, JsonResponse, one
from rolodex.http.pagination import (
    ListParams,
    Page,
    QueryText,
    QueryTime,
    kind_params,
    list_response,
    paginate_kind,
)
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.keyring import KeyRing
from rolodex.kinds import EVENT

router = api_router(EVENT.scope, prefix=EVENT.path, tags=["Events"])

COLLECTION = EVENT.plural
EventId = Annotated[
    str, Path(description="An event id.", json_schema_extra={"pattern": EVENT.id_pattern})
]


@router.get(
    "",
    response_model=EventListEnvelope,
    summary="List the account's events",
    description=(
        "Every change in the account, in the order the changes were committed. To follow "
        "the feed, walk it with `order=asc` and `after`, and keep `meta.resume_cursor`: "
        "sending it back later returns exactly the events committed since, none twice "
        "and none skipped. `type` takes comma-separated types or families (`contact.*`)."
    ),
)
async def list_events(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(EVENT))],
    type: Annotated[
        QueryText | None,
        Query(max_length=2000, description="E.g. `contact.*,task.completed`."),
    ] = None,
    created_after: Annotated[
        QueryTime | None, Query(description="ISO 8601; events strictly later than this.")
    ] = None,
) -> JsonResponse:
    stmt = service.search(
        principal, types=type, created_after=created_after, updated_after=params.updated_after
    )
    params = replace(params, updated_after=None)
    page = await paginate_kind(
        session,
        stmt,
        EVENT,
        params=params,
        secret=secret,
        collection=COLLECTION,
    )
    return list_response(
        request, page, EventOut, {"resume_cursor": _resume_cursor(page, params, secret)}
    )


def _resume_cursor(page: Page, params: ListParams, secret: KeyRing) -> str | None:
    """Where to pick the feed up later: after this page's last event, even on the last
    page; the incoming cursor when the page is empty."""
    if page.next_cursor is not None:
        return page.next_cursor
    if not page.rows:
        return params.after
    descending = page.params.descending
    if params.after is not None:  # a walk keeps its cursor's direction
        descending = decode_cursor(params.after, secret, COLLECTION).descending
    last = page.rows[-1]
    return encode_cursor(
        Cursor(COLLECTION, "created_at", descending, last.sequence, last.id), secret
    )


@router.get("/{event_id}", response_model=DataEnvelope[EventOut], summary="Get an event")
async def get_event(
    event_id: EventId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(EventOut, await service.get_event(session, principal, event_id))
