"""The outbox: events, and the per-account counter that orders them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow


class Event(Base):
    """One change, written in the same transaction as the change itself.

    ``sequence`` numbers the account's events in commit order (see :mod:`rolodex.events.outbox`),
    which is what makes the feed's cursor gap-free.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("account_id", "sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    resource_type: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    origin: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


Index("ix_events_account_id_created_at", Event.account_id, Event.created_at)


class EventSequence(Base):
    """The last event number an account handed out; its row is the outbox's lock."""

    __tablename__ = "event_sequences"

    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
