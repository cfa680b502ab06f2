"""Flows live: Rolodex events run flows as jobs against a second `rolodex serve` (its
native API through the rolodex connector, behind the tests' fault proxy), recorded step
by step; failures retried and announced; and the dry run of every template, which
changes nothing — not a row of the database, not a request at the peer."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from rolodex.db import Base
from rolodex.flows.templates import TEMPLATES
from tests.conftest import Tenant
from tests.integrations.conftest import connect
from tests.integrations.proxy import Proxy, fail_after, on

pytestmark = pytest.mark.live
MUTABLE = {"api_keys"}
"""Tables a request changes whatever it does: a key's ``last_used_at`` (the suite's
settings touch it on every request)."""


def created(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post("/flows", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


def finished_runs(tenant: Tenant, flow_id: str, count: int = 1, timeout: float = 90) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = tenant.get(f"/flows/{flow_id}/runs").json()["data"]
        done = [run for run in runs if run["status"] in ("succeeded", "failed", "skipped")]
        if len(done) >= count:
            return done
        if time.monotonic() > deadline:
            raise AssertionError(f"runs not finished in {timeout} s: {runs}")
        time.sleep(0.1)


def test_a_contact_flow_runs_live_and_records_its_steps(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy, workers: Any
) -> None:
    ours, peer, connection_id = pair
    flow = created(
        ours,
        {
            "name": "New contact → peer, with a note",
            "trigger": {"connection_id": None, "event": "contact.created"},
            "condition": "data.email != null",
            "actions": [
                {
                    "connection_id": connection_id,
                    "operation": "contacts.create",
                    "mapping": {
                        "first_name": "data.first_name",
                        "last_name": "upper(data.last_name)",
                        "email": {"expr": "data.email", "type": "email", "required": True},
                        "tags": "data.tags",
                        "custom_fields.rolodex_id": "data.id",
                    },
                },
                {
                    "connection_id": connection_id,
                    "operation": "notes.create",
                    "mapping": {
                        "contact_id": {"expr": "steps[0].id", "required": True},
                        "body": "concat('Came from Rolodex as ', data.id)",
                    },
                },
            ],
        },
    )
    email = f"{secrets.token_hex(4)}@example.com"
    # the write fails once after the peer did it: the retry carries the same key
    proxy.inject(fail_after(503, matches=on("POST", "/api/v1/contacts")))
    with workers(1):
        contact = ours.post(
            "/contacts",
            json={"first_name": "Ada", "last_name": "Lovelace", "email": email, "tags": ["vip"]},
        ).json()["data"]
        ours.post("/contacts", json={"first_name": "No email"})  # the condition skips it
        runs = finished_runs(ours, flow["id"], count=2)
    by_status = {run["status"]: run for run in runs}
    assert set(by_status) == {"succeeded", "skipped"}, runs
    run = by_status["succeeded"]
    assert run["version"] == 1 and run["trigger"]["resource_id"] == contact["id"]
    first, second = run["steps"]
    assert (first["operation"], first["status"], first["action"]) == (
        "contacts.create",
        "succeeded",
        0,
    )
    assert first["request"]["method"] == "POST"
    assert first["request"]["url"] == f"{proxy.url}/api/v1/contacts"
    assert first["request"]["status"] == 201
    assert second["operation"] == "notes.create" and second["status"] == "succeeded"
    assert peer.key not in str(run)

    [theirs] = peer.get("/contacts", params={"email": email}).json()["data"]
    assert (theirs["first_name"], theirs["last_name"]) == ("Ada", "LOVELACE")
    assert theirs["tags"] == ["vip"]
    assert theirs["custom_fields"] == {"rolodex_id": contact["id"]}
    notes = peer.get(f"/contacts/{theirs['id']}/notes").json()["data"]
    assert [note["body"] for note in notes] == [f"Came from Rolodex as {contact['id']}"]
    # one contact although the first answer was lost: the idempotency key held
    creates = [s for s in proxy.seen if (s.method, s.path) == ("POST", "/api/v1/contacts")]
    assert [s.status for s in creates] == [503, 201]


def test_a_failing_flow_ends_failed_announces_it_and_can_be_retried(
    pair: tuple[Tenant, Tenant, str], workers: Any
) -> None:
    ours, _peer, connection_id = pair
    flow = created(
        ours,
        {
            "name": "Task for a contact the peer does not have",
            "trigger": {"connection_id": None, "event": "company.created"},
            "actions": [
                {
                    "connection_id": connection_id,
                    "operation": "tasks.create",
                    "mapping": {
                        "contact_id": {"value": "cnt_01jd6w3q0000000000000000aa"},
                        "title": "concat('Call ', data.name)",
                    },
                }
            ],
        },
    )
    with workers(1):
        ours.post("/companies", json={"name": "Acme"})
        [run] = finished_runs(ours, flow["id"])
        assert run["status"] == "failed" and "404" in run["error"]
        [step] = run["steps"]
        assert step["status"] == "failed" and step["request"]["status"] == 404
        events = ours.get("/events", params={"type": "flow.run_failed"}).json()["data"]
        assert [event["data"]["id"] for event in events] == [run["id"]]
        assert events[0]["data"]["flow_id"] == flow["id"]

        again = ours.post(f"/runs/{run['id']}/retry")
        assert again.status_code == 202, again.text
        runs = finished_runs(ours, flow["id"], count=2)
    retried = next(r for r in runs if r["id"] == again.json()["data"]["id"])
    assert retried["retry_of"] == run["id"] and retried["status"] == "failed"


def _snapshot(tenant: Tenant) -> dict[str, list[Any]]:
    async def work(session: Any) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for table in Base.metadata.sorted_tables:
            if table.name in MUTABLE:
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted(repr(tuple(row)) for row in rows)
        return found

    result: dict[str, list[Any]] = tenant.run(work)
    return result


def _template_connections(ours: Tenant, peer: Tenant, proxy: Proxy) -> dict[str, str]:
    """A connection of each kind, all to the peer's surfaces (never called here)."""
    made = {
        "rolodex": connect(ours, base_url=f"{proxy.url}/api/v1", credentials={"api_key": peer.key}),
        "highlevel": connect(
            ours,
            kind="highlevel",
            base_url=f"{proxy.url}/highlevel",
            location_id=peer.account_id,
            credentials={"api_key": peer.key},
        ),
        "moco": connect(
            ours,
            kind="moco",
            base_url=f"{proxy.url}/moco/api/v1",
            credentials={"api_key": peer.key},
        ),
    }
    return {kind: str(connection["id"]) for kind, connection in made.items()}


