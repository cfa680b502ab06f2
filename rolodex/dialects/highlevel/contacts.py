"""HighLevel's contact routes: search, upsert, contacts of a business, list, create, get,
update and delete — over the native contact service (:mod:`.writes` for the writes)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Query, Request
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.contacts import service
from rolodex.contacts.models import Contact
from rolodex.dialects.highlevel import bodies, search, writes
from rolodex.dialects.highlevel.answers import TraceId, answer, check_location, show_contacts
from rolodex.dialects.highlevel.surface import HIGHLEVEL
from rolodex.errors import ValidationFailed
from rolodex.http.envelope import JsonResponse
from rolodex.http.pipeline import CurrentPrincipal, Session, WritePrecondition, api_router
from rolodex.kinds import COMPANY, CONTACT
from rolodex.records import get_of_kind

router = api_router(CONTACT.scope, surface=HIGHLEVEL, prefix="/contacts", tags=["Contacts"])

ContactId = Annotated[
    str,
    Path(
        alias="contactId",
        max_length=64,
        description="A contact id.",
        json_schema_extra={"pattern": CONTACT.id_pattern},
    ),
]
LocationId = Annotated[str, Query(alias="locationId", max_length=64, description="The account id.")]
MAX_LIMIT = 100
DEFAULT_LIMIT = 20


async def _count(session: AsyncSession, stmt: Select[Any]) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(await session.scalar(counted) or 0)


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[Contact]:
    return list((await session.scalars(stmt.options(*CONTACT.load))).all())


def _whole(value: float | str, name: str, *, low: int, high: int) -> int:
    """A count HighLevel's clients may send as ``20``, ``20.0`` or ``"20"``."""
    try:
        number = float(value)
    except ValueError:
        raise ValidationFailed.field(name, "must be a number") from None
    if not number.is_integer() or not low <= number <= high:
        raise ValidationFailed.field(name, f"must be a whole number from {low} to {high}")
    return int(number)


def _live(principal: Any, query: str | None) -> Select[Any]:
    stmt = service.search(principal, q=query or None)
    return stmt.where(Contact.deleted_at.is_(None))


