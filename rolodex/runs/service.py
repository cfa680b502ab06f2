"""Runs: the service every kind of run records itself with (no HTTP here).

A sync, a flow or an operation run calls :func:`start_run` (or :func:`new_run` to queue
one), :func:`add_step` once per operation it sends (the request as method, URL, status and
duration — never a header — with every secret it is told of as ``***``) and
:func:`finish_run`. In a worker, where each write is its own transaction,
:class:`Recorder` does the same by run id. :func:`retry_run` queues a finished run's work
again as a new run; :func:`prune_runs` forgets runs older than
``ROLODEX_RUNS_RETENTION_DAYS``.

A failed run that is not a dry run announces ``<kind>.run_failed`` (``flow.run_failed``,
``sync.run_failed``) where that event type exists, about its flow or sync, with the run
as its data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.capture import context_of, record
from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.errors import Conflict, Forbidden
from rolodex.events.catalog import EVENT_TYPES
from rolodex.events.outbox import NewEvent, origin_of
from rolodex.integrations.jobs import new_job
from rolodex.records import get_record
from rolodex.runs.kinds import RUN
from rolodex.runs.models import FAILED, FINISHED, QUEUED, RUNNING, Run
from rolodex.runs.redaction import redact
from rolodex.runs.schemas import RunOut
from rolodex.schemas import dump
from rolodex.webhooks.fanout import publish

ERROR_LENGTH = 1000
RESULT_LIMIT = 20_000
"""Characters of a step's result kept (as JSON); a longer one is cut to a summary."""


