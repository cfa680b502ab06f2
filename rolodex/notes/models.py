"""The note table."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base
from rolodex.mixins import AccountOwned, SoftDeleted


class Note(AccountOwned, SoftDeleted, Base):
    """A note on a contact. Its author is always the user who wrote it; none when an
    account-level API key, which acts as no user, wrote it."""

    __tablename__ = "notes"

    contact_id: Mapped[str] = mapped_column(String(40), ForeignKey("contacts.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    pinned: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


Index("ix_notes_account_id_created_at", Note.account_id, Note.created_at, Note.id)
Index("ix_notes_account_id_updated_at", Note.account_id, Note.updated_at, Note.id)
Index("ix_notes_contact_id_created_at", Note.contact_id, Note.created_at, Note.id)
