"""Monitoring (owners and admins): per connection the rate budget used over the last
day and what is left now (``GET /connections/{id}/usage``'s service), its 429s, its
failed runs and its sync lag; the account's webhook delivery success and backlog."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import Response

from rolodex.dashboard.charts import hourly_bars
from rolodex.dashboard.pages import Ctx, dashboard_router
from rolodex.db import release, utcnow
from rolodex.integrations import service as connections
from rolodex.integrations.budget import Pace
from rolodex.integrations.models import Connection, rate_of
from rolodex.integrations.runtime import runtime_of
from rolodex.integrations.usage import usage_of
from rolodex.observability.health import failed_runs_by_connection, sync_lag, webhook_health

router = dashboard_router()
HOURS = 24
MAX_CONNECTIONS = 50
"""The most connections the page draws (a chart each)."""


@router.get("/monitoring")
async def monitoring(page: Ctx) -> Response:
    """Each connection's budget, 429s, failed runs and sync lag; webhook deliveries."""
    page.require_manager()
    account = page.principal.account_id
    stmt = connections.connections_of(page.principal).where(Connection.deleted_at.is_(None))
    found = list(await page.session.scalars(stmt.order_by(Connection.name).limit(MAX_CONNECTIONS)))
    now = utcnow()
    since = now - timedelta(hours=HOURS)
    failed = await failed_runs_by_connection(page.session, account, since)
    webhooks = await webhook_health(page.session, account, since)
    runtime = runtime_of(page.request.app.state)
    # The budgets may live in another transaction (or in Redis): read them all holding
    # no lock, before this session reads again.
    await release(page.session)
    budgets = [
        await runtime.budget.state(c.id, Pace.of(rate_of(c), runtime.policy.headroom))
        for c in found
    ]
    shown: list[dict[str, Any]] = []
    for connection, budget in zip(found, budgets, strict=True):
        usage = await usage_of(page.session, connection, budget, days=1)
        hours = [(h["hour"], h["requests"], h["throttled"] + h["failed"]) for h in usage["hours"]]
        shown.append(
            {
                "connection": connection,
                "budget": usage["budget"],
                "totals": usage["totals"],
                "chart": hourly_bars(hours, width=480, height=80),
                "failed_runs": failed.get(connection.id, 0),
                "lag": await sync_lag(page.session, account, connection.id, now),
            }
        )
    return page.render(
        "monitoring.html",
        connections=shown,
        failed_total=sum(failed.values()),
        webhooks=webhooks,
        hours=HOURS,
    )
