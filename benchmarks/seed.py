"""Seed a fresh PostgreSQL database with one account and 100,000 contacts.

    .venv/bin/python benchmarks/seed.py [--database rolodex_bench] [--contacts 100000]

Drops and re-creates the database, migrates it with Rolodex's own migrations, creates an
account with ``rolodex init --json``, then loads the contacts with ``COPY`` and ends with
``VACUUM ANALYZE``. Ids are real ids: ``cnt_`` and a lower-case ULID whose time part is the
contact's ``created_at``, so they sort by creation time as the server's own ids do.

Writes ``benchmarks/results/seed.json`` (database URL, account id, API key, a sample
contact id) for ``run.sh`` and ``explain.py``. PostgreSQL is reached as
``postgres@127.0.0.1:5432`` unless ``--server`` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from ulid import ULID

from rolodex.migrate import upgrade

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
VENV_BIN = Path(sys.executable).parent

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hugo",
    "Ida",
    "Jonas",
    "Karla",
    "Lukas",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
]
JOBS = ["CEO", "CTO", "Sales", "Engineer", "Designer", "Buyer", None, None]
SOURCES = ["website", "referral", "trade fair", "import", None]
TAGS = ["customer", "lead", "vip", "partner", "newsletter", "press", "supplier", "investor"]


def _id(prefix: str, at: datetime, rng: random.Random) -> str:
    """An id like ``rolodex.ids.new_id`` makes, with its time part set to ``at``."""
    ulid = ULID.from_timestamp(at.timestamp())
    # from_timestamp draws randomness from os.urandom; replace it with the seeded rng so a
    # re-run gives the same ids (the time part, 48 bits, is kept).
    raw = ulid.bytes[:6] + rng.getrandbits(80).to_bytes(10, "big")
    return f"{prefix}_{str(ULID.from_bytes(raw)).lower()}"


def contact_rows(account_id: str, owner_id: str, count: int, seed: int) -> list[tuple]:
    """``count`` contacts, created over the three years before now, oldest first."""
    rng = random.Random(seed)
    end = datetime.now(UTC) - timedelta(days=1)
    start = end - timedelta(days=3 * 365)
    span = (end - start).total_seconds()
    times = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    rows = []
    for n, created in enumerate(times):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        updated = created + timedelta(seconds=rng.random() * (end - created).total_seconds() * 0.3)
        deleted = updated if rng.random() < 0.01 else None  # 1 % tombstones
        rows.append(
            (
                _id("cnt", created, rng),
                account_id,
                first,
                last,
                f"{first.lower()}.{n}@example.com",
                f"+49 30 {rng.randrange(1000000, 9999999)}",
                rng.choice(JOBS),
                rng.choice(SOURCES),
                owner_id,
                False,
                "{}",
                created,
                updated,
                deleted,
            )
        )
    return rows


COLUMNS = [
    "id",
    "account_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "source",
    "owner_id",
    "do_not_contact",
    "custom_fields",
    "created_at",
    "updated_at",
    "deleted_at",
]


async def recreate_database(server: str, name: str) -> None:
    conn = await asyncpg.connect(f"postgresql://{server}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def init_account(url: str, email: str = "bench@example.com") -> dict[str, str]:
    out = subprocess.run(
        [
            str(VENV_BIN / "rolodex"),
            "init",
            "--email",
            email,
            "--password",
            "benchmark-password-1",
            "--account-name",
            "Benchmark",
            "--json",
        ],
        env={**os.environ, "ROLODEX_DATABASE_URL": url},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def load(server: str, name: str, account: dict[str, str], count: int, seed: int) -> str:
    rows = contact_rows(account["account_id"], account["user_id"], count, seed)
    rng = random.Random(seed + 1)
    now = datetime.now(UTC)
    tags = [
        (_id("tag", now, rng), account["account_id"], t, None, None, now, now, None) for t in TAGS
    ]
    links = []
    for row in rows:  # about 30 % of contacts carry one or two tags
        if rng.random() < 0.3:
            for tag in rng.sample(tags, rng.choice((1, 1, 2))):
                links.append((row[0], tag[0], row[11]))
    conn = await asyncpg.connect(f"postgresql://{server}/{name}")
    try:
        async with conn.transaction():
            await conn.copy_records_to_table(
                "tags",
                records=tags,
                columns=[
                    "id",
                    "account_id",
                    "name",
                    "color",
                    "description",
                    "created_at",
                    "updated_at",
                    "deleted_at",
                ],
            )
            await conn.copy_records_to_table("contacts", records=rows, columns=COLUMNS)
            await conn.copy_records_to_table(
                "contact_tags", records=links, columns=["contact_id", "tag_id", "created_at"]
            )
        await conn.execute("VACUUM (ANALYZE)")
        live = await conn.fetchval("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")
        print(f"contacts: {len(rows)} ({live} live), tags: {len(tags)}, tag links: {len(links)}")
    finally:
        await conn.close()
    # A live contact from the middle of the list, for GET /contacts/{id}.
    return next(r[0] for r in rows[len(rows) // 2 :] if r[13] is None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="rolodex_bench")
    parser.add_argument("--server", default="postgres@127.0.0.1:5432")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--spread-accounts",
        type=int,
        default=16,
        help="empty accounts whose keys the create_spread scenario writes through",
    )
    args = parser.parse_args()

    url = f"postgresql+asyncpg://{args.server}/{args.database}"
    started = time.perf_counter()
    asyncio.run(recreate_database(args.server, args.database))
    upgrade(url)
    account = init_account(url)
    sample = asyncio.run(load(args.server, args.database, account, args.contacts, args.seed))
    # Writes of one account are numbered in commit order by its event counter; these
    # accounts let the create_spread scenario write the same load through many counters.
    spread = [
        init_account(url, f"bench-spread-{n}@example.com")["api_key"]
        for n in range(args.spread_accounts)
    ]
    RESULTS.mkdir(exist_ok=True)
    info = {
        "database_url": url,
        "account_id": account["account_id"],
        "user_id": account["user_id"],
        "api_key": account["api_key"],
        "contact_id": sample,
        "contacts": args.contacts,
        "spread_api_keys": spread,
    }
    (RESULTS / "seed.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"seeded {args.database} in {time.perf_counter() - started:.1f}s -> results/seed.json")


if __name__ == "__main__":
    main()
