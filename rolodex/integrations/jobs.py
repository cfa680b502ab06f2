"""Integration work as jobs in the database, claimed by workers with leases.

A job is one row of ``integration_jobs``: a ``kind`` (``operation`` runs one operation of
a connection; syncs add their own kinds), its ``input`` and, once run, its ``result`` or
``error``. Any number of workers, in any number of processes, share the table the way
webhook deliveries are shared (:mod:`rolodex.webhooks.worker`): a worker claims due jobs
in one short transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a
compare-and-set ``UPDATE`` that succeeds only while the job is free — and holds each for
``ROLODEX_WORKER_LEASE_SECONDS``. A worker that dies leaves its leases to run out; the
job is then claimed again. Outcomes are written only while the worker still holds the
lease.

What a run can lead to (:class:`Outcome`): done; failed for good; failed for now, retried
on the webhook retry schedule and failed after its last attempt; *later* — not a failure,
the remote's budget or a ``429`` asks to wait, so the attempt is given back; or *waiting*
— the connection needs authorizing again, and the job waits, not failing, until it is
(:func:`resume_waiting`).

Jobs of a connection that is disabled, deleted or waiting to be authorized are not
claimed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.ids import PREFIXES, new_id
from rolodex.integrations.models import ACTIVE, FAILING, Connection, IntegrationJob

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
WAITING = "waiting"
CANCELLED = "cancelled"
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Done:
    """The job did what it was for."""

    result: Any = None


@dataclass(frozen=True)
class Failed:
    """The job failed: ``final`` for good, otherwise retried on the schedule."""

    error: str
    final: bool = False


@dataclass(frozen=True)
class Later:
    """Not a failure: run again in ``seconds`` (the budget is spent, a 429 asked to wait);
    the attempt does not count."""

    seconds: float
    reason: str


@dataclass(frozen=True)
class Waiting:
    """The connection needs authorizing again: wait for it, without failing."""

    reason: str


Outcome = Done | Failed | Later | Waiting


def new_job(
    account_id: str,
    kind: str,
    *,
    connection_id: str | None = None,
    operation: str | None = None,
    input: dict[str, Any] | None = None,
    max_attempts: int | None = None,
    settings: Settings | None = None,
    run_after: datetime | None = None,
) -> IntegrationJob:
    """A queued job, due now (or at ``run_after``); add it to a session to enqueue it."""
    attempts = max_attempts or (len(settings.retry_schedule) + 1 if settings else 10)
    now = utcnow()
    return IntegrationJob(
        id=new_id(PREFIXES["integration_job"]),
        account_id=account_id,
        connection_id=connection_id,
        kind=kind,
        operation=operation,
        input=input or {},
        status=QUEUED,
        attempts=0,
        max_attempts=attempts,
        run_after=run_after or now,
        created_at=now,
        updated_at=now,
    )


def retry_delay(settings: Settings, attempt: int) -> float:
    """Seconds before a failed job runs again after attempt ``attempt`` (the webhook
    retry schedule, with its jitter)."""
    schedule = settings.retry_schedule
    wait = schedule[min(attempt, len(schedule)) - 1]
    jitter = settings.webhooks_retry_jitter
    return max(0.0, wait * (1 + random.uniform(-jitter, jitter)))  # noqa: S311 - not crypto


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds: what its handler needs."""

    id: str
    account_id: str
    kind: str
    connection_id: str | None
    operation: str | None
    input: dict[str, Any]
    attempt: int
    max_attempts: int


