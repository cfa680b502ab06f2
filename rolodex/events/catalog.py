"""Which resources make events, and how each is shown (its API output schema)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from rolodex.appointments.models import Appointment
from rolodex.appointments.schemas import AppointmentOut
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyOut
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactOut
from rolodex.notes.models import Note
from rolodex.notes.schemas import NoteOut
from rolodex.schemas import OutModel
from rolodex.tasks.models import Task
from rolodex.tasks.schemas import TaskOut


@dataclass(frozen=True)
class EventSource:
    """A resource type whose changes become events."""

    model: Any
    out: type[OutModel]
    options: Sequence[ExecutableOption] = ()
    tagged: bool = False


SOURCES: dict[str, EventSource] = {
    "contact": EventSource(Contact, ContactOut, (selectinload(Contact.tags),), tagged=True),
    "company": EventSource(Company, CompanyOut, (selectinload(Company.tags),), tagged=True),
    "task": EventSource(Task, TaskOut),
    "note": EventSource(Note, NoteOut),
    "appointment": EventSource(Appointment, AppointmentOut),
}

ACTIONS = ("created", "updated", "deleted", "restored")


def _family(resource_type: str, source: EventSource) -> list[str]:
    names = [f"{resource_type}.{action}" for action in ACTIONS]
    if source.tagged:
        names += [f"{resource_type}.tags_added", f"{resource_type}.tags_removed"]
    if resource_type == "task":
        names.append("task.completed")
    return names


# Every event type Rolodex emits, for documentation and for validating filters.
EVENT_TYPES: tuple[str, ...] = (
    *(name for kind, source in SOURCES.items() for name in _family(kind, source)),
    "webhook_endpoint.disabled",
    "webhook_endpoint.ping",
)
