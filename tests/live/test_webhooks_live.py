"""Webhooks end to end against real `rolodex serve` and `rolodex worker` processes.

- A run of mixed changes reaches a loopback receiver in full, every request verified with
  the reference Standard Webhooks implementation (the `standardwebhooks` package),
  including the double signatures of a secret rotation.
- On PostgreSQL, two worker processes are killed with SIGKILL mid-delivery, again and
  again: every event still arrives, and a repeat carries the same `webhook-id`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, start_server
from tests.webhooks.receiver import Receiver, receiver, verify

pytestmark = pytest.mark.live

ENV = {
    "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true",
    "ROLODEX_WORKER_POLL_SECONDS": "0.05",
    "ROLODEX_WEBHOOKS_RETRY_SCHEDULE": "0.5,1,1,1,1,1,1,1,1,1",
    "ROLODEX_WEBHOOKS_RETRY_JITTER": "0.1",
    "ROLODEX_WORKER_LEASE_SECONDS": "3",
    "ROLODEX_WEBHOOKS_TIMEOUT_SECONDS": "2",
    "ROLODEX_WEBHOOKS_DISABLE_AFTER": "1000",
    "ROLODEX_API_KEY_TOUCH_SECONDS": "0",
}


class Api:
    """A client of one account on a live server."""

    def __init__(self, server: LiveServer) -> None:
        email = f"hooks-{secrets.token_hex(5)}@example.com"
        done = server.cli("init", "--email", email, "--password", "long-enough-pw", "--json")
        assert done.returncode == 0, done.stderr
        key = json.loads(done.stdout)["api_key"]
        self.http = httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"X-API-Key": key}, timeout=30
        )

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.text)
        body: dict[str, Any] = response.json()
        return body

    def feed(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"order": "asc", "per_page": 250}
        while True:
            body = self.call("GET", "/events", params=params)
            events += body["data"]
            if body["meta"]["next_cursor"] is None:
                return events
            params = {"after": body["meta"]["next_cursor"], "per_page": 250}


@contextmanager
def worker_process(server: LiveServer, log: Path) -> Iterator[subprocess.Popen[str]]:
    """A `rolodex worker` process on the server's database."""
    handle = log.open("a")
    process = subprocess.Popen(
        [sys.executable, "-m", "rolodex", "worker"],
        env=server.env,
        cwd=server.cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        handle.close()


def _mixed_changes(api: Api, endpoint_id: str, rotate_after: int) -> str:
    """Creates, updates, tags, completions, deletions and restores of every kind; rotates
    the endpoint's secret half-way. Returns the new secret."""
    new_secret = ""
    for i in range(6):
        contact = api.call("POST", "/contacts", json={"first_name": f"Mixed {i}"})["data"]
        cid = contact["id"]
        api.call("PATCH", f"/contacts/{cid}", json={"email": f"mixed{i}@example.com"})
        api.call("POST", f"/contacts/{cid}/tags", json={"tags": ["lead", f"batch{i}"]})
        api.call("DELETE", f"/contacts/{cid}/tags", json={"tags": ["lead"]})
        task = api.call("POST", f"/contacts/{cid}/tasks", json={"title": "Call"})["data"]
        api.call("PUT", f"/contacts/{cid}/tasks/{task['id']}/completed", json={"completed": True})
        api.call("POST", f"/contacts/{cid}/notes", json={"body": "Spoke briefly"})
        api.call("POST", f"/contacts/{cid}/appointments", json={"title": "Demo"})
        company = api.call("POST", "/companies", json={"name": f"Co {i}"})["data"]
        api.call("PATCH", f"/companies/{company['id']}", json={"type": "customer"})
        if i % 2:
            api.call("DELETE", f"/contacts/{cid}")
            api.call("POST", f"/contacts/{cid}/restore")
        if i == rotate_after:
            rotated = api.call("POST", f"/webhooks/{endpoint_id}/rotate-secret")
            new_secret = rotated["data"]["secret"]
    return new_secret


def _wait_for_all(hook: Receiver, api: Api, timeout: float = 90) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = api.feed()
        if {e["id"] for e in events} <= set(hook.ids()):
            return events
        if time.monotonic() > deadline:
            missing = {e["id"] for e in events} - set(hook.ids())
            raise AssertionError(f"{len(missing)} of {len(events)} events never arrived")
        time.sleep(0.2)


def test_every_event_of_mixed_changes_arrives_signed(database_url: str, tmp_path: Path) -> None:
    """On SQLite `rolodex serve` delivers by itself; on PostgreSQL a `rolodex worker` runs."""
    sqlite = not database_url.startswith("postgresql")
    env = {**ENV, "ROLODEX_WORKER_IN_PROCESS": "true" if sqlite else "false"}
    with receiver() as hook, start_server(database_url, tmp_path, env=env) as server:
        api = Api(server)
        with (
            worker_process(server, tmp_path / "worker.log")
            if database_url.startswith("postgresql")
            else _nothing()
        ):
            endpoint = api.call("POST", "/webhooks", json={"url": hook.url, "events": ["*"]})[
                "data"
            ]
            new_secret = _mixed_changes(api, endpoint["id"], rotate_after=2)
            events = _wait_for_all(hook, api)

        # six rounds of _mixed_changes; the odd rounds delete and restore their contact,
        # and with it its task, note and appointment
        assert Counter(e["type"] for e in events) == {
            "contact.created": 6,
            "contact.updated": 6,
            "contact.tags_added": 6,
            "contact.tags_removed": 6,
            "contact.deleted": 3,
            "contact.restored": 3,
            "task.created": 6,
            "task.updated": 6,  # completing a task is an update and a completion
            "task.completed": 6,
            "task.deleted": 3,
            "task.restored": 3,
            "note.created": 6,
            "note.deleted": 3,
            "note.restored": 3,
            "appointment.created": 6,
            "appointment.deleted": 3,
            "appointment.restored": 3,
            "company.created": 6,
            "company.updated": 6,
        }
        by_id = {e["id"]: e for e in events}
        double_signed = 0
        for request in hook.received:
            payload = verify(endpoint["secret"], request)  # the old secret: still in grace
            assert payload["id"] == request.headers["webhook-id"]
            event = by_id[payload["id"]]
            assert payload == {
                "id": event["id"],
                "type": event["type"],
                "timestamp": event["created_at"],
                "data": event["data"],
            }
            if len(request.headers["webhook-signature"].split(" ")) == 2:
                verify(new_secret, request)
                double_signed += 1
        assert double_signed > 0, "no delivery was signed during the rotation"


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_workers_killed_mid_delivery_lose_nothing(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: several worker processes share the deliveries table")
    env = {**ENV, "ROLODEX_WORKER_BATCH": "4", "ROLODEX_WORKER_LEASE_SECONDS": "2"}
    with receiver() as hook, start_server(database_url, tmp_path, env=env) as server:
        hook.delay = 0.25  # each delivery is in flight for a while
        api = Api(server)
        endpoint = api.call("POST", "/webhooks", json={"url": hook.url, "events": ["contact.*"]})
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda i: api.call("POST", "/contacts", json={"first_name": f"K{i}"}),
                    range(60),
                )
            )
        log = tmp_path / "workers.log"
        workers = [worker_process(server, log) for _ in range(2)]
        processes = [w.__enter__() for w in workers]
        kills = 0
        try:
            for round_ in range(6):
                deadline = time.monotonic() + 20
                while hook.in_flight == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert hook.in_flight > 0, "no delivery in flight to interrupt"
                victim = round_ % 2
                os.kill(processes[victim].pid, signal.SIGKILL)
                processes[victim].wait()
                kills += 1
                workers[victim].__exit__(None, None, None)
                workers[victim] = worker_process(server, log)
                processes[victim] = workers[victim].__enter__()
                time.sleep(0.3)
            events = _wait_for_all(hook, api)
        finally:
            for w in workers:
                w.__exit__(None, None, None)

        assert kills == 6 and len(events) == 60
        counts = Counter(hook.ids())
        assert set(counts) == {e["id"] for e in events}, "every event arrived, no stranger"
        bodies: dict[str, bytes] = {}
        for request in hook.received:
            verify(endpoint["data"]["secret"], request)
            first = bodies.setdefault(request.headers["webhook-id"], request.body)
            assert request.body == first, "a repeat must be the same message"
        duplicates = sum(n - 1 for n in counts.values())
        print(f"{len(events)} events, {len(hook.received)} requests, {duplicates} repeats")
        path = f"/webhooks/{endpoint['data']['id']}/deliveries"
        deadline = time.monotonic() + 15  # the last outcomes are recorded just after sending
        while True:
            listed = api.call("GET", path, params={"per_page": 250})["data"]
            statuses = Counter(d["status"] for d in listed)
            if statuses == {"succeeded": 60} or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert statuses == {"succeeded": 60}
