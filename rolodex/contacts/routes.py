"""Routes of ``/contacts``: CRUD, restore, contacts of a business, and a contact's tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.contacts import service
from rolodex.contacts.schemas import ContactOut, ContactPatch, ContactWrite
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, QueryText, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.kinds import COMPANY, CONTACT
from rolodex.records import get_of_kind
from rolodex.tags.schemas import TagNamesBody

router = api_router(CONTACT.scope, prefix=CONTACT.path, tags=["Contacts"])

ContactId = Annotated[
    str, Path(description="A contact id.", json_schema_extra={"pattern": CONTACT.id_pattern})
]
CompanyId = Annotated[
    str, Path(description="A company id.", json_schema_extra={"pattern": COMPANY.id_pattern})
]
Params = Annotated[ListParams, Depends(kind_params(CONTACT))]
Q = Annotated[
    QueryText | None,
    Query(max_length=200, description="Part of the name, email, phone or company name."),
]
EmailFilter = Annotated[
    QueryText | None, Query(max_length=320, description="Exact email, any case.")
]
TagsFilter = Annotated[
    QueryText | None,
    Query(max_length=2000, description="Comma-separated tag names; contacts with all of them."),
]
IncludeDeleted = Annotated[
    bool, Query(description="Return the contact even if deleted, as a tombstone.")
]


def _split(raw: str | None) -> list[str] | None:
    return [p.strip() for p in raw.split(",") if p.strip()] if raw else None


@router.get("", response_model=ListEnvelope[ContactOut], summary="List contacts")
async def list_contacts(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    q: Q = None,
    email: EmailFilter = None,
    tags: TagsFilter = None,
    company_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    owner_id: Annotated[QueryText | None, Query(max_length=64)] = None,
) -> JsonResponse:
    stmt = service.search(
        principal,
        q=q,
        email=email,
        tag_names=_split(tags),
        company_id=company_id,
        owner_id=owner_id,
    )
    page = await paginate_kind(
        session,
        stmt,
        CONTACT,
        params=params,
        secret=secret,
    )
    return list_response(request, page, ContactOut)


@router.post(
    "", status_code=201, response_model=DataEnvelope[ContactOut], summary="Create a contact"
)
async def create_contact(
    body: ContactWrite, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    contact = await service.create_contact(session, principal, body)
    return one(ContactOut, contact, status_code=201, location=CONTACT.location(contact.id))


@router.get(
    "/business/{company_id}",
    response_model=ListEnvelope[ContactOut],
    summary="List the contacts of a company",
)
async def list_business_contacts(
    company_id: CompanyId,
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
) -> JsonResponse:
    await get_of_kind(session, COMPANY, principal.account_id, company_id)
    stmt = service.search(principal, company_id=company_id)
    page = await paginate_kind(
        session,
        stmt,
        CONTACT,
        params=params,
        secret=secret,
    )
    return list_response(request, page, ContactOut)


@router.get("/{contact_id}", response_model=DataEnvelope[ContactOut], summary="Get a contact")
async def get_contact(
    contact_id: ContactId,
    session: Session,
    principal: CurrentPrincipal,
    include_deleted: IncludeDeleted = False,
) -> JsonResponse:
    contact = await service.get_contact(
        session, principal, contact_id, include_deleted=include_deleted
    )
    return one(ContactOut, contact)


@router.put(
    "/{contact_id}",
    response_model=DataEnvelope[ContactOut],
    summary="Replace a contact",
    description="Every field is set; omitted optional fields become null (tags: none).",
)
async def replace_contact(
    contact_id: ContactId,
    body: ContactWrite,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    contact = await service.update_contact(
        session, principal, contact_id, body, replace=True, precondition=precondition
    )
    return one(ContactOut, contact)


@router.patch(
    "/{contact_id}",
    response_model=DataEnvelope[ContactOut],
    summary="Update a contact",
    description=(
        "Only the fields sent change. `address`, `tags` and `custom_fields` are replaced whole."
    ),
)
async def update_contact(
    contact_id: ContactId,
    body: ContactPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    contact = await service.update_contact(
        session, principal, contact_id, body, replace=False, precondition=precondition
    )
    return one(ContactOut, contact)


@router.delete(
    "/{contact_id}",
    response_model=DeletedEnvelope,
    summary="Delete a contact",
    description="Soft delete: the contact and its tasks, notes and appointments become tombstones.",
)
async def delete_contact(
    contact_id: ContactId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await service.delete_contact(session, principal, contact_id, precondition=precondition)
    return deleted()


@router.post(
    "/{contact_id}/restore",
    response_model=DataEnvelope[ContactOut],
    summary="Restore a deleted contact",
    description="Brings back the contact and what was deleted with it. 422 if it is not deleted.",
)
async def restore_contact(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(ContactOut, await service.restore_contact(session, principal, contact_id))


@router.get(
    "/{contact_id}/tags",
    response_model=DataEnvelope[list[str]],
    summary="List a contact's tags",
)
async def list_contact_tags(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    contact = await service.get_contact(session, principal, contact_id)
    return JsonResponse({"data": contact.tag_names})


@router.post(
    "/{contact_id}/tags",
    response_model=DataEnvelope[list[str]],
    summary="Add tags to a contact",
    description="Unknown tag names are created. Answers the contact's tags now.",
)
async def add_contact_tags(
    contact_id: ContactId, body: TagNamesBody, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    contact = await service.add_tags(session, principal, contact_id, body.tags)
    return JsonResponse({"data": contact.tag_names})


@router.delete(
    "/{contact_id}/tags",
    response_model=DataEnvelope[list[str]],
    summary="Remove tags from a contact",
    description="Names the contact does not have are ignored. Answers the contact's tags now.",
)
async def remove_contact_tags(
    contact_id: ContactId,
    body: TagNamesBody,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    contact = await service.remove_tags(
        session, principal, contact_id, body.tags, precondition=precondition
    )
    return JsonResponse({"data": contact.tag_names})
