"""Change detection against real peers: a second `rolodex serve` speaks MOCO and HighLevel
(the *peer*, through a fault proxy for the polls), and its web hooks are delivered to our
own `rolodex serve` through another fault proxy, which loses, duplicates and reorders
them. Whatever happens on the way, each remote change ends as exactly one change in the
connection's stream."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from rolodex.config import Settings
from rolodex.contacts.models import Contact
from rolodex.integrations.changes.schedule import enqueue_poll
from rolodex.integrations.models import Connection
from tests.conftest import LiveServer, Tenant, start_server
from tests.integrations.conftest import FAST_REMOTE, connect, wait_for_jobs
from tests.integrations.proxy import Proxy, capture, duplicate, fault_proxy, on, status
from tests.webhooks.conftest import FAST as DELIVERING_FAST
from tests.webhooks.conftest import _running as running_deliveries

pytestmark = pytest.mark.live
HOOKS = on("POST", "/integrations/hooks/")
SAME_KEY = {"ROLODEX_SECRET_KEY": "test-secret-key"}
"""The servers share the test app's database and deployment key: ours opens the
connections the test app sealed, and the peer's HighLevel key pair is the one the tests'
delivery worker signs with."""


@pytest.fixture(scope="module")
def remote(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("peer"), env=SAME_KEY) as live:
        yield live


@pytest.fixture(scope="module")
def ours(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("ours"), env=SAME_KEY) as live:
        yield live


@pytest.fixture
def deliveries(settings: Settings) -> Callable[[], Any]:
    """``with deliveries():`` a webhook delivery worker on the test database (it sends
    the peer's web hooks)."""
    return lambda: running_deliveries(settings.model_copy(update=DELIVERING_FAST))


@pytest.fixture
def api(remote: LiveServer) -> Iterator[Proxy]:
    with fault_proxy(remote.url) as running:
        yield running


@pytest.fixture
def hooks(ours: LiveServer) -> Iterator[Proxy]:
    with fault_proxy(ours.url) as running:
        yield running


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout} s: {what}")
        time.sleep(0.1)


def next_second() -> None:
    """Wait into the next wall-clock second: MOCO shows whole seconds, so two writes of
    one record must fall in two seconds to be two changes."""
    time.sleep(1.02 - time.time() % 1)


