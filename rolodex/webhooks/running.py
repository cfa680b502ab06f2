"""Running delivery workers: inside `rolodex serve`, or on their own (`rolodex worker`),
beside any other workers the command hands in (integration jobs)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker
from rolodex.keyring import KeyRing
from rolodex.webhooks.worker import DeliveryWorker


@asynccontextmanager
async def in_process_worker(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, deployment_key: KeyRing
) -> AsyncIterator[None]:
    """Deliver webhooks in the background while the block runs, when the deployment
    wants the server to (``ROLODEX_WORKER_IN_PROCESS``; by default on SQLite)."""
    if not settings.run_worker_in_process:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(DeliveryWorker(sessions, settings, deployment_key).run(stop))
    try:
        yield
    finally:
        stop.set()
        # In-flight deliveries finish (bounded by the request timeout); a worker still
        # busy after that is cancelled, and its leases run out for others to retry.
        with suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout=settings.webhooks_timeout_seconds + 5)


class Runner(Protocol):
    """Anything that works until told to stop."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set."""


WorkerFactory = Callable[[async_sessionmaker[AsyncSession], Settings, KeyRing], Runner]
"""Makes another kind of worker on the process's database."""


async def run_standalone(
    settings: Settings,
    deployment_key: KeyRing,
    concurrency: int,
    others: Sequence[WorkerFactory] = (),
) -> None:
    """Run ``concurrency`` workers in this process until SIGINT or SIGTERM: delivery
    workers, and as many of each kind ``others`` makes."""
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    async with engine.connect() as connection:  # fail now, in one line, if unreachable
        await connection.execute(text("SELECT 1"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        workers: list[Runner] = [
            DeliveryWorker(sessions, settings, deployment_key) for _ in range(concurrency)
        ]
        workers += [
            make(sessions, settings, deployment_key) for make in others for _ in range(concurrency)
        ]
        await asyncio.gather(*(worker.run(stop) for worker in workers))
    finally:
        await engine.dispose()
