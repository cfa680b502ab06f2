"""The tag table and the links from contacts and companies to tags."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, func
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow
from rolodex.mixins import AccountOwned, SoftDeleted


class Tag(AccountOwned, SoftDeleted, Base):
    """A label; its name is unique in the account, compared case-insensitively."""

    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(64), nullable=False)
    color: Mapped[str | None] = mapped_column(String(7))
    description: Mapped[str | None] = mapped_column(String(1024))


Index(
    "uq_tags_account_id_name_lower",
    Tag.account_id,
    func.lower(Tag.name),
    unique=True,
    sqlite_where=Tag.deleted_at.is_(None),
    postgresql_where=Tag.deleted_at.is_(None),
)
Index("ix_tags_account_id_created_at", Tag.account_id, Tag.created_at, Tag.id)

contact_tags = Table(
    "contact_tags",
    Base.metadata,
    Column("contact_id", String(40), ForeignKey("contacts.id"), primary_key=True),
    Column("tag_id", String(40), ForeignKey("tags.id"), primary_key=True, index=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
)

company_tags = Table(
    "company_tags",
    Base.metadata,
    Column("company_id", String(40), ForeignKey("companies.id"), primary_key=True),
    Column("tag_id", String(40), ForeignKey("tags.id"), primary_key=True, index=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
)
