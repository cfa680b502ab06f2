"""Syncs, the links they keep between records, and the log of what they wrote.

A :class:`Sync` keeps one record type (contacts, companies, tasks, notes) the same in
Rolodex and at a connection. A :class:`Link` ties one Rolodex record to one remote
record per connection, with a hash of what each side last held (the mapped fields, as
canonical JSON), so that a record is never created twice and a change that changes no
mapped field writes nothing. A :class:`SyncWrite` is one write the engine made, with the
hash of what it wrote, so that the change coming back is recognised as its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow
from rolodex.mixins import AccountOwned, SoftDeleted


class Sync(AccountOwned, SoftDeleted, Base):
    """One record type kept the same on both sides of a connection.

    ``rolodex_cursor`` is the last event of the account's feed the sync has looked at;
    ``remote_cursor`` the newest ``updated_at`` it has seen at the remote.
    """

    __tablename__ = "syncs"

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), nullable=False
    )
    record_type: Mapped[str] = mapped_column(String(16), nullable=False)
    """The object synced: ``contacts``, ``companies``, ``tasks`` or ``notes``."""
    remote_type: Mapped[str] = mapped_column(String(64), nullable=False)
    """What the remote calls it (``people`` at MOCO)."""
    direction: Mapped[str] = mapped_column(String(8), nullable=False)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    conflict: Mapped[str] = mapped_column(String(16), nullable=False)
    deletes: Mapped[str] = mapped_column(String(16), nullable=False)
    filter: Mapped[str | None] = mapped_column(String(1000))
    poll_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=300)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    rolodex_cursor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    remote_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Index("ix_syncs_account_id_created_at", Sync.account_id, Sync.created_at, Sync.id)


class Link(AccountOwned, Base):
    """One Rolodex record and one remote record that are the same, per connection."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("connection_id", "record_id", name="uq_links_connection_id_record_id"),
        UniqueConstraint(
            "connection_id",
            "remote_type",
            "remote_id",
            name="uq_links_connection_id_remote_type_remote_id",
        ),
    )

    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), nullable=False
    )
    sync_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("syncs.id"))
    record_type: Mapped[str] = mapped_column(String(32), nullable=False)
    record_id: Mapped[str] = mapped_column(String(40), nullable=False)
    remote_type: Mapped[str] = mapped_column(String(64), nullable=False)
    remote_id: Mapped[str] = mapped_column(String(200), nullable=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    """The hash of the mapped fields of the Rolodex record when last synced."""
    remote_hash: Mapped[str | None] = mapped_column(String(64))
    """The hash of the mapped fields of the remote record when last synced."""
    record_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    remote_deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


Index("ix_links_account_id_created_at", Link.account_id, Link.created_at, Link.id)


class SyncWrite(Base):
    """One write a sync made, on one side, with the hash of what it wrote."""

    __tablename__ = "sync_writes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    sync_id: Mapped[str] = mapped_column(String(40), ForeignKey("syncs.id"), nullable=False)
    side: Mapped[str] = mapped_column(String(8), nullable=False)
    """``rolodex`` or ``remote``: where the write went."""
    ref: Mapped[str] = mapped_column(String(200), nullable=False)
    """The id of the record written on that side."""
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


Index("ix_sync_writes_sync_id_side_ref", SyncWrite.sync_id, SyncWrite.side, SyncWrite.ref)
