"""HighLevel-format webhooks end to end: a real `rolodex serve` and `rolodex worker` send a
loopback receiver HighLevel's bodies for a run of changes, each signed in
`x-wh-signature`; the receiver verifies every one with the public key fetched from
`/highlevel/webhooks/public-key` (RSA-SHA256, PKCS #1 v1.5, as HighLevel's docs say)
and checks it against the schema of HighLevel's document for its type."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rolodex.dialects.highlevel.delivery import EVENT_TYPES
from tests.conftest import LiveServer, start_server
from tests.dialects.highlevel.webhook_events import TYPES, problems
from tests.live.test_webhooks_live import ENV, worker_process
from tests.webhooks.receiver import Received, Receiver, receiver

pytestmark = pytest.mark.live

# The suite's database is shared, and the deployment's key pair is made once per
# database, encrypted with the deployment's key: this server has the in-process app's.
SAME_KEY_AS_THE_SUITE = {"ROLODEX_SECRET_KEY": "test-secret-key"}


class Account:
    """A fresh account on the live server, called through the native API."""

    def __init__(self, server: LiveServer) -> None:
        email = f"hl-hooks-{secrets.token_hex(5)}@example.com"
        done = server.cli("init", "--email", email, "--password", "long-enough-pw", "--json")
        assert done.returncode == 0, done.stderr
        made = json.loads(done.stdout)
        self.id: str = made["account_id"]
        self.user_id: str = made["user_id"]
        self.http = httpx.Client(
            base_url=f"{server.url}/api/v1", headers={"X-API-Key": made["api_key"]}, timeout=30
        )

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.text)
        return response.json()["data"] if response.content else {}

    def feed(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"order": "asc", "per_page": 250}
        while True:
            body = self.http.get("/events", params=params).json()
            events += body["data"]
            if body["meta"]["next_cursor"] is None:
                return events
            params = {"after": body["meta"]["next_cursor"], "per_page": 250}


def changes(account: Account) -> dict[str, str]:
    """One of each change a HighLevel webhook reports, and some it does not; the ids."""
    company = account.call("POST", "/companies", json={"name": "Acme GmbH"})
    contact = account.call(
        "POST",
        "/contacts",
        json={
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "Jane.Doe@example.com",
            "phone": "+49 30 1234567",
            "website": "https://jane.example.com",
            "address": {
                "line1": "Unter den Linden 1",
                "city": "Berlin",
                "state": "BE",
                "postal_code": "10117",
                "country": "DE",
            },
            "birthday": "1990-09-25",
            "company_id": company["id"],
            "owner_id": account.user_id,
            "source": "web form",
            "do_not_contact": True,
            "tags": ["lead"],
            "custom_fields": {"budget": 1200, "segment": "smb"},
        },
    )
    cid = contact["id"]
    account.call("PATCH", f"/contacts/{cid}", json={"job_title": "CTO"})
    account.call("POST", f"/contacts/{cid}/tags", json={"tags": ["vip"]})
    account.call("DELETE", f"/contacts/{cid}/tags", json={"tags": ["lead"]})
    task_body = {
        "title": "Send the proposal",
        "body": "With the discount",
        "due_at": "2026-12-01T09:00:00Z",
        "assignee_id": account.user_id,
    }
    task = account.call("POST", f"/contacts/{cid}/tasks", json=task_body)
    account.call("PATCH", f"/contacts/{cid}/tasks/{task['id']}", json={"title": "Send it"})
    account.call("PUT", f"/contacts/{cid}/tasks/{task['id']}/completed", json={"completed": True})
    account.call("DELETE", f"/contacts/{cid}/tasks/{task['id']}")
    note = account.call("POST", f"/contacts/{cid}/notes", json={"body": "Called, interested"})
    account.call("PATCH", f"/contacts/{cid}/notes/{note['id']}", json={"body": "Called twice"})
    account.call("DELETE", f"/contacts/{cid}/notes/{note['id']}")
    account.call("POST", f"/contacts/{cid}/appointments", json={"title": "Demo"})
    account.call("DELETE", f"/contacts/{cid}")
    return {"contact": cid, "task": task["id"], "note": note["id"], "company": company["id"]}


def verified(public_key: rsa.RSAPublicKey, request: Received) -> dict[str, Any]:
    """The body, once its ``x-wh-signature`` verifies; raises if it does not."""
    signature = base64.b64decode(request.headers["x-wh-signature"])
    public_key.verify(signature, request.body, padding.PKCS1v15(), hashes.SHA256())
    body: dict[str, Any] = json.loads(request.body)
    return body


def wait_for(hook: Receiver, ids: set[str], timeout: float = 90) -> None:
    hook.wait_for(
        lambda got: ids <= {json.loads(r.body)["webhookId"] for r in got}, timeout=timeout
    )


def test_highlevel_webhooks_arrive_signed_in_highlevels_form(
    database_url: str, tmp_path: Path
) -> None:
    """On SQLite `rolodex serve` delivers by itself; on PostgreSQL a `rolodex worker` runs."""
    sqlite = not database_url.startswith("postgresql")
    env = {
        **ENV,
        **SAME_KEY_AS_THE_SUITE,
        "ROLODEX_WORKER_IN_PROCESS": "true" if sqlite else "false",
    }
    with (
        receiver() as hook,
        start_server(database_url, tmp_path, env=env) as server,
        nullcontext() if sqlite else worker_process(server, tmp_path / "worker.log"),
    ):
        account = Account(server)
        endpoint = account.call(
            "POST",
            "/webhooks",
            json={"url": hook.url, "events": ["*"], "format": "highlevel"},
        )
        assert endpoint["format"] == "highlevel"
        key = httpx.get(f"{server.url}/highlevel/webhooks/public-key", timeout=30)
        assert key.status_code == 200
        assert key.headers["content-type"] == "application/x-pem-file"
        assert key.text.startswith("-----BEGIN PUBLIC KEY-----")
        public_key = serialization.load_pem_public_key(key.content)
        assert isinstance(public_key, rsa.RSAPublicKey)

        ids = changes(account)
        events = account.feed()
        expected = {e["id"]: e for e in events if e["type"] in EVENT_TYPES}
        wait_for(hook, set(expected))
        time.sleep(0.5)  # anything else queued would have come by now

    bodies = [verified(public_key, request) for request in hook.received]
    received = {body["webhookId"]: body for body in bodies}
    assert set(received) == set(expected), "exactly the events HighLevel has a webhook for"
    assert Counter(body["type"] for body in received.values()) == {
        "ContactCreate": 1,
        "ContactUpdate": 1,
        "ContactTagUpdate": 2,
        "ContactDelete": 1,
        "TaskCreate": 1,
        "TaskComplete": 1,
        "TaskDelete": 1,
        "NoteCreate": 1,
        "NoteUpdate": 1,
        "NoteDelete": 1,
    }
    assert {body["type"] for body in bodies} == set(TYPES)
    for webhook_id, body in received.items():
        event = expected[webhook_id]
        assert body["type"] == EVENT_TYPES[event["type"]]
        assert problems(body) == [], (body["type"], problems(body))
        assert body["locationId"] == account.id
        assert body["id"] == event["data"]["id"]
        assert time.strptime(body["timestamp"], "%Y-%m-%dT%H:%M:%SZ")

    by_type = {body["type"]: body for body in received.values()}
    created = by_type["ContactCreate"]
    assert created["id"] == ids["contact"]
    assert (created["firstName"], created["lastName"], created["name"]) == (
        "Jane",
        "Doe",
        "Jane Doe",
    )
    assert created["email"] == "Jane.Doe@example.com" and created["phone"] == "+49 30 1234567"
    assert created["companyName"] == "Acme GmbH" and created["businessId"] == ids["company"]
    assert (created["address1"], created["city"], created["postalCode"]) == (
        "Unter den Linden 1",
        "Berlin",
        "10117",
    )
    assert created["dateOfBirth"] == "1990-09-25T00:00:00.000Z" and created["dnd"] is True
    assert created["assignedTo"] == account.user_id and created["tags"] == ["lead"]
    assert created["customFields"] == [
        {"id": "budget", "value": 1200},
        {"id": "segment", "value": "smb"},
    ]
    tag_updates = [b for b in received.values() if b["type"] == "ContactTagUpdate"]
    assert sorted(sorted(b["tags"]) for b in tag_updates) == [["lead", "vip"], ["vip"]]
    task = by_type["TaskComplete"]
    assert (task["id"], task["contactId"], task["title"]) == (
        ids["task"],
        ids["contact"],
        "Send it",
    )
    assert task["dueDate"] == "2026-12-01T09:00:00.000Z" and task["assignedTo"] == account.user_id
    assert by_type["NoteUpdate"]["body"] == "Called twice"
    assert by_type["NoteDelete"]["id"] == ids["note"]

    # the check can fail: a body changed after signing does not verify
    forged = hook.received[0]
    tampered = Received(forged.at, forged.headers, forged.body.replace(b'"', b"'", 1), 200)
    with pytest.raises(InvalidSignature):
        verified(public_key, tampered)
    assert problems({"type": "TaskCreate", "dueDate": 5}) != []
