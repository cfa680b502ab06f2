"""Route of ``/audit-log``: who changed what in the account."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import or_, select

from rolodex.accounts.service import is_manager
from rolodex.audit.models import AuditEntry
from rolodex.audit.schemas import AuditEntryOut
from rolodex.errors import Forbidden
from rolodex.http.envelope import JsonResponse, ListEnvelope
from rolodex.http.pagination import (
    ListParams,
    QueryText,
    QueryTime,
    list_params,
    list_response,
    paginate,
)
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router

router = api_router("audit_log", prefix="/audit-log", tags=["Audit log"])

SORTS = {"created_at": AuditEntry.created_at}


@router.get(
    "",
    response_model=ListEnvelope[AuditEntryOut],
    summary="List the account's audit log",
    description=(
        "Every change made through the API, newest first. Only owners and admins may read "
        "it (others get 403). `user_id` matches the acting user or the impersonator; "
        "`updated_after` means the same as `created_after` (entries never change)."
    ),
)
async def list_audit_log(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(list_params(list(SORTS), "aud"))],
    request_id: Annotated[
        QueryText | None, Query(max_length=128, description="The request's `X-Request-Id`.")
    ] = None,
    resource_id: Annotated[
        QueryText | None, Query(max_length=64, description="The changed resource's id.")
    ] = None,
    resource_type: Annotated[
        QueryText | None, Query(max_length=32, description="`contact`, `task`, `api_key`…")
    ] = None,
    user_id: Annotated[
        QueryText | None,
        Query(max_length=64, description="Acting user or impersonator (either matches)."),
    ] = None,
    action: Annotated[
        QueryText | None, Query(max_length=64, description="E.g. `contact.updated`.")
    ] = None,
    created_after: Annotated[
        QueryTime | None, Query(description="ISO 8601; entries strictly later than this.")
    ] = None,
    created_before: Annotated[
        QueryTime | None, Query(description="ISO 8601; entries strictly earlier than this.")
    ] = None,
) -> JsonResponse:
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may read the audit log")
    stmt = select(AuditEntry).where(AuditEntry.account_id == principal.account_id)
    if params.updated_after is not None:  # entries are never updated: the same as created
        stmt = stmt.where(AuditEntry.created_at > params.updated_after)
        params = replace(params, updated_after=None)
    if request_id is not None:
        stmt = stmt.where(AuditEntry.request_id == request_id)
    if resource_id is not None:
        stmt = stmt.where(AuditEntry.resource_id == resource_id)
    if resource_type is not None:
        stmt = stmt.where(AuditEntry.resource_type == resource_type)
    if user_id is not None:
        stmt = stmt.where(or_(AuditEntry.user_id == user_id, AuditEntry.impersonator_id == user_id))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if created_after is not None:
        stmt = stmt.where(AuditEntry.created_at > created_after)
    if created_before is not None:
        stmt = stmt.where(AuditEntry.created_at < created_before)
    page = await paginate(
        session,
        stmt,
        model=AuditEntry,
        collection="audit_log",
        sortable=SORTS,
        params=params,
        secret=secret,
    )
    return list_response(request, page, AuditEntryOut)
