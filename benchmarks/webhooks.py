"""Webhook deliveries per second to a local receiver, with one and with two workers.

    .venv/bin/python benchmarks/webhooks.py [--events 5000] [--database rolodex_bench_hooks]

Drops and re-creates a PostgreSQL database, migrates it, creates an account and one
webhook endpoint subscribed to ``*`` that points at a local receiver (uvicorn serving
``benchmarks/webhook_receiver.py``, which answers 204). For each worker count it then
writes ``--events`` events through Rolodex's own outbox (each queues one delivery), starts
that many ``rolodex worker`` processes and times how long until every delivery has
succeeded. Writes ``benchmarks/results/webhooks.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

from rolodex.accounts.service import create_account
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.events.outbox import NewEvent, origin_of, write_events
from rolodex.keyring import KeyRing
from rolodex.migrate import upgrade
from rolodex.webhooks.models import SUCCEEDED, WebhookDelivery, WebhookEndpoint
from rolodex.webhooks.secrets import encrypt, new_secret

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "benchmark-secret"
RECEIVER_PORT = 8766


async def _admin(server: str, sql: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def prepare(settings: Settings) -> str:
    """An account with one endpoint subscribed to everything; the account id."""
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            created = await create_account(
                session, email="bench@example.com", password="benchmark-pw", account_name=None
            )
            session.add(
                WebhookEndpoint(
                    id="whk_" + "0" * 26,
                    account_id=created.account.id,
                    url=f"http://127.0.0.1:{RECEIVER_PORT}/hook",
                    events=["*"],
                    enabled=True,
                    secret_ciphertext=encrypt(new_secret(), KeyRing((SECRET_KEY,))),
                    consecutive_failures=0,
                )
            )
            return created.account.id
    finally:
        await engine.dispose()


async def write(settings: Settings, account_id: str, count: int) -> None:
    """``count`` events through the outbox, 500 per transaction."""
    engine = make_engine(settings)
    data = {"id": "cnt_" + "0" * 26, "object": "contact", "first_name": "Bench", "tags": []}
    try:
        sessions = make_sessionmaker(engine)
        for start in range(0, count, 500):
            async with unit_of_work(sessions) as session:
                batch = [
                    NewEvent("contact.updated", "contact", data["id"], data, {"n": [i, i + 1]})
                    for i in range(start, min(count, start + 500))
                ]
                await write_events(session, account_id, origin_of(None), batch)
    finally:
        await engine.dispose()


async def succeeded(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            found = await session.scalar(
                select(func.count()).where(WebhookDelivery.status == SUCCEEDED)
            )
            return int(found or 0)
    finally:
        await engine.dispose()


def run(env: dict[str, str], workers: int, base: int, target: int) -> float:
    """Start ``workers`` worker processes; seconds from the first new success until
    ``target`` deliveries have succeeded (process start-up is not counted)."""
    settings = Settings(database_url=env["ROLODEX_DATABASE_URL"])
    started = time.monotonic()
    first: float | None = None
    processes = [
        subprocess.Popen(
            [str(VENV_BIN / "rolodex"), "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        while (count := asyncio.run(succeeded(settings))) < target:
            if first is None and count > base:
                first = time.monotonic()
            if time.monotonic() - started > 600:
                raise SystemExit("deliveries did not finish in 10 minutes")
            time.sleep(0.05)
        return time.monotonic() - (first or started)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--database", default="rolodex_bench_hooks")
    parser.add_argument("--server", default="postgres@127.0.0.1:5432")
    parser.add_argument("--batch", type=int, default=50, help="ROLODEX_WORKER_BATCH")
    args = parser.parse_args()

    asyncio.run(_admin(args.server, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
    asyncio.run(_admin(args.server, f'CREATE DATABASE "{args.database}"'))
    url = f"postgresql+asyncpg://{args.server}/{args.database}"
    upgrade(url)
    settings = Settings(database_url=url, secret_key=SECRET_KEY)
    account_id = asyncio.run(prepare(settings))
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": url,
        "ROLODEX_SECRET_KEY": SECRET_KEY,
        "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true",
        "ROLODEX_WORKER_BATCH": str(args.batch),
        "ROLODEX_WORKER_POLL_SECONDS": "0.05",
        "ROLODEX_LOG_LEVEL": "warning",
    }
    receiver = subprocess.Popen(
        [
            str(VENV_BIN / "uvicorn"),
            "--app-dir",
            str(HERE),
            "webhook_receiver:app",
            "--port",
            str(RECEIVER_PORT),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
    results: list[dict[str, Any]] = []
    try:
        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{RECEIVER_PORT}/hook", content=b"{}")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        done = 0
        for workers in (1, 2):
            asyncio.run(write(settings, account_id, args.events))
            seconds = run(env, workers, done, done + args.events)
            done += args.events
            results.append(
                {
                    "workers": workers,
                    "events": args.events,
                    "seconds": round(seconds, 2),
                    "per_second": round(args.events / seconds, 1),
                }
            )
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "webhooks.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| workers | events | seconds | deliveries/s |")
    print("|---|---|---|---|")
    for row in results:
        print(f"| {row['workers']} | {row['events']} | {row['seconds']} | {row['per_second']} |")


if __name__ == "__main__":
    main()
