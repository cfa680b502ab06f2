"""Routes of appointments: nested under a contact, and the account-wide ``/appointments``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from rolodex.appointments import service
from rolodex.appointments.models import Appointment
from rolodex.appointments.schemas import AppointmentOut, AppointmentStatus
from rolodex.contacts.subresources import account_wide, nested_routes
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

router = api_router("contacts", tags=["Appointments"])
nested_routes(service.SPEC, router)


@router.get(
    "/appointments",
    response_model=ListEnvelope[AppointmentOut],
    summary="List the account's appointments",
)
async def list_appointments(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(list_params(list(service.SPEC.sorts), "apt"))],
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
    stmt = account_wide(service.SPEC, principal)
    if contact_id is not None:
        stmt = stmt.where(Appointment.contact_id == contact_id)
    if assignee_id is not None:
        stmt = stmt.where(Appointment.assignee_id == assignee_id)
    if status is not None:
        stmt = stmt.where(Appointment.status == status)
    if starts_after is not None:
        stmt = stmt.where(Appointment.starts_at > starts_after)
    if starts_before is not None:
        stmt = stmt.where(Appointment.starts_at < starts_before)
    page = await paginate(
        session,
        stmt,
        model=Appointment,
        collection="appointments",
        sortable=service.SPEC.sorts,
        params=params,
        secret=secret,
    )
    return list_response(request, page, AppointmentOut)
