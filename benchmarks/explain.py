"""Query plans of ``GET /api/v1/contacts`` on the seeded database.

    .venv/bin/python benchmarks/explain.py [--per-page 25] [--pages 1 1000]

Runs the real endpoint in-process (the app, its engine, ``paginate``), records every SQL
statement it sends to PostgreSQL with its parameters, and re-runs each one under
``EXPLAIN (ANALYZE, BUFFERS)``. Nothing is reconstructed by hand: the plans are of the
exact SQL the list endpoint runs. Needs ``benchmarks/results/seed.json`` from ``seed.py``.
Writes ``benchmarks/results/explain.txt`` too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from rolodex.app import create_app
from rolodex.config import Settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _label(sql: str) -> str:
    flat = " ".join(sql.split())
    if "api_keys" in flat:
        return "auth (key lookup)"
    if "contact_tags" in flat:
        return "tags of the page (selectinload)"
    if "count(*)" in flat:
        return "count"
    if " OFFSET " in flat or re.search(r"LIMIT \$\d+::INTEGER$", flat):
        return "page of ids (ORDER BY sort, id OFFSET/LIMIT)"
    if " IN (" in flat:
        return "row load (id IN page ids)"
    return "other"


async def run(per_page: int, pages: list[int]) -> str:
    seed = json.loads((RESULTS / "seed.json").read_text())
    settings = Settings(database_url=seed["database_url"], secret_key="benchmark-explain")
    app = create_app(settings)
    out: list[str] = []
    async with app.router.lifespan_context(app):
        engine = app.state.engine
        captured: list[tuple[str, Any]] = []

        def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            captured.append((statement, parameters))

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"X-API-Key": seed["api_key"]}
            for page in pages:
                captured.clear()
                path = f"/api/v1/contacts?per_page={per_page}&page={page}"
                response = await client.get(path, headers=headers)
                response.raise_for_status()
                body = response.json()
                out.append(
                    f"===== GET {path}  ({len(body['data'])} rows, total {body['meta']['total']})"
                )
                statements = [(s, p) for s, p in captured if _label(s) != "auth (key lookup)"]
                summary = []
                for statement, parameters in statements:
                    label = _label(statement)
                    async with engine.connect() as conn:
                        explain = "EXPLAIN (ANALYZE, BUFFERS) " + statement
                        await conn.exec_driver_sql(explain, parameters)  # warm
                        result = await conn.exec_driver_sql(explain, parameters)
                        plan = [row[0] for row in result]
                    shown = " ".join(statement.split())
                    if len(shown) > 400:
                        shown = shown[:400] + " …"
                    out.append(f"--- {label}\n{shown}\n")
                    out.extend(plan)
                    out.append("")
                    took = next((line for line in plan if line.startswith("Execution Time")), "")
                    summary.append(f"  {label:<48} {took}")
                out.append(f"summary for page {page}:")
                out.extend(summary)
                out.append("")
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-page", type=int, default=25)
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 1000])
    args = parser.parse_args()
    text = asyncio.run(run(args.per_page, args.pages))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"explain_{args.per_page}.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
