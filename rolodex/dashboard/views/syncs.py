"""Syncs (owners and admins): the account's syncs, a sync with its object, direction,
policies, last run and links, enabling and disabling it (``PATCH /syncs/{id}``'s
service), and running it now or dry (``POST /syncs/{id}/run``'s service), with the
queued run linked."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.responses import Response

from rolodex.dashboard.forms import build
from rolodex.dashboard.pages import PREFIX, Ctx, dashboard_router, see_other
from rolodex.integrations import service as connections
from rolodex.integrations.models import Connection
from rolodex.runs.models import Run
from rolodex.syncs import service
from rolodex.syncs.models import Link, Sync
from rolodex.syncs.runs import runs_of
from rolodex.syncs.schemas import SyncPatch

router = dashboard_router()
SYNCS = f"{PREFIX}/syncs"
RECENT_RUNS = 10


async def _connection_names(page: Ctx, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    stmt = connections.connections_of(page.principal).where(Connection.id.in_(sorted(ids)))
    return {c.id: c.name for c in await page.session.scalars(stmt)}


@router.get("/syncs")
async def list_syncs(page: Ctx) -> Response:
    """The account's syncs with their connection, direction, state and last run."""
    stmt = service.syncs_of(page.principal).where(Sync.deleted_at.is_(None))
    syncs = list(await page.session.scalars(stmt.order_by(Sync.created_at.desc()).limit(200)))
    names = await _connection_names(page, {s.connection_id for s in syncs})
    return page.render("syncs.html", syncs=syncs, names=names)


@router.get("/syncs/{sync_id}")
async def show_sync(page: Ctx, sync_id: str) -> Response:
    """One sync: what it keeps the same, how, its links and its last runs."""
    sync = await service.get_sync(page.session, page.principal, sync_id)
    links = await page.session.scalar(
        select(func.count())
        .select_from(Link)
        .where(Link.account_id == sync.account_id, Link.sync_id == sync.id)
    )
    runs = list(
        await page.session.scalars(
            runs_of(sync).order_by(Run.created_at.desc(), Run.id.desc()).limit(RECENT_RUNS)
        )
    )
    names = await _connection_names(page, {sync.connection_id})
    return page.render(
        "sync.html",
        sync=sync,
        links=int(links or 0),
        runs=runs,
        connection_name=names.get(sync.connection_id, sync.connection_id),
    )


@router.post("/syncs/{sync_id}/enabled")
async def set_enabled(page: Ctx, sync_id: str) -> Response:
    """Enable or disable the sync (``PATCH /syncs/{id}`` with ``enabled``)."""
    enabled = page.form.checked("enabled")
    body = build(SyncPatch, {"enabled": enabled})
    await service.update_sync(page.session, page.principal, sync_id, body, precondition=None)
    return see_other(f"{SYNCS}/{sync_id}", "Sync enabled." if enabled else "Sync disabled.")


@router.post("/syncs/{sync_id}/run")
async def run_sync(page: Ctx, sync_id: str) -> Response:
    """Queue a run now, or a dry run that writes nothing (``POST /syncs/{id}/run``'s
    service); the sync's page with the queued run linked."""
    dry_run = page.form.checked("dry_run")
    run = await service.request_run(
        page.session,
        page.principal,
        sync_id,
        page.settings,
        dry_run=dry_run,
        full=page.form.checked("full"),
    )
    what = "Dry run" if dry_run else "Run"
    return see_other(f"{SYNCS}/{sync_id}?queued={run.id}", f"{what} queued.")
