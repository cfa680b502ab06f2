"""``/companies``: MOCO's companies, through the native company service (archive and
unarchive included)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy import false
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.companies import service as companies
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyOut as NativeCompanyOut
from rolodex.companies.schemas import CompanyPatch, CompanyWrite
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
from rolodex.dialects.moco.shapes import companies as shapes
from rolodex.dialects.moco.shapes.companies import CompanyCreate, CompanyOut, CompanyUpdate
from rolodex.dialects.moco.shapes.embedded import CompanyType
from rolodex.dialects.moco.surface import MocoJson
from rolodex.http.pagination import QueryText
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.kinds import COMPANY, USER
from rolodex.schemas import dump

router = moco_router(COMPANY.scope, "/companies", "Companies")

LABEL = "company"
SORTABLE = {moco: COMPANY.sorts[native] for moco, native in shapes.SORTS.items()}
CompanyId = Annotated[int, Path(description="A company's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


async def shown(
    session: AsyncSession, principal: Principal, rows: list[Company]
) -> list[dict[str, Any]]:
    """Companies as MOCO shows them."""
    dumped = [dump(NativeCompanyOut, row) for row in rows]
    refs = await refs_for(
        session,
        principal.account_id,
        ids=[c["id"] for c in dumped],
        user_ids=[c["owner_id"] for c in dumped],
    )
    return [shapes.company_of(c, refs) for c in dumped]


async def _values(
    session: AsyncSession, principal: Principal, sent: dict[str, Any]
) -> dict[str, Any]:
    if "user_id" in sent:
        sent["user_id"] = await referenced(
            session, principal, USER.prefix, sent["user_id"], "user_id", "user"
        )
    return shapes.company_values(sent)


@router.get(
    "",
    response_model=list[CompanyOut],
    summary="List companies",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_companies(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
    type: Annotated[CompanyType | None, Query()] = None,
    tags: Annotated[
        list[QueryText] | None,
        Query(description="Comma-separated tag names: companies with all of them."),
    ] = None,
    term: Annotated[
        QueryText | None, Query(max_length=200, description="Part of the name.")
    ] = None,
    identifier: Annotated[
        QueryText | None,
        Query(max_length=100, description="Rolodex companies have no identifier: no match."),
    ] = None,
    include_archived: Annotated[bool, Query(description="Archived companies too.")] = False,
) -> MocoJson:
    stmt = companies.search(principal, type_=type)
    stmt = filters.live_companies(stmt, include_archived)
    names = split_list(tags)
    if names:
        stmt = filters.with_tags(stmt, "company", Company, names)
    if term is not None:
        stmt = filters.company_term(stmt, term)
    if identifier is not None:
        stmt = stmt.where(false())
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=Company,
        prefix=COMPANY.prefix,
        sortable=SORTABLE,
        secret=secret,
        options=COMPANY.load,
    )
    return list_response(request, page, await shown(session, principal, page.rows))


@router.get("/{company_id}", response_model=CompanyOut, summary="Get a company")
async def get_company(
    company_id: CompanyId, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    native_id = await found(session, principal, COMPANY.prefix, company_id, LABEL)
    with missing_as(LABEL, company_id):
        company = await companies.get_company(session, principal, native_id)
    [shown_company] = await shown(session, principal, [company])
    return entity(shown_company)


@router.post("", response_model=CompanyOut, summary="Create a company")
async def create_company(
    body: CompanyCreate, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    values = await _values(session, principal, body.sent())
    write = native_body(CompanyWrite, values, shapes.NAMES)
    with moco_fields(shapes.NAMES):
        company = await companies.create_company(session, principal, write)
    [shown_company] = await shown(session, principal, [company])
    return entity(shown_company)


@router.put(
    "/{company_id}",
    response_model=CompanyOut,
    summary="Update a company",
    description="Only the fields sent change; `custom_properties` are merged.",
)
async def update_company(
    company_id: CompanyId,
    body: CompanyUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    native_id = await found(session, principal, COMPANY.prefix, company_id, LABEL)
    values = await _values(session, principal, body.sent())
    with missing_as(LABEL, company_id):
        if "custom_fields" in values:
            current = await companies.get_company(session, principal, native_id, for_update=True)
            values["custom_fields"] = {**current.custom_fields, **values["custom_fields"]}
        patch = native_body(CompanyPatch, values, shapes.NAMES)
        with moco_fields(shapes.NAMES):
            company = await companies.update_company(
                session, principal, native_id, patch, replace=False, precondition=precondition
            )
    [shown_company] = await shown(session, principal, [company])
    return entity(shown_company)


@router.delete("/{company_id}", status_code=204, summary="Delete a company")
async def delete_company(
    company_id: CompanyId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> Response:
    native_id = await found(session, principal, COMPANY.prefix, company_id, LABEL)
    with missing_as(LABEL, company_id):
        await companies.delete_company(session, principal, native_id, precondition=precondition)
    return no_content()


async def _archived(
    company_id: int,
    archived: bool,
    session: AsyncSession,
    principal: Principal,
    precondition: WritePrecondition,
) -> MocoJson:
    native_id = await found(session, principal, COMPANY.prefix, company_id, LABEL)
    with missing_as(LABEL, company_id):
        company = await companies.set_archived(
            session, principal, native_id, archived, precondition=precondition
        )
    [shown_company] = await shown(session, principal, [company])
    return entity(shown_company)


@router.put("/{company_id}/archive", response_model=CompanyOut, summary="Archive a company")
async def archive_company(
    company_id: CompanyId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    return await _archived(company_id, True, session, principal, precondition)


@router.put("/{company_id}/unarchive", response_model=CompanyOut, summary="Reactivate a company")
async def unarchive_company(
    company_id: CompanyId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    return await _archived(company_id, False, session, principal, precondition)
