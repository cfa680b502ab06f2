"""How well a connection's rate budget is spent: many operations through a remote that
really limits, run by several `rolodex worker` processes sharing one budget.

    .venv/bin/python benchmarks/connection_budget.py [--operations 1000] [--limit 120]
        [--window 30] [--workers 2] [--store database|redis] [--backend postgresql|sqlite]

A fresh database (PostgreSQL ``rolodex_bench_budget``, or a temporary SQLite file) is
migrated; a `rolodex serve` on it is the remote, allowing ``--limit`` requests per
``--window`` seconds to each key (``ROLODEX_RATE_LIMIT``); a counting proxy (the tests'
fault proxy, injecting nothing) sits in front of it. One account connects to another
through the proxy, with the remote's limit as its budget, and ``--operations`` jobs
(``contacts.list``) are queued at once; then ``--workers`` `rolodex worker` processes run
them. The proxy's record gives what is reported, independently of Rolodex's own counts:

- ``429``: how many requests the remote refused (the budget held if this is 0);
- ``used``: requests sent / (``limit`` x elapsed / ``window``), where elapsed runs from
  the first request to one interval after the last — 100 % is the remote's whole budget.

Writes ``benchmarks/results/connection_budget-<backend>-<store>.json`` and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

from rolodex.accounts.service import create_account
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.integrations.models import Connection, IntegrationJob
from rolodex.integrations.operations import enqueue_operation
from rolodex.migrate import upgrade

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from tests.integrations.proxy import fault_proxy  # noqa: E402 - the repository's own helper

RESULTS = HERE / "results"
SECRET_KEY = "benchmark-secret"
REDIS_URL = os.environ.get("ROLODEX_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin(server: str, sql: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def database(backend: str, server: str, scratch: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{scratch / 'budget.db'}"
    name = "rolodex_bench_budget"
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    return f"postgresql+asyncpg://{server}/{name}"


async def accounts(settings: Settings) -> tuple[str, str]:
    """Two accounts; the first one's email, the second one's key."""
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            ours = await create_account(
                session, email="ours@example.com", password="benchmark-pw", account_name=None
            )
            peer = await create_account(
                session, email="peer@example.com", password="benchmark-pw", account_name=None
            )
            return ours.secret, peer.secret
    finally:
        await engine.dispose()


async def enqueue(settings: Settings, connection_id: str, count: int) -> None:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            connection = await session.get(Connection, connection_id)
            for _ in range(count):
                await enqueue_operation(
                    session, connection, "contacts.list", {"per_page": 1}, settings
                )
    finally:
        await engine.dispose()


async def finished(settings: Settings) -> tuple[int, int]:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            done = await session.scalar(
                select(func.count()).where(IntegrationJob.status == "succeeded")
            )
            failed = await session.scalar(
                select(func.count()).where(IntegrationJob.status == "failed")
            )
            return int(done or 0), int(failed or 0)
    finally:
        await engine.dispose()


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "rolodex", *args],
        env=env,
        cwd=log.parent,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=120)
    parser.add_argument("--window", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", choices=("database", "redis"), default="database")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--server", default="postgres@127.0.0.1:5432")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="rolodex-budget-"))
    url = database(args.backend, args.server, scratch)
    upgrade(url)
    settings = Settings(database_url=url, secret_key=SECRET_KEY)
    ours_key, peer_key = asyncio.run(accounts(settings))
    prefix = f"rolodex-bench-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": url,
        "ROLODEX_SECRET_KEY": SECRET_KEY,
        "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true",
        "ROLODEX_WORKER_IN_PROCESS": "false",
        "ROLODEX_WORKER_POLL_SECONDS": "0.05",
        "ROLODEX_WORKER_BATCH": "10",
        "ROLODEX_LOG_LEVEL": "warning",
    }
    port = free_port()
    remote_env = {**env, "ROLODEX_RATE_LIMIT": f"{args.limit}/{args.window}"}
    worker_env = {**env, "ROLODEX_RATE_LIMIT": "100000/60"}
    if args.store == "redis":
        worker_env.update(ROLODEX_REDIS_URL=REDIS_URL, ROLODEX_REDIS_PREFIX=prefix)
    with ExitStack() as stack:
        remote = start(
            ["serve", "--port", str(port), "--no-migrate"], remote_env, scratch / "remote.log"
        )
        stack.callback(stop, remote)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        proxy = stack.enter_context(fault_proxy(base))
        made = httpx.post(
            f"{base}/api/v1/connections",
            headers={"X-API-Key": ours_key},
            json={
                "kind": "rolodex",
                "base_url": f"{proxy.url}/api/v1",
                "credentials": {"api_key": peer_key},
                "rate_limit": {"requests": args.limit, "per_seconds": args.window},
            },
            timeout=30,
        )
        made.raise_for_status()
        asyncio.run(enqueue(settings, made.json()["data"]["id"], args.operations))
        workers = [
            start(["worker"], worker_env, scratch / f"worker-{n}.log") for n in range(args.workers)
        ]
        for process in workers:
            stack.callback(stop, process)
        while True:
            done, failed = asyncio.run(finished(settings))
            if done + failed >= args.operations:
                break
            time.sleep(1)
        seen = [s for s in proxy.seen if s.path.startswith("/api/v1/contacts")]
    first, last = min(s.at for s in seen), max(s.at for s in seen)
    interval = args.window / args.limit
    elapsed = last - first + interval
    result: dict[str, Any] = {
        "backend": args.backend,
        "store": args.store,
        "workers": args.workers,
        "operations": args.operations,
        "limit": f"{args.limit}/{args.window}s",
        "succeeded": done,
        "failed": failed,
        "requests": len(seen),
        "429": sum(1 for s in seen if s.status == 429),
        "elapsed_s": round(elapsed, 1),
        "used": round(len(seen) / (args.limit * elapsed / args.window), 4),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"connection_budget-{args.backend}-{args.store}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
