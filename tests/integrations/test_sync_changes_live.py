"""Syncs run on change, live against a second `rolodex serve` (the peer, reached through
the tests' fault proxy with the ``rolodex`` connector): the peer's web hooks — its own
events, rendered and signed as its delivery worker sends them — reach our hook endpoint,
polls read its lists, and Rolodex events here queue runs. The hard cases: one change
delivered by both (one write), an update before the create it follows (no duplicate),
and a delete on one side while the other side edits the same record (the policy's
outcome).

Each test deletes its sync before its workers stop, so no enabled sync, watch or queued
run of it is left for the suite's other workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from rolodex.audit.models import AuditEntry
from rolodex.events.models import Event
from rolodex.integrations.changes.schedule import enqueue_poll
from rolodex.integrations.changes.store import position_of
from rolodex.integrations.jobs import QUEUED, RUNNING, WAITING
from rolodex.integrations.models import Connection, IntegrationJob
from rolodex.syncs.triggers import consumer_of
from rolodex.webhooks import signing
from rolodex.webhooks.delivery_format import payload_of
from rolodex.webhooks.secrets import new_secret
from tests.conftest import Tenant
from tests.integrations.conftest import wait_for_jobs
from tests.integrations.test_sync_live import contacts, email, make_sync, run_sync, writes_of

pytestmark = pytest.mark.live


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout} s: {what}")
        time.sleep(0.1)


def hooked(tenant: Tenant, connection_id: str) -> str:
    """Give the connection a webhook secret; the secret."""
    secret = new_secret()
    patched = tenant.patch(
        f"/connections/{connection_id}", json={"credentials": {"webhook_secret": secret}}
    )
    assert patched.status_code == 200, patched.text
    return secret


def peer_events(peer: Tenant, resource_id: str) -> list[Event]:
    """The peer's events of one record, oldest first."""

    async def work(session: Any) -> list[Event]:
        rows = await session.scalars(
            select(Event)
            .where(Event.account_id == peer.account_id, Event.resource_id == resource_id)
            .order_by(Event.sequence)
        )
        found = list(rows)
        session.expunge_all()
        return found

    result: list[Event] = peer.run(work)
    return result


def deliver(ours: Tenant, connection_id: str, secret: str, event: Event) -> dict[str, Any]:
    """One of the peer's events delivered to our hook endpoint, as its worker sends it;
    the receipt."""
    body = payload_of(event)
    headers = signing.headers([secret], event.id, int(time.time()), body)
    answer = ours.client.post(
        f"/integrations/hooks/{connection_id}",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    receipt: dict[str, Any] = answer.json()["data"]
    return receipt


def poll(ours: Tenant, connection_id: str) -> dict[str, int]:
    """One poll of the connection, worked by the running workers; what it saw and stored."""

    async def work(session: Any) -> str:
        job = enqueue_poll(await session.get(Connection, connection_id), ours.settings)
        session.add(job)
        await session.flush()
        return str(job.id)

    job_id = ours.run(work)
    job = wait_for_jobs(ours, [job_id])[job_id]
    assert job.status == "succeeded", job.error
    result: dict[str, int] = job.result
    return result


def taken(ours: Tenant, connection_id: str, sync_id: str) -> int:
    """How far the sync's watch has taken the connection's stream."""

    async def work(session: Any) -> int:
        return await position_of(session, connection_id, consumer_of(sync_id))

    found: int = ours.run(work)
    return found


def stream(ours: Tenant, connection_id: str) -> list[dict[str, Any]]:
    params = {"sort": "sequence", "order": "asc", "per_page": 250}
    answer = ours.get(f"/connections/{connection_id}/changes", params=params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


def runs(ours: Tenant, sync_id: str) -> list[dict[str, Any]]:
    answer = ours.get(f"/syncs/{sync_id}/runs", params={"per_page": 100})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


def started_now(ours: Tenant, sync_id: str) -> list[dict[str, Any]]:
    """The sync's runs other than its next poll (queued ``poll_seconds`` away)."""
    return [
        run
        for run in runs(ours, sync_id)
        if not (run["status"] == "queued" and run["trigger"].get("kind") == "poll")
    ]


def settled(ours: Tenant, sync_id: str) -> bool:
    """Every run the sync has begun or has due has finished."""
    done = ("succeeded", "failed", "skipped")
    return all(run["status"] in done for run in started_now(ours, sync_id))


def writes(ours: Tenant, sync_id: str) -> list[str]:
    """Every write of every run of the sync."""
    return sorted(w for run in runs(ours, sync_id) for w in writes_of(run))


def created_rows(tenant: Tenant, resource_id: str) -> tuple[int, int]:
    """The audit rows and events of creating one record."""

    async def work(session: Any) -> tuple[int, int]:
        audit = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.account_id == tenant.account_id,
                AuditEntry.resource_id == resource_id,
                AuditEntry.action == "contact.created",
            )
        )
        events = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.account_id == tenant.account_id,
                Event.resource_id == resource_id,
                Event.type == "contact.created",
            )
        )
        return int(audit or 0), int(events or 0)

    found: tuple[int, int] = tenant.run(work)
    return found


