"""Operations of the ``moco`` and ``highlevel`` connectors run live with
``POST /connections/{id}/operations/{key}``, against the MOCO and HighLevel surfaces of a
second `rolodex serve`, through the tests' fault proxy; what they wrote is read back
through the peer account's own native API."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import TypeAdapter

from rolodex.integrations.connectors_registry import connector_of
from tests.conftest import Tenant
from tests.integrations.conftest import FAST_REMOTE
from tests.integrations.proxy import Proxy, drop, on, status

pytestmark = pytest.mark.live


def connection(ours: Tenant, peer: Tenant, proxy: Proxy, kind: str) -> str:
    body: dict[str, Any] = {
        "kind": kind,
        "credentials": {"api_key": peer.key},
        "rate_limit": FAST_REMOTE,
    }
    if kind == "moco":
        body["base_url"] = f"{proxy.url}/moco/api/v1"
    else:
        body["base_url"] = f"{proxy.url}/highlevel"
        body["location_id"] = peer.account_id
    response = ours.post("/connections", json=body)
    assert response.status_code == 201, response.text
    made: str = response.json()["data"]["id"]
    return made


class Runner:
    """Runs operations of one connection live and answers their output."""

    def __init__(self, tenant: Tenant, connection_id: str, kind: str) -> None:
        self.tenant = tenant
        self.connection_id = connection_id
        self.connector = connector_of(kind)

    def call(self, key: str, given: dict[str, Any]) -> Any:
        return self.tenant.post(
            f"/connections/{self.connection_id}/operations/{key}",
            json={"input": given, "dry_run": False},
        )

    def __call__(self, key: str, given: dict[str, Any]) -> Any:
        response = self.call(key, given)
        assert response.status_code == 200, (key, response.text)
        data = response.json()["data"]
        assert data["dry_run"] is False and data["request"]["status"] in (200, 201, 204)
        # what the remote answered is what the operation's output schema says
        declared = self.connector.operations[key].output
        if declared is None:
            assert data["output"] is None
        else:
            TypeAdapter(declared).validate_python(data["output"])
        return data["output"]


@pytest.fixture
def moco(make_tenant: Callable[[], Tenant], proxy: Proxy) -> tuple[Runner, Tenant]:
    ours, peer = make_tenant(), make_tenant()
    return Runner(ours, connection(ours, peer, proxy, "moco"), "moco"), peer


@pytest.fixture
def highlevel(make_tenant: Callable[[], Tenant], proxy: Proxy) -> tuple[Runner, Tenant]:
    ours, peer = make_tenant(), make_tenant()
    return Runner(ours, connection(ours, peer, proxy, "highlevel"), "highlevel"), peer


def native_contact(peer: Tenant, email: str) -> dict[str, Any]:
    [found] = peer.get("/contacts", params={"email": email}).json()["data"]
    return dict(found)


def test_moco_actions_write_the_peer(moco: tuple[Runner, Tenant]) -> None:
    run, peer = moco
    email = f"{secrets.token_hex(4)}@example.com"
    person = run(
        "people.create",
        {
            "firstname": "Ada",
            "lastname": "Lovelace",
            "gender": "F",
            "work_email": email,
            "tags": ["vip"],
        },
    )
    assert isinstance(person["id"], int) and person["work_email"] == email
    contact = native_contact(peer, email)
    assert (contact["first_name"], contact["last_name"], contact["tags"]) == (
        "Ada",
        "Lovelace",
        ["vip"],
    )

    updated = run("people.update", {"id": person["id"], "job_position": "Analyst"})
    assert updated["job_position"] == "Analyst" and updated["firstname"] == "Ada"
    assert native_contact(peer, email)["job_title"] == "Analyst"

    target = {"entity": "Contact", "entity_id": person["id"]}
    assert sorted(run("taggings.add", {**target, "tags": ["b2b"]})) == ["b2b", "vip"]
    assert run("taggings.remove", {**target, "tags": ["vip"]}) == ["b2b"]
    assert run("taggings.get", target) == ["b2b"]
    assert native_contact(peer, email)["tags"] == ["b2b"]

    comment = run(
        "comments.create",
        {"commentable_id": person["id"], "commentable_type": "Contact", "text": "Met at the fair"},
    )
    notes = peer.get(f"/contacts/{contact['id']}/notes").json()["data"]
    assert [n["body"] for n in notes] == ["Met at the fair"]
    assert run("comments.update", {"id": comment["id"], "text": "Met twice"})["text"] == "Met twice"

    company = run("companies.create", {"name": "Analytical Engines", "type": "customer"})
    names = [c["name"] for c in peer.get("/companies").json()["data"]]
    assert names == ["Analytical Engines"]
    assert run("companies.archive", {"id": company["id"]})["active"] is False
    assert run("companies.delete", {"id": company["id"]}) is None

    page = run("people.list", {"term": "Lovelace"})
    assert [p["id"] for p in page["data"]] == [person["id"]]
    assert page["meta"]["page"] == 1 and page["meta"]["next_page"] is None
    assert person["id"] in [p["id"] for p in run("Contact.create", {})["data"]]
    changed = run("people.new_or_updated", {"updated_after": "2000-01-01T00:00:00Z"})
    assert person["id"] in [p["id"] for p in changed["data"]]
    tag = run("tags.create", {"name": f"t-{secrets.token_hex(3)}", "context": "Contact"})
    assert run("tags.delete", {"id": tag["id"]}) is None

    assert run("people.delete", {"id": person["id"]}) is None
    assert peer.get(f"/contacts/{contact['id']}").status_code == 404


def test_highlevel_actions_write_the_peer(highlevel: tuple[Runner, Tenant]) -> None:
    run, peer = highlevel
    email = f"{secrets.token_hex(4)}@example.com"
    made = run("contacts.create", {"firstName": "Grace", "email": email, "tags": ["vip"]})
    contact_id = made["contact"]["id"]
    assert native_contact(peer, email)["id"] == contact_id

    run("contacts.update", {"contactId": contact_id, "lastName": "Hopper"})
    assert native_contact(peer, email)["last_name"] == "Hopper"
    upserted = run("contacts.upsert", {"email": email, "city": "Arlington"})
    assert upserted["new"] is False and upserted["contact"]["id"] == contact_id
    assert native_contact(peer, email)["address"]["city"] == "Arlington"

    assert "b2b" in run("tags.add", {"contactId": contact_id, "tags": ["b2b"]})["tags"]
    run("tags.remove", {"contactId": contact_id, "tags": ["vip"]})
    assert native_contact(peer, email)["tags"] == ["b2b"]

    task = run(
        "tasks.create",
        {
            "contactId": contact_id,
            "title": "Call back",
            "dueDate": "2030-01-01T09:00:00Z",
            "completed": False,
        },
    )["task"]
    run("tasks.complete", {"contactId": contact_id, "taskId": task["id"], "completed": True})
    [native_task] = peer.get(f"/contacts/{contact_id}/tasks").json()["data"]
    assert native_task["completed"] is True and native_task["title"] == "Call back"
    run("tasks.update", {"contactId": contact_id, "taskId": task["id"], "title": "Call again"})
    assert peer.get(f"/contacts/{contact_id}/tasks").json()["data"][0]["title"] == "Call again"

    note = run("notes.create", {"contactId": contact_id, "body": "Prefers email"})["note"]
    [native_note] = peer.get(f"/contacts/{contact_id}/notes").json()["data"]
    assert native_note["body"] == "Prefers email"
    assert run("notes.delete", {"contactId": contact_id, "noteId": note["id"]})["succeded"]
    assert peer.get(f"/contacts/{contact_id}/notes").json()["data"] == []
    assert run("tasks.delete", {"contactId": contact_id, "taskId": task["id"]})["succeded"]

    found = run("contacts.search", {"query": "Grace"})["contacts"]
    assert [c["id"] for c in found] == [contact_id]
    changed = run("contacts.new_or_updated", {"updated_after": "2000-01-01T00:00:00Z"})
    assert contact_id in [c["id"] for c in changed["contacts"]]
    assert contact_id in [c["id"] for c in run("ContactCreate", {})["contacts"]]
    assert run("appointments.list", {"contactId": contact_id})["events"] == []
    assert isinstance(run("custom_fields.list", {})["customFields"], list)

    assert run("contacts.delete", {"contactId": contact_id})["succeded"] is True
    assert peer.get(f"/contacts/{contact_id}").status_code == 404


def test_remote_errors_are_clear_native_errors(
    moco: tuple[Runner, Tenant], highlevel: tuple[Runner, Tenant], proxy: Proxy
) -> None:
    run, _peer = moco
    missing = run.call("people.get", {"id": 987654321})
    assert missing.status_code == 404, missing.text
    assert "MOCO answered 404" in missing.json()["error"]["message"]

    refused = run.call("people.create", {"lastname": "", "gender": "F"})
    assert refused.status_code == 400  # our own validation, before anything is sent

    invalid = run.call("people.create", {"lastname": "X", "gender": "F", "company_id": 987654})
    assert invalid.status_code == 422, invalid.text
    assert invalid.json()["error"]["code"] == "UNPROCESSABLE"

    posts = on("POST", "/moco/api/v1/contacts/people")
    proxy.inject(status(503, matches=posts))  # a write without an idempotency key: no retry
    failed = run.call("people.create", {"lastname": "Five", "gender": "M"})
    assert failed.status_code == 502, failed.text
    assert failed.json()["error"]["code"] == "BAD_GATEWAY"
    proxy.inject(drop(matches=posts))
    lost = run.call("people.create", {"lastname": "Dropped", "gender": "M"})
    assert lost.status_code == 504, lost.text
    assert lost.json()["error"]["code"] == "GATEWAY_TIMEOUT"

    gets = on("GET", "/moco/api/v1/contacts/people")
    proxy.inject(status(429, {"Retry-After": "1"}, matches=gets), status(503, matches=gets))
    assert run("people.list", {})["meta"]["page"] == 1  # waited, retried, answered
    assert proxy.count("GET", "/moco/api/v1/contacts/people", 429) == 1

    hl_run, _ = highlevel
    gone = hl_run.call("contacts.get", {"contactId": "cnt_01jd6w3q0000000000000000aa"})
    assert gone.status_code == 404, gone.text
    assert "HighLevel answered 404" in gone.json()["error"]["message"]
