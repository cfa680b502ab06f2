"""The ``flows`` table: one row per flow, its definition as it is now and its version;
and ``flow_writes``: what a flow's runs wrote at the connection it is triggered by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow
from rolodex.mixins import AccountOwned, SoftDeleted


class Flow(AccountOwned, SoftDeleted, Base):
    """When ``trigger_event`` happens (in this Rolodex when ``trigger_connection_id`` is
    null, else at that connection) and ``condition`` holds, run ``actions`` in order.

    ``version`` starts at 1 and grows with every change of the definition (name, trigger,
    condition, actions); a run records the version it followed.
    """

    __tablename__ = "flows"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(String(2000))
    trigger_connection_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("connections.id")
    )
    trigger_event: Mapped[str] = mapped_column(String(100), nullable=False)
    condition: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    template: Mapped[str | None] = mapped_column(String(100))
    """The template it was made from, if any."""


Index("ix_flows_account_id_created_at", Flow.account_id, Flow.created_at, Flow.id)
Index("ix_flows_account_id_trigger_event", Flow.account_id, Flow.trigger_event)


class FlowWrite(Base):
    """One write of a flow's run to a record of the connection the flow is triggered by,
    with the record's ``updated_at`` as the remote answered the write: the state the
    flow left it in, so that the change coming back through the connection's stream is
    recognised as the flow's own (:mod:`rolodex.flows.echoes`)."""

    __tablename__ = "flow_writes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)
    flow_id: Mapped[str] = mapped_column(String(40), ForeignKey("flows.id"), nullable=False)
    run_id: Mapped[str] = mapped_column(String(40), nullable=False)
    connection_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("connections.id"), nullable=False
    )
    remote_id: Mapped[str] = mapped_column(String(200), nullable=False)
    remote_updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


Index(
    "ix_flow_writes_flow_id_connection_id_remote_id",
    FlowWrite.flow_id,
    FlowWrite.connection_id,
    FlowWrite.remote_id,
)
