"""Appointments: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from typing import Any

from rolodex.accounts.principal import Principal
from rolodex.appointments.models import Appointment
from rolodex.appointments.schemas import AppointmentOut, AppointmentPatch, AppointmentWrite
from rolodex.contacts.subresources import SubresourceSpec
from rolodex.errors import ValidationFailed


def _prepare(
    values: dict[str, Any], record: Appointment | None, principal: Principal, sent: set[str]
) -> None:
    """Assign new appointments to their creator by default; the end follows the start."""
    if record is None and "assignee_id" not in sent:
        values["assignee_id"] = principal.user_id
    starts = values["starts_at"] if "starts_at" in values else getattr(record, "starts_at", None)
    ends = values["ends_at"] if "ends_at" in values else getattr(record, "ends_at", None)
    if starts is not None and ends is not None and ends <= starts:
        raise ValidationFailed.field("ends_at", "must be after starts_at")


SPEC = SubresourceSpec(
    label="appointment",
    plural="appointments",
    prefix="apt",
    model=Appointment,
    write=AppointmentWrite,
    patch=AppointmentPatch,
    out=AppointmentOut,
    sorts={
        "created_at": Appointment.created_at,
        "updated_at": Appointment.updated_at,
        "starts_at": Appointment.starts_at,
    },
    required=("title", "status"),
    user_fields=("assignee_id",),
    prepare=_prepare,
)
