"""Routes of ``/companies``: CRUD and restore."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.companies import service
from rolodex.companies.schemas import CompanyOut, CompanyPatch, CompanyType, CompanyWrite
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
from rolodex.kinds import COMPANY

router = api_router(COMPANY.scope, prefix=COMPANY.path, tags=["Companies"])

CompanyId = Annotated[
    str, Path(description="A company id.", json_schema_extra={"pattern": COMPANY.id_pattern})
]


@router.get("", response_model=ListEnvelope[CompanyOut], summary="List companies")
async def list_companies(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(COMPANY))],
    q: Annotated[QueryText | None, Query(max_length=200, description="Part of the name.")] = None,
    type: Annotated[CompanyType | None, Query()] = None,
    owner_id: Annotated[QueryText | None, Query(max_length=64)] = None,
) -> JsonResponse:
    stmt = service.search(principal, q=q, type_=type, owner_id=owner_id)
    page = await paginate_kind(
        session,
        stmt,
        COMPANY,
        params=params,
        secret=secret,
    )
    return list_response(request, page, CompanyOut)


@router.post(
    "", status_code=201, response_model=DataEnvelope[CompanyOut], summary="Create a company"
)
async def create_company(
    body: CompanyWrite, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    company = await service.create_company(session, principal, body)
    return one(CompanyOut, company, status_code=201, location=COMPANY.location(company.id))


@router.get("/{company_id}", response_model=DataEnvelope[CompanyOut], summary="Get a company")
async def get_company(
    company_id: CompanyId,
    session: Session,
    principal: CurrentPrincipal,
    include_deleted: Annotated[bool, Query(description="Return it even if deleted.")] = False,
) -> JsonResponse:
    company = await service.get_company(
        session, principal, company_id, include_deleted=include_deleted
    )
    return one(CompanyOut, company)


@router.put("/{company_id}", response_model=DataEnvelope[CompanyOut], summary="Replace a company")
async def replace_company(
    company_id: CompanyId,
    body: CompanyWrite,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    return one(
        CompanyOut,
        await service.update_company(
            session, principal, company_id, body, replace=True, precondition=precondition
        ),
    )


@router.patch("/{company_id}", response_model=DataEnvelope[CompanyOut], summary="Update a company")
async def update_company(
    company_id: CompanyId,
    body: CompanyPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    return one(
        CompanyOut,
        await service.update_company(
            session, principal, company_id, body, replace=False, precondition=precondition
        ),
    )


@router.delete("/{company_id}", response_model=DeletedEnvelope, summary="Delete a company")
async def delete_company(
    company_id: CompanyId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await service.delete_company(session, principal, company_id, precondition=precondition)
    return deleted()


@router.post(
    "/{company_id}/restore",
    response_model=DataEnvelope[CompanyOut],
    summary="Restore a deleted company",
)
async def restore_company(
    company_id: CompanyId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(CompanyOut, await service.restore_company(session, principal, company_id))
