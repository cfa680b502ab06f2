"""The appointment table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned, SoftDeleted


class Appointment(AccountOwned, SoftDeleted, Base):
    """A meeting with a contact; ``ends_at`` is after ``starts_at``."""

    __tablename__ = "appointments"

    contact_id: Mapped[str] = mapped_column(String(40), ForeignKey("contacts.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    assignee_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    description: Mapped[str | None] = mapped_column(Text)


Index(
    "ix_appointments_account_id_created_at",
    Appointment.account_id,
    Appointment.created_at,
    Appointment.id,
)
Index(
    "ix_appointments_account_id_updated_at",
    Appointment.account_id,
    Appointment.updated_at,
    Appointment.id,
)
Index(
    "ix_appointments_contact_id_created_at",
    Appointment.contact_id,
    Appointment.created_at,
    Appointment.id,
)
Index(
    "ix_appointments_account_id_starts_at",
    Appointment.account_id,
    Appointment.starts_at,
    Appointment.id,
)
