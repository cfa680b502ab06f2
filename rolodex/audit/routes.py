"""Route of ``/audit-log``: who changed what in the account."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Query, Request

from rolodex.audit import service
from rolodex.audit.schemas import AuditEntryOut
from rolodex.http.envelope import JsonResponse, ListEnvelope
from rolodex.http.pagination import (
    ListParams,
    QueryText,
    QueryTime,
    kind_params,
    list_response,
    paginate_kind,
)
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.kinds import AUDIT_ENTRY

router = api_router(AUDIT_ENTRY.scope, prefix=AUDIT_ENTRY.path, tags=["Audit log"])


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
    params: Annotated[ListParams, Depends(kind_params(AUDIT_ENTRY))],
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
    stmt = service.search(
        principal,
        request_id=request_id,
        resource_id=resource_id,
        resource_type=resource_type,
        user_id=user_id,
        action=action,
        created_after=created_after,
        created_before=created_before,
        updated_after=params.updated_after,
    )
    page = await paginate_kind(
        session,
        stmt,
        AUDIT_ENTRY,
        params=replace(params, updated_after=None),
        secret=secret,
    )
    return list_response(request, page, AuditEntryOut)
