"""The dashboard's sign-in sessions: one row per signed-in browser."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow


class DashboardSession(Base):
    """A browser signed in to the dashboard.

    The cookie carries a random token; only its SHA-256 (``token_hash``) is stored, so a
    copy of the table signs nobody in. ``id`` is the session's public name (audit rows'
    ``credential_id``). A session ends when it is revoked (sign-out, the user's
    deactivation), when it has been idle too long (``last_seen_at``) or at
    ``expires_at``, whichever comes first. ``impersonated_user_id`` is the user a staff
    user acts as, when they do.
    """

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), nullable=False)
    impersonated_user_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Index("ix_dashboard_sessions_user_id", DashboardSession.user_id)