def open_jobs(tenant: Tenant, sync_id: str) -> list[IntegrationJob]:
    async def work(session: Any) -> list[IntegrationJob]:
        rows = await session.scalars(
            select(IntegrationJob).where(
                IntegrationJob.operation == sync_id,
                IntegrationJob.status.in_((QUEUED, RUNNING, WAITING)),
            )
        )
        return list(rows)

    found: list[IntegrationJob] = tenant.run(work)
    return found


def enabled_sync(ours: Tenant, connection_id: str, **body: Any) -> str:
    """An enabled sync that has settled its first run (nothing to do: the sides start
    empty); its id."""
    sync_id = make_sync(ours, connection_id, poll_seconds=86400, **body)
    patched = ours.patch(f"/syncs/{sync_id}", json={"enabled": True})
    assert patched.status_code == 200, patched.text
    wait_for(lambda: started_now(ours, sync_id) and settled(ours, sync_id), "the first run")
    assert writes(ours, sync_id) == []
    return sync_id


def delete_sync(ours: Tenant, sync_id: str) -> None:
    """Delete the sync and wait for its watch to stop (its queued poll is dropped)."""
    assert ours.delete(f"/syncs/{sync_id}").status_code == 200
    wait_for(lambda: not open_jobs(ours, sync_id), "the sync's jobs to stop")


def test_a_change_by_web_hook_and_by_poll_is_written_once(
    pair: tuple[Tenant, Tenant, str], workers: Any
) -> None:
    ours, peer, connection_id = pair
    secret = hooked(ours, connection_id)
    with workers(1):
        sync_id = enabled_sync(ours, connection_id)
        try:
            # first the web hook, then a poll that lists the same change
            ada = peer.post("/contacts", json={"first_name": "Ada", "email": email()}).json()
            ada = ada["data"]
            [made] = peer_events(peer, ada["id"])
            assert deliver(ours, connection_id, secret, made)["stored"] == 1
            wait_for(lambda: ada["email"] in contacts(ours), "Ada here")
            # then a poll first, and the web hook after it
            bob = peer.post("/contacts", json={"first_name": "Bob", "email": email()}).json()
            bob = bob["data"]
            polled = poll(ours, connection_id)
            assert polled["stored"] == 1 and polled["seen"] == 2, polled  # Ada's is known
            wait_for(lambda: bob["email"] in contacts(ours), "Bob here")
            [bob_made] = peer_events(peer, bob["id"])
            assert deliver(ours, connection_id, secret, bob_made)["stored"] == 0
            assert deliver(ours, connection_id, secret, made)["stored"] == 0  # again
            assert poll(ours, connection_id)["stored"] == 0
            wait_for(lambda: taken(ours, connection_id, sync_id) == 2, "the watch's look")
            wait_for(lambda: settled(ours, sync_id), "the runs")

            # one change each in the stream, one create each here
            assert sorted(c["remote_id"] for c in stream(ours, connection_id)) == sorted(
                [ada["id"], bob["id"]]
            )
            assert writes(ours, sync_id) == ["rolodex.create", "rolodex.create"]
            here = contacts(ours)
            for person in (ada, bob):
                assert created_rows(ours, here[person["email"]]["id"]) == (1, 1)
            # started by the changes; the sync's own creates here started nothing
            kinds = sorted(run["trigger"]["kind"] for run in started_now(ours, sync_id))
            assert "change" in kinds and "event" not in kinds, kinds
        finally:
            delete_sync(ours, sync_id)


def test_the_syncs_own_writes_coming_back_queue_no_run(
    pair: tuple[Tenant, Tenant, str], workers: Any
) -> None:
    ours, peer, connection_id = pair
    secret = hooked(ours, connection_id)
    with workers(1):
        sync_id = enabled_sync(ours, connection_id)
        try:
            # a Rolodex event queues a run, which creates the contact there
            mine = ours.post("/contacts", json={"first_name": "Cy", "email": email()}).json()
            mine = mine["data"]
            there = wait_for(lambda: contacts(peer).get(mine["email"]), "Cy there")
            wait_for(lambda: settled(ours, sync_id), "the run")
            assert writes(ours, sync_id) == ["remote.create"]
            kinds = [r["trigger"]["kind"] for r in started_now(ours, sync_id)]
            assert kinds.count("event") == 1 and "change" not in kinds, kinds
            before = len(runs(ours, sync_id))
            # the peer's event of that create comes back by web hook: held, no run
            [echo] = peer_events(peer, there["id"])
            assert deliver(ours, connection_id, secret, echo)["stored"] == 1
            wait_for(lambda: taken(ours, connection_id, sync_id) == 1, "the watch's look")
            assert len(runs(ours, sync_id)) == before
            # an edit there is no echo: it runs, and its write here starts nothing more
            peer.patch(f"/contacts/{there['id']}", json={"job_title": "Edited"})
            edited = peer_events(peer, there["id"])[-1]
            assert deliver(ours, connection_id, secret, edited)["stored"] == 1
            wait_for(
                lambda: contacts(ours)[mine["email"]]["job_title"] == "Edited", "the edit here"
            )
            wait_for(lambda: settled(ours, sync_id), "the runs")
            assert writes(ours, sync_id) == ["remote.create", "rolodex.update"]
            kinds = [r["trigger"]["kind"] for r in started_now(ours, sync_id)]
            assert kinds.count("event") == 1 and kinds.count("change") == 1, kinds
        finally:
            delete_sync(ours, sync_id)


