"""Webhook endpoints, their delivery jobs and every attempt of a delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rolodex.db import Base, UTCDateTime, utcnow
from rolodex.mixins import AccountOwned, SoftDeleted


class WebhookEndpoint(AccountOwned, SoftDeleted, Base):
    """A URL that receives the account's events of the types it subscribes to.

    Secrets are stored encrypted (:mod:`rolodex.webhooks.secrets`); during a rotation the
    previous secret stays valid, and is signed with too, until ``previous_secret_expires_at``.
    """

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2048), nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    secret_ciphertext: Mapped[str] = mapped_column(Text, nullable=False)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    format: Mapped[str] = mapped_column(
        String(16), nullable=False, default="native", server_default="native"
    )
    """How deliveries look (:mod:`rolodex.webhooks.formats`): ``native`` or a dialect's."""


Index(
    "ix_webhook_endpoints_account_id_created_at",
    WebhookEndpoint.account_id,
    WebhookEndpoint.created_at,
    WebhookEndpoint.id,
)

PENDING = "pending"
SUCCEEDED = "succeeded"
DEAD = "dead"


class WebhookDelivery(AccountOwned, Base):
    """One event to deliver to one endpoint: a job the workers claim with a lease.

    ``attempts`` counts claims, so a job that kills its worker every time still ends
    ``dead`` after the last attempt of the schedule instead of being retried forever.
    """

    __tablename__ = "webhook_deliveries"

    endpoint_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_endpoints.id"), nullable=False
    )
    event_id: Mapped[str] = mapped_column(String(40), ForeignKey("events.id"), nullable=False)
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        order_by="desc(WebhookAttempt.attempted_at)", lazy="raise", viewonly=True
    )


Index(
    "ix_webhook_deliveries_status_next_attempt_at",
    WebhookDelivery.status,
    WebhookDelivery.next_attempt_at,
)
Index(
    "ix_webhook_deliveries_endpoint_id_created_at",
    WebhookDelivery.endpoint_id,
    WebhookDelivery.created_at,
    WebhookDelivery.id,
)


class WebhookAttempt(Base):
    """One HTTP request of a delivery and what came of it."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("webhook_deliveries.id"), nullable=False
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, nullable=False)
    worker: Mapped[str | None] = mapped_column(String(64))


Index("ix_webhook_attempts_delivery_id", WebhookAttempt.delivery_id, WebhookAttempt.attempted_at)
