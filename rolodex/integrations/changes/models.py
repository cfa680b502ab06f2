"""The stored stream of remote changes: one row per change, a counter and the polling
state per connection, and where each consumer of a stream stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned

WEBHOOK = "webhook"
POLL = "poll"
SOURCES = (WEBHOOK, POLL)
CREATED = "created"
UPDATED = "updated"
DELETED = "deleted"
RESTORED = "restored"
ACTIONS = (CREATED, UPDATED, DELETED, RESTORED)


class RemoteChange(AccountOwned, Base):
    """One change of one remote record, as a webhook or a poll saw it first.

    ``sequence`` numbers a connection's changes in the order they were committed
    (1, 2, 3 …; a number may be skipped, never reused or seen out of order).
    ``dedup_key`` is the change's identity — remote type, id, ``updated_at`` and whether
    the record is deleted — unique per connection, so the same change arriving again
    (by the other route, twice, late) is not stored twice. ``stale``: when it arrived,
    the stream already held a newer change of the same record (an out-of-order
    delivery); the record's state is that of its newest change, not of its last one.
    """

    __tablename__ = "remote_changes"
    __table_args__ = (
        UniqueConstraint("connection_id", "sequence"),
        UniqueConstraint("connection_id", "dedup_key"),
    )

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), nullable=False
    )
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    remote_type: Mapped[str] = mapped_column(String(40), nullable=False)
    remote_id: Mapped[str] = mapped_column(String(100), nullable=False)
    remote_updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    event: Mapped[str | None] = mapped_column(String(100))
    """The remote's own name for what happened (``Contact.update``, ``ContactUpdate``,
    ``contact.updated``), when it said one."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    stale: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dedup_key: Mapped[str] = mapped_column(String(300), nullable=False)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)


Index(
    "ix_remote_changes_connection_id_remote",
    RemoteChange.connection_id,
    RemoteChange.remote_type,
    RemoteChange.remote_id,
)
Index(
    "ix_remote_changes_account_id_created_at",
    RemoteChange.account_id,
    RemoteChange.created_at,
    RemoteChange.id,
)


class ChangeStream(Base):
    """A connection's stream: the last sequence number handed out (its row is the lock
    that orders the stream) and where polling stands."""

    __tablename__ = "remote_change_streams"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    poll_cursors: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    """Per remote type, the newest ``updated_at`` a poll has stored (ISO 8601)."""
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChangeConsumer(Base):
    """Where one consumer (a sync) of a connection's stream stands: the last sequence it
    has dealt with."""

    __tablename__ = "remote_change_consumers"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), primary_key=True
    )
    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
