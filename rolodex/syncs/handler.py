"""Sync runs as integration jobs: the handler of ``sync`` jobs, and the poll.

One run of a sync at a time across every worker: the handler holds the lease
``sync:<id>`` while it runs (another job of the same sync waits a moment and comes back,
*later*). A worker that dies lets both the job's lease and this one run out; the next
worker runs the sync again from its cursors, and the links make what the dead one did
already a no-op. After a run of an enabled sync the next poll is queued,
``poll_seconds`` away (and its watch of the connection's stream made sure of,
:mod:`rolodex.syncs.triggers`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select, update

from rolodex.db import unit_of_work, utcnow
from rolodex.integrations.jobs import QUEUED, Claimed, Done, Failed, Later, Outcome
from rolodex.integrations.leases import acquire, release
from rolodex.integrations.models import Connection, IntegrationJob, IntegrationLease
from rolodex.integrations.target import Target
from rolodex.integrations.worker import JobContext
from rolodex.runs.models import FAILED, SUCCEEDED, Run
from rolodex.runs.service import add_step, finish_run
from rolodex.syncs.engine import Engine, Plan
from rolodex.syncs.local import LOCAL_KINDS
from rolodex.syncs.models import Sync
from rolodex.syncs.remote import remote_for
from rolodex.syncs.runs import SYNC_JOB, queue_run
from rolodex.syncs.triggers import follow_stream, queue_on_change
from rolodex.webhooks.fanout import enqueue_deliveries

log = logging.getLogger("rolodex.syncs")


async def _extend(context: JobContext, name: str, owner: str, seconds: float) -> None:
    async with unit_of_work(context.runtime.sessions) as session:
        await session.execute(
            update(IntegrationLease)
            .where(IntegrationLease.name == name, IntegrationLease.owner == owner)
            .values(expires_at=utcnow() + timedelta(seconds=seconds))
        )


async def _begin(context: JobContext, run_id: str | None, job_id: str) -> None:
    if run_id is None:
        return
    async with unit_of_work(context.runtime.sessions) as session:
        run = await session.get(Run, run_id, populate_existing=True)
        if run is not None:
            run.status = "running"
            run.attempts = (run.attempts or 0) + 1
            run.started_at = run.started_at or utcnow()
            run.job_id = job_id


async def _finish(
    context: JobContext,
    run_id: str | None,
    status: str,
    plan: Plan | None,
    *,
    error: str | None = None,
    connection_id: str | None = None,
    secrets: Sequence[str] = (),
) -> None:
    if run_id is None:
        return
    async with unit_of_work(context.runtime.sessions) as session:
        run = await session.get(Run, run_id, populate_existing=True)
        if run is None:
            return
        run.steps = []
        for step in plan.steps if plan is not None else ():
            add_step(
                run,
                step["operation"],
                status=step["status"],
                connection_id=connection_id,
                request=step["request"],
                result=step["result"],
                error=step["error"],
                secrets=secrets,
            )
        result = (
            {"writes": plan.writes, "reads": plan.reads, "failed_records": plan.failures}
            if plan is not None
            else None
        )
        await finish_run(session, run, status, result=result, error=error, secrets=secrets)


async def _load(context: JobContext, sync_id: str) -> tuple[Sync, Target] | Failed:
    async with unit_of_work(context.runtime.sessions) as session:
        sync = await session.get(Sync, sync_id, populate_existing=True)
        if sync is None or sync.deleted_at is not None:
            return Failed("the sync was deleted", final=True)
        connection = await session.get(Connection, sync.connection_id, populate_existing=True)
        if connection is None or connection.deleted_at is not None:
            return Failed("the sync's connection was deleted", final=True)
        try:
            target = Target.of(connection, context.runtime.deployment_key)
        except InvalidToken:
            return Failed(
                "the connection's credentials cannot be decrypted with this deployment's key"
            )
        session.expunge(sync)
        return sync, target


async def run_sync(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``sync`` jobs: one run of one sync."""
    given: dict[str, Any] = job.input or {}
    sync_id = str(given.get("sync_id") or "")
    run_id = given.get("run_id")
    dry_run, full = bool(given.get("dry_run")), bool(given.get("full"))
    loaded = await _load(context, sync_id)
    if isinstance(loaded, Failed):
        await _finish(context, run_id, FAILED, None, error=loaded.error)
        return loaded
    sync, target = loaded
    local = LOCAL_KINDS.get(sync.record_type)
    plan = Plan()
    remote = remote_for(context.caller, target, sync.remote_type, plan.saw)
    if local is None or remote is None:
        failed = Failed(
            f"syncing {sync.record_type} with a {target.connector.kind} connection is not "
            "supported yet",
            final=True,
        )
        await _finish(context, run_id, FAILED, None, error=failed.error)
        return failed
    lease = f"sync:{sync.id}"
    owner = f"{context.worker}:{job.id}"[:100]
    seconds = context.runtime.settings.worker_lease_seconds
    if not await acquire(context.runtime.sessions, lease, owner, seconds):
        return Later(1.0, "another run of this sync is under way")
    secrets = sorted(_secret_values(target))
    try:
        await _begin(context, run_id, job.id)
        engine = Engine(
            context.runtime.sessions,
            sync,
            local,
            remote,
            (enqueue_deliveries, queue_on_change),
            dry_run=dry_run,
            full=full,
            plan=plan,
        )
        try:
            await engine.run()
        except BaseException as exc:
            # A run that stops half-way (a 429 past the wait, a 5xx, no answer) is run
            # again from its cursors: record what it did so far, then let the worker
            # decide (later, retry or fail).
            message = getattr(exc, "message", None) or getattr(exc, "reason", None) or str(exc)
            status = FAILED if job.attempt >= job.max_attempts else QUEUED
            await _finish(
                context,
                run_id,
                status,
                plan,
                error=target.mask(str(message))[:1000],
                connection_id=target.connection_id,
                secrets=secrets,
            )
            raise
        await _extend(context, lease, owner, seconds)
        status = SUCCEEDED if plan.failures == 0 else FAILED
        error = f"{plan.failures} record(s) failed; see the steps" if plan.failures else None
        await _finish(
            context,
            run_id,
            status,
            plan,
            error=error,
            connection_id=target.connection_id,
            secrets=secrets,
        )
        if not dry_run:
            await _next_poll(context, sync.id)
        if plan.failures:
            return Failed(error or "records failed", final=True)
        return Done({"writes": plan.writes, "reads": plan.reads})
    finally:
        await release(context.runtime.sessions, lease, owner)


def _secret_values(target: Target) -> set[str]:
    from rolodex.integrations.credentials import secret_values

    return set(secret_values(target.credentials))


async def _next_poll(context: JobContext, sync_id: str) -> None:
    """Queue the sync's next poll, ``poll_seconds`` from now (one at a time)."""
    async with unit_of_work(context.runtime.sessions) as session:
        sync = await session.get(Sync, sync_id, populate_existing=True)
        if sync is None or sync.deleted_at is not None or not sync.enabled:
            return
        await follow_stream(session, sync, context.runtime.settings)
        due = utcnow() + timedelta(seconds=sync.poll_seconds)
        planned = await session.scalar(
            select(IntegrationJob.id)
            .where(
                IntegrationJob.kind == SYNC_JOB,
                IntegrationJob.operation == sync.id,
                IntegrationJob.status == QUEUED,
            )
            .limit(1)
        )
        if planned is not None:
            return
        sync.next_poll_at = due
        run = await queue_run(
            session, sync, context.runtime.settings, trigger={"kind": "poll"}, run_after=due
        )
        log.debug("sync %s: next poll %s at %s", sync.id, run.id, due)