def changes(tenant: Tenant, connection_id: str, **params: Any) -> list[dict[str, Any]]:
    query = {"sort": "sequence", "order": "asc", "per_page": 250, **params}
    response = tenant.get(f"/connections/{connection_id}/changes", params=query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def delivered(proxy: Proxy, count: int) -> Callable[[], bool]:
    return lambda: proxy.count("POST", "/integrations/hooks/") >= count


def poll(tenant: Tenant, connection_id: str, workers: Any) -> dict[str, int]:
    async def work(session: Any) -> str:
        job = enqueue_poll(await session.get(Connection, connection_id), tenant.settings)
        session.add(job)
        await session.flush()
        return str(job.id)

    job_id = tenant.run(work)
    with workers(1):
        job = wait_for_jobs(tenant, [job_id])[job_id]
    assert job.status == "succeeded", job.error
    result: dict[str, int] = job.result
    return result


def moco_hooks(peer: Tenant, url: str) -> list[str]:
    """MOCO web hooks of the peer for every event of its people; their keys."""
    keys = []
    for event in ("create", "update", "delete"):
        response = peer.client.post(
            "/moco/api/v1/account/web_hooks",
            headers={"Authorization": f"Token token={peer.key}"},
            json={"target": "Contact", "event": event, "hook": url},
        )
        assert response.status_code in (200, 201), response.text
        keys.append(response.json()["signature_key"])
    return keys


def test_moco_web_hooks_lost_duplicated_and_out_of_order_each_end_as_one_change(
    make_tenant: Callable[[], Tenant], api: Proxy, hooks: Proxy, deliveries: Any, workers: Any
) -> None:
    ours_tenant, peer = make_tenant(), make_tenant()
    con = connect(
        ours_tenant,
        kind="moco",
        base_url=f"{api.url}/moco/api/v1",
        credentials={"api_key": peer.key},
        rate_limit=FAST_REMOTE,
    )["id"]
    keys = moco_hooks(peer, f"{hooks.url}/integrations/hooks/{con}")
    patched = ours_tenant.patch(
        f"/connections/{con}", json={"credentials": {"webhook_secret": " ".join(keys)}}
    )
    assert patched.status_code == 200, patched.text
    with deliveries():
        contact = peer.post("/contacts", json={"first_name": "Ada"}).json()["data"]
        path = f"/contacts/{contact['id']}"
        wait_for(lambda: len(changes(ours_tenant, con)) == 1, "the creation")
        [created] = changes(ours_tenant, con)
        assert (created["action"], created["source"]) == ("created", "webhook")
        number = created["remote_id"]

        # Duplicated: the proxy delivers the update twice; the stream holds it once.
        hooks.inject(duplicate(2, matches=HOOKS))
        next_second()
        peer.patch(path, json={"last_name": "One"})
        wait_for(delivered(hooks, 3), "the duplicated update")
        assert [c["payload"]["lastname"] for c in changes(ours_tenant, con)[1:]] == ["One"]

        # Lost: the proxy answers 200 and forwards nothing; the poll finds it, once.
        hooks.inject(status(200, matches=HOOKS))
        next_second()
        peer.patch(path, json={"last_name": "Two"})
        wait_for(delivered(hooks, 4), "the lost update")
        assert len(changes(ours_tenant, con)) == 2
        assert poll(ours_tenant, con, workers) == {"seen": 1, "stored": 1}
        found = changes(ours_tenant, con)
        assert len(found) == 3
        assert (found[2]["source"], found[2]["payload"]["lastname"]) == ("poll", "Two")
        assert poll(ours_tenant, con, workers)["stored"] == 0  # the overlap reads it again

        # Out of order: two updates held back, then delivered newest first.
        hooks.inject(capture(matches=HOOKS), capture(matches=HOOKS))
        next_second()
        peer.patch(path, json={"last_name": "Three"})
        next_second()
        peer.patch(path, json={"last_name": "Four"})
        wait_for(lambda: len(hooks.captured) == 2, "both updates captured")
        third, fourth = hooks.captured
        assert hooks.replay(fourth).json()["data"]["stored"] == 1
        assert hooks.replay(third).json()["data"]["stored"] == 1
        assert hooks.replay(third).json()["data"]["stored"] == 0  # and again: nothing

    found = changes(ours_tenant, con)
    assert [c["payload"]["lastname"] for c in found[3:]] == ["Four", "Three"]
    assert [c["stale"] for c in found[3:]] == [False, True]
    newest = changes(ours_tenant, con, sort="remote_updated_at", order="desc", remote_id=number)
    assert newest[0]["payload"]["lastname"] == "Four"
    assert [c["sequence"] for c in found] == [1, 2, 3, 4, 5]
    assert poll(ours_tenant, con, workers)["stored"] == 0  # the poll agrees: nothing new


def highlevel_connection(ours: Tenant, peer: Tenant, api: Proxy, remote: LiveServer) -> str:
    key = httpx.get(f"{remote.url}/highlevel/webhooks/public-key", timeout=10)
    assert key.status_code == 200 and "PUBLIC KEY" in key.text
    made = connect(
        ours,
        kind="highlevel",
        base_url=f"{api.url}/highlevel",
        location_id=peer.account_id,
        credentials={"api_key": peer.key, "webhook_secret": key.text},
        rate_limit=FAST_REMOTE,
    )
    return str(made["id"])


def set_updated_at(peer: Tenant, contact_id: str, moment: datetime) -> None:
    async def work(session: Any) -> None:
        await session.execute(
            update(Contact).where(Contact.id == contact_id).values(updated_at=moment)
        )

    peer.run(work)


def test_highlevel_webhooks_and_search_polls_lose_nothing_and_store_nothing_twice(
    make_tenant: Callable[[], Tenant],
    api: Proxy,
    hooks: Proxy,
    remote: LiveServer,
    deliveries: Any,
    workers: Any,
) -> None:
    ours_tenant, peer = make_tenant(), make_tenant()
    con = highlevel_connection(ours_tenant, peer, api, remote)
    endpoint = peer.post(
        "/webhooks",
        json={
            "url": f"{hooks.url}/integrations/hooks/{con}",
            "events": ["contact.*"],
            "format": "highlevel",
        },
    )
    assert endpoint.status_code == 201, endpoint.text
    with deliveries():
        ada = peer.post("/contacts", json={"first_name": "Ada"}).json()["data"]
        wait_for(lambda: len(changes(ours_tenant, con)) == 1, "the creation")
        [created] = changes(ours_tenant, con)
        assert (created["remote_id"], created["action"], created["event"]) == (
            ada["id"],
            "created",
            "ContactCreate",
        )
        hooks.inject(duplicate(3, matches=HOOKS))
        peer.patch(f"/contacts/{ada['id']}", json={"last_name": "Lovelace"})
        wait_for(delivered(hooks, 4), "the update delivered three times")
        assert [c["payload"].get("lastName") for c in changes(ours_tenant, con)] == [
            None,
            "Lovelace",
        ]
        # Two contacts whose webhooks are lost.
        hooks.inject(status(200, matches=HOOKS), status(200, matches=HOOKS))
        grace = peer.post("/contacts", json={"first_name": "Grace"}).json()["data"]
        alan = peer.post("/contacts", json={"first_name": "Alan"}).json()["data"]
        wait_for(delivered(hooks, 6), "the lost creations")
    assert len(changes(ours_tenant, con)) == 2

    # Both changed in the same millisecond; the first poll sees only Grace's change yet.
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    set_updated_at(peer, alan["id"], moment - timedelta(hours=1))
    set_updated_at(peer, grace["id"], moment)
    assert poll(ours_tenant, con, workers) == {"seen": 3, "stored": 2}  # Ada is known
    set_updated_at(peer, alan["id"], moment)  # a change committed late, at Grace's time
    assert poll(ours_tenant, con, workers)["stored"] == 1
    same = [c for c in changes(ours_tenant, con) if c["remote_id"] in (grace["id"], alan["id"])]
    at = moment.strftime("%Y-%m-%dT%H:%M:%S")
    assert [(c["remote_id"], c["remote_updated_at"][:19]) for c in same[-2:]] == [
        (grace["id"], at),
        (alan["id"], at),
    ]
    assert poll(ours_tenant, con, workers)["stored"] == 0
    assert api.count("POST", "/highlevel/contacts/search") >= 3


def test_a_bad_signature_through_the_proxy_is_401_and_stores_nothing(
    make_tenant: Callable[[], Tenant], api: Proxy, hooks: Proxy, remote: LiveServer
) -> None:
    ours_tenant, peer = make_tenant(), make_tenant()
    con = highlevel_connection(ours_tenant, peer, api, remote)
    body = b'{"type":"ContactCreate","locationId":"' + peer.account_id.encode() + b'","id":"x"}'
    answer = httpx.post(
        f"{hooks.url}/integrations/hooks/{con}",
        content=body,
        headers={"Content-Type": "application/json", "x-wh-signature": "bm90IGEgc2lnbmF0dXJl"},
        timeout=10,
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHORIZED"
    assert changes(ours_tenant, con) == []
    stranger = make_tenant()
    assert stranger.get(f"/connections/{con}/changes").status_code == 404


def test_another_rolodex_is_polled_with_its_tombstones_and_its_events_come_in_signed(
    make_tenant: Callable[[], Tenant], api: Proxy, hooks: Proxy, deliveries: Any, workers: Any
) -> None:
    ours_tenant, peer = make_tenant(), make_tenant()
    con = connect(
        ours_tenant,
        base_url=f"{api.url}/api/v1",
        credentials={"api_key": peer.key},
        rate_limit=FAST_REMOTE,
    )["id"]
    kept = [peer.post("/contacts", json={"first_name": f"P{n}"}).json()["data"] for n in range(3)]
    company = peer.post("/companies", json={"name": "Acme"}).json()["data"]
    assert peer.delete(f"/contacts/{kept[0]['id']}").status_code == 200
    assert poll(ours_tenant, con, workers) == {"seen": 4, "stored": 4}
    found = {(c["remote_type"], c["remote_id"]): c["action"] for c in changes(ours_tenant, con)}
    assert found == {
        ("contact", kept[0]["id"]): "deleted",
        ("contact", kept[1]["id"]): "created",
        ("contact", kept[2]["id"]): "created",
        ("company", company["id"]): "created",
    }
    assert poll(ours_tenant, con, workers)["stored"] == 0

    endpoint = peer.post(
        "/webhooks",
        json={"url": f"{hooks.url}/integrations/hooks/{con}", "events": ["contact.*"]},
    )
    assert endpoint.status_code == 201, endpoint.text
    secret = endpoint.json()["data"]["secret"]
    patched = ours_tenant.patch(
        f"/connections/{con}", json={"credentials": {"webhook_secret": secret}}
    )
    assert patched.status_code == 200, patched.text
    with deliveries():
        peer.patch(f"/contacts/{kept[1]['id']}", json={"last_name": "Webhook"})
        wait_for(lambda: len(changes(ours_tenant, con)) == 5, "the update's event")
    last = changes(ours_tenant, con)[-1]
    assert (last["source"], last["event"], last["payload"]["last_name"]) == (
        "webhook",
        "contact.updated",
        "Webhook",
    )
    assert poll(ours_tenant, con, workers)["stored"] == 0  # the poll sees the same change
