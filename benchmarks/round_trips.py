"""Database round trips per request, counted in-process: a figure no machine load changes.

    .venv/bin/python benchmarks/round_trips.py        # on the database seed.json names

Runs the application in this process (httpx over ASGI, no socket) against the seeded
database, sends each request a few times to warm the pool and the statement caches, then
counts, for one more of each, what it sends to the database: statements, BEGINs,
COMMITs/ROLLBACKs, and the pool's pre-ping (three round trips a checkout when it is on:
BEGIN, a ping, ROLLBACK). Prepared-statement round trips are not counted (cached after the
first use of a statement on a connection).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from rolodex.app import create_app
from rolodex.config import Settings

RESULTS = Path(__file__).resolve().parent / "results"


async def count(seed: dict[str, Any]) -> dict[str, dict[str, int]]:
    settings = Settings(
        database_url=seed["database_url"],
        secret_key="benchmark-secret-key",
        rate_limit="1000000000/1",
        worker_in_process=False,
    )
    app = create_app(settings)
    tally: Counter[str] = Counter()
    base = "/api/v1/contacts"
    requests = {
        "GET /contacts/{id}": ("GET", f"{base}/{seed['contact_id']}", None),
        "GET /contacts?per_page=25": ("GET", f"{base}?per_page=25", None),
        "GET /contacts?per_page=250": ("GET", f"{base}?per_page=250", None),
        "POST /contacts": ("POST", base, {"first_name": "Round", "last_name": "Trip"}),
        "PATCH /contacts/{id}": ("PATCH", f"{base}/{seed['contact_id']}", {"job_title": "x"}),
        "GET /health": ("GET", "/health", None),
    }
    out: dict[str, dict[str, int]] = {}
    async with app.router.lifespan_context(app):
        engine = app.state.engine.sync_engine
        pre_ping = bool(getattr(engine.pool, "_pre_ping", False))

        @event.listens_for(engine, "before_cursor_execute")
        def _statement(*_: Any) -> None:
            tally["statements"] += 1

        @event.listens_for(engine, "begin")
        def _begin(*_: Any) -> None:
            tally["begin"] += 1

        @event.listens_for(engine, "commit")
        def _commit(*_: Any) -> None:
            tally["commit/rollback"] += 1

        @event.listens_for(engine, "rollback")
        def _rollback(*_: Any) -> None:
            tally["commit/rollback"] += 1

        @event.listens_for(engine.pool, "checkout")
        def _checkout(*_: Any) -> None:
            tally["checkouts"] += 1
            if pre_ping:
                tally["pre-ping"] += 3

        transport = httpx.ASGITransport(app=app)
        headers = {"X-API-Key": seed["api_key"]}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for name, (method, path, body) in requests.items():
                for n in range(4):
                    if n == 3:
                        tally.clear()
                    sent = {k: f"{v} {n}" for k, v in body.items()} if body else None
                    response = await http.request(method, path, json=sent, headers=headers)
                    assert response.status_code < 300, (name, response.text)
                row = dict(tally)
                row["round trips"] = (
                    row.get("statements", 0)
                    + row.get("begin", 0)
                    + row.get("commit/rollback", 0)
                    + row.get("pre-ping", 0)
                )
                out[name] = row
    return out


def main() -> None:
    seed = json.loads((RESULTS / "seed.json").read_text())
    result = asyncio.run(count(seed))
    print("| request | round trips | statements | BEGIN | COMMIT/ROLLBACK | pre-ping |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in result.items():
        print(
            f"| `{name}` | {row['round trips']} | {row.get('statements', 0)} | "
            f"{row.get('begin', 0)} | {row.get('commit/rollback', 0)} | {row.get('pre-ping', 0)} |"
        )


if __name__ == "__main__":
    main()