def require_manager(principal: Principal) -> None:
    """Runs show what integrations did for the whole account: owners and admins only."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may see integration runs")


def new_run(
    account_id: str,
    kind: str,
    *,
    trigger: Mapping[str, Any] | None = None,
    owner_id: str | None = None,
    owner_version: int | None = None,
    connection_id: str | None = None,
    dry_run: bool = False,
    status: str = QUEUED,
    job_kind: str | None = None,
    job_input: Mapping[str, Any] | None = None,
    retry_of: str | None = None,
) -> Run:
    """A run not yet stored (add it to a session). ``job_kind`` and ``job_input``: the
    integration job that does its work, as :func:`retry_run` queues it again (its input
    gets the new run's id as ``run_id``)."""
    now = utcnow()
    return Run(
        id=RUN.new_id(),
        account_id=account_id,
        kind=kind,
        status=status,
        dry_run=dry_run,
        trigger=redact(dict(trigger or {})),
        owner_id=owner_id,
        owner_version=owner_version,
        connection_id=connection_id,
        job_kind=job_kind,
        job_input=dict(job_input) if job_input is not None else None,
        retry_of=retry_of,
        attempts=0,
        steps=[],
        started_at=now if status == RUNNING else None,
        created_at=now,
        updated_at=now,
    )


async def start_run(session: AsyncSession, account_id: str, kind: str, **fields: Any) -> Run:
    """A run, stored and ``running`` from now (the keywords of :func:`new_run`)."""
    run = new_run(account_id, kind, status=RUNNING, **fields)
    run.attempts = 1
    session.add(run)
    await session.flush()
    return run


def step_request(
    method: str, url: str, status: int | None, duration_ms: int | None
) -> dict[str, Any]:
    """A step's request as a run shows it (no header, ever)."""
    return {"method": method, "url": url, "status": status, "duration_ms": duration_ms}


def _bounded(result: Any) -> Any:
    import json

    text = json.dumps(result, default=str)
    if len(text) <= RESULT_LIMIT:
        return result
    return {"truncated": True, "characters": len(text), "start": text[:2000]}


def make_step(
    index: int,
    operation: str,
    *,
    status: str = "succeeded",
    connection_id: str | None = None,
    request: Mapping[str, Any] | None = None,
    result: Any = None,
    error: str | None = None,
    secrets: Iterable[str] = (),
    action: int | None = None,
) -> dict[str, Any]:
    """One step as a run keeps it, every secret of ``secrets`` masked; ``action``: the
    index of the flow action (or sync stage) it belongs to."""
    known = list(secrets)
    step: dict[str, Any] = {
        "index": index,
        "action": action,
        "operation": operation,
        "connection_id": connection_id,
        "status": status,
        "request": redact(dict(request), known) if request is not None else None,
        "result": redact(_bounded(result), known) if result is not None else None,
        "error": redact(error[:ERROR_LENGTH], known) if error is not None else None,
        "at": utcnow().isoformat().replace("+00:00", "Z"),
    }
    return step


def add_step(run: Run, operation: str, **fields: Any) -> dict[str, Any]:
    """Append one step to a run (attached to a session; the keywords of
    :func:`make_step`); the step."""
    step = make_step(len(run.steps or []), operation, **fields)
    run.steps = [*(run.steps or []), step]
    run.updated_at = utcnow()
    return step


async def finish_run(
    session: AsyncSession,
    run: Run,
    status: str,
    *,
    result: Any = None,
    error: str | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """End a run ``succeeded``, ``failed``, ``skipped`` — or leave it ``queued`` or
    ``waiting`` for its next attempt, with the error so far."""
    now = utcnow()
    run.status = status
    known = list(secrets)
    run.error = redact(error[:ERROR_LENGTH], known) if error is not None else None
    if result is not None:
        run.result = redact(_bounded(result), known)
    if status in FINISHED:
        run.finished_at = now
    run.updated_at = now
    await session.flush()
    if status == FAILED and not run.dry_run:
        await _announce_failure(session, run)


async def _announce_failure(session: AsyncSession, run: Run) -> None:
    event_type = f"{run.kind}.run_failed"
    if event_type not in EVENT_TYPES or run.owner_id is None:
        return
    await publish(
        session,
        run.account_id,
        origin_of(context_of(session)),
        [NewEvent(event_type, run.kind, run.owner_id, dump(RunOut, run))],
    )


class Recorder:
    """A run recorded from a worker: each call is its own short transaction, so that a
    run's steps are visible while it runs and survive a worker that dies."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], run_id: str) -> None:
        self.sessions = sessions
        self.run_id = run_id

    async def begin(self, *, job_id: str | None = None) -> Run | None:
        """Mark the run ``running`` (another attempt); None when it is gone."""
        async with unit_of_work(self.sessions) as session:
            run = await session.get(Run, self.run_id, populate_existing=True)
            if run is None:
                return None
            run.status = RUNNING
            run.attempts = (run.attempts or 0) + 1
            run.started_at = run.started_at or utcnow()
            if job_id is not None:
                run.job_id = job_id
            run.updated_at = utcnow()
            return run

    async def step(self, operation: str, **fields: Any) -> dict[str, Any]:
        """Record one step (the keywords of :func:`make_step`)."""
        async with unit_of_work(self.sessions) as session:
            run = await session.get(Run, self.run_id, populate_existing=True)
            if run is None:
                return make_step(0, operation, **fields)
            return add_step(run, operation, **fields)

    async def finish(self, status: str, **fields: Any) -> None:
        """End the run (the keywords of :func:`finish_run`)."""
        async with unit_of_work(self.sessions) as session:
            run = await session.get(Run, self.run_id, populate_existing=True)
            if run is not None:
                await finish_run(session, run, status, **fields)


def runs_of(
    principal: Principal,
    *,
    kind: str | None = None,
    status: str | None = None,
    owner_id: str | None = None,
    connection_id: str | None = None,
    dry_run: bool | None = None,
) -> Select[Any]:
    """The account's runs, optionally of one kind, status, flow or sync, or connection."""
    require_manager(principal)
    stmt = select(Run).where(Run.account_id == principal.account_id)
    if kind is not None:
        stmt = stmt.where(Run.kind == kind)
    if status is not None:
        stmt = stmt.where(Run.status == status)
    if owner_id is not None:
        stmt = stmt.where(Run.owner_id == owner_id)
    if connection_id is not None:
        stmt = stmt.where(Run.connection_id == connection_id)
    if dry_run is not None:
        stmt = stmt.where(Run.dry_run.is_(dry_run))
    return stmt


async def get_run(
    session: AsyncSession, principal: Principal, run_id: str, *, for_update: bool = False
) -> Run:
    """A run of the principal's account, or 404."""
    require_manager(principal)
    found: Run = await get_record(
        session,
        Run,
        principal.account_id,
        run_id,
        prefix=RUN.prefix,
        label=RUN.title,
        for_update=for_update,
    )
    return found


async def retry_run(
    session: AsyncSession, principal: Principal, run_id: str, settings: Settings
) -> Run:
    """Queue a finished run's work again, as a new run (``retry_of`` the old one); 409
    for a run still under way, a dry run, or a run that no job did."""
    run = await get_run(session, principal, run_id, for_update=True)
    if run.status not in FINISHED:
        raise Conflict(f"The run is {run.status}; only a finished run can be retried")
    if run.dry_run or run.job_kind is None:
        raise Conflict("This run cannot be retried: it was not run as a job")
    again = new_run(
        run.account_id,
        run.kind,
        trigger=run.trigger,
        owner_id=run.owner_id,
        owner_version=run.owner_version,
        connection_id=run.connection_id,
        job_kind=run.job_kind,
        job_input=run.job_input,
        retry_of=run.id,
    )
    job = new_job(
        run.account_id,
        run.job_kind,
        connection_id=run.connection_id,
        input={**(run.job_input or {}), "run_id": again.id},
        settings=settings,
    )
    again.job_id = job.id
    session.add_all([again, job])
    await session.flush()
    record(session, "run.retried", RUN.name, run.id, {"retried_as": [None, again.id]})
    return again


async def prune_runs(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime | None = None
) -> int:
    """Delete the finished runs older than the retention period; how many."""
    cutoff = (now or utcnow()) - timedelta(days=settings.runs_retention_days)
    async with unit_of_work(sessions) as session:
        result: Any = await session.execute(
            delete(Run).where(Run.created_at < cutoff, Run.status.in_(FINISHED))
        )
        return int(result.rowcount or 0)