def _trigger_event(ours: Tenant, trigger: dict[str, Any]) -> dict[str, Any]:
    """An event the template's trigger takes: a real one of ours, or a remote change."""
    if trigger["connection_id"] is None:
        contact = ours.post(
            "/contacts", json={"first_name": "Ada", "email": "ada@example.com", "tags": ["a"]}
        ).json()["data"]
        ours.patch(f"/contacts/{contact['id']}", json={"tags": ["a", "b"]})
        task = ours.post(f"/contacts/{contact['id']}/tasks", json={"title": "Call"}).json()
        ours.patch(f"/contacts/{contact['id']}/tasks/{task['data']['id']}", json={"title": "Re"})
        ours.post(f"/contacts/{contact['id']}/notes", json={"body": "Met"})
        event_type = trigger["event"] if trigger["event"] != "contact.*" else "contact.created"
        [event] = ours.get("/events", params={"type": event_type, "per_page": 1}).json()["data"]
        return {"event_id": event["id"]}
    return {
        "event": {
            "type": trigger["event"],
            "remote_type": "contact",
            "remote_id": "remote-1",
            "data": {
                "firstName": "Ada",
                "lastName": "L",
                "contactId": "remote-1",
                "commentable_id": 1,
                "commentable_type": "Contact",
                "text": "Hi",
                "body": "Hi",
            },
        }
    }


@pytest.mark.parametrize("key", [template["key"] for template in TEMPLATES])
def test_the_dry_run_of_every_template_writes_nothing(
    key: str, make_tenant: Callable[[], Tenant], proxy: Proxy
) -> None:
    ours, peer = make_tenant(), make_tenant()
    connections = _template_connections(ours, peer, proxy)
    [template] = [
        t for t in ours.get("/flow-templates", params=connections).json()["data"] if t["key"] == key
    ]
    response = ours.post("/flows", json=template["flow"])
    if response.status_code == 400 and any(
        "is not an operation of" in d["message"] or "is not an event of" in d["message"]
        for d in response.json()["error"]["details"]
    ):
        pytest.skip(f"{key}: its connector's operations are not declared yet")
    assert response.status_code == 201, response.text
    flow = response.json()["data"]
    body = _trigger_event(ours, template["flow"]["trigger"])

    before, seen = _snapshot(ours), proxy.count()
    answer = ours.post(f"/flows/{flow['id']}/test", json=body)
    assert answer.status_code == 200, answer.text
    after = _snapshot(ours)
    assert proxy.count() == seen, "the dry run called the remote"
    changed = sorted(name for name in before if before[name] != after.get(name))
    assert not changed, f"the dry run changed {changed}"

    shown = answer.json()["data"]
    assert shown["status"] in ("would_run", "invalid", "skipped")
    for action in shown["actions"]:
        if action["request"] is not None:
            assert set(action["request"]) == {"method", "url", "headers", "body"}
            assert peer.key not in str(action["request"])


def test_the_dry_run_of_a_flow_on_a_stored_event_writes_nothing(
    pair: tuple[Tenant, Tenant, str], proxy: Proxy
) -> None:
    ours, peer, connection_id = pair
    flow = created(
        ours,
        {
            "name": "Contact → peer, with a note",
            "trigger": {"connection_id": None, "event": "contact.*"},
            "actions": [
                {
                    "connection_id": connection_id,
                    "operation": "contacts.create",
                    "mapping": {
                        "first_name": "data.first_name",
                        "email": {"expr": "data.email", "type": "email"},
                        "company_id": {"link": "data.company_id"},
                    },
                },
                {
                    "connection_id": connection_id,
                    "operation": "notes.create",
                    "mapping": {
                        "contact_id": {"expr": "steps[0].id", "required": True},
                        "body": "concat('About ', related.company.name)",
                    },
                },
            ],
        },
    )
    company = ours.post("/companies", json={"name": "Acme"}).json()["data"]
    ours.post(
        "/contacts",
        json={"first_name": "Ada", "email": "a@example.com", "company_id": company["id"]},
    )
    [event] = ours.get("/events", params={"type": "contact.created"}).json()["data"]

    before, seen = _snapshot(ours), proxy.count()
    answer = ours.post(f"/flows/{flow['id']}/test", json={"event_id": event["id"]})
    assert answer.status_code == 200, answer.text
    assert _snapshot(ours) == before and proxy.count() == seen

    shown = answer.json()["data"]
    assert shown["status"] == "would_run"
    first, second = shown["actions"]
    assert first["request"]["body"] == {"first_name": "Ada", "email": "a@example.com"}
    assert first["request"]["headers"]["X-API-Key"] == "***"
    assert second["needs_steps"] is True and second["would_send"] is False
    assert {r["what"] for r in shown["reads"]} >= {
        "flow",
        "event",
        "connections",
        "company",
        "link",
    }
    assert peer.key not in answer.text
