"""The load of the soak (``benchmarks/soak.py`` runs it; not meant to be run by hand).

Each simulated user works in one of the soak's accounts (in turn) with that account's key
and sends a mix of reads and writes: list contacts (page 1 and a deep page), get one,
create one, patch one with tags, add a task or a note, list events, a small upsert batch,
delete one it created. The live data stays the same size: each user deletes contacts as
often as it creates them, and its upsert batches reuse a small pool of emails, so after
the first batches they update what they made. What it needs comes from the environment:

- ``SOAK_ACCOUNTS``: a JSON file, a list of ``{"api_key": …, "contact_ids": [...]}``;
- ``SOAK_RATE_PER_USER``: requests per second of each user (``constant_throughput``), or
  ``0`` for a closed loop (no wait: the capacity step);
- ``SOAK_STATUS_OUT``: where the counts of status codes and the response times per
  10-second bucket are written when the run stops.

Requests go only to 127.0.0.1: any other host stops the run before it starts.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.env import Environment

BUCKET_SECONDS = 10
TAG_POOL = [f"soak-tag-{i}" for i in range(20)]
DEEP_PAGE = 40  # of 25: skips 975 rows (the seeded accounts have more)
BATCH_EMAILS = 10
ACCOUNTS: list[dict[str, Any]] = json.loads(Path(os.environ["SOAK_ACCOUNTS"]).read_text())
RATE = float(os.environ.get("SOAK_RATE_PER_USER", "0"))
STATUS_OUT = Path(os.environ["SOAK_STATUS_OUT"])
_user_numbers = itertools.count()
_email_numbers = itertools.count()


class Record:
    """Status codes, 5xx samples and response times per bucket, for soak.py's report."""

    def __init__(self) -> None:
        self.started = time.time()
        self.statuses: Counter[str] = Counter()
        self.buckets: dict[int, list[float]] = defaultdict(list)
        self.server_errors: dict[int, int] = defaultdict(int)
        self.samples: list[dict[str, Any]] = []

    def add(self, name: str, status: int, elapsed_ms: float, body: str) -> None:
        bucket = int((time.time() - self.started) // BUCKET_SECONDS)
        self.statuses[str(status)] += 1
        self.buckets[bucket].append(elapsed_ms)
        if status >= 500 or status == 0:
            self.server_errors[bucket] += 1
            if len(self.samples) < 20:
                self.samples.append({"name": name, "status": status, "body": body[:300]})

    def write(self) -> None:
        STATUS_OUT.write_text(
            json.dumps(
                {
                    "started": self.started,
                    "bucket_seconds": BUCKET_SECONDS,
                    "statuses": dict(self.statuses),
                    "buckets": {str(k): v for k, v in sorted(self.buckets.items())},
                    "server_errors": {str(k): v for k, v in sorted(self.server_errors.items())},
                    "samples": self.samples,
                }
            )
        )


RECORD = Record()


@events.test_start.add_listener
def _only_loopback(environment: Environment, **_: Any) -> None:
    if urlsplit(environment.host or "").hostname != "127.0.0.1":
        raise SystemExit(f"the soak sends requests to 127.0.0.1 only, not {environment.host!r}")
    RECORD.started = time.time()


@events.request.add_listener
def _record(
    name: str, response_time: float, response: Any = None, exception: Any = None, **_: Any
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    body = ""
    if status >= 500 or status == 0:
        body = str(exception) if exception else (getattr(response, "text", "") or "")
    RECORD.add(name, status, response_time, body)


@events.quitting.add_listener
def _write(environment: Environment, **_: Any) -> None:
    RECORD.write()


class AccountUser(FastHttpUser):
    """One user of one account, sending the soak's mix at its own rate."""

    wait_time = constant_throughput(RATE) if RATE > 0 else constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        number = next(_user_numbers)
        account = ACCOUNTS[number % len(ACCOUNTS)]
        self.headers = {"X-API-Key": account["api_key"], "Accept": "application/json"}
        self.known: list[str] = list(account["contact_ids"])
        self.mine: list[str] = []
        self.label = f"u{number}"
        # Emails the upsert batches draw from: a batch creates each once, then updates it.
        self.batch_emails = [self._email() for _ in range(BATCH_EMAILS)]

    def _send(self, method: str, path: str, name: str, body: Any = None) -> Any:
        with self.client.request(
            method, path, name=name, headers=self.headers, json=body, catch_response=True
        ) as response:
            if response.status_code >= 400 or response.status_code == 0:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return None
            response.success()
            try:
                return response.json()
            except ValueError:
                return None

    def _email(self) -> str:
        return f"{self.label}-{next(_email_numbers)}-{random.randrange(10**6)}@soak.example"

    def _some_contact(self) -> str:
        return random.choice(self.known)

    @task(4)
    def list_first_page(self) -> None:
        self._send("GET", "/api/v1/contacts?per_page=25", "GET /contacts page 1")

    @task(2)
    def list_deep_page(self) -> None:
        self._send("GET", f"/api/v1/contacts?per_page=25&page={DEEP_PAGE}", "GET /contacts deep")

    @task(4)
    def get_one(self) -> None:
        self._send("GET", f"/api/v1/contacts/{self._some_contact()}", "GET /contacts/{id}")

    @task(2)
    def create(self) -> None:
        body = {"first_name": "Soak", "last_name": self.label, "email": self._email()}
        created = self._send("POST", "/api/v1/contacts", "POST /contacts", body)
        if created:
            self.mine.append(created["data"]["id"])
            self.known.append(created["data"]["id"])

    @task(2)
    def patch_with_tags(self) -> None:
        body = {"job_title": f"t{random.randrange(1000)}", "tags": random.sample(TAG_POOL, 3)}
        self._send(
            "PATCH", f"/api/v1/contacts/{self._some_contact()}", "PATCH /contacts/{id}", body
        )

    @task(1)
    def add_task(self) -> None:
        body = {"title": "Call back", "body": "from the soak"}
        path = f"/api/v1/contacts/{self._some_contact()}/tasks"
        self._send("POST", path, "POST /contacts/{id}/tasks", body)

    @task(1)
    def add_note(self) -> None:
        path = f"/api/v1/contacts/{self._some_contact()}/notes"
        self._send("POST", path, "POST /contacts/{id}/notes", {"body": "Met at the soak"})

    @task(2)
    def list_events(self) -> None:
        self._send("GET", "/api/v1/events?per_page=25", "GET /events")

    @task(1)
    def small_batch(self) -> None:
        items = [
            {"email": email, "first_name": "Batch", "tags": random.sample(TAG_POOL, 2)}
            for email in random.sample(self.batch_emails, 5)
        ]
        body = {"mode": "upsert", "match_on": "email", "items": items}
        self._send("POST", "/api/v1/contacts/batch", "POST /contacts/batch (5)", body)

    @task(2)  # as often as create: the live contacts stay as many
    def delete_own(self) -> None:
        if len(self.mine) < 2:
            return
        victim = self.mine.pop(0)
        self.known.remove(victim)
        self._send("DELETE", f"/api/v1/contacts/{victim}", "DELETE /contacts/{id}")
