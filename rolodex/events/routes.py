"""Routes of ``/events``: the account's event feed."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy import or_, select

from rolodex.errors import NotFound, ValidationFailed
from rolodex.events.models import Event
from rolodex.events.schemas import EventListEnvelope, EventOut
from rolodex.events.types import check_pattern
from rolodex.http.cursor import Cursor, decode_cursor, encode_cursor
from rolodex.http.envelope import DataEnvelope, JsonResponse, one
from rolodex.http.pagination import (
    ListParams,
    Page,
    QueryText,
    QueryTime,
    list_params,
    list_response,
    paginate,
)
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.ids import PREFIXES, id_pattern, is_valid_id

router = api_router("events", prefix="/events", tags=["Events"])

COLLECTION = "events"
# The feed is ordered by the account's event sequence, which follows commit order;
# `created_at` is its public name (the two agree up to the clocks of the servers).
SORTS = {"created_at": Event.sequence}
EventId = Annotated[
    str, Path(description="An event id.", json_schema_extra={"pattern": id_pattern("evt")})
]


def _type_filter(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    patterns = [part.strip() for part in raw.split(",") if part.strip()]
    if not patterns or len(patterns) > 50:
        raise ValidationFailed.field("type", "must list 1 to 50 event types")
    for pattern in patterns:
        problem = check_pattern(pattern)
        if problem:
            raise ValidationFailed.field("type", problem)
    return patterns


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
    params: Annotated[ListParams, Depends(list_params(list(SORTS), "evt"))],
    type: Annotated[
        QueryText | None,
        Query(max_length=2000, description="E.g. `contact.*,task.completed`."),
    ] = None,
    created_after: Annotated[
        QueryTime | None, Query(description="ISO 8601; events strictly later than this.")
    ] = None,
) -> JsonResponse:
    stmt = select(Event).where(Event.account_id == principal.account_id)
    patterns = _type_filter(type)
    if patterns is not None and "*" not in patterns:
        stmt = stmt.where(
            or_(
                *(
                    Event.type.startswith(p[:-1], autoescape=True)
                    if p.endswith(".*")
                    else Event.type == p
                    for p in patterns
                )
            )
        )
    if created_after is not None:
        stmt = stmt.where(Event.created_at > created_after)
    if params.updated_after is not None:  # events never change: the same as created_after
        stmt = stmt.where(Event.created_at > params.updated_after)
    params = replace(params, updated_after=None)
    page = await paginate(
        session,
        stmt,
        model=Event,
        collection=COLLECTION,
        sortable=SORTS,
        params=params,
        secret=secret,
    )
    return list_response(
        request, page, EventOut, {"resume_cursor": _resume_cursor(page, params, secret)}
    )


def _resume_cursor(page: Page, params: ListParams, secret: str) -> str | None:
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
    if not is_valid_id(PREFIXES["event"], event_id):
        raise NotFound(f"No event with id {event_id!r}")
    event = await session.scalar(
        select(Event).where(Event.id == event_id, Event.account_id == principal.account_id)
    )
    if event is None:
        raise NotFound(f"No event with id {event_id!r}")
    return one(EventOut, event)
