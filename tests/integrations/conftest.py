"""Integration test helpers: integration workers in threads (each with its own engine and
event loop, as separate processes would be), jobs enqueued and awaited through the
database, connections made through the API."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker
from rolodex.integrations.handlers import HANDLERS
from rolodex.integrations.jobs import FINISHED, WAITING
from rolodex.integrations.models import Connection, IntegrationJob
from rolodex.integrations.operations import enqueue_operation
from rolodex.integrations.runtime import Runtime
from rolodex.integrations.worker import JobWorker
from tests.conftest import LiveServer, Tenant, start_server
from tests.integrations.proxy import Proxy, fault_proxy

FAST_REMOTE = {"requests": 50, "per_seconds": 1}
"""A connection's rate limit where the budget is not what a test is about: the peer takes
far more than that."""

FAST: dict[str, Any] = {
    "webhooks_allow_private": True,
    "webhooks_retry_schedule": "0.2,0.4,0.8",
    "webhooks_retry_jitter": 0.0,
    "worker_poll_seconds": 0.05,
    "worker_lease_seconds": 30,
    "integrations_backoff_seconds": 0.05,
    "integrations_retry_after_cap_seconds": 5,
    "integrations_timeout_seconds": 10,
    # Polls are queued by the tests that want them, not for every connection of the suite.
    "integrations_poll_seconds": 0,
}


@contextmanager
def running_worker(settings: Settings, batch: int = 10) -> Iterator[JobWorker]:
    """One integration worker on its own thread, engine and event loop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}
    stop_holder: dict[str, asyncio.Event] = {}

    async def main() -> None:
        stop_holder["stop"] = asyncio.Event()
        engine = make_engine(settings)
        runtime = Runtime.make(settings, make_sessionmaker(engine), settings.resolved_key_ring())
        worker = JobWorker(runtime, HANDLERS, batch=batch)
        holder["worker"] = worker
        ready.set()
        try:
            await worker.run(stop_holder["stop"])
        finally:
            await engine.dispose()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the worker did not start"
    try:
        yield holder["worker"]
    finally:
        loop.call_soon_threadsafe(stop_holder["stop"].set)
        thread.join(60)
        loop.close()


@pytest.fixture
def workers(settings: Settings) -> Callable[..., AbstractContextManager[list[JobWorker]]]:
    """``with workers(2, **overrides) as running:`` integration workers on the test
    database, each on its own thread."""

    @contextmanager
    def start(count: int = 1, batch: int = 10, **overrides: Any) -> Iterator[list[JobWorker]]:
        own = settings.model_copy(update={**FAST, **overrides})
        with contextmanager_stack(count, own, batch) as started:
            yield started

    return start


@contextmanager
def contextmanager_stack(count: int, settings: Settings, batch: int) -> Iterator[list[JobWorker]]:
    if count == 0:
        yield []
        return
    with (
        running_worker(settings, batch) as first,
        contextmanager_stack(count - 1, settings, batch) as rest,
    ):
        yield [first, *rest]


def connect(tenant: Tenant, **body: Any) -> dict[str, Any]:
    """A connection of the tenant, made through the API."""
    response = tenant.post("/connections", json={"kind": "rolodex", **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


def enqueue(tenant: Tenant, connection_id: str, key: str, given: dict[str, Any]) -> str:
    """Queue one operation job; its id."""

    async def work(session: Any) -> str:
        connection = await session.get(Connection, connection_id)
        job = await enqueue_operation(session, connection, key, given, tenant.settings)
        return str(job.id)

    result: str = tenant.run(work)
    return result


def jobs_of(tenant: Tenant, ids: list[str]) -> dict[str, IntegrationJob]:
    async def work(session: Any) -> dict[str, IntegrationJob]:
        rows = await session.scalars(select(IntegrationJob).where(IntegrationJob.id.in_(ids)))
        return {row.id: row for row in rows}

    found: dict[str, IntegrationJob] = tenant.run(work)
    return found


def wait_for_jobs(
    tenant: Tenant, ids: list[str], timeout: float = 120, statuses: tuple[str, ...] = FINISHED
) -> dict[str, IntegrationJob]:
    """The jobs, once every one of them is in one of ``statuses`` (finished by default)."""
    deadline = time.monotonic() + timeout
    while True:
        found = jobs_of(tenant, ids)
        if len(found) == len(ids) and all(job.status in statuses for job in found.values()):
            return found
        if time.monotonic() > deadline:
            states = sorted((job.status, job.error or "") for job in found.values())
            raise AssertionError(f"jobs not done in {timeout} s: {states}")
        time.sleep(0.1)


def wait_until_waiting(tenant: Tenant, ids: list[str], timeout: float = 60) -> None:
    wait_for_jobs(tenant, ids, timeout, statuses=(WAITING,))


@pytest.fixture(scope="module")
def remote(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second ``rolodex serve`` on the suite's database: the peer a module's connections
    talk to (its native API and its MOCO and HighLevel surfaces). A module that needs the
    peer configured otherwise defines its own."""
    with start_server(database_url, tmp_path_factory.mktemp("remote")) as live:
        yield live


@pytest.fixture
def proxy(remote: LiveServer) -> Iterator[Proxy]:
    """The fault-injecting proxy in front of the peer, fresh (no faults, empty log) per test."""
    with fault_proxy(remote.url) as running:
        yield running


@pytest.fixture
def pair(make_tenant: Callable[[], Tenant], proxy: Proxy) -> tuple[Tenant, Tenant, str]:
    """Our tenant, the peer at the remote, and our ``rolodex`` connection to the peer
    (through the proxy)."""
    ours, peer = make_tenant(), make_tenant()
    made = connect(
        ours,
        base_url=f"{proxy.url}/api/v1",
        credentials={"api_key": peer.key},
        rate_limit=FAST_REMOTE,
    )
    return ours, peer, made["id"]
