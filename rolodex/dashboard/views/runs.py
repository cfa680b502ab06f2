"""Runs (owners and admins): the history of the account's flow, sync and operation runs,
filtered by kind, status or flow, a run with each of its steps, and retrying a failed
run."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from rolodex.dashboard.listing import list_page
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.flows.models import Flow
from rolodex.integrations.models import Connection
from rolodex.runs import service
from rolodex.runs.kinds import RUN
from rolodex.runs.models import FAILED, KINDS, STATUSES
from rolodex.runs.schemas import RunOut
from rolodex.syncs.models import Sync

router = dashboard_router()


async def owner_names(page: Page, ids: set[str]) -> dict[str, str]:
    """What to call the account's flows, syncs and connections among ``ids``."""
    names: dict[str, str] = {}
    if not ids:
        return names
    account, wanted = page.principal.account_id, sorted(ids)
    for model in (Flow, Connection):
        rows = await page.session.execute(
            select(model.id, model.name).where(model.account_id == account, model.id.in_(wanted))
        )
        names.update({row[0]: row[1] for row in rows})
    syncs = await page.session.execute(
        select(Sync.id, Sync.record_type, Sync.remote_type).where(
            Sync.account_id == account, Sync.id.in_(wanted)
        )
    )
    names.update({row[0]: f"Sync of {row[1]} with {row[2]}" for row in syncs})
    return names


@router.get("/runs")
async def list_runs(page: Ctx) -> Response:
    """The account's runs, newest first (``kind``, ``status`` and ``flow_id`` filter)."""
    kind = page.query.get("kind") if page.query.get("kind") in KINDS else None
    status = page.query.get("status") if page.query.get("status") in STATUSES else None
    owner = page.query.get("flow_id")[:40] or None
    stmt = service.runs_of(page.principal, kind=kind, status=status, owner_id=owner)
    listing = await list_page(page, stmt, RUN)
    ids = {r.owner_id for r in listing.rows if r.owner_id}
    ids |= {r.connection_id for r in listing.rows if r.connection_id}
    return page.render(
        "runs.html",
        listing=listing,
        names=await owner_names(page, ids | ({owner} if owner else set())),
        kind=kind,
        status=status,
        owner=owner,
        kinds=KINDS,
        statuses=STATUSES,
    )


@router.get("/runs/{run_id}")
async def show_run(page: Ctx, run_id: str) -> Response:
    """One run: what started it, how it ended, and each step with its request."""
    run = await service.get_run(page.session, page.principal, run_id)
    shown = RunOut.model_validate(run).model_dump(mode="json")
    ids = {run.owner_id, run.connection_id} | {s.get("connection_id") for s in run.steps}
    return page.render(
        "run.html",
        run=shown,
        owner_id=run.owner_id,
        names=await owner_names(page, {i for i in ids if i}),
        retryable=run.status == FAILED and not run.dry_run and run.job_kind is not None,
    )


@router.post("/runs/{run_id}/retry")
async def retry_run(page: Ctx, run_id: str) -> Response:
    """Queue a finished run's work again as a new run (``POST /runs/{id}/retry``'s
    service); the new run's page."""
    again = await service.retry_run(page.session, page.principal, run_id, page.settings)
    return see_other(f"{PREFIX}/runs/{again.id}", "Retry queued as a new run.")
