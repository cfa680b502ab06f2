"""Runs of syncs: each is a leased integration job of kind ``sync``.

A run is queued by ``POST /syncs/{id}/run``, by a change on either side and by the
poll; a worker claims it like any integration job (:mod:`rolodex.integrations.jobs`), so
a worker that dies mid-run leaves it to another, which finishes it (the links make a
second pass write nothing twice). The job's ``result`` is the run's log: its steps,
each record it wrote (or, dry, would write) and, for a conflict, the value that lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.integrations.jobs import QUEUED, new_job
from rolodex.integrations.models import IntegrationJob
from rolodex.syncs.models import Sync

SYNC_JOB = "sync"


def runs_of(sync: Sync) -> Select[Any]:
    """A sync's runs (the jobs that ran or will run it)."""
    job = IntegrationJob
    return select(job).where(
        job.account_id == sync.account_id,
        job.kind == SYNC_JOB,
        job.operation == sync.id,
    )


async def queue_run(
    session: AsyncSession,
    sync: Sync,
    settings: Settings | None,
    *,
    dry_run: bool = False,
    full: bool = False,
    trigger: dict[str, Any] | None = None,
    coalesce: bool = False,
) -> IntegrationJob:
    """Queue a run of a sync; the job. ``coalesce``: a run already queued (not dry, not
    full) is answered instead of a second one — what changes and polls ask for."""
    if coalesce:
        waiting: IntegrationJob | None = await session.scalar(
            runs_of(sync).where(IntegrationJob.status == QUEUED).limit(1)
        )
        if waiting is not None and not waiting.input.get("dry_run"):
            return waiting
    job = new_job(
        sync.account_id,
        SYNC_JOB,
        connection_id=sync.connection_id,
        operation=sync.id,
        input={
            "sync_id": sync.id,
            "dry_run": dry_run,
            "full": full,
            "trigger": trigger or {"kind": "manual"},
        },
        settings=settings,
    )
    session.add(job)
    await session.flush()
    return job


def shown_run(job: IntegrationJob) -> dict[str, Any]:
    """A run as the API shows it."""
    result = job.result if isinstance(job.result, dict) else {}
    given = job.input or {}
    return {
        "id": job.id,
        "object": "run",
        "kind": "sync",
        "sync_id": job.operation,
        "status": job.status if job.status != "cancelled" else "skipped",
        "dry_run": bool(given.get("dry_run")),
        "full": bool(given.get("full")),
        "trigger": given.get("trigger") or {},
        "steps": list(result.get("steps") or []),
        "error": job.error if job.status == "failed" else None,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "created_at": job.created_at,
    }