class JobQueue:
    """Claiming jobs and recording what came of them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    def _claimable(self, now: datetime) -> Any:
        job = IntegrationJob
        runnable = select(Connection.id).where(
            Connection.status.in_((ACTIVE, FAILING)), Connection.deleted_at.is_(None)
        )
        return and_(
            or_(
                and_(job.status == QUEUED, job.run_after <= now),
                and_(job.status == RUNNING, job.lease_expires_at <= now),
            ),
            or_(job.connection_id.is_(None), job.connection_id.in_(runnable)),
        )

    async def claim(self, owner: str, limit: int, kinds: tuple[str, ...]) -> list[Claimed]:
        """Lease up to ``limit`` due jobs of ``kinds`` to ``owner``."""
        now = utcnow()
        job = IntegrationJob
        async with unit_of_work(self.sessions) as session:
            due = (
                select(job.id)
                .where(self._claimable(now), job.kind.in_(kinds))
                .order_by(job.run_after)
                .limit(limit)
            )
            if not self.settings.is_sqlite:
                due = due.with_for_update(skip_locked=True, of=job)
            ids = list(await session.scalars(due))
            if not ids:
                return []
            rows = await session.execute(
                update(job)
                .where(job.id.in_(ids), self._claimable(now))
                .values(
                    status=RUNNING,
                    lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=self.settings.worker_lease_seconds),
                    attempts=job.attempts + 1,
                    started_at=now,
                    updated_at=now,
                )
                .returning(
                    job.id,
                    job.account_id,
                    job.kind,
                    job.connection_id,
                    job.operation,
                    job.input,
                    job.attempts,
                    job.max_attempts,
                )
            )
            return [Claimed(*row) for row in rows.all()]

    async def record(self, owner: str, job: Claimed, outcome: Outcome) -> bool:
        """Write what came of a run, if ``owner`` still holds the job; whether it did."""
        now = utcnow()
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "worker": owner[:64],
            "updated_at": now,
        }
        if isinstance(outcome, Done):
            values.update(status=SUCCEEDED, result=outcome.result, error=None, finished_at=now)
        elif isinstance(outcome, Later):
            values.update(
                status=QUEUED,
                run_after=now + timedelta(seconds=max(0.0, outcome.seconds)),
                attempts=IntegrationJob.attempts - 1,
                error=outcome.reason[:ERROR_LENGTH],
            )
        elif isinstance(outcome, Waiting):
            values.update(
                status=WAITING,
                attempts=IntegrationJob.attempts - 1,
                error=outcome.reason[:ERROR_LENGTH],
            )
        elif outcome.final or job.attempt >= job.max_attempts:
            values.update(status=FAILED, error=outcome.error[:ERROR_LENGTH], finished_at=now)
        else:
            wait = retry_delay(self.settings, job.attempt)
            values.update(
                status=QUEUED,
                run_after=now + timedelta(seconds=wait),
                error=outcome.error[:ERROR_LENGTH],
            )
        async with unit_of_work(self.sessions) as session:
            result: Any = await session.execute(
                update(IntegrationJob)
                .where(IntegrationJob.id == job.id, IntegrationJob.lease_owner == owner)
                .values(**values)
            )
            return bool(result.rowcount)


async def resume_waiting(session: AsyncSession, connection_id: str) -> int:
    """Queue again, now, the jobs of a connection that were waiting for it to be
    authorized; how many."""
    now = utcnow()
    result: Any = await session.execute(
        update(IntegrationJob)
        .where(IntegrationJob.connection_id == connection_id, IntegrationJob.status == WAITING)
        .values(status=QUEUED, run_after=now, updated_at=now)
    )
    return int(result.rowcount or 0)


async def hold_jobs(session: AsyncSession, connection_id: str) -> int:
    """Make the queued jobs of a connection that must be authorized again wait for it
    (they resume with :func:`resume_waiting`); how many."""
    now = utcnow()
    result: Any = await session.execute(
        update(IntegrationJob)
        .where(IntegrationJob.connection_id == connection_id, IntegrationJob.status == QUEUED)
        .values(status=WAITING, error="the connection needs to be authorized again", updated_at=now)
    )
    return int(result.rowcount or 0)


async def cancel_jobs(session: AsyncSession, connection_id: str) -> int:
    """Cancel the unfinished jobs of a deleted connection; how many."""
    now = utcnow()
    result: Any = await session.execute(
        update(IntegrationJob)
        .where(
            IntegrationJob.connection_id == connection_id,
            IntegrationJob.status.in_((QUEUED, WAITING, RUNNING)),
        )
        .values(status=CANCELLED, finished_at=now, updated_at=now, lease_owner=None)
    )
    return int(result.rowcount or 0)
