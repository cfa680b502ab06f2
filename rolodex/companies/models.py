"""The company table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned, SoftDeleted
from rolodex.tags.models import Tag, company_tags


class Company(AccountOwned, SoftDeleted, Base):
    """A business. Contacts refer to it with ``company_id``."""

    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    website: Mapped[str | None] = mapped_column(String(2048))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    description: Mapped[str | None] = mapped_column(Text)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the company was archived (an archived company is one no longer worked with,
    kept and shown; MOCO's ``archive``); null while active."""

    tags: Mapped[list[Tag]] = relationship(
        Tag,
        secondary=company_tags,
        primaryjoin=lambda: Company.id == company_tags.c.company_id,
        secondaryjoin=lambda: and_(Tag.id == company_tags.c.tag_id, Tag.deleted_at.is_(None)),
        viewonly=True,
        lazy="raise",
        order_by=lambda: func.lower(Tag.name),
    )

    @property
    def tag_names(self) -> list[str]:
        """Names of the company's live tags, alphabetical."""
        return [tag.name for tag in self.tags]


Index("ix_companies_account_id_created_at", Company.account_id, Company.created_at, Company.id)
Index("ix_companies_account_id_updated_at", Company.account_id, Company.updated_at, Company.id)
Index("ix_companies_account_id_name", Company.account_id, Company.name, Company.id)