def test_an_update_before_the_create_it_follows_makes_no_duplicate(
    pair: tuple[Tenant, Tenant, str], workers: Any
) -> None:
    ours, peer, connection_id = pair
    secret = hooked(ours, connection_id)
    with workers(2):
        sync_id = enabled_sync(ours, connection_id)
        try:
            dee = peer.post("/contacts", json={"first_name": "Dee", "email": email()}).json()
            dee = dee["data"]
            peer.patch(f"/contacts/{dee['id']}", json={"job_title": "Later"})
            created, updated = peer_events(peer, dee["id"])
            assert (created.type, updated.type) == ("contact.created", "contact.updated")
            # the update of a record not linked yet arrives first, then its create
            assert deliver(ours, connection_id, secret, updated)["stored"] == 1
            assert deliver(ours, connection_id, secret, created)["stored"] == 1
            wait_for(lambda: taken(ours, connection_id, sync_id) == 2, "the watch's look")
            wait_for(lambda: dee["email"] in contacts(ours), "Dee here")
            wait_for(lambda: settled(ours, sync_id), "the runs")
            assert contacts(ours)[dee["email"]]["job_title"] == "Later"
            assert writes(ours, sync_id) == ["rolodex.create"]
            links = ours.get("/links", params={"connection_id": connection_id}).json()["data"]
            assert [link["remote_id"] for link in links] == [dee["id"]]
            # the create, older than the update, is stale in the stream
            assert [c["stale"] for c in stream(ours, connection_id)] == [False, True]
            assert writes_of(run_sync(ours, sync_id, full=True)) == []
        finally:
            delete_sync(ours, sync_id)


@pytest.mark.parametrize("later", ["delete", "edit"])
def test_a_delete_on_one_side_while_the_other_edits_ends_in_the_later(
    pair: tuple[Tenant, Tenant, str], workers: Any, later: str
) -> None:
    """``newest_wins``: the later of the two wins on both sides — a delete after the
    edit deletes the record there too; an edit after the delete restores it here, with
    the edit. The loser is in the run's conflict step."""
    ours, peer, connection_id = pair
    address = email()
    mine = ours.post("/contacts", json={"first_name": "Eve", "email": address}).json()["data"]
    sync_id = make_sync(ours, connection_id)
    try:
        with workers(1):
            assert run_sync(ours, sync_id)["status"] == "succeeded"
            there = contacts(peer)[address]
            if later == "delete":
                peer.patch(f"/contacts/{there['id']}", json={"job_title": "Edited there"})
                assert ours.delete(f"/contacts/{mine['id']}").status_code == 200
            else:
                assert ours.delete(f"/contacts/{mine['id']}").status_code == 200
                peer.patch(f"/contacts/{there['id']}", json={"job_title": "Edited there"})
            run = run_sync(ours, sync_id)
            assert run["status"] == "succeeded", run
            [conflict] = [s for s in run["steps"] if s["operation"] == "conflict"]
            if later == "delete":
                assert conflict["result"]["winner"] == "rolodex"
                assert conflict["result"]["lost"]["job_title"] == "Edited there"
                assert writes_of(run) == ["conflict", "remote.delete"]
                assert peer.get(f"/contacts/{there['id']}").status_code == 404
                assert ours.get(f"/contacts/{mine['id']}").status_code == 404
            else:
                assert conflict["result"]["winner"] == "remote"
                assert conflict["result"]["lost"] == {"deleted": True}
                assert writes_of(run) == ["conflict", "rolodex.restore", "rolodex.update"]
                restored = ours.get(f"/contacts/{mine['id']}")
                assert restored.status_code == 200
                assert restored.json()["data"]["job_title"] == "Edited there"
                assert peer.get(f"/contacts/{there['id']}").json()["data"]["job_title"] == (
                    "Edited there"
                )
            assert writes_of(run_sync(ours, sync_id)) == []
    finally:
        assert ours.delete(f"/syncs/{sync_id}").status_code == 200
