"""Delivery by a real worker to a real receiver on loopback: signatures, retries with
their schedule, 410, disabling after repeated failures, dead jobs and replay."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.webhooks.models import WebhookDelivery
from rolodex.webhooks.worker import DeliveryWorker
from tests.conftest import Tenant
from tests.webhooks.conftest import FAST, create_endpoint, deliveries
from tests.webhooks.receiver import Received, receiver, verify


def _wait(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _events(tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    body = tenant.get("/events", params={"order": "asc", "per_page": 250, **params}).json()
    data: list[dict[str, Any]] = body["data"]
    return data


def test_deliveries_are_signed_per_standard_webhooks(tenant: Tenant, run_worker: Any) -> None:
    with receiver() as hook, run_worker():
        endpoint = create_endpoint(tenant, hook.url, ["contact.*"])
        contact = tenant.post("/contacts", json={"first_name": "Sig"}).json()["data"]
        hook.wait_for(lambda got: len(got) == 1)
        [request] = hook.received
        payload = verify(endpoint["secret"], request)
        event = _events(tenant)[0]
        assert request.headers["webhook-id"] == event["id"]
        assert payload == {
            "id": event["id"],
            "type": "contact.created",
            "timestamp": event["created_at"],
            "data": event["data"],
        }
        assert payload["data"]["id"] == contact["id"]
        assert request.headers["content-type"] == "application/json"
        _wait(lambda: deliveries(tenant, endpoint["id"])[0]["status"] == "succeeded")
        done = deliveries(tenant, endpoint["id"])[0]
        assert done["attempts"] == 1 and done["last_status_code"] == 200
        assert [a["status_code"] for a in done["attempt_log"]] == [200]


def test_rotation_signs_with_both_secrets_during_the_grace_period(
    tenant: Tenant, run_worker: Any
) -> None:
    with receiver() as hook, run_worker():
        endpoint = create_endpoint(tenant, hook.url, ["*"])
        path = f"/webhooks/{endpoint['id']}"
        new = tenant.post(f"{path}/rotate-secret").json()["data"]["secret"]
        tenant.post(f"{path}/ping")
        hook.wait_for(lambda got: len(got) == 1)
        request = hook.received[0]
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        verify(endpoint["secret"], request)
        verify(new, request)
        newest = tenant.post(f"{path}/rotate-secret", json={"grace_seconds": 0}).json()["data"]
        tenant.post(f"{path}/ping")
        hook.wait_for(lambda got: len(got) == 2)
        last = hook.received[1]
        assert len(last.headers["webhook-signature"].split(" ")) == 1
        verify(newest["secret"], last)


def test_a_failing_receiver_sees_the_retry_schedule_then_the_job_is_dead_and_replayable(
    tenant: Tenant, run_worker: Any
) -> None:
    failing = True
    # Each retry is held at the receiver until the test has read the delivery as it stood
    # when the retry was sent: its schedule is then checked from what the server stored
    # (the last attempt's time and next_attempt_at), not from how fast this machine is.
    arrived = [threading.Event() for _ in range(4)]
    proceed = [threading.Event() for _ in range(4)]
    sent_at: list[datetime] = []

    def respond(_request: Received) -> int:
        number = len(sent_at)
        sent_at.append(datetime.now(UTC))
        if 0 < number < 4:
            arrived[number].set()
            proceed[number].wait(4)  # within the worker's 5 s timeout
        return 500 if failing else 204

    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    with receiver() as hook, run_worker(webhooks_disable_after=100):
        hook.respond = respond
        endpoint = create_endpoint(tenant, hook.url, ["contact.created"])
        tenant.post("/contacts", json={"first_name": "Retry"})
        for number, wait in zip((1, 2, 3), (0.2, 0.4, 0.8), strict=True):
            assert arrived[number].wait(30), f"retry {number} never came"
            [delivery] = deliveries(tenant, endpoint["id"])
            proceed[number].set()
            # Claimed for the retry in flight; the attempts before it are in the log.
            assert delivery["status"] == "pending" and delivery["attempts"] == number + 1
            assert len(delivery["attempt_log"]) == number
            last = parse(delivery["attempt_log"][0]["attempted_at"])  # newest first
            due = parse(delivery["next_attempt_at"])
            assert due - last == timedelta(seconds=wait), (number, due - last)
            assert sent_at[number] >= due, "a retry was sent before it was due"
        hook.wait_for(lambda got: len(got) == 4)  # the first try and 3 retries
        _wait(lambda: deliveries(tenant, endpoint["id"])[0]["status"] == "dead")
        assert len({r.headers["webhook-id"] for r in hook.received}) == 1
        time.sleep(1.0)
        assert len(hook.received) == 4, "a dead job must not be retried"

        dead = deliveries(tenant, endpoint["id"], status="dead")
        assert len(dead) == 1 and dead[0]["attempts"] == 4
        assert [a["status_code"] for a in dead[0]["attempt_log"]] == [500] * 4
        assert dead[0]["last_error"] == "the endpoint answered 500"

        failing = False
        path = f"/webhooks/{endpoint['id']}/deliveries/{dead[0]['id']}/replay"
        replayed = tenant.post(path)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json()["data"]["status"] == "pending"
        hook.wait_for(lambda got: len(got) == 5)
        assert hook.received[4].headers["webhook-id"] == hook.received[0].headers["webhook-id"]
        _wait(lambda: deliveries(tenant, endpoint["id"])[0]["status"] == "succeeded")
        assert len(deliveries(tenant, endpoint["id"])[0]["attempt_log"]) == 5


def test_replay_of_all_failures_since_a_time(tenant: Tenant, run_worker: Any) -> None:
    failing = True
    with receiver() as hook, run_worker(webhooks_retry_schedule="0.1", webhooks_disable_after=100):
        hook.respond = lambda _r: 500 if failing else 200
        endpoint = create_endpoint(tenant, hook.url, ["contact.created"])
        for name in ("a", "b", "c"):
            tenant.post("/contacts", json={"first_name": name})
        _wait(lambda: len(deliveries(tenant, endpoint["id"], status="dead")) == 3)
        failing = False
        path = f"/webhooks/{endpoint['id']}/replay"
        later = tenant.post(path, json={"since": "2999-01-01T00:00:00Z"})
        assert later.json() == {"data": {"replayed": 0}}
        response = tenant.post(path, json={"since": "2000-01-01T00:00:00Z"})
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"replayed": 3}}
        _wait(lambda: len(deliveries(tenant, endpoint["id"], status="succeeded")) == 3)
        assert tenant.post(path, json={"since": "yesterday"}).status_code == 400


def test_a_410_disables_the_endpoint_and_says_so_with_an_event(
    tenant: Tenant, run_worker: Any
) -> None:
    with receiver() as gone, receiver() as watcher, run_worker():
        gone.respond = lambda _r: 410
        endpoint = create_endpoint(tenant, gone.url, ["contact.created"])
        watching = create_endpoint(tenant, watcher.url, ["webhook_endpoint.*"])
        tenant.post("/contacts", json={"first_name": "Gone"})
        watcher.wait_for(lambda got: len(got) == 1)
        notice = verify(watching["secret"], watcher.received[0])
        assert notice["type"] == "webhook_endpoint.disabled"
        assert notice["data"]["id"] == endpoint["id"] and notice["data"]["enabled"] is False
        shown = tenant.get(f"/webhooks/{endpoint['id']}").json()["data"]
        assert shown["enabled"] is False
        assert shown["disabled_reason"] == "The endpoint answered 410 Gone"
        assert len(gone.received) == 1
        assert deliveries(tenant, endpoint["id"])[0]["status"] == "dead"
        [event] = _events(tenant, type="webhook_endpoint.disabled")
        assert event["origin"]["kind"] == "system" and event["origin"]["request_id"] is None
        tenant.post("/contacts", json={"first_name": "After"})
        time.sleep(0.5)
        assert len(gone.received) == 1, "a disabled endpoint receives nothing"
        enabled = tenant.patch(f"/webhooks/{endpoint['id']}", json={"enabled": True})
        assert enabled.json()["data"]["disabled_reason"] is None


def test_repeated_failures_disable_the_endpoint(tenant: Tenant, run_worker: Any) -> None:
    with receiver() as hook, run_worker(webhooks_disable_after=3, webhooks_retry_schedule="0.1"):
        hook.respond = lambda _r: 503
        endpoint = create_endpoint(tenant, hook.url, ["contact.created"])
        path = f"/webhooks/{endpoint['id']}"
        # One delivery fails both its attempts: two failures in a row, still enabled.
        tenant.post("/contacts", json={"first_name": "x"})
        _wait(lambda: len(deliveries(tenant, endpoint["id"], status="dead")) == 1)
        assert len(hook.received) == 2
        assert tenant.get(path).json()["data"]["enabled"] is True
        # The next delivery's first failure is the third in a row.
        tenant.post("/contacts", json={"first_name": "y"})
        _wait(lambda: not tenant.get(path).json()["data"]["enabled"])
        shown = tenant.get(path).json()["data"]
        assert shown["disabled_reason"] == "3 consecutive failed attempts"
        assert len(_events(tenant, type="webhook_endpoint.disabled")) == 1
        assert len(hook.received) == 3
        time.sleep(0.5)
        assert len(hook.received) == 3, "a disabled endpoint receives nothing"


def test_private_destinations_are_refused_at_delivery_time(tenant: Tenant, run_worker: Any) -> None:
    with receiver() as hook, run_worker(webhooks_allow_private=False):
        endpoint = create_endpoint(tenant, hook.url, ["contact.created"])
        tenant.post("/contacts", json={"first_name": "Ssrf"})
        _wait(lambda: deliveries(tenant, endpoint["id"])[0]["attempts"] >= 1)
        _wait(lambda: bool(deliveries(tenant, endpoint["id"])[0]["attempt_log"]))
        attempt = deliveries(tenant, endpoint["id"])[0]["attempt_log"][0]
        assert attempt["status_code"] is None
        assert "non-public address (127.0.0.1)" in attempt["error"]
        assert hook.received == []


def test_a_job_that_keeps_killing_its_worker_ends_dead(tenant: Tenant, settings: Any) -> None:
    """Claims that never report back (the worker died) count as attempts: after the last
    one of the schedule the job is set aside as dead instead of being retried forever."""
    fast = settings.model_copy(update={**FAST, "worker_lease_seconds": 0.2})
    endpoint = create_endpoint(tenant, "http://127.0.0.1:9/never", ["contact.created"])
    tenant.post("/contacts", json={"first_name": "Poison"})

    async def crash_loop() -> list[int]:
        engine = make_engine(fast)
        sessions = make_sessionmaker(engine)
        worker = DeliveryWorker(sessions, fast, fast.resolved_key_ring())
        claimed: list[int] = []
        try:
            for _ in range(8):
                async with unit_of_work(sessions) as session:  # make it due at once
                    await session.execute(
                        update(WebhookDelivery)
                        .where(WebhookDelivery.endpoint_id == endpoint["id"])
                        .values(next_attempt_at=WebhookDelivery.created_at)
                    )
                jobs = await worker.claim()  # …and the worker dies before it reports
                claimed.append(sum(1 for job in jobs if job.endpoint_id == endpoint["id"]))
                await asyncio.sleep(0.3)  # the lease runs out
            async with unit_of_work(sessions) as session:
                status = await session.scalar(
                    select(WebhookDelivery.status).where(
                        WebhookDelivery.endpoint_id == endpoint["id"]
                    )
                )
                assert status == "dead"
        finally:
            await engine.dispose()
        return claimed

    claimed = asyncio.run(crash_loop())
    assert claimed == [1, 1, 1, 1, 0, 0, 0, 0]  # 4 attempts: the first and 3 retries
    [dead] = deliveries(tenant, endpoint["id"], status="dead")
    assert dead["last_error"] == "the worker stopped during the last attempt"


def test_two_workers_never_claim_the_same_delivery(tenant: Tenant, settings: Any) -> None:
    fast = settings.model_copy(update=FAST)
    endpoint = create_endpoint(tenant, "http://127.0.0.1:9/never", ["contact.created"])
    for i in range(30):
        tenant.post("/contacts", json={"first_name": f"c{i}"})

    async def race() -> list[list[str]]:
        batch = fast.model_copy(update={"worker_batch": 7})
        engine = make_engine(batch)
        sessions = make_sessionmaker(engine)
        workers = [
            DeliveryWorker(sessions, batch, fast.resolved_key_ring(), name=f"w{i}")
            for i in range(4)
        ]
        try:
            results = await asyncio.gather(*(w.claim() for w in workers for _ in range(4)))
        finally:
            await engine.dispose()
        return [
            [j.delivery_id for j in jobs if j.endpoint_id == endpoint["id"]] for jobs in results
        ]

    claimed = [d for batch in asyncio.run(race()) for d in batch]
    assert len(claimed) == len(set(claimed)), "a delivery was claimed twice"
    assert len(claimed) == 30
    assert {d["id"] for d in deliveries(tenant, endpoint["id"])} == set(claimed)


def test_an_undecryptable_secret_fails_its_delivery_without_blocking_others(
    tenant: Tenant, run_worker: Any
) -> None:
    from rolodex.keyring import KeyRing
    from rolodex.webhooks.models import WebhookEndpoint
    from rolodex.webhooks.secrets import encrypt, new_secret

    elsewhere = KeyRing(("another deployment's key",))
    with receiver() as hook, run_worker(worker_batch=2):
        broken = create_endpoint(tenant, hook.url, ["contact.created"])
        good = create_endpoint(tenant, hook.url, ["contact.created"])

        async def re_encrypt(session: Any) -> None:
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == broken["id"])
                .values(secret_ciphertext=encrypt(new_secret(), elsewhere))
            )

        tenant.run(re_encrypt)
        tenant.post("/contacts", json={"first_name": "Keys"})
        hook.wait_for(lambda got: len(got) == 1)
        verify(good["secret"], hook.received[0])
        _wait(lambda: deliveries(tenant, broken["id"])[0]["last_error"] is not None)
        failed = deliveries(tenant, broken["id"])[0]
        assert failed["status"] == "pending" and "cannot be decrypted" in failed["last_error"]
