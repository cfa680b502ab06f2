"""The table of stored responses to keyed mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow


class IdempotencyRecord(Base):
    """The response a keyed request got, committed together with the change it made.

    A key belongs to one account and holder: ``user_id`` is the credential's own user,
    or for an account-level API key (which has none) that key's id. ``fingerprint`` (a
    hash of method, path and body) tells a true retry from a different request reusing
    the key.
    """

    __tablename__ = "idempotency_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


Index(
    "uq_idempotency_keys_account_id_user_id_key",
    IdempotencyRecord.account_id,
    IdempotencyRecord.user_id,
    IdempotencyRecord.key,
    unique=True,
)
Index("ix_idempotency_keys_expires_at", IdempotencyRecord.expires_at)
