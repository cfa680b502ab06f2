"""Columns every record shares: id, account, timestamps, soft deletion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from rolodex.db import UTCDateTime, utcnow


class Timestamped:
    """``created_at`` and ``updated_at``, kept by the database session."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class AccountOwned(Timestamped):
    """A record of one account (tenant); ``id`` carries the type prefix."""

    id: Mapped[str] = mapped_column(String(40), primary_key=True)

    @declared_attr
    def account_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)


class SoftDeleted:
    """A record that is hidden, not erased, when deleted."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
