"""The integration worker: claims due jobs, runs each with its kind's handler, records
what came of it (see :mod:`rolodex.integrations.jobs`).

Up to ``ROLODEX_WORKER_BATCH`` jobs run at once in one worker; a slot is refilled as soon
as a job finishes. While jobs run, their leases are extended every third of
``ROLODEX_WORKER_LEASE_SECONDS``, so that a job waiting on its remote's budget is not
taken up by another worker meanwhile; a worker that dies stops extending them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import update

from rolodex.db import unit_of_work, utcnow
from rolodex.integrations.budget import Deferred
from rolodex.integrations.changes.schedule import POLL_JOB, schedule_every, schedule_polls
from rolodex.integrations.jobs import Claimed, Failed, JobQueue, Later, Outcome, Waiting
from rolodex.integrations.models import IntegrationJob
from rolodex.integrations.runtime import Runtime
from rolodex.integrations.tokens import NeedsAuth
from rolodex.integrations.transport import Caller, RemoteFailure, remote_client
from rolodex.observability.metrics import observe_job
from rolodex.runs.service import prune_runs

log = logging.getLogger("rolodex.integrations")


@dataclass(frozen=True)
class JobContext:
    """What a handler runs with: the process's runtime and the worker's caller."""

    runtime: Runtime
    caller: Caller
    worker: str


JobHandler = Callable[[JobContext, Claimed], Awaitable[Outcome]]
"""Runs one claimed job of a kind; what came of it."""


async def run_job(context: JobContext, handler: JobHandler | None, job: Claimed) -> Outcome:
    """Run one job, turning what the shared machinery raises into its outcome: a wait
    for the budget or a 429 is *later*, a refused refresh is *waiting*, an unreachable
    remote a failure to retry."""
    if handler is None:
        return Failed(f"no handler for jobs of kind {job.kind!r}", final=True)
    try:
        return await handler(context, job)
    except Deferred as exc:
        return Later(exc.wait, exc.reason)
    except NeedsAuth as exc:
        return Waiting(str(exc))
    except RemoteFailure as exc:
        return Failed(exc.message)
    except Exception as exc:
        log.exception("integration job %s (%s) failed", job.id, job.kind)
        return Failed(f"the job failed inside Rolodex ({type(exc).__name__})")


class JobWorker:
    """Runs integration jobs until told to stop."""

    def __init__(
        self,
        runtime: Runtime,
        handlers: Mapping[str, JobHandler],
        name: str | None = None,
        batch: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.handlers = dict(handlers)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:jobs:{uuid4().hex[:6]}"
        self.batch = batch or runtime.settings.worker_batch
        self.queue = JobQueue(runtime.sessions, runtime.settings)
        self.running: dict[str, Claimed] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and run due jobs until ``stop`` is set; the jobs in flight then finish."""
        settings = self.runtime.settings
        log.info("integration worker %s started", self.name)
        in_flight: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())
        heartbeat = asyncio.create_task(self._heartbeat(stop))
        pruning = asyncio.create_task(self._prune(stop))
        scheduling = asyncio.create_task(self._schedule_polls(stop))
        kinds = tuple(self.handlers)
        async with remote_client(settings, max_connections=self.batch * 2) as client:
            context = JobContext(self.runtime, self.runtime.caller(client), self.name)
            try:
                while not stop.is_set():
                    free = self.batch - len(in_flight)
                    jobs: list[Claimed] = []
                    if free > 0:
                        try:
                            jobs = await self.queue.claim(self.name, free, kinds)
                        except Exception:
                            log.exception("integration worker %s: claiming failed", self.name)
                    for job in jobs:
                        task = asyncio.create_task(self._run(context, job))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                    full = len(in_flight) >= self.batch
                    await asyncio.wait(
                        [stopping, *in_flight],
                        timeout=None if full else settings.worker_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
            finally:
                stopping.cancel()
                if in_flight:
                    await asyncio.gather(*in_flight, return_exceptions=True)
                for chore in (heartbeat, pruning, scheduling):
                    chore.cancel()
                    with suppress(asyncio.CancelledError):
                        await chore
        log.info("integration worker %s stopped", self.name)

    async def _run(self, context: JobContext, job: Claimed) -> None:
        self.running[job.id] = job
        started = time.monotonic()
        try:
            outcome = await run_job(context, self.handlers.get(job.kind), job)
            observe_job(job.kind, type(outcome).__name__.lower(), time.monotonic() - started)
            try:
                if not await self.queue.record(self.name, job, outcome):
                    log.warning("integration job %s: its lease ran out first", job.id)
            except Exception:
                log.exception("integration job %s: recording its outcome failed", job.id)
        finally:
            self.running.pop(job.id, None)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        lease = self.runtime.settings.worker_lease_seconds
        while not stop.is_set():
            await asyncio.sleep(lease / 3)
            ids = list(self.running)
            if not ids:
                continue
            try:
                async with unit_of_work(self.runtime.sessions) as session:
                    await session.execute(
                        update(IntegrationJob)
                        .where(IntegrationJob.id.in_(ids), IntegrationJob.lease_owner == self.name)
                        .values(lease_expires_at=utcnow() + timedelta(seconds=lease))
                    )
            except Exception:
                log.exception("integration worker %s: extending leases failed", self.name)

    async def _schedule_polls(self, stop: asyncio.Event) -> None:
        """Queue the connections' polls for changes, when this worker runs them, every
        few seconds (:mod:`rolodex.integrations.changes.schedule`)."""
        every = schedule_every(self.runtime.settings)
        if every <= 0 or POLL_JOB not in self.handlers:
            return
        while not stop.is_set():
            try:
                await schedule_polls(self.runtime.sessions, self.runtime.settings, self.name)
            except Exception:
                log.exception("integration worker %s: queueing polls failed", self.name)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def _prune(self, stop: asyncio.Event) -> None:
        """Forget runs past their retention (``ROLODEX_RUNS_RETENTION_DAYS``), at start and
        every ``ROLODEX_RUNS_PRUNE_SECONDS``; every worker may, deleting is idempotent."""
        every = self.runtime.settings.runs_prune_seconds
        if every <= 0:
            return
        while not stop.is_set():
            try:
                pruned = await prune_runs(self.runtime.sessions, self.runtime.settings)
                if pruned:
                    log.info("integration worker %s: %d expired runs deleted", self.name, pruned)
            except Exception:
                log.exception("integration worker %s: deleting expired runs failed", self.name)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
