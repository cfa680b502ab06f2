"""Request and response bodies of appointments."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import LongText, RequiredText, UtcDatetime, clean_text

AppointmentStatus = Literal["scheduled", "confirmed", "cancelled", "completed", "no_show"]
Location = Annotated[str, Field(max_length=1024), AfterValidator(clean_text)]


class AppointmentWrite(WriteModel):
    """An appointment as a client writes it; ``title`` is required and ``ends_at`` must
    be after ``starts_at``."""

    read_only: ClassVar[frozenset[str]] = frozenset({"contact_id"})

    title: RequiredText = Field(examples=["Kick-off meeting"])
    starts_at: UtcDatetime | None = Field(default=None, examples=["2026-12-01T09:00:00Z"])
    ends_at: UtcDatetime | None = Field(default=None, examples=["2026-12-01T10:00:00Z"])
    location: Location | None = None
    status: AppointmentStatus = "scheduled"
    assignee_id: str | None = Field(
        default=None, description="A user; defaults to the acting user (null for an account key)."
    )
    description: LongText | None = None


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    AppointmentPatch = AppointmentWrite
else:
    AppointmentPatch = partial(AppointmentWrite, "AppointmentPatch")


class AppointmentOut(OutModel):
    """An appointment as the API shows it."""

    object: Literal["appointment"] = "appointment"
    contact_id: str
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    location: str | None
    status: AppointmentStatus
    assignee_id: str | None
    description: str | None
    deleted_at: datetime | None
