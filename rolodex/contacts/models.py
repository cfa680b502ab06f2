"""The contact table."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, and_, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rolodex.db import Base
from rolodex.mixins import AccountOwned, SoftDeleted
from rolodex.tags.models import Tag, contact_tags


class Contact(AccountOwned, SoftDeleted, Base):
    """A person. ``name`` is derived from the first and last name."""

    __tablename__ = "contacts"

    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    mobile_phone: Mapped[str | None] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(255))
    job_title: Mapped[str | None] = mapped_column(String(255))
    gender: Mapped[str | None] = mapped_column(String(50))
    birthday: Mapped[date | None] = mapped_column(Date)
    website: Mapped[str | None] = mapped_column(String(2048))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    company_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("companies.id"))
    owner_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    source: Mapped[str | None] = mapped_column(String(255))
    timezone: Mapped[str | None] = mapped_column(String(64))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    tags: Mapped[list[Tag]] = relationship(
        Tag,
        secondary=contact_tags,
        primaryjoin=lambda: Contact.id == contact_tags.c.contact_id,
        secondaryjoin=lambda: and_(Tag.id == contact_tags.c.tag_id, Tag.deleted_at.is_(None)),
        viewonly=True,
        lazy="raise",
        order_by=lambda: func.lower(Tag.name),
    )

    @property
    def name(self) -> str | None:
        """First and last name joined, or None when neither is known."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None

    @property
    def tag_names(self) -> list[str]:
        """Names of the contact's live tags, alphabetical."""
        return [tag.name for tag in self.tags]


# Lists are served by these: (account, sort column, id) walks a page in index order, and
# the trailing deleted_at lets the tombstone filter run on the index alone, so counting
# and skipping to a deep page never visit the table.
for _column in (Contact.created_at, Contact.updated_at, Contact.last_name):
    Index(
        f"ix_contacts_account_id_{_column.key}",
        Contact.account_id,
        _column,
        Contact.id,
        Contact.deleted_at,
    )
# The count behind X-Total: on the wide indexes above the planner scans the table instead;
# this one-key partial index deduplicates to a few hundred kB and is read index-only.
Index(
    "ix_contacts_account_id_live",
    Contact.account_id,
    postgresql_where=Contact.deleted_at.is_(None),
    sqlite_where=Contact.deleted_at.is_(None),
)
Index("ix_contacts_account_id_email_lower", Contact.account_id, func.lower(Contact.email))
Index("ix_contacts_company_id", Contact.company_id)
