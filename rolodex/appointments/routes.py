"""Routes of appointments: nested under a contact, and the account-wide ``/appointments``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from rolodex.appointments import service
from rolodex.appointments.schemas import AppointmentOut, AppointmentStatus
from rolodex.contacts.child_routes import nested_routes
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
from rolodex.kinds import APPOINTMENT

router = api_router(APPOINTMENT.scope, tags=["Appointments"])
nested_routes(APPOINTMENT, service.RULES, router)
Params = Annotated[ListParams, Depends(kind_params(APPOINTMENT))]


@router.get(
    APPOINTMENT.path,
    response_model=ListEnvelope[AppointmentOut],
    summary="List the account's appointments",
)
async def list_appointments(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    contact_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    assignee_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    status: Annotated[AppointmentStatus | None, Query()] = None,
    starts_after: Annotated[
        QueryTime | None, Query(description="Starting strictly after this time.")
    ] = None,
    starts_before: Annotated[
        QueryTime | None, Query(description="Starting strictly before this time.")
    ] = None,
) -> JsonResponse:
    stmt = service.search(
        principal,
        contact_id=contact_id,
        assignee_id=assignee_id,
        status=status,
        starts_after=starts_after,
        starts_before=starts_before,
    )
    page = await paginate_kind(
        session,
        stmt,
        APPOINTMENT,
        params=params,
        secret=secret,
    )
    return list_response(request, page, AppointmentOut)
