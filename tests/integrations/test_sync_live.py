"""Contacts kept the same between two Rolodex accounts, live: ours, and a peer at a
second `rolodex serve` reached through the tests' fault proxy with the ``rolodex``
connector. Runs are queued through the API and worked by integration workers.

The syncs are created disabled, so that only the runs a test asks for run (a disabled
sync still runs on demand).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from rolodex.audit.models import AuditEntry
from rolodex.events.models import Event
from rolodex.syncs.models import Link, SyncWrite
from tests.conftest import LiveServer, Tenant
from tests.integrations.conftest import FAST_REMOTE
from tests.integrations.proxy import Proxy, on, status

pytestmark = pytest.mark.live


def make_sync(tenant: Tenant, connection_id: str, **body: Any) -> str:
    answer = tenant.post(
        "/syncs",
        json={"connection_id": connection_id, "object": "contacts", "enabled": False, **body},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def run_sync(tenant: Tenant, sync_id: str, **body: Any) -> dict[str, Any]:
    """Run the sync now and wait for the run to finish; the run."""
    import time

    answer = tenant.post(f"/syncs/{sync_id}/run", json=body)
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["data"]["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, Any] = tenant.get(f"/runs/{run_id}").json()["data"]
        if run["status"] in ("succeeded", "failed", "skipped"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish: {run}")


def contacts(tenant: Tenant) -> dict[str, dict[str, Any]]:
    rows = tenant.get("/contacts", params={"per_page": 250}).json()["data"]
    return {row["email"]: row for row in rows if row["email"]}


def counts(tenant: Tenant) -> dict[str, int]:
    """Rows of the tables a write would leave a trace in, for this account (the audit
    rows of asking for a run — the run itself, on its sync — aside)."""

    async def work(session: Any) -> dict[str, int]:
        found = {}
        for name, model in (
            ("events", Event),
            ("audit", AuditEntry),
            ("links", Link),
            ("writes", SyncWrite),
        ):
            stmt = select(func.count()).select_from(model)
            stmt = stmt.where(model.account_id == tenant.account_id)
            if model is AuditEntry:
                stmt = stmt.where(AuditEntry.resource_type.not_in(("sync", "run")))
            found[name] = int(await session.scalar(stmt))
        return found

    result: dict[str, int] = tenant.run(work)
    return result


def writes_of(run: dict[str, Any]) -> list[str]:
    return [step["operation"] for step in run["steps"] if step["operation"] != "link"]


def email() -> str:
    return f"{secrets.token_hex(5)}@example.com"


def test_contacts_sync_both_ways_and_settle_without_echo(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = pair
    ada, bob, cy = email(), email(), email()
    mine = ours.post("/contacts", json={"first_name": "Ada", "email": ada, "tags": ["vip"]})
    assert mine.status_code == 201
    theirs = peer.post("/contacts", json={"first_name": "Bob", "email": bob}).json()["data"]
    # the same person on both sides already: matched by email, linked, not duplicated
    ours.post("/contacts", json={"first_name": "Cy", "email": cy})
    peer.post("/contacts", json={"first_name": "Cy", "last_name": "Both", "email": cy})
    sync_id = make_sync(ours, connection_id)
    with workers(1):
        first = run_sync(ours, sync_id)
        assert first["status"] == "succeeded", first
        here, there = contacts(ours), contacts(peer)
        assert set(here) == set(there) == {ada, bob, cy}
        assert there[ada]["first_name"] == "Ada" and there[ada]["tags"] == ["vip"]
        assert here[bob]["first_name"] == "Bob"
        assert here[cy]["last_name"] == there[cy]["last_name"]
        links = ours.get("/links", params={"connection_id": connection_id}).json()["data"]
        assert len(links) == 3 and {link["remote_id"] for link in links} >= {theirs["id"]}
        # Rolodex writes by the sync carry its origin
        [created] = [
            e
            for e in ours.get("/events", params={"type": "contact.created"}).json()["data"]
            if e["data"]["email"] == bob
        ]
        assert created["origin"]["kind"] == "sync"
        assert created["origin"]["connection_id"] == connection_id

        # settled: another run writes nothing anywhere and only reads the remote
        before, peer_before = counts(ours), counts(peer)
        proxy.reset()
        again = run_sync(ours, sync_id)
        assert again["status"] == "succeeded" and writes_of(again) == [], again["steps"]
        assert counts(ours) == before and counts(peer) == peer_before
        assert proxy.count("POST") == proxy.count("PATCH") == proxy.count("DELETE") == 0
        full = run_sync(ours, sync_id, full=True)
        assert full["status"] == "succeeded" and writes_of(full) == [], full["steps"]
        assert counts(ours) == before and counts(peer) == peer_before

        # an edit on each side travels; a change of no mapped field writes nothing
        ours.patch(f"/contacts/{here[ada]['id']}", json={"last_name": "Lovelace"})
        peer.patch(f"/contacts/{there[bob]['id']}", json={"job_title": "Builder"})
        edited = run_sync(ours, sync_id)
        assert edited["status"] == "succeeded"
        assert sorted(writes_of(edited)) == ["remote.update", "rolodex.update"]
        assert contacts(peer)[ada]["last_name"] == "Lovelace"
        assert contacts(ours)[bob]["job_title"] == "Builder"
        assert writes_of(run_sync(ours, sync_id)) == []


def test_both_sides_edited_end_in_the_policys_value_with_the_loser_logged(
    pair: tuple[Tenant, Tenant, str], workers
) -> None:
    ours, peer, connection_id = pair
    address = email()
    ours.post("/contacts", json={"first_name": "Dee", "email": address})
    sync_id = make_sync(ours, connection_id, conflict="remote_wins")
    with workers(1):
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        here, there = contacts(ours)[address], contacts(peer)[address]
        ours.patch(f"/contacts/{here['id']}", json={"job_title": "Ours"})
        peer.patch(f"/contacts/{there['id']}", json={"job_title": "Theirs"})
        run = run_sync(ours, sync_id)
        assert run["status"] == "succeeded", run
        assert contacts(ours)[address]["job_title"] == "Theirs"
        assert contacts(peer)[address]["job_title"] == "Theirs"
        [conflict] = [s for s in run["steps"] if s["operation"] == "conflict"]
        assert conflict["result"]["winner"] == "remote"
        assert conflict["result"]["lost"]["job_title"] == "Ours"
        assert writes_of(run_sync(ours, sync_id)) == []


def test_deletes_and_restores_travel_both_ways(pair: tuple[Tenant, Tenant, str], workers) -> None:
    ours, peer, connection_id = pair
    one, two = email(), email()
    first = ours.post("/contacts", json={"first_name": "One", "email": one}).json()["data"]
    ours.post("/contacts", json={"first_name": "Two", "email": two})
    sync_id = make_sync(ours, connection_id)
    with workers(1):
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        there = contacts(peer)
        # a delete here while the other side edits the other record
        assert ours.delete(f"/contacts/{first['id']}").status_code == 200
        peer.patch(f"/contacts/{there[two]['id']}", json={"job_title": "Still here"})
        run = run_sync(ours, sync_id)
        assert run["status"] == "succeeded", run
        assert peer.get(f"/contacts/{there[one]['id']}").status_code == 404
        assert contacts(ours)[two]["job_title"] == "Still here"
        # restored here: restored there
        assert ours.post(f"/contacts/{first['id']}/restore").status_code == 200
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        assert peer.get(f"/contacts/{there[one]['id']}").status_code == 200
        # deleted there: deleted here
        assert peer.delete(f"/contacts/{there[two]['id']}").status_code == 200
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        assert two not in contacts(ours)
        assert writes_of(run_sync(ours, sync_id)) == []


def test_two_remote_rows_with_one_updated_at_are_both_synced(
    pair: tuple[Tenant, Tenant, str], workers
) -> None:
    ours, peer, connection_id = pair
    made = peer.post(
        "/contacts/batch",
        json={"items": [{"first_name": "Twin", "email": email()} for _ in range(2)]},
    ).json()["data"]
    stamps = {peer.get(f"/contacts/{item['id']}").json()["data"]["updated_at"] for item in made}
    sync_id = make_sync(ours, connection_id, direction="pull")
    with workers(1):
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        more = peer.post(
            "/contacts/batch",
            json={"items": [{"first_name": "Late", "email": email()} for _ in range(2)]},
        ).json()["data"]
        assert run_sync(ours, sync_id)["status"] == "succeeded"
    here = contacts(ours)
    assert len(stamps) >= 1 and len(here) == 4
    assert {c["first_name"] for c in here.values()} == {"Twin", "Late"} and len(more) == 2


def test_a_dry_run_writes_nothing_anywhere(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = pair
    ours.post("/contacts", json={"first_name": "Dry", "email": email()})
    peer.post("/contacts", json={"first_name": "Run", "email": email()})
    sync_id = make_sync(ours, connection_id)
    before, peer_before = counts(ours), counts(peer)
    here, there = contacts(ours), contacts(peer)
    proxy.reset()
    with workers(1):
        run = run_sync(ours, sync_id, dry_run=True)
    assert run["status"] == "succeeded" and run["dry_run"] is True, run
    assert sorted(writes_of(run)) == ["remote.create", "rolodex.create"]
    assert counts(ours) == before and counts(peer) == peer_before
    assert contacts(ours) == here and contacts(peer) == there
    assert proxy.count("POST") == proxy.count("PATCH") == proxy.count("DELETE") == 0


def test_a_remote_failing_mid_run_is_resumed_and_writes_nothing_twice(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = pair
    addresses = [email() for _ in range(4)]
    for address in addresses:
        ours.post("/contacts", json={"first_name": "Many", "email": address})
    posts = on("POST", "/api/v1/contacts")
    proxy.inject(
        status(429, {"Retry-After": "1"}, matches=posts),
        status(503, matches=posts),
        status(503, matches=posts),
    )
    sync_id = make_sync(ours, connection_id, direction="push")
    with workers(1):
        run = run_sync(ours, sync_id)
        assert run["status"] == "succeeded", run
        assert writes_of(run_sync(ours, sync_id)) == []
    there = peer.get("/contacts", params={"per_page": 250}).json()["data"]
    assert sorted(c["email"] for c in there) == sorted(addresses)


def test_a_worker_killed_mid_run_leaves_it_to_another_without_duplicates(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, remote: LiveServer, tmp_path, workers
) -> None:
    import subprocess
    import sys
    import time

    from tests.integrations.proxy import delay

    ours, peer, connection_id = pair
    addresses = sorted(email() for _ in range(5))
    for address in addresses:
        ours.post("/contacts", json={"first_name": "Killed", "email": address})
    posts = on("POST", "/api/v1/contacts")
    proxy.inject(*(delay(1.0, matches=posts) for _ in addresses))
    sync_id = make_sync(ours, connection_id, direction="push")
    run_id = ours.post(f"/syncs/{sync_id}/run", json={}).json()["data"]["id"]
    log = (tmp_path / "worker.log").open("w")
    env = {
        **remote.env,
        "ROLODEX_SECRET_KEY": ours.settings.secret_key,
        "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true",
        "ROLODEX_WORKER_POLL_SECONDS": "0.05",
        "ROLODEX_WORKER_LEASE_SECONDS": "3",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "rolodex", "worker"],
        env=env,
        cwd=remote.cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while proxy.count("POST", "/api/v1/contacts") < 2:
            assert time.monotonic() < deadline and process.poll() is None, "the worker never ran"
            time.sleep(0.05)
    finally:
        process.kill()  # mid-run: some contacts created there, not all linked
        process.wait()
        log.close()
    half = ours.get(f"/runs/{run_id}").json()["data"]
    assert half["status"] == "running", half
    with workers(1, worker_lease_seconds=3):
        deadline = time.monotonic() + 120
        while ours.get(f"/runs/{run_id}").json()["data"]["status"] != "succeeded":
            assert time.monotonic() < deadline, ours.get(f"/runs/{run_id}").json()
            time.sleep(0.2)
        assert writes_of(run_sync(ours, sync_id)) == []
    there = peer.get("/contacts", params={"per_page": 250}).json()["data"]
    assert sorted(c["email"] for c in there) == addresses
    links = ours.get("/links", params={"connection_id": connection_id}).json()["data"]
    assert sorted(link["record_id"] for link in links) == sorted(
        c["id"] for c in contacts(ours).values()
    )


def test_contacts_sync_both_ways_with_a_highlevel_location(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    """The peer's HighLevel surface, through the ``highlevel`` connector."""
    ours, peer = make_tenant(), make_tenant()
    made = ours.post(
        "/connections",
        json={
            "kind": "highlevel",
            "base_url": f"{proxy.url}/highlevel",
            "location_id": peer.account_id,
            "credentials": {"api_key": peer.key},
            "rate_limit": FAST_REMOTE,
        },
    )
    assert made.status_code == 201, made.text
    connection_id = made.json()["data"]["id"]
    ada, bob, cy = email(), email(), email()
    ours.post("/contacts", json={"first_name": "Ada", "email": ada, "tags": ["vip"]})
    peer.post("/contacts", json={"first_name": "Bob", "email": bob})
    ours.post("/contacts", json={"first_name": "Cy", "email": cy})
    peer.post("/contacts", json={"first_name": "Cy", "last_name": "Both", "email": cy})
    sync_id = make_sync(ours, connection_id)
    with workers(1):
        first = run_sync(ours, sync_id)
        assert first["status"] == "succeeded", first
        here, there = contacts(ours), contacts(peer)
        assert set(here) == set(there) == {ada, bob, cy}
        assert there[ada]["first_name"] == "Ada" and there[ada]["tags"] == ["vip"]
        assert here[bob]["first_name"] == "Bob"
        assert here[cy]["last_name"] == there[cy]["last_name"]
        before, peer_before = counts(ours), counts(peer)
        proxy.reset()
        again = run_sync(ours, sync_id)
        assert again["status"] == "succeeded" and writes_of(again) == [], again["steps"]
        assert counts(ours) == before and counts(peer) == peer_before
        assert proxy.count("PUT") == proxy.count("DELETE") == 0
        assert proxy.count("POST", "/highlevel/contacts/search") == proxy.count("POST")
        ours.patch(f"/contacts/{here[ada]['id']}", json={"last_name": "Lovelace"})
        peer.patch(f"/contacts/{there[bob]['id']}", json={"last_name": "Builder"})
        edited = run_sync(ours, sync_id)
        assert sorted(writes_of(edited)) == ["remote.update", "rolodex.update"], edited
        assert contacts(peer)[ada]["last_name"] == "Lovelace"
        assert contacts(ours)[bob]["last_name"] == "Builder"
        assert writes_of(run_sync(ours, sync_id)) == []
