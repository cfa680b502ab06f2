"""Connections (owners and admins), read-only: each connection's state, and its
requests and refusals per hour over the last week as a chart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from starlette.responses import Response

from rolodex.dashboard.charts import hourly_bars
from rolodex.dashboard.pages import Ctx, dashboard_router
from rolodex.db import utcnow
from rolodex.integrations import service
from rolodex.integrations.models import Connection, ConnectionUsage
from rolodex.integrations.usage import hour_of

router = dashboard_router()
DAYS = 7


@router.get("/connections")
async def list_connections(page: Ctx) -> Response:
    """The account's connections with their last day's requests and refusals."""
    stmt = service.connections_of(page.principal).where(Connection.deleted_at.is_(None))
    connections = list(await page.session.scalars(stmt.order_by(Connection.name).limit(200)))
    since = hour_of(utcnow()) - timedelta(hours=23)
    totals: dict[str, tuple[int, int]] = {}
    if connections:
        rows = await page.session.execute(
            select(
                ConnectionUsage.connection_id,
                func.sum(ConnectionUsage.requests),
                func.sum(ConnectionUsage.throttled),
            )
            .where(
                ConnectionUsage.account_id == page.principal.account_id,
                ConnectionUsage.connection_id.in_([c.id for c in connections]),
                ConnectionUsage.hour >= since,
            )
            .group_by(ConnectionUsage.connection_id)
        )
        totals = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in rows}
    return page.render("connections.html", connections=connections, totals=totals)


@router.get("/connections/{connection_id}")
async def show_connection(page: Ctx, connection_id: str) -> Response:
    """One connection: its state, its budget and its usage per hour (requests, 429s,
    failures) over the last week."""
    connection = await service.get_connection(page.session, page.principal, connection_id)
    until = hour_of(utcnow()) + timedelta(hours=1)
    since = until - timedelta(days=DAYS)
    rows = await page.session.execute(
        select(
            ConnectionUsage.hour,
            func.sum(ConnectionUsage.requests),
            func.sum(ConnectionUsage.throttled),
            func.sum(ConnectionUsage.failed),
        )
        .where(
            ConnectionUsage.account_id == connection.account_id,
            ConnectionUsage.connection_id == connection.id,
            ConnectionUsage.hour >= since,
        )
        .group_by(ConnectionUsage.hour)
    )
    by_hour = {
        hour_of(row[0]): (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in rows
    }
    hours = []
    hour = since
    while hour < until:
        requests, throttled, failed = by_hour.get(hour, (0, 0, 0))
        hours.append((hour, requests, throttled + failed))
        hour += timedelta(hours=1)
    totals = [sum(values[i] for values in by_hour.values()) for i in range(3)]
    return page.render(
        "connection.html",
        connection=connection,
        chart=hourly_bars(hours),
        totals={"requests": totals[0], "throttled": totals[1], "failed": totals[2]},
        days=DAYS,
    )
