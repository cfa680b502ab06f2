"""Runs: recorded through the service, shown by ``/runs`` (redacted, per account, to
managers only), retried as new runs, and forgotten after their retention period — by
the integration worker itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rolodex.db import utcnow
from rolodex.integrations.models import IntegrationJob
from rolodex.runs.models import Run
from rolodex.runs.service import add_step, finish_run, prune_runs, start_run, step_request
from tests.conftest import Tenant

SECRET = "sk-live-0123456789abcdef"


def record_run(
    tenant: Tenant,
    *,
    kind: str = "flow",
    status: str = "failed",
    dry_run: bool = False,
    job_kind: str | None = "flow",
    age_days: float = 0,
) -> str:
    """A run with one request step and one failed step, as a flow would record it."""

    async def work(session: Any) -> str:
        run = await start_run(
            session,
            tenant.account_id,
            kind,
            trigger={"event_id": "evt_01jd6w3q0000000000000000aa", "type": "contact.created"},
            owner_id="flw_01jd6w3q0000000000000000aa",
            owner_version=3,
            dry_run=dry_run,
            job_kind=job_kind,
            job_input={"flow_id": "flw_01jd6w3q0000000000000000aa"},
        )
        add_step(
            run,
            "contacts.upsert",
            connection_id="con_01jd6w3q0000000000000000aa",
            request=step_request("POST", f"https://remote.example.com/c?key={SECRET}", 201, 42),
            result={"id": "abc", "token": "not-for-the-log", "echo": f"Bearer {SECRET}"},
            secrets=[SECRET],
        )
        add_step(
            run,
            "tasks.create",
            status="failed",
            error=f"the remote answered 422: {SECRET} is wrong",
            secrets=[SECRET],
        )
        await finish_run(
            session, run, status, error="a step failed" if status == "failed" else None
        )
        if age_days:
            run.created_at = utcnow() - timedelta(days=age_days)
        return str(run.id)

    found: str = tenant.run(work)
    return found


def test_a_run_is_shown_with_its_steps_and_no_secret(tenant: Tenant) -> None:
    run_id = record_run(tenant)
    response = tenant.get(f"/runs/{run_id}")
    assert response.status_code == 200, response.text
    shown = response.json()["data"]
    assert shown["object"] == "run" and shown["id"].startswith("run_")
    assert (shown["kind"], shown["status"], shown["dry_run"]) == ("flow", "failed", False)
    assert shown["flow_id"] == "flw_01jd6w3q0000000000000000aa" and shown["sync_id"] is None
    assert shown["version"] == 3 and shown["attempts"] == 1
    assert shown["started_at"] and shown["finished_at"]
    first, second = shown["steps"]
    assert first["request"] == {
        "method": "POST",
        "url": "https://remote.example.com/c?key=***",
        "status": 201,
        "duration_ms": 42,
    }
    assert first["result"] == {"id": "abc", "token": "***", "echo": "Bearer ***"}
    assert (second["status"], second["error"]) == (
        "failed",
        "the remote answered 422: *** is wrong",
    )
    assert SECRET not in response.text


def test_runs_are_listed_and_filtered_per_account(make_tenant: Callable[[], Tenant]) -> None:
    ours, theirs = make_tenant(), make_tenant()
    failed = record_run(ours)
    succeeded = record_run(ours, status="succeeded")
    operation = record_run(ours, kind="operation", status="succeeded")
    hidden = record_run(theirs)

    listed = ours.get("/runs").json()
    assert {run["id"] for run in listed["data"]} == {failed, succeeded, operation}
    assert listed["meta"]["total"] == 3
    only = ours.get("/runs", params={"status": "failed"}).json()["data"]
    assert [run["id"] for run in only] == [failed]
    flows = ours.get("/runs", params={"kind": "flow", "sort": "created_at"}).json()["data"]
    assert {run["id"] for run in flows} == {failed, succeeded}
    owned = ours.get("/runs", params={"flow_id": "flw_01jd6w3q0000000000000000aa"}).json()
    assert owned["meta"]["total"] == 3
    assert ours.get(f"/runs/{hidden}").status_code == 404
    assert ours.get("/runs", params={"status": "lost"}).status_code == 400
    _, member_key = ours.add_user(role="member")
    assert ours.get("/runs", key=member_key).status_code == 403


def test_retry_queues_the_same_work_as_a_new_run(tenant: Tenant) -> None:
    run_id = record_run(tenant)
    response = tenant.post(f"/runs/{run_id}/retry")
    assert response.status_code == 202, response.text
    again = response.json()["data"]
    assert again["retry_of"] == run_id and again["status"] == "queued" and again["steps"] == []
    assert again["flow_id"] == "flw_01jd6w3q0000000000000000aa" and again["version"] == 3

    async def job_of(session: Any) -> IntegrationJob:
        run = await session.get(Run, again["id"])
        job: IntegrationJob = await session.get(IntegrationJob, run.job_id)
        return job

    job = tenant.run(job_of)
    assert job.kind == "flow" and job.status == "queued"
    assert job.input == {"flow_id": "flw_01jd6w3q0000000000000000aa", "run_id": again["id"]}


def test_only_a_finished_live_job_run_is_retried(tenant: Tenant) -> None:
    running = record_run(tenant, status="running")
    dry = record_run(tenant, dry_run=True)
    no_job = record_run(tenant, job_kind=None)
    for run_id in (running, dry, no_job):
        response = tenant.post(f"/runs/{run_id}/retry")
        assert response.status_code == 409, (run_id, response.text)
        assert response.json()["error"]["code"] == "CONFLICT"
    assert tenant.post("/runs/run_01jd6w3q0000000000000000aa/retry").status_code == 404


def test_runs_are_kept_for_the_retention_period(tenant: Tenant) -> None:
    old = record_run(tenant, age_days=31)
    recent = record_run(tenant, age_days=29)
    old_unfinished = record_run(tenant, status="running", age_days=40)

    async def prune(session: Any, days: int) -> int:
        own = tenant.settings.model_copy(update={"runs_retention_days": days})
        sessions: Any = _sessions_of(session)
        return await prune_runs(sessions, own)

    def left() -> set[str]:
        async def work(session: Any) -> set[str]:
            ids = [old, recent, old_unfinished]
            return set(await session.scalars(select(Run.id).where(Run.id.in_(ids))))

        found: set[str] = tenant.run(work)
        return found

    tenant.run(prune, 60)
    assert left() == {old, recent, old_unfinished}
    tenant.run(prune, 30)
    assert left() == {recent, old_unfinished}


def test_the_worker_prunes_expired_runs(tenant: Tenant, workers: Any) -> None:
    old = record_run(tenant, age_days=45)
    with workers(1, runs_prune_seconds=0.2):
        deadline = time.monotonic() + 30
        while tenant.get(f"/runs/{old}").status_code != 404:
            assert time.monotonic() < deadline, "the worker did not prune the expired run"
            time.sleep(0.1)


def _sessions_of(session: Any) -> Any:
    """A session maker bound to the same engine as ``session``."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(session.bind, expire_on_commit=False)
