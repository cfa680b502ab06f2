"""Runs of syncs: a run (:mod:`rolodex.runs`) of kind ``sync``, worked by a leased
integration job of kind ``sync``.

A run is queued by ``POST /syncs/{id}/run``, by a change on either side
(:mod:`rolodex.syncs.triggers`) and by the poll; a worker claims its job like any
integration job (:mod:`rolodex.integrations.jobs`), so a worker that dies mid-run
leaves it to another, which finishes it (the links make a second pass write nothing
twice). The run's steps are what it wrote (or, dry, would write) to each record and,
for a conflict, the value that lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.integrations.jobs import CANCELLED, new_job
from rolodex.integrations.jobs import QUEUED as JOB_QUEUED
from rolodex.integrations.models import IntegrationJob
from rolodex.runs.models import QUEUED, SKIPPED, Run
from rolodex.runs.service import new_run
from rolodex.syncs.models import Sync

SYNC_JOB = "sync"
AUTOMATIC = ("poll", "change", "event")
"""The triggers of runs a sync queues itself (not asked for)."""


def runs_of(sync: Sync) -> Select[Any]:
    """A sync's runs."""
    return select(Run).where(
        Run.account_id == sync.account_id, Run.kind == "sync", Run.owner_id == sync.id
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
    run_after: datetime | None = None,
) -> Run:
    """Queue a run of a sync (and the job that works it); the run. ``coalesce``: a run
    already queued (not dry) is answered instead of a second one — what changes and
    polls ask for."""
    if coalesce:
        due = utcnow() + timedelta(seconds=1)
        waiting: Run | None = await session.scalar(
            runs_of(sync)
            .join(IntegrationJob, IntegrationJob.id == Run.job_id)
            .where(
                Run.status == QUEUED,
                Run.dry_run.is_(False),
                IntegrationJob.status == "queued",
                IntegrationJob.run_after <= due,
            )
            .limit(1)
        )
        if waiting is not None:
            return waiting
    work = {"sync_id": sync.id, "dry_run": dry_run, "full": full}
    run = new_run(
        sync.account_id,
        "sync",
        trigger=trigger or {"kind": "manual"},
        owner_id=sync.id,
        connection_id=sync.connection_id,
        dry_run=dry_run,
        job_kind=SYNC_JOB,
        job_input=work,
    )
    job = new_job(
        sync.account_id,
        SYNC_JOB,
        connection_id=sync.connection_id,
        operation=sync.id,
        input={**work, "run_id": run.id},
        settings=settings,
        run_after=run_after,
    )
    run.job_id = job.id
    session.add_all([run, job])
    await session.flush()
    return run


async def drop_automatic_runs(session: AsyncSession, sync: Sync) -> int:
    """Skip the runs the sync queued itself (polls, changes) that no worker has begun,
    and cancel their jobs: what a sync disabled or deleted leaves. Runs asked for stay.
    How many."""
    runs = list(
        await session.scalars(
            runs_of(sync)
            .join(IntegrationJob, IntegrationJob.id == Run.job_id)
            .where(Run.status == QUEUED, IntegrationJob.status == JOB_QUEUED)
        )
    )
    dropped = [run for run in runs if (run.trigger or {}).get("kind") in AUTOMATIC]
    if not dropped:
        return 0
    now = utcnow()
    await session.execute(
        update(IntegrationJob)
        .where(IntegrationJob.id.in_([run.job_id for run in dropped]))
        .where(IntegrationJob.status == JOB_QUEUED)
        .values(status=CANCELLED, finished_at=now, updated_at=now)
    )
    await session.execute(
        update(Run)
        .where(Run.id.in_([run.id for run in dropped]))
        .values(status=SKIPPED, error="the sync was disabled", finished_at=now)
    )
    return len(dropped)
