"""Tables of accounts, users and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.accounts import versions as _versions  # noqa: F401 (raises versions on change)
from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned, Timestamped


class Account(Timestamped, Base):
    """A tenant: every other record belongs to exactly one."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)


class User(AccountOwned, Base):
    """A person who signs in to an account. Email addresses are unique across Rolodex."""

    __tablename__ = "users"
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="member")
    staff: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    @property
    def name(self) -> str | None:
        """First and last name joined, or None when neither is known."""
        return " ".join(p for p in (self.first_name, self.last_name) if p) or None


Index("uq_users_email_lower", func.lower(User.email), unique=True)


class ApiKey(AccountOwned, Base):
    """An API key. Only the SHA-256 of the secret is stored; ``prefix`` helps recognise it.

    A ``user`` key belongs to ``user_id`` and acts as that user. An ``account`` key
    belongs to the account itself: ``user_id`` is null, it acts as no user, and it keeps
    working whoever leaves. ``created_by_id`` is the user who made the key.
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        Index("ix_api_keys_account_id_created_at", "account_id", "created_at"),
        CheckConstraint("kind IN ('user', 'account')", name="kind"),
        CheckConstraint("(kind = 'account') = (user_id IS NULL)", name="kind_user"),
    )

    kind: Mapped[str] = mapped_column(
        String(16), nullable=False, default="user", server_default="user"
    )
    user_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    created_by_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("users.id"), doc="The user who made the key, when one did."
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    scope: Mapped[str] = mapped_column(String(16), nullable=False)
    prefix: Mapped[str] = mapped_column(String(32), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rate_limit: Mapped[str | None] = mapped_column(
        String(32), doc="This key's own limit as requests/seconds; null: the deployment's."
    )
