"""Running integration workers: inside `rolodex serve`, or in `rolodex worker`.

The same rule as webhook deliveries (``ROLODEX_WORKER_IN_PROCESS``; by default on SQLite
only): on PostgreSQL, run `rolodex worker` processes — any number, on any machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.config import Settings
from rolodex.integrations.handlers import HANDLERS
from rolodex.integrations.runtime import Runtime
from rolodex.integrations.worker import JobWorker
from rolodex.keyring import KeyRing


def job_worker(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, deployment_key: KeyRing
) -> JobWorker:
    """A worker running every kind of integration job."""
    return JobWorker(Runtime.make(settings, sessions, deployment_key), HANDLERS)


@asynccontextmanager
async def in_process_jobs(runtime: Runtime) -> AsyncIterator[None]:
    """Run integration jobs in the background while the block runs, when the deployment
    wants the server to."""
    settings = runtime.settings
    if not settings.run_worker_in_process:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(JobWorker(runtime, HANDLERS).run(stop))
    try:
        yield
    finally:
        stop.set()
        with suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=settings.integrations_timeout_seconds + 5)
