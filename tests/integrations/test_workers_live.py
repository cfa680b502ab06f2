"""Who runs integration jobs: on PostgreSQL, any number of `rolodex worker` processes
sharing the table; on SQLite, `rolodex serve` itself (its in-process worker). A fresh
database of each backend, so that no other test's work is in the way."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.integrations.models import Connection, IntegrationJob
from rolodex.integrations.operations import enqueue_operation
from rolodex.migrate import upgrade
from tests.conftest import LiveServer, start_server
from tests.test_migrations import fresh_database

pytestmark = pytest.mark.live

ENV = {
    "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true",
    "ROLODEX_WORKER_POLL_SECONDS": "0.05",
    "ROLODEX_WORKER_BATCH": "3",
}
JOBS = 12


@contextmanager
def worker_process(server: LiveServer, log: Path) -> Iterator[subprocess.Popen[str]]:
    handle = log.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "rolodex", "worker"],
        env={**server.env, **ENV},
        cwd=server.cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        handle.close()


def wait_until_started(logs: list[Path], timeout: float = 90) -> None:
    """Wait until every worker's log says its integration worker has started."""
    deadline = time.monotonic() + timeout
    while not all(
        "integration worker" in text and "started" in text
        for text in (log.read_text() if log.exists() else "" for log in logs)
    ):
        assert time.monotonic() < deadline, [log.read_text() for log in logs if log.exists()]
        time.sleep(0.1)


def account(server: LiveServer) -> str:
    email = f"jobs-{secrets.token_hex(4)}@example.com"
    done = server.cli("init", "--email", email, "--password", "long-enough-pw", "--json")
    assert done.returncode == 0, done.stderr
    key: str = json.loads(done.stdout)["api_key"]
    return key


def run(url: str, work: Any) -> Any:
    async def main() -> Any:
        engine = make_engine(Settings(database_url=url, secret_key="live-secret"))
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_jobs_run_in_worker_processes_on_postgresql_and_in_the_server_on_sqlite(
    database_url: str, tmp_path: Path
) -> None:
    on_sqlite = database_url.startswith("sqlite")
    with fresh_database(database_url, tmp_path) as url:
        upgrade(url)
        env = {**ENV, "ROLODEX_WORKER_IN_PROCESS": "true" if on_sqlite else "false"}
        with start_server(url, tmp_path, env=env) as server, ExitStack() as stack:
            ours, peer = account(server), account(server)
            made = httpx.post(
                f"{server.url}/api/v1/connections",
                headers={"X-API-Key": ours},
                json={
                    "kind": "rolodex",
                    "base_url": f"{server.url}/api/v1",
                    "credentials": {"api_key": peer},
                    "rate_limit": {"requests": 50, "per_seconds": 1},
                },
                timeout=30,
            )
            assert made.status_code == 201, made.text
            connection_id = made.json()["data"]["id"]

            async def enqueue(session: Any) -> list[str]:
                connection = await session.get(Connection, connection_id)
                settings = Settings(database_url=url, secret_key="live-secret")
                jobs = [
                    await enqueue_operation(
                        session, connection, "contacts.create", {"first_name": f"N{n}"}, settings
                    )
                    for n in range(JOBS)
                ]
                return [job.id for job in jobs]

            if not on_sqlite:
                # Both workers are polling before the first job is queued: a worker that
                # started seconds before the other (a loaded machine) would otherwise run
                # them all, and the test would say nothing of sharing.
                logs = [tmp_path / f"worker-{n}.log" for n in range(2)]
                for log in logs:
                    stack.enter_context(worker_process(server, log))
                wait_until_started(logs)
            ids = run(url, enqueue)

            async def states(session: Any) -> list[tuple[str, str | None]]:
                rows = await session.execute(
                    select(IntegrationJob.status, IntegrationJob.worker).where(
                        IntegrationJob.id.in_(ids)
                    )
                )
                return [tuple(row) for row in rows.all()]

            deadline = time.monotonic() + 120
            while True:
                found = run(url, states)
                if all(status == "succeeded" for status, _ in found):
                    break
                assert time.monotonic() < deadline, found
                time.sleep(0.2)
            ran_by = {worker for _, worker in found}
            # the server's own worker on SQLite; two worker processes on PostgreSQL
            assert len(ran_by) == (1 if on_sqlite else 2), ran_by
            contacts = httpx.get(
                f"{server.url}/api/v1/contacts", headers={"X-API-Key": peer}, timeout=30
            ).json()
            assert contacts["meta"]["total"] == JOBS
