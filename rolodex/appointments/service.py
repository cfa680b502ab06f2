"""Appointments: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select

from rolodex.accounts.principal import Principal
from rolodex.appointments.models import Appointment
from rolodex.contacts.children import ChildRules, account_wide
from rolodex.errors import ValidationFailed
from rolodex.kinds import APPOINTMENT


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


RULES = ChildRules(required=("title", "status"), user_fields=("assignee_id",), prepare=_prepare)


def search(
    principal: Principal,
    *,
    contact_id: str | None = None,
    assignee_id: str | None = None,
    status: str | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
) -> Select[Any]:
    """The account's appointments matching the filters; all filters must hold.
    ``starts_after`` and ``starts_before`` are strict."""
    stmt = account_wide(APPOINTMENT, principal)
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
    return stmt
