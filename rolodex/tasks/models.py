"""The task table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned, SoftDeleted


class Task(AccountOwned, SoftDeleted, Base):
    """Something to do about a contact, optionally assigned and due."""

    __tablename__ = "tasks"

    contact_id: Mapped[str] = mapped_column(String(40), ForeignKey("contacts.id"), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assignee_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))


Index("ix_tasks_account_id_created_at", Task.account_id, Task.created_at, Task.id)
Index("ix_tasks_account_id_updated_at", Task.account_id, Task.updated_at, Task.id)
Index("ix_tasks_contact_id_created_at", Task.contact_id, Task.created_at, Task.id)
Index("ix_tasks_account_id_due_at", Task.account_id, Task.due_at, Task.id)
