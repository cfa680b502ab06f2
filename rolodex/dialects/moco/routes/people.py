"""``/contacts/people``: MOCO's people, through the native contact service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.contacts import service as contacts
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactOut, ContactPatch, ContactWrite
from rolodex.dialects.moco import filters
from rolodex.dialects.moco.fields import moco_fields, native_body
from rolodex.dialects.moco.listing import (
    LIST_HEADERS,
    ListQuery,
    list_query,
    list_response,
    moco_page,
    split_list,
)
from rolodex.dialects.moco.refs import refs_for
from rolodex.dialects.moco.routes.common import (
    entity,
    found,
    missing_as,
    moco_router,
    no_content,
    referenced,
)
from rolodex.dialects.moco.shapes import people
from rolodex.dialects.moco.shapes.people import PersonCreate, PersonOut, PersonUpdate
from rolodex.dialects.moco.surface import MocoJson
from rolodex.http.pagination import QueryText
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.kinds import COMPANY, CONTACT, USER
from rolodex.schemas import dump

router = moco_router(CONTACT.scope, "/contacts/people", "People")

LABEL = "person"
SORTABLE = {moco: CONTACT.sorts[native] for moco, native in people.SORTS.items()}
PersonId = Annotated[int, Path(description="A person's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


async def shown(
    session: AsyncSession, principal: Principal, contacts_: list[Contact], *, listed: bool
) -> list[dict[str, Any]]:
    """Contacts as MOCO people."""
    dumped = [dump(ContactOut, contact) for contact in contacts_]
    refs = await refs_for(
        session,
        principal.account_id,
        ids=[c["id"] for c in dumped],
        company_ids=[c["company_id"] for c in dumped],
        user_ids=[c["owner_id"] for c in dumped],
    )
    return [people.person_of(c, refs, listed=listed) for c in dumped]


async def _values(
    session: AsyncSession, principal: Principal, sent: dict[str, Any]
) -> dict[str, Any]:
    """The native values of a MOCO body, its numbers turned into native ids."""
    if "company_id" in sent:
        sent["company_id"] = await referenced(
            session, principal, COMPANY.prefix, sent["company_id"], "company_id", "company"
        )
    if "user_id" in sent:
        sent["user_id"] = await referenced(
            session, principal, USER.prefix, sent["user_id"], "user_id", "user"
        )
    return people.contact_values(sent)


@router.get(
    "",
    response_model=list[PersonOut],
    summary="List people",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_people(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
    tags: Annotated[
        list[QueryText] | None,
        Query(description="Comma-separated tag names: people with all of them."),
    ] = None,
    term: Annotated[
        QueryText | None,
        Query(
            max_length=200,
            description="Comma-separated terms: last name, first name, work email or company.",
        ),
    ] = None,
    phone: Annotated[
        QueryText | None,
        Query(max_length=50, description="Digits of the work or mobile phone."),
    ] = None,
) -> MocoJson:
    stmt = contacts.search(principal, tag_names=split_list(tags))
    if term is not None:
        stmt = filters.person_terms(stmt, split_list([term]) or [])
    if phone is not None:
        stmt = filters.person_phone(stmt, phone)
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=Contact,
        prefix=CONTACT.prefix,
        sortable=SORTABLE,
        secret=secret,
        options=CONTACT.load,
    )
    return list_response(request, page, await shown(session, principal, page.rows, listed=True))


@router.get("/{person_id}", response_model=PersonOut, summary="Get a person")
async def get_person(
    person_id: PersonId, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    contact_id = await found(session, principal, CONTACT.prefix, person_id, LABEL)
    with missing_as(LABEL, person_id):
        contact = await contacts.get_contact(session, principal, contact_id)
    [person] = await shown(session, principal, [contact], listed=False)
    return entity(person)


@router.post("", response_model=PersonOut, summary="Create a person")
async def create_person(
    body: PersonCreate, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    values = await _values(session, principal, body.sent())
    write = native_body(ContactWrite, values, people.NAMES)
    with moco_fields(people.NAMES):
        contact = await contacts.create_contact(session, principal, write)
    [person] = await shown(session, principal, [contact], listed=False)
    return entity(person)


@router.put(
    "/{person_id}",
    response_model=PersonOut,
    summary="Update a person",
    description="Only the fields sent change; `custom_properties` are merged.",
)
async def update_person(
    person_id: PersonId,
    body: PersonUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    contact_id = await found(session, principal, CONTACT.prefix, person_id, LABEL)
    values = await _values(session, principal, body.sent())
    with missing_as(LABEL, person_id):
        if "custom_fields" in values:
            current = await contacts.get_contact(session, principal, contact_id, for_update=True)
            values["custom_fields"] = {**current.custom_fields, **values["custom_fields"]}
        patch = native_body(ContactPatch, values, people.NAMES)
        with moco_fields(people.NAMES):
            contact = await contacts.update_contact(
                session, principal, contact_id, patch, replace=False, precondition=precondition
            )
    [person] = await shown(session, principal, [contact], listed=False)
    return entity(person)


@router.delete("/{person_id}", status_code=204, summary="Delete a person")
async def delete_person(
    person_id: PersonId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> Response:
    contact_id = await found(session, principal, CONTACT.prefix, person_id, LABEL)
    with missing_as(LABEL, person_id):
        await contacts.delete_contact(session, principal, contact_id, precondition=precondition)
    return no_content()
