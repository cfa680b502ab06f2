"""Flows live, writing into the data that triggers them: a flow never starts from what
its own run wrote — neither from this Rolodex's event of its write (through a `rolodex`
connection to this very server and account) nor from the change its write causes in the
trigger's connection's stream — while an ordinary edit still starts it. Each flow stamps
the record with `now()`, so without echo suppression every run would cause another."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rolodex.integrations.changes.schedule import enqueue_poll
from rolodex.integrations.changes.store import last_sequence, position_of
from rolodex.integrations.models import Connection
from tests.conftest import Tenant
from tests.integrations.conftest import FAST_REMOTE, connect, wait_for_jobs
from tests.integrations.proxy import Proxy

pytestmark = pytest.mark.live
DONE = ("succeeded", "failed", "skipped")


@pytest.fixture
def disabled_after() -> Iterator[Callable[[Tenant, dict[str, Any]], dict[str, Any]]]:
    """``make(tenant, body)``: a flow, enabled, disabled again when the test ends (also
    when it fails: a looping flow must not keep the suite's workers busy)."""
    made: list[tuple[Tenant, str]] = []

    def make(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
        response = tenant.post("/flows", json=body)
        assert response.status_code == 201, response.text
        flow: dict[str, Any] = response.json()["data"]
        made.append((tenant, flow["id"]))
        return flow

    yield make
    for tenant, flow_id in made:
        tenant.patch(f"/flows/{flow_id}", json={"enabled": False})


def runs_of(tenant: Tenant, flow_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = tenant.get(
        f"/flows/{flow_id}/runs", params={"per_page": 100}
    ).json()["data"]
    return found


def wait_for(check: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout} s: {what}")
        time.sleep(0.1)


def finished(tenant: Tenant, flow_id: str, count: int) -> list[dict[str, Any]]:
    """The flow's runs, once ``count`` of them finished and none is left unfinished."""

    def settled() -> bool:
        runs = runs_of(tenant, flow_id)
        return sum(run["status"] in DONE for run in runs) >= count and all(
            run["status"] in DONE for run in runs
        )

    wait_for(settled, f"{count} finished runs of {flow_id}")
    return runs_of(tenant, flow_id)


def poll(tenant: Tenant, connection_id: str) -> None:
    """Poll the connection's remote once (a worker must be running)."""

    async def work(session: Any) -> str:
        job = enqueue_poll(await session.get(Connection, connection_id), tenant.settings)
        session.add(job)
        await session.flush()
        return str(job.id)

    job_id = tenant.run(work)
    job = wait_for_jobs(tenant, [job_id])[job_id]
    assert job.status == "succeeded", job.error


def watched_all(tenant: Tenant, connection_id: str, flow_id: str) -> Callable[[], bool]:
    """Whether the flow's watch has looked at every change of the connection's stream."""

    async def work(session: Any) -> bool:
        last = await last_sequence(session, connection_id)
        return await position_of(session, connection_id, f"flow:{flow_id}") >= last

    return lambda: bool(tenant.run(work))


def test_a_flow_writing_the_contact_that_triggered_it_does_not_start_itself_again(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers: Any, disabled_after: Any
) -> None:
    ours = make_tenant()
    # a connection to this very Rolodex and account (the peer server shares its database)
    itself = connect(
        ours,
        base_url=f"{proxy.url}/api/v1",
        credentials={"api_key": ours.key},
        rate_limit=FAST_REMOTE,
    )
    flow = disabled_after(
        ours,
        {
            "name": "Stamp every edited contact",
            "trigger": {"connection_id": None, "event": "contact.updated"},
            "actions": [
                {
                    "connection_id": itself["id"],
                    "operation": "contacts.update",
                    "mapping": {"contact_id": "data.id", "custom_fields.stamped": "now()"},
                }
            ],
        },
    )
    contact = ours.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    with workers(1):
        edited = ours.patch(f"/contacts/{contact['id']}", json={"last_name": "Lovelace"})
        assert edited.status_code == 200, edited.text
        [run] = finished(ours, flow["id"], 1)
        assert run["status"] == "succeeded", run
        [step] = run["steps"]
        assert step["request"]["method"] == "PATCH" and step["request"]["status"] == 200

        # the flow's write is an event like any other, but says whose it is …
        events = ours.get("/events", params={"type": "contact.updated"}).json()["data"]
        own = [event for event in events if event["origin"]["kind"] == "flow"]
        assert len(own) == 1, events
        assert own[0]["origin"]["flow_id"] == flow["id"]
        assert own[0]["origin"]["run_id"] == run["id"]
        assert "stamped" in own[0]["changes"]["custom_fields"][1]
        # … and it started no run: its event was written (and the flows it starts
        # queued) before the run recorded the step, so a second run would exist by now
        assert len(runs_of(ours, flow["id"])) == 1

        # an ordinary edit still starts the flow, once
        ours.patch(f"/contacts/{contact['id']}", json={"first_name": "Augusta Ada"})
        runs = finished(ours, flow["id"], 2)
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"], runs
    assert len(runs_of(ours, flow["id"])) == 2


def test_a_flow_writing_back_to_its_trigger_connection_is_not_started_by_the_echo(
    pair: tuple[Tenant, Tenant, str], workers: Any, disabled_after: Any
) -> None:
    ours, peer, connection_id = pair
    contact = peer.post("/contacts", json={"first_name": "Ada", "last_name": "L"}).json()["data"]
    flow = disabled_after(
        ours,
        {
            "name": "Stamp every contact the peer updates",
            "trigger": {"connection_id": connection_id, "event": "contact.updated"},
            "actions": [
                {
                    "connection_id": connection_id,
                    "operation": "contacts.update",
                    "mapping": {"contact_id": "remote_id", "custom_fields.stamped": "now()"},
                }
            ],
        },
    )
    # a change more than a second after the creation is an update, not the creation
    time.sleep(1.1)
    peer.patch(f"/contacts/{contact['id']}", json={"last_name": "Lovelace"})
    with workers(1):
        poll(ours, connection_id)
        [run] = finished(ours, flow["id"], 1)
        assert run["status"] == "succeeded", run
        assert run["trigger"]["remote_id"] == contact["id"]
        stamped = peer.get(f"/contacts/{contact['id']}").json()["data"]
        assert "stamped" in stamped["custom_fields"]

        # the flow's write comes back through the stream: a new change, not a trigger
        poll(ours, connection_id)
        wait_for(watched_all(ours, connection_id, flow["id"]), "the watch to read the stream")
        changes = ours.get(f"/connections/{connection_id}/changes").json()["data"]
        mine = [c for c in changes if c["remote_id"] == contact["id"]]
        assert len(mine) == 2, mine  # the peer's edit and the flow's own write
        assert len(runs_of(ours, flow["id"])) == 1

        # an ordinary edit at the peer still starts the flow, once
        peer.patch(f"/contacts/{contact['id']}", json={"first_name": "Augusta Ada"})
        poll(ours, connection_id)
        finished(ours, flow["id"], 2)
        poll(ours, connection_id)
        wait_for(watched_all(ours, connection_id, flow["id"]), "the watch to read the stream")
        runs = runs_of(ours, flow["id"])
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"], runs
