"""The ``rolodex`` connector against a second live `rolodex serve`, through the tests' own
fault-injecting proxy, run as jobs by integration workers.

The remote serves the tests' database; its account (the *peer*) is another tenant, so
what the jobs did is read back through the peer's own API.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.integrations.conftest import FAST_REMOTE, connect, enqueue, wait_for_jobs
from tests.integrations.proxy import (
    Proxy,
    delay,
    drop,
    drop_after,
    fail_after,
    on,
    status,
)

pytestmark = pytest.mark.live


def run(tenant: Tenant, connection_id: str, key: str, given: dict[str, Any]) -> Any:
    job_id = enqueue(tenant, connection_id, key, given)
    job = wait_for_jobs(tenant, [job_id])[job_id]
    assert job.status == "succeeded", (key, job.status, job.error)
    return job.result


def test_every_kind_of_action_runs_live_against_another_rolodex(
    pair: tuple[Tenant, Tenant, str], workers
) -> None:
    ours, peer, connection_id = pair
    email = f"{secrets.token_hex(4)}@example.com"
    with workers(1):
        contact = run(ours, connection_id, "contacts.create", {"first_name": "Ada", "email": email})
        assert contact["object"] == "contact" and contact["email"] == email
        cid = contact["id"]
        assert peer.get(f"/contacts/{cid}").json()["data"]["first_name"] == "Ada"

        updated = run(ours, connection_id, "contacts.update", {"contact_id": cid, "last_name": "L"})
        assert updated["last_name"] == "L" and updated["first_name"] == "Ada"
        assert run(
            ours, connection_id, "contacts.add_tags", {"contact_id": cid, "tags": ["vip", "b"]}
        ) == ["b", "vip"]
        assert run(
            ours, connection_id, "contacts.remove_tags", {"contact_id": cid, "tags": ["b"]}
        ) == ["vip"]
        assert peer.get(f"/contacts/{cid}").json()["data"]["tags"] == ["vip"]

        task = run(ours, connection_id, "tasks.create", {"contact_id": cid, "title": "Call"})
        done = run(
            ours,
            connection_id,
            "tasks.complete",
            {"contact_id": cid, "task_id": task["id"], "completed": True},
        )
        assert done["completed"] is True
        page = run(ours, connection_id, "contacts.list", {"per_page": 5})
        assert page["meta"]["total"] == 1 and page["data"][0]["id"] == cid
        got = run(ours, connection_id, "contacts.get", {"contact_id": cid})
        assert got["id"] == cid

        assert run(ours, connection_id, "contacts.delete", {"contact_id": cid}) is None
        assert peer.get(f"/contacts/{cid}").status_code == 404
        restored = run(ours, connection_id, "contacts.restore", {"contact_id": cid})
        assert restored["deleted_at"] is None

        events = run(ours, connection_id, "contact.created", {})
        assert [e["data"]["id"] for e in events["data"]] == [cid]
    usage = ours.get(f"/connections/{connection_id}/usage").json()["data"]
    operations = {o["operation"]: o["requests"] for o in usage["operations"]}
    assert operations["contacts.create"] == 1 and operations["contacts.delete"] == 1


def test_faults_are_retried_and_a_retried_write_writes_once(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = pair
    posts = on("POST", "/api/v1/contacts")
    proxy.inject(
        status(429, {"Retry-After": "1"}, matches=posts),
        status(429, matches=posts),  # no Retry-After: a backoff instead
        status(503, matches=posts),
        drop(matches=posts),  # refused before it reached the remote
        drop_after(matches=posts),  # reached the remote, the answer lost
        fail_after(502, matches=posts),  # reached the remote, answered 502
        delay(0.3, matches=posts),
    )
    email = f"{secrets.token_hex(4)}@example.com"
    with workers(1):
        contact = run(
            ours, connection_id, "contacts.create", {"first_name": "Once", "email": email}
        )
    # every attempt carried the same Idempotency-Key: the remote made one contact
    found = peer.get("/contacts", params={"email": email}).json()["data"]
    assert [c["id"] for c in found] == [contact["id"]]
    assert proxy.count("POST", "/api/v1/contacts") == 7
    assert proxy.count("POST", "/api/v1/contacts", 429) == 2
    assert proxy.count("POST", "/api/v1/contacts", 0) == 2
    usage = ours.get(f"/connections/{connection_id}/usage").json()["data"]
    [row] = [o for o in usage["operations"] if o["operation"] == "contacts.create"]
    assert row == {"operation": "contacts.create", "requests": 7, "throttled": 2, "failed": 4}


def test_a_refused_key_fails_the_job_and_makes_the_connection_failing(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    ours = make_tenant()
    made = connect(
        ours,
        base_url=f"{proxy.url}/api/v1",
        credentials={"api_key": "rdx_k_" + "1" * 43},
        rate_limit=FAST_REMOTE,
    )
    with workers(1):
        job_id = enqueue(ours, made["id"], "contacts.list", {})
        job = wait_for_jobs(ours, [job_id])[job_id]
    assert job.status == "failed" and "refused the credential (401)" in (job.error or "")
    assert job.attempts == job.max_attempts  # retried on the schedule, then failed
    shown = ours.get(f"/connections/{made['id']}").json()["data"]
    assert shown["status"] == "failing"
    assert [
        e["type"] for e in ours.get("/events", params={"type": "connection.failing"}).json()["data"]
    ] == ["connection.failing"]


def test_a_bad_request_fails_for_good_without_retrying(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers
) -> None:
    ours, _, connection_id = pair
    with workers(1):
        job_id = enqueue(ours, connection_id, "contacts.get", {"contact_id": "cnt_nope"})
        job = wait_for_jobs(ours, [job_id])[job_id]
    assert job.status == "failed" and job.attempts == 1
    assert "404" in (job.error or "")
    assert ours.get(f"/connections/{connection_id}").json()["data"]["status"] == "active"
