"""The dashboard's sync pages and retrying a run: the same services as the API's
``PATCH /syncs/{id}``, ``POST /syncs/{id}/run`` and ``POST /runs/{id}/retry``. What these
tests queue is cancelled before they end (in-suite workers would claim it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from rolodex.db import utcnow
from rolodex.integrations.jobs import CANCELLED
from rolodex.integrations.models import IntegrationJob
from rolodex.runs.models import Run
from rolodex.runs.service import finish_run, start_run
from tests.conftest import Tenant
from tests.dashboard.conftest import Browser, add_connection, add_flow, add_run, add_sync


def cancel(tenant: Tenant, run_id: str) -> dict[str, Any]:
    """Cancel a queued run's job (and skip the run); the job as it was queued."""

    async def work(session: Any) -> dict[str, Any]:
        run = await session.get(Run, run_id)
        job = await session.get(IntegrationJob, run.job_id)
        queued = {"kind": job.kind, "status": job.status, "input": dict(job.input)}
        now = utcnow()
        await session.execute(
            update(IntegrationJob)
            .where(IntegrationJob.id == run.job_id)
            .values(status=CANCELLED, finished_at=now, updated_at=now)
        )
        await session.execute(
            update(Run).where(Run.id == run_id).values(status="skipped", finished_at=now)
        )
        return queued

    found: dict[str, Any] = tenant.run(work)
    return found


def failed_job_run(tenant: Tenant, flow_id: str, connection_id: str) -> str:
    """A failed run of the flow that a job worked (so it can be retried)."""

    async def work(session: Any) -> str:
        run = await start_run(
            session,
            tenant.account_id,
            "flow",
            trigger={"event_id": "evt_retry", "type": "contact.created"},
            owner_id=flow_id,
            owner_version=1,
            connection_id=connection_id,
            job_kind="flow",
            job_input={"flow_id": flow_id},
        )
        await finish_run(session, run, "failed", error="HTTP 500 from the remote")
        return str(run.id)

    run_id: str = tenant.run(work)
    return run_id


def test_a_failed_run_is_retried_from_its_page(tenant: Tenant, owner: Browser) -> None:
    connection_id = add_connection(tenant)
    flow_id = add_flow(tenant, connection_id)
    failed = failed_job_run(tenant, flow_id, connection_id)
    page = owner.get(f"/dashboard/runs/{failed}")
    assert page.status_code == 200 and 'id="retry"' in page.text
    answer = owner.post(f"/dashboard/runs/{failed}/retry")
    assert answer.status_code == 303, answer.text
    again_id = answer.headers["location"].split("/")[-1].split("?")[0]
    again = tenant.get(f"/runs/{again_id}").json()["data"]
    assert again["retry_of"] == failed and again["flow_id"] == flow_id
    shown = owner.get(answer.headers["location"])
    assert "Retry queued" in shown.text and f"/dashboard/runs/{failed}" in shown.text
    queued = cancel(tenant, again_id)
    assert queued == {
        "kind": "flow",
        "status": "queued",
        "input": {"flow_id": flow_id, "run_id": again_id},
    }
    audit = tenant.get("/audit-log", params={"action": "run.retried"}).json()["data"]
    assert any(row["resource_id"] == failed for row in audit)
    # a run that succeeded, or that no job worked, has no button; sent anyway: 409
    succeeded = add_run(tenant, flow_id, connection_id)
    assert 'id="retry"' not in owner.get(f"/dashboard/runs/{succeeded}").text
    before = len(tenant.get("/runs", params={"flow_id": flow_id}).json()["data"])
    refused = owner.post(f"/dashboard/runs/{succeeded}/retry")
    assert refused.status_code == 409 and "cannot be retried" in refused.text
    assert len(tenant.get("/runs", params={"flow_id": flow_id}).json()["data"]) == before


def test_syncs_are_listed_and_shown(tenant: Tenant, owner: Browser) -> None:
    empty = owner.get("/dashboard/syncs")
    assert empty.status_code == 200 and "No syncs yet" in empty.text
    connection_id = add_connection(tenant)
    tenant.patch(f"/connections/{connection_id}", json={"name": "Head office"})
    sync_id = add_sync(tenant, connection_id)
    listed = owner.get("/dashboard/syncs").text
    assert f"/dashboard/syncs/{sync_id}" in listed and "Head office" in listed
    assert "Disabled" in listed and "never" in listed
    page = owner.get(f"/dashboard/syncs/{sync_id}")
    assert page.status_code == 200
    for shown in ("contacts", "both", "newest_wins", "propagate", "0 records paired"):
        assert shown in page.text, shown
    assert "No runs yet" in page.text


def test_a_sync_is_enabled_and_disabled(tenant: Tenant, owner: Browser) -> None:
    sync_id = add_sync(tenant, add_connection(tenant))
    path = f"/dashboard/syncs/{sync_id}"
    on = owner.post(f"{path}/enabled", {"enabled": "1"})
    assert on.status_code == 303 and "Sync+enabled" in on.headers["location"].replace("%20", "+")
    made = tenant.get(f"/syncs/{sync_id}").json()["data"]
    assert made["enabled"] is True
    off = owner.post(f"{path}/enabled", {"enabled": "0"})
    assert off.status_code == 303
    assert tenant.get(f"/syncs/{sync_id}").json()["data"]["enabled"] is False
    # disabling dropped the poll run enabling queued
    runs = tenant.get(f"/syncs/{sync_id}/runs").json()["data"]
    assert runs and all(r["status"] == "skipped" for r in runs)
    events = tenant.get("/audit-log", params={"resource_id": sync_id}).json()["data"]
    kinds = {e["credential_kind"] for e in events if e["action"] == "sync.updated"}
    assert kinds == {"session"}


def test_run_now_and_dry_run_queue_a_run_linked_from_the_page(
    tenant: Tenant, owner: Browser
) -> None:
    sync_id = add_sync(tenant, add_connection(tenant))
    path = f"/dashboard/syncs/{sync_id}"
    for form, dry in (({}, False), ({"dry_run": "1"}, True)):
        answer = owner.post(f"{path}/run", form)
        assert answer.status_code == 303, answer.text
        location = answer.headers["location"]
        run_id = location.split("queued=")[1].split("&")[0]
        run = tenant.get(f"/runs/{run_id}").json()["data"]
        assert (run["sync_id"], run["dry_run"], run["status"]) == (sync_id, dry, "queued")
        assert run["trigger"]["kind"] == "manual"
        page = owner.get(location).text
        assert 'id="queued-run"' in page and f'href="/dashboard/runs/{run_id}"' in page
        assert ("dry run: it writes nothing" in page) is dry
        queued = cancel(tenant, run_id)
        assert queued["input"]["dry_run"] is dry and queued["input"]["sync_id"] == sync_id
    audit = tenant.get("/audit-log", params={"action": "sync.run_requested"}).json()["data"]
    assert len([a for a in audit if a["resource_id"] == sync_id]) == 2
    # a queued id that is not a run of this sync is not linked
    assert 'id="queued-run"' not in owner.get(f"{path}?queued=run_x").text
