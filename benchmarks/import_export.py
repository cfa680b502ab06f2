"""Import and export of 100,000 contacts through the data commands, against PostgreSQL,
beside PostgreSQL's own ``COPY`` of the same rows (the limit).

    .venv/bin/python benchmarks/import_export.py [--rows 100000] [--workers 2]

1. Creates a database of its own (``rolodex_bench_io_<random>``), migrates it and creates
   an account with ``rolodex init --json``.
2. Writes a CSV of ``--rows`` contacts with every writable field set (address, tags,
   custom fields, birthday, booleans, non-ASCII text, quotes, commas, newlines).
3. Starts ``rolodex serve --workers N`` (rate limit lifted: one key sends everything).
4. Times ``rolodex import contacts FILE`` (upsert by email, batches of 250), then
   ``rolodex export contacts OUT.csv``, checks that every field of every row came back,
   then times the same import again, which must leave every row unchanged and write no
   audit row, event or contact (counted in the database before and after).
5. Times ``COPY`` of the same rows (contacts, their tags and tag links) into a second
   account of the same database.
6. Prints a table, writes ``benchmarks/results/import_export.json`` and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from rolodex.ids import new_id
from rolodex.migrate import upgrade

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ROLODEX = [sys.executable, "-m", "rolodex"]
ADDRESS = ("line1", "line2", "city", "state", "postal_code", "country")


def row(i: int) -> dict[str, str]:
    """One contact with every writable field set, as CSV cells."""
    return {
        "first_name": f"Fïrst {i}",
        "last_name": f'O\'Last, "{i}"',
        "email": f"row{i}@example.com",
        "phone": f"+49 30 {i:07d}",
        "mobile_phone": f"+49 170 {i:07d}",
        "title": "Dr." if i % 2 else "",
        "job_title": f"Engineer\nline two {i}",
        "gender": "female" if i % 3 else "male",
        "birthday": f"19{50 + i % 50:02d}-0{1 + i % 9}-1{i % 10}",
        "website": f"https://example.com/{i}",
        "address.line1": f"Street {i}",
        "address.line2": "" if i % 4 else "Back building",
        "address.city": "Berlin",
        "address.state": "",
        "address.postal_code": f"{10000 + i % 90000}",
        "address.country": "DE",
        "source": "import",
        "timezone": "Europe/Berlin",
        "do_not_contact": "true" if i % 5 == 0 else "false",
        "description": f"Row {i} — ünïcödé ✓",
        "tags": "customer,vip" if i % 2 else "lead",
        "custom_fields": json.dumps({"nested": {"a": [1, "x"]}, "score": i}, sort_keys=True),
    }


def write_csv(path: Path, count: int) -> list[dict[str, str]]:
    rows = [row(i) for i in range(count)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([*ROLODEX, *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"rolodex {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = cli(env, *args)
    return time.perf_counter() - started, out


def compare(rows: list[dict[str, str]], exported: Path) -> int:
    """Cells of the export that differ from the input (every field of every row)."""
    with exported.open(newline="", encoding="utf-8") as f:
        back = {r["email"]: r for r in csv.DictReader(f)}
    wrong = 0 if len(back) == len(rows) else abs(len(back) - len(rows))
    for source in rows:
        got = back.get(source["email"])
        if got is None:
            wrong += 1
            continue
        for column, value in source.items():
            if column == "custom_fields":
                same = json.loads(got[column]) == json.loads(value)
            elif column == "tags":
                same = sorted(got[column].split(",")) == sorted(value.split(","))
            else:
                same = got[column] == value
            wrong += not same
    return wrong


ANALYZED = ("contacts", "contact_tags", "tags", "audit_log", "events", "idempotency_keys")


async def autovacuum_is_on(server: str, name: str) -> bool:
    conn = await asyncpg.connect(f"postgresql://{server}/{name}")
    try:
        return bool(await conn.fetchval("SHOW autovacuum") == "on")
    finally:
        await conn.close()


class StandInAnalyze:
    """``ANALYZE`` of the tables an import fills, every ``period`` seconds, for a server
    that runs with autovacuum off (a production server has it on, and its autovacuum
    analyses a table once a tenth of it has changed). Without current statistics the
    planner takes a 250-id ``IN`` list to match the whole table and scans it."""

    def __init__(self, server: str, name: str, period: float) -> None:
        self.url = f"postgresql://{server}/{name}"
        self.period = period
        self.stop = threading.Event()
        self.runs = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.wait(self.period):
            asyncio.run(self._analyze())
            self.runs += 1

    async def _analyze(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f"ANALYZE {', '.join(ANALYZED)}")
        finally:
            await conn.close()

    def __enter__(self) -> StandInAnalyze:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


async def count_rows(server: str, name: str, account_id: str) -> dict[str, int]:
    """Audit rows and events of the account, to show that a re-import wrote none."""
    conn = await asyncpg.connect(f"postgresql://{server}/{name}")
    try:
        counts = {}
        for table in ("audit_log", "events", "contacts"):
            counts[table] = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE account_id = $1", account_id
            )
        return counts
    finally:
        await conn.close()


async def copy_rows(
    server: str, name: str, rows: list[dict[str, str]], env: dict[str, str]
) -> float:
    """Seconds to COPY the same rows (contacts, tags, tag links) into a new account."""
    account = json.loads(
        cli(env, "init", "--email", "copy@example.com", "--password", "benchmark-pw-1", "--json")
    )
    now = datetime.now(UTC)
    tags = {n: new_id("tag") for n in ("customer", "vip", "lead")}
    contacts, links = [], []
    for r in rows:
        cid = new_id("cnt")
        address = {part: r[f"address.{part}"] or None for part in ADDRESS}
        contacts.append(
            (
                cid,
                account["account_id"],
                r["first_name"],
                r["last_name"],
                r["email"],
                r["phone"],
                r["mobile_phone"],
                r["title"] or None,
                r["job_title"],
                r["gender"],
                date.fromisoformat(r["birthday"]),
                r["website"],
                json.dumps(address),
                None,
                account["user_id"],
                r["source"],
                r["timezone"],
                r["do_not_contact"] == "true",
                r["description"],
                r["custom_fields"],
                now,
                now,
            )
        )
        links.extend((cid, tags[t], now) for t in r["tags"].split(","))
    conn = await asyncpg.connect(f"postgresql://{server}/{name}")
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "tags",
                records=[(i, account["account_id"], n, now, now) for n, i in tags.items()],
                columns=["id", "account_id", "name", "created_at", "updated_at"],
            )
            await conn.copy_records_to_table(
                "contacts",
                records=contacts,
                columns=[
                    "id",
                    "account_id",
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "mobile_phone",
                    "title",
                    "job_title",
                    "gender",
                    "birthday",
                    "website",
                    "address",
                    "company_id",
                    "owner_id",
                    "source",
                    "timezone",
                    "do_not_contact",
                    "description",
                    "custom_fields",
                    "created_at",
                    "updated_at",
                ],
            )
            await conn.copy_records_to_table(
                "contact_tags", records=links, columns=["contact_id", "tag_id", "created_at"]
            )
        return time.perf_counter() - started
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default="postgres@127.0.0.1:5432")
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=15.0,
        help="seconds between stand-in ANALYZE runs when the server's autovacuum is off (0: never)",
    )
    args = parser.parse_args()
    name = f"rolodex_bench_io_{secrets.token_hex(4)}"
    url = f"postgresql+asyncpg://{args.server}/{name}"
    env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": url,
        "ROLODEX_SECRET_KEY": "benchmark-secret-key",
        "ROLODEX_LOG_LEVEL": "warning",
        "ROLODEX_RATE_LIMIT": "1000000000/1",
    }
    asyncio.run(admin(args.server, f'CREATE DATABASE "{name}"'))
    server = None
    try:
        upgrade(url)
        account = json.loads(
            cli(
                env,
                "init",
                "--email",
                "bench@example.com",
                "--password",
                "benchmark-pw-1",
                "--json",
            )
        )
        work = Path(tempfile.mkdtemp(prefix="rolodex-io-"))
        source = work / "contacts.csv"
        rows = write_csv(source, args.rows)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*ROLODEX, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        client_env = {**env, "ROLODEX_URL": base, "ROLODEX_API_KEY": account["api_key"]}
        flags = ("--no-progress", "--json")
        autovacuum = asyncio.run(autovacuum_is_on(args.server, name))
        stand_in = StandInAnalyze(args.server, name, args.analyze_every)
        analysing = (
            stand_in if not autovacuum and args.analyze_every > 0 else contextlib.nullcontext()
        )
        with analysing:
            import_s, out = timed(client_env, "import", "contacts", str(source), *flags)
            first = json.loads(out)
            exported = work / "export.csv"
            export_s, _ = timed(client_env, "export", "contacts", str(exported), "--no-progress")
            wrong = compare(rows, exported)
            before = asyncio.run(count_rows(args.server, name, account["account_id"]))
            again_s, out = timed(client_env, "import", "contacts", str(source), *flags)
            second = json.loads(out)
            after = asyncio.run(count_rows(args.server, name, account["account_id"]))
        copy_s = asyncio.run(copy_rows(args.server, name, rows, env))
        n = args.rows
        result: dict[str, Any] = {
            "rows": n,
            "workers": args.workers,
            "autovacuum": "on" if autovacuum else "off",
            "stand_in_analyze_runs": stand_in.runs,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
            "import": {
                "seconds": round(import_s, 2),
                "rows_per_s": round(n / import_s),
                "created": first["created"],
                "rejected": len(first["rejected"]),
            },
            "export": {"seconds": round(export_s, 2), "rows_per_s": round(n / export_s)},
            "reimport": {
                "seconds": round(again_s, 2),
                "rows_per_s": round(n / again_s),
                "unchanged": second["unchanged"],
                "created": second["created"],
                "updated": second["updated"],
                "rows_written": {table: after[table] - before[table] for table in after},
            },
            "after_first_import": before,
            "copy": {"seconds": round(copy_s, 2), "rows_per_s": round(n / copy_s)},
            "cells_differing_after_round_trip": wrong,
        }
        for step in ("import", "export", "reimport"):
            result[step]["copy_ratio"] = round(
                result[step]["rows_per_s"] / result["copy"]["rows_per_s"], 4
            )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "import_export.json").write_text(json.dumps(result, indent=2))
        print(f"{'step':<10}{'seconds':>10}{'rows/s':>10}{'÷ COPY':>10}")
        for step in ("import", "export", "reimport", "copy"):
            r = result[step]
            ratio = f"{r.get('copy_ratio', 1):.4f}"
            print(f"{step:<10}{r['seconds']:>10}{r['rows_per_s']:>10}{ratio:>10}")
        print(json.dumps(result, indent=2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        asyncio.run(admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
