"""Usage: every request through a connection counted per hour and operation.

One upsert per request (``INSERT … ON CONFLICT DO UPDATE`` adding to the hour's row), in
its own short transaction; :func:`usage_of` reads the last days back for
``GET /connections/{id}/usage``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import unit_of_work, utcnow
from rolodex.integrations.budget import BudgetState
from rolodex.integrations.models import Connection, ConnectionUsage

DAYS = 7


def hour_of(moment: datetime) -> datetime:
    """The start of the hour a moment is in."""
    return moment.replace(minute=0, second=0, microsecond=0)


async def add_usage(
    session: AsyncSession,
    connection_id: str,
    account_id: str,
    operation: str,
    *,
    requests: int = 1,
    throttled: int = 0,
    failed: int = 0,
    at: datetime | None = None,
) -> None:
    """Count requests of one operation in the hour of ``at`` (now)."""
    table = ConnectionUsage.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Any = dialect.insert(table).values(
        connection_id=connection_id,
        hour=hour_of(at or utcnow()),
        operation=operation[:100],
        account_id=account_id,
        requests=requests,
        throttled=throttled,
        failed=failed,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["connection_id", "hour", "operation"],
        set_={
            name: table.c[name] + statement.excluded[name]
            for name in ("requests", "throttled", "failed")
        },
    )
    await session.execute(statement)


async def record_usage(
    sessions: async_sessionmaker[AsyncSession],
    connection_id: str,
    account_id: str,
    operation: str,
    *,
    throttled: bool = False,
    failed: bool = False,
) -> None:
    """Count one request, in a transaction of its own."""
    async with unit_of_work(sessions) as session:
        await add_usage(
            session,
            connection_id,
            account_id,
            operation,
            throttled=int(throttled),
            failed=int(failed),
        )


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {name: sum(row[name] for row in rows) for name in ("requests", "throttled", "failed")}


async def usage_of(
    session: AsyncSession,
    connection: Connection,
    budget: BudgetState,
    *,
    days: int = DAYS,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The connection's usage per hour and per operation over the last ``days``, with
    its budget now: the body of ``GET /connections/{id}/usage``."""
    until = hour_of(now or utcnow()) + timedelta(hours=1)
    since = until - timedelta(days=days)
    found = await session.execute(
        select(
            ConnectionUsage.hour,
            ConnectionUsage.operation,
            ConnectionUsage.requests,
            ConnectionUsage.throttled,
            ConnectionUsage.failed,
        )
        .where(
            ConnectionUsage.connection_id == connection.id,
            ConnectionUsage.account_id == connection.account_id,
            ConnectionUsage.hour >= since,
        )
        .order_by(ConnectionUsage.hour, ConnectionUsage.operation)
    )
    rows = [dict(row._mapping) for row in found.all()]
    by_hour: dict[datetime, list[dict[str, Any]]] = {}
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_hour.setdefault(row["hour"], []).append(row)
        by_operation.setdefault(row["operation"], []).append(row)
    hours = []
    hour = since
    while hour < until:
        hours.append({"hour": hour, **_counts(by_hour.get(hour, []))})
        hour += timedelta(hours=1)
    return {
        "object": "connection_usage",
        "connection_id": connection.id,
        "since": since,
        "until": until,
        "totals": _counts(rows),
        "budget": {
            "requests": connection.rate_requests,
            "per_seconds": connection.rate_seconds,
            "daily": connection.rate_daily,
            "remaining": budget.remaining,
            "reset_at": budget.reset_at,
            "daily_remaining": budget.daily_remaining,
            "source": budget.source,
        },
        "hours": hours,
        "operations": [
            {"operation": name, **_counts(items)} for name, items in sorted(by_operation.items())
        ],
        "rows": rows,
    }
