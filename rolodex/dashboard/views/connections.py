"""Connections (owners and admins): each connection's state, adding one (its key is
write-only: sent once, never drawn again), checking it, starting the OAuth authorization
of an OAuth connection, and its requests and refusals per hour over the last week as a
chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from starlette.responses import Response

from rolodex.dashboard.charts import hourly_bars
from rolodex.dashboard.forms import build
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.db import utcnow
from rolodex.errors import ValidationFailed
from rolodex.integrations import checks, service
from rolodex.integrations.authorize import start_authorization
from rolodex.integrations.connectors_registry import CONNECTORS
from rolodex.integrations.models import Connection, ConnectionUsage
from rolodex.integrations.routes import public_base
from rolodex.integrations.runtime import runtime_of
from rolodex.integrations.schemas import CheckResult, ConnectionCreate
from rolodex.integrations.usage import hour_of

router = dashboard_router()
CONNECTIONS = f"{PREFIX}/connections"
DAYS = 7
KINDS = [(c.kind, c.title, c.default_base_url or "") for c in CONNECTORS.values()]
"""(kind, title, default base URL) of each connector, for the form."""
SHOWN_FIELDS = ("kind", "name", "base_url", "location_id", "client_id")
"""The form fields drawn back into a refused form: never the key or a client secret."""


def connection_values(form: Any) -> dict[str, Any]:
    """The body of ``POST /connections`` from the form: an API key, or an OAuth client
    (to authorize with afterwards)."""
    values: dict[str, Any] = {
        "kind": form.get("kind"),
        "name": form.optional("name"),
        "base_url": form.optional("base_url"),
        "location_id": form.optional("location_id"),
    }
    api_key, client_id = form.optional("api_key"), form.optional("client_id")
    if api_key is not None or client_id is None:
        values["credentials"] = {"api_key": api_key} if api_key is not None else None
    if client_id is not None:
        values["oauth"] = {"client_id": client_id, "client_secret": form.optional("client_secret")}
    return values


async def _list_page(
    page: Page,
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
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
    return page.render(
        "connections.html",
        status_code=status,
        connections=connections,
        totals=totals,
        kinds=KINDS,
        errors=errors or [],
        values=values or {},
    )


@router.get("/connections")
async def list_connections(page: Ctx) -> Response:
    """The account's connections with their last day's requests and refusals, and a
    form for a new one."""
    return await _list_page(page)


@router.post("/connections")
async def create_connection(page: Ctx) -> Response:
    """A new connection (``POST /connections``'s service); its page next."""
    service.require_manager(page.principal)
    values = connection_values(page.form)
    try:
        connection = await service.create_connection(
            page.session,
            page.principal,
            build(ConnectionCreate, values),
            page.settings,
            page.key_ring,
            public_base(page.request),
        )
    except ValidationFailed as exc:
        errors = [exc.message, *(f"{d['field']}: {d['message']}" for d in exc.details or [])]
        kept = {name: page.form.get(name) for name in SHOWN_FIELDS}
        return await _list_page(page, errors=errors, values=kept, status=400)
    note = "Connection created."
    if connection.auth_type == "oauth2":
        note += " Connect it with OAuth to give it its tokens."
    return see_other(f"{CONNECTIONS}/{connection.id}", note)


@router.get("/connections/{connection_id}")
async def show_connection(page: Ctx, connection_id: str) -> Response:
    """One connection: its state, its budget and its usage per hour (requests, 429s,
    failures) over the last week."""
    return await _connection_page(page, connection_id)


@router.post("/connections/{connection_id}/check")
async def check_connection(page: Ctx, connection_id: str) -> Response:
    """One cheap authenticated call to the remote (``POST /connections/{id}/check``'s
    service); the connection's page with what it showed."""
    result = await checks.check_connection(
        page.session,
        page.principal,
        connection_id,
        runtime_of(page.request.app.state),
        page.key_ring,
    )
    return await _connection_page(page, connection_id, check=result)


@router.post("/connections/{connection_id}/authorize")
async def authorize_connection(page: Ctx, connection_id: str) -> Response:
    """Start the OAuth authorization (``POST /connections/{id}/authorize``'s service):
    a page with the link to the remote's consent page, which sends the user back to
    ``/integrations/oauth/callback``."""
    connection = await service.get_connection(page.session, page.principal, connection_id)
    url, expires = await start_authorization(
        page.session,
        page.principal,
        connection_id,
        page.settings,
        page.key_ring,
        public_base(page.request),
    )
    return page.render(
        "authorize.html",
        connection=connection,
        authorize_url=url,
        remote_host=urlsplit(url).hostname or url,
        expires_at=expires,
    )


async def _connection_page(
    page: Page, connection_id: str, *, check: CheckResult | None = None
) -> Response:
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
        check=check,
    )
