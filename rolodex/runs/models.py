"""The ``runs`` table: one row per run of a sync, a flow or an operation, its steps
inside it as JSON (a run has a handful of steps, always read together)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned

KINDS = ("sync", "flow", "operation")
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
SKIPPED = "skipped"
WAITING = "waiting"
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, SKIPPED, WAITING)
FINISHED = (SUCCEEDED, FAILED, SKIPPED)


class Run(AccountOwned, Base):
    """One run: what started it (``trigger``), what it belongs to (``owner_id``: a flow
    or a sync, at ``owner_version``), its steps and how it ended.

    ``job_kind`` and ``job_input`` are what queued it as an integration job, so that a
    retry can queue the same work again; neither holds a secret.
    """

    __tablename__ = "runs"

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    owner_id: Mapped[str | None] = mapped_column(String(40))
    owner_version: Mapped[int | None] = mapped_column(Integer)
    connection_id: Mapped[str | None] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(40))
    job_kind: Mapped[str | None] = mapped_column(String(32))
    job_input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    retry_of: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(String(1000))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


Index("ix_runs_account_id_created_at", Run.account_id, Run.created_at, Run.id)
Index("ix_runs_owner_id_created_at", Run.owner_id, Run.created_at)
Index("ix_runs_created_at", Run.created_at)