@router.post("/search", response_model=bodies.SearchAnswer, summary="Search contacts")
async def search_contacts(
    body: bodies.SearchBody, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    check_location(principal, body.locationId)
    sent = body.sent()
    keys = search.sort_of(sent.get("sort") or [])
    stmt = _live(principal, body.query).where(
        *(search.condition(item) for item in sent.get("filters") or [])
    )
    total = await _count(session, stmt)
    if body.searchAfter is not None:
        stmt = stmt.where(search.after(keys, body.searchAfter))
    else:
        page = body.page or 1
        if page * body.pageLimit > search.MAX_PAGED_ROWS:
            raise ValidationFailed.field(
                "page",
                f"reaches past {search.MAX_PAGED_ROWS} contacts; walk on with searchAfter",
            )
        stmt = stmt.offset((page - 1) * body.pageLimit)
    rows = await _rows(session, stmt.order_by(*search.order_by(keys)).limit(body.pageLimit))
    shown = await show_contacts(session, principal, rows)
    for contact, row in zip(shown, rows, strict=True):
        contact["searchAfter"] = search.search_after_of(row, keys)
    return answer(trace, {"contacts": shown, "total": total})


@router.post(
    "/upsert",
    response_model=bodies.UpsertedContact,
    summary="Upsert a contact",
    description="Updates the contact with the body's email (any case), else with its phone; "
    "creates one when there is none (or when `createNewIfDuplicateAllowed` is true: "
    "Rolodex allows duplicate contacts).",
)
async def upsert_contact(
    body: bodies.ContactUpsert, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    check_location(principal, body.locationId)
    sent = body.sent()
    if body.createNewIfDuplicateAllowed:
        contact, new = await writes.create_contact(session, principal, sent), True
    else:
        contact, new = await writes.upsert_contact(session, principal, sent)
    shown = (await show_contacts(session, principal, [contact]))[0]
    return answer(trace, {"new": new, "contact": shown})


@router.get(
    "/business/{businessId}",
    response_model=bodies.BusinessContacts,
    summary="Contacts of a business",
    description="The contacts of a company of the account (`businessId` is its id), "
    "oldest first; `count` is how many there are.",
)
async def business_contacts(
    business_id: Annotated[
        str,
        Path(
            alias="businessId",
            max_length=64,
            description="A company id.",
            json_schema_extra={"pattern": COMPANY.id_pattern},
        ),
    ],
    location_id: LocationId,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
    limit: Annotated[str, Query(max_length=20)] = "25",
    skip: Annotated[str, Query(max_length=20)] = "0",
    query: Annotated[str | None, Query(max_length=200)] = None,
) -> JsonResponse:
    check_location(principal, location_id)
    count = _whole(limit, "limit", low=1, high=MAX_LIMIT)
    offset = _whole(skip, "skip", low=0, high=search.MAX_PAGED_ROWS)
    await get_of_kind(session, COMPANY, principal.account_id, business_id)
    stmt = _live(principal, query).where(Contact.company_id == business_id)
    total = await _count(session, stmt)
    ordered = stmt.order_by(Contact.created_at, Contact.id).offset(offset).limit(count)
    shown = await show_contacts(session, principal, await _rows(session, ordered))
    return answer(trace, {"contacts": shown, "count": total})


def _after(moment: Any, contact_id: str | None) -> ColumnElement[bool]:
    if contact_id is None:
        later: ColumnElement[bool] = Contact.created_at > moment
        return later
    return or_(
        Contact.created_at > moment,
        and_(Contact.created_at == moment, Contact.id > contact_id),
    )


@router.get(
    "",
    response_model=bodies.ContactList,
    summary="List contacts",
    description="Oldest first (by `dateAdded`, then id). Continue with the `startAfter` and "
    "`startAfterId` of `meta` (or `meta.nextPageUrl`).",
)
async def list_contacts(
    request: Request,
    location_id: LocationId,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
    query: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[float, Query(allow_inf_nan=False)] = DEFAULT_LIMIT,
    start_after_id: Annotated[str | None, Query(alias="startAfterId", max_length=64)] = None,
    start_after: Annotated[
        float | None, Query(alias="startAfter", allow_inf_nan=False, ge=0, lt=1e15)
    ] = None,
) -> JsonResponse:
    check_location(principal, location_id)
    count = _whole(limit, "limit", low=1, high=MAX_LIMIT)
    stmt = _live(principal, query)
    total = await _count(session, stmt)
    moment = search.from_epoch_ms(start_after) if start_after is not None else None
    if moment is None and start_after_id is not None:
        moment = await session.scalar(
            select(Contact.created_at).where(
                Contact.id == start_after_id, Contact.account_id == principal.account_id
            )
        )
        if moment is None:
            raise ValidationFailed.field("startAfterId", "does not name a contact")
    walked = stmt if moment is None else stmt.where(_after(moment, start_after_id))
    rows = await _rows(session, walked.order_by(Contact.created_at, Contact.id).limit(count + 1))
    more, rows = len(rows) > count, rows[:count]
    before = total - await _count(session, walked)
    current = before // count + 1
    meta: dict[str, Any] = {
        "total": total,
        "nextPageUrl": None,
        "startAfterId": None,
        "startAfter": None,
        "currentPage": current,
        "nextPage": current + 1 if more else None,
        "prevPage": current - 1 if current > 1 else None,
    }
    if more:
        last = rows[-1]
        meta["startAfterId"] = last.id
        meta["startAfter"] = search.epoch_ms(last.created_at)
        params = {"locationId": location_id, "limit": count, **({"query": query} if query else {})}
        params |= {"startAfter": meta["startAfter"], "startAfterId": last.id}
        meta["nextPageUrl"] = f"{str(request.url).split('?')[0]}?{urlencode(params)}"
    shown = await show_contacts(session, principal, rows)
    return answer(trace, {"contacts": shown, "count": len(shown), "meta": meta})


@router.post(
    "",
    status_code=201,
    response_model=bodies.ContactAnswer,
    summary="Create a contact",
    description="`POST /contacts/` (with the slash, as HighLevel's clients send it) is "
    "the same route.",
)
async def create_contact(
    body: bodies.ContactCreate, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    check_location(principal, body.locationId)
    contact = await writes.create_contact(session, principal, body.sent())
    shown = (await show_contacts(session, principal, [contact]))[0]
    return answer(trace, {"contact": shown}, status_code=201)


@router.get("/{contactId}", response_model=bodies.ContactAnswer, summary="Get a contact")
async def get_contact(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    contact = await service.get_contact(session, principal, contact_id)
    shown = (await show_contacts(session, principal, [contact]))[0]
    return answer(trace, {"contact": shown})


@router.put(
    "/{contactId}",
    response_model=bodies.UpdatedContact,
    summary="Update a contact",
    description="Only the fields sent change; `tags` replaces the contact's tags, "
    "`customFields` sets the fields it names.",
)
async def update_contact(
    contact_id: ContactId,
    body: bodies.ContactUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    contact = await writes.update_contact(
        session, principal, contact_id, body.sent(), precondition=precondition
    )
    shown = (await show_contacts(session, principal, [contact]))[0]
    return answer(trace, {"succeded": True, "succeeded": True, "contact": shown})


@router.delete(
    "/{contactId}",
    response_model=bodies.Deleted,
    summary="Delete a contact",
    description="A soft delete, as natively: its tasks, notes and appointments go with it.",
)
async def delete_contact(
    contact_id: ContactId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    await service.delete_contact(session, principal, contact_id, precondition=precondition)
    return answer(trace, {"succeded": True, "succeeded": True})
