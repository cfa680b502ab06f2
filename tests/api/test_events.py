"""The event feed: every change becomes an event in its transaction, read back in order."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tests.api.test_tenant_isolation import oauth_token
from tests.conftest import API, Tenant
from tests.feed_walk import walk_during_writes


def _feed(tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    query: dict[str, Any] = {"order": "asc", "per_page": 50, **params}
    while True:
        response = tenant.get("/events", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        events += body["data"]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return events
        query = {"after": cursor, "per_page": query["per_page"]}


def test_contact_changes_become_events_with_data_changes_and_origin(tenant: Tenant) -> None:
    created = tenant.post("/contacts", json={"first_name": "Ada", "email": "ada@example.com"})
    contact_id = created.json()["data"]["id"]
    request_id = created.headers["X-Request-Id"]
    tenant.patch(f"/contacts/{contact_id}", json={"last_name": "Lovelace"})
    tenant.post(f"/contacts/{contact_id}/tags", json={"tags": ["vip", "math"]})
    tenant.delete(f"/contacts/{contact_id}/tags", json={"tags": ["math"]})
    tenant.delete(f"/contacts/{contact_id}")
    tenant.post(f"/contacts/{contact_id}/restore")

    events = _feed(tenant)
    assert [e["type"] for e in events] == [
        "contact.created",
        "contact.updated",
        "contact.tags_added",
        "contact.tags_removed",
        "contact.deleted",
        "contact.restored",
    ]
    first = events[0]
    assert first["object"] == "event" and first["id"].startswith("evt_")
    assert first["data"]["email"] == "ada@example.com" and first["changes"] is None
    assert first["origin"] == {
        "kind": "api",
        "surface": "native",
        "request_id": request_id,
        "user_id": tenant.user_id,
        "impersonator_id": None,
        "credential_id": first["origin"]["credential_id"],
        "connection_id": None,
        "flow_id": None,
        "run_id": None,
    }
    assert first["origin"]["credential_id"].startswith("key_")
    assert events[1]["changes"] == {"last_name": [None, "Lovelace"]}
    assert events[1]["data"]["name"] == "Ada Lovelace"
    assert events[2]["changes"] == {"tags": [[], ["math", "vip"]]}
    assert events[2]["data"]["tags"] == ["math", "vip"]
    assert events[3]["changes"] == {"tags": [["math", "vip"], ["vip"]]}
    assert events[4]["data"]["deleted_at"] is not None
    assert events[5]["data"]["deleted_at"] is None


def test_task_completion_and_other_families(tenant: Tenant) -> None:
    contact_id = tenant.post("/contacts", json={"first_name": "Bo"}).json()["data"]["id"]
    task = tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "Call"}).json()["data"]
    done = tenant.put(
        f"/contacts/{contact_id}/tasks/{task['id']}/completed", json={"completed": True}
    )
    assert done.status_code == 200, done.text
    tenant.post(f"/contacts/{contact_id}/notes", json={"body": "Met at the fair"})
    tenant.post(f"/contacts/{contact_id}/appointments", json={"title": "Lunch"})
    tenant.post("/companies", json={"name": "Acme"})

    types = [e["type"] for e in _feed(tenant)]
    assert types == [
        "contact.created",
        "task.created",
        "task.updated",
        "task.completed",
        "note.created",
        "appointment.created",
        "company.created",
    ]
    only_tasks = [e["type"] for e in _feed(tenant, type="task.*")]
    assert only_tasks == ["task.created", "task.updated", "task.completed"]
    picked = [e["type"] for e in _feed(tenant, type="note.created,company.*")]
    assert picked == ["note.created", "company.created"]


def test_a_failed_request_writes_no_event(tenant: Tenant) -> None:
    bad = tenant.post("/contacts", json={"first_name": "X", "company_id": "cmp_" + "0" * 26})
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["code"] == "VALIDATION_ERROR"
    assert _feed(tenant) == []


def test_events_are_filtered_by_time_and_validated(tenant: Tenant) -> None:
    tenant.post("/contacts", json={"first_name": "One"})
    first = _feed(tenant)[0]
    tenant.post("/contacts", json={"first_name": "Two"})
    later = _feed(tenant, created_after=first["created_at"])
    assert first["id"] not in [e["id"] for e in later]
    for bad in ("nope", "contact.nope", "*.created"):
        response = tenant.get("/events", params={"type": bad})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert tenant.get("/events", params={"after": "garbage"}).status_code == 400


def test_events_of_another_account_are_invisible(tenant: Tenant, make_tenant: Any) -> None:
    tenant.post("/contacts", json={"first_name": "Mine"})
    event_id = _feed(tenant)[0]["id"]
    other = make_tenant()
    assert _feed(other) == []
    assert other.get(f"/events/{event_id}").status_code == 404
    assert tenant.get(f"/events/{event_id}").json()["data"]["id"] == event_id
    assert tenant.get("/events/evt_nope").status_code == 404


def test_read_only_keys_read_the_feed(tenant: Tenant) -> None:
    tenant.post("/contacts", json={"first_name": "Ro"})
    response = tenant.get("/events", key=tenant.new_key("read_only"))
    assert response.status_code == 200
    assert len(response.json()["data"]) == 1


def test_a_token_sees_only_the_events_of_resources_it_may_read(client: Any, tenant: Tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Ada", "email": "ada@example.com"})
    tenant.post("/companies", json={"name": "Acme"})
    contact_event = _feed(tenant, type="contact.*")[0]["id"]
    for scopes, seen in (
        (["events.readonly"], []),
        (["events.readonly", "companies.readonly"], ["company.created"]),
        (["events.readonly", "contacts.write"], ["contact.created"]),
    ):
        headers = {"Authorization": f"Bearer {oauth_token(client, tenant, scopes)}"}
        for query in ({}, {"type": "contact.*"}, {"type": "*"}):
            response = client.get(f"{API}/events", params=query, headers=headers)
            assert response.status_code == 200, response.text
            types = [event["type"] for event in response.json()["data"]]
            assert set(types) == {
                t for t in seen if query != {"type": "contact.*"} or t.startswith("contact.")
            }, (scopes, query)
            assert ("ada@example.com" in response.text) == ("contact.created" in types)
        one = client.get(f"{API}/events/{contact_event}", headers=headers)
        assert one.status_code == (200 if "contact.created" in seen else 404), scopes
    assert contact.status_code == 201


def test_a_member_sees_no_webhook_endpoint_events(tenant: Tenant) -> None:
    endpoint = tenant.post(
        "/webhooks", json={"url": "https://hooks.example.com/in?token=t0k", "events": ["*"]}
    ).json()["data"]
    ping = tenant.post(f"/webhooks/{endpoint['id']}/ping").json()["data"]
    tenant.post("/contacts", json={"first_name": "Seen"})
    _, member = tenant.add_user(role="member")
    assert tenant.get("/webhooks", key=member).status_code == 403
    response = tenant.get("/events", params={"type": "webhook_endpoint.*"}, key=member)
    assert response.status_code == 200
    assert response.json()["data"] == [] and "t0k" not in response.text
    everything = tenant.get("/events", key=member).json()["data"]
    assert [event["type"] for event in everything] == ["contact.created"]
    assert tenant.get(f"/events/{ping['id']}", key=member).status_code == 404
    _, admin = tenant.add_user(role="admin")
    assert tenant.get(f"/events/{ping['id']}", key=admin).status_code == 200


def test_feed_read_with_its_cursor_during_writes_returns_every_event_once(
    tenant: Tenant,
) -> None:
    """Writers commit in any order while a reader follows the feed with resume_cursor:
    the reader ends with every event exactly once, in sequence order."""
    writers, per_writer = 4, 15

    def create(first_name: str) -> tuple[int, str]:
        response = tenant.post("/contacts", json={"first_name": first_name})
        return response.status_code, response.text

    seen, errors = walk_during_writes(
        create,
        lambda params: tenant.get("/events", params=params).json(),
        writers=writers,
        per_writer=per_writer,
        per_page=7,
        timeout=60,
    )
    assert not errors
    everything = [e["id"] for e in _feed(tenant)]
    assert len(everything) == writers * per_writer
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert seen == everything, "the reader missed events or read them out of order"


def test_a_transaction_that_commits_late_is_not_skipped_by_the_feed(
    tenant: Tenant, settings: Any
) -> None:
    """A writer that has numbered its event but not committed holds the account's
    sequence: a request writing meanwhile waits, so no reader can pass the late event."""
    from rolodex.db import make_engine, make_sessionmaker, unit_of_work
    from rolodex.events.outbox import NewEvent, origin_of, write_events

    numbered, committing = threading.Event(), threading.Event()
    slow_ids: list[str] = []

    async def slow_writer() -> None:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                [event] = await write_events(
                    session,
                    tenant.account_id,
                    origin_of(None),
                    [NewEvent("contact.updated", "contact", None, None, {"x": [1, 2]})],
                )
                slow_ids.append(event.id)
                numbered.set()
                await asyncio.sleep(1.5)  # commits late
                committing.set()  # the commit follows, and with it the sequence is free
        finally:
            await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(slow_writer(),))
    thread.start()
    assert numbered.wait(10)
    response = tenant.post("/contacts", json={"first_name": "Meanwhile"})
    answered_after_the_commit = committing.is_set()
    thread.join()
    assert response.status_code == 201
    assert answered_after_the_commit, "the request committed while an earlier one was open"
    assert [e["id"] for e in _feed(tenant)][:1] == slow_ids
    assert [e["type"] for e in _feed(tenant)] == ["contact.updated", "contact.created"]
