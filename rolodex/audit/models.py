"""The audit log table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One change of one resource, written in the same transaction as the change.

    ``user_id`` is who the request acted as; ``impersonator_id`` the real actor when a
    staff user impersonated. ``changes`` maps each changed field to ``[old, new]``.
    """

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(40))
    impersonator_id: Mapped[str | None] = mapped_column(String(40))
    credential_id: Mapped[str | None] = mapped_column(String(40))
    credential_kind: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(40), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


Index(
    "ix_audit_log_account_id_created_at",
    AuditEntry.account_id,
    AuditEntry.created_at,
    AuditEntry.id,
)
Index("ix_audit_log_account_id_request_id", AuditEntry.account_id, AuditEntry.request_id)
Index("ix_audit_log_account_id_resource_id", AuditEntry.account_id, AuditEntry.resource_id)
