"""Connections, and what Rolodex counts of each: its requests per hour and operation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.integrations.connector import RateLimit
from rolodex.mixins import AccountOwned, SoftDeleted

ACTIVE = "active"
NEEDS_AUTH = "needs_auth"
FAILING = "failing"
DISABLED = "disabled"
STATUSES = (ACTIVE, NEEDS_AUTH, FAILING, DISABLED)


class Connection(AccountOwned, SoftDeleted, Base):
    """Another system Rolodex talks to, of one connector ``kind``.

    The credentials (an API key, an OAuth token pair, an OAuth client's secret) are one
    JSON object, encrypted with the deployment's key into ``secret_ciphertext``
    (:mod:`rolodex.integrations.credentials`); nothing else holds them. ``oauth`` keeps
    the OAuth client's public settings (client id, endpoints, scopes). Every rotation of
    the credentials increments ``credentials_version``, so a worker can tell that another
    one refreshed the tokens meanwhile.
    """

    __tablename__ = "connections"

    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    base_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    auth_type: Mapped[str] = mapped_column(String(16), nullable=False)
    """``api_key`` or ``oauth2``: how the connector authenticates."""
    location_id: Mapped[str | None] = mapped_column(String(100))
    """The remote's own account, where its API needs one (HighLevel's ``locationId``)."""
    secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    credential_fields: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    """The names of the credentials stored (never their values), as the API shows them."""
    oauth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the stored OAuth access token expires (null: unknown, or not OAuth)."""
    credentials_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rate_requests: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_seconds: Mapped[int] = mapped_column(Integer, nullable=False)
    rate_daily: Mapped[int | None] = mapped_column(Integer)
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def rate_of(connection: Connection) -> RateLimit:
    """A connection's rate limit."""
    return RateLimit(connection.rate_requests, connection.rate_seconds, connection.rate_daily)


Index(
    "ix_connections_account_id_created_at",
    Connection.account_id,
    Connection.created_at,
    Connection.id,
)


class ConnectionUsage(Base):
    """Requests made through one connection in one hour for one operation, and how many
    of them the remote refused with 429 or failed (5xx, no answer)."""

    __tablename__ = "connection_usage"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    requests: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    throttled: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ConnectionBudget(Base):
    """Where one connection stands against its rate limit, shared by every worker when
    there is no Redis (:mod:`rolodex.integrations.budget`). Times are microseconds since
    the epoch, so that slot arithmetic is exact on both databases."""

    __tablename__ = "connection_budgets"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), primary_key=True
    )
    next_at_us: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    """The earliest moment the next request may be sent."""
    window_started_us: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    window_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    day: Mapped[str] = mapped_column(String(10), nullable=False, default="")
    day_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    remote_remaining: Mapped[int | None] = mapped_column(Integer)
    remote_reset_us: Mapped[int | None] = mapped_column(BigInteger)
    remote_daily_remaining: Mapped[int | None] = mapped_column(Integer)
    remote_seen_us: Mapped[int | None] = mapped_column(BigInteger)


class IntegrationJob(AccountOwned, Base):
    """One piece of integration work, claimed by a worker with a lease
    (:mod:`rolodex.integrations.jobs`). ``kind`` says which handler runs it; ``input``
    and ``result`` are the handler's (never a secret)."""

    __tablename__ = "integration_jobs"

    connection_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("connections.id"))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    operation: Mapped[str | None] = mapped_column(String(100))
    input: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    worker: Mapped[str | None] = mapped_column(String(64))
    """The worker that ran it last."""
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Index("ix_integration_jobs_status_run_after", IntegrationJob.status, IntegrationJob.run_after)
Index(
    "ix_integration_jobs_connection_id_status",
    IntegrationJob.connection_id,
    IntegrationJob.status,
)


class IntegrationLease(Base):
    """A named lease: one holder at a time across every worker
    (:mod:`rolodex.integrations.leases`)."""

    __tablename__ = "integration_leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class ConnectionOAuthState(AccountOwned, Base):
    """One authorization of a connection under way: its ``state`` (kept as a SHA-256),
    bound to the connection and the user who started it, usable once before it expires;
    the PKCE verifier encrypted with the deployment's key."""

    __tablename__ = "connection_oauth_states"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), nullable=False
    )
    user_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("users.id"))
    state_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    verifier_secret: Mapped[str | None] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(2048), nullable=False)
    client_id: Mapped[str] = mapped_column(String(500), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
