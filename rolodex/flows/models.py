"""The ``flows`` table: one row per flow, its definition as it is now and its version."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base
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
