"""Flows through the API: checked when saved (a detail per problem), versioned, enabled
and disabled, started by Rolodex events, and their dry run — which shows the exact
request and every mapped field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from rolodex.integrations.models import IntegrationJob
from rolodex.runs.models import Run
from rolodex.runs.service import new_run
from tests.conftest import Tenant
from tests.integrations.conftest import connect

REMOTE_KEY = "peer-key-0123456789abcdef"


@pytest.fixture
def connection(tenant: Tenant) -> str:
    """A connection to another Rolodex that is never called here."""
    made = connect(
        tenant, base_url="https://peer.invalid/api/v1", credentials={"api_key": REMOTE_KEY}
    )
    return str(made["id"])


def contact_flow(connection_id: str, **changes: Any) -> dict[str, Any]:
    flow = {
        "name": "New contact → peer",
        "trigger": {"connection_id": None, "event": "contact.created"},
        "condition": "data.email != null",
        "actions": [
            {
                "connection_id": connection_id,
                "operation": "contacts.create",
                "mapping": {
                    "first_name": {
                        "expr": "data.first_name",
                        "fallback": "split_name(data.name).first_name",
                    },
                    "last_name": "upper(data.last_name)",
                    "email": {"expr": "data.email", "type": "email", "required": True},
                    "phone": {"expr": "data.phone", "type": "phone"},
                    "source": {"value": "rolodex-flow"},
                    "tags": "data.tags",
                    "custom_fields.origin": "id",
                },
            }
        ],
    }
    flow.update(changes)
    return flow


def created(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post("/flows", json=body)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()["data"]
    return made


def test_a_flow_is_created_read_changed_versioned_and_deleted(
    tenant: Tenant, connection: str
) -> None:
    flow = created(tenant, contact_flow(connection))
    assert flow["object"] == "flow" and flow["id"].startswith("flw_")
    assert (flow["version"], flow["enabled"]) == (1, True)
    assert flow["trigger"] == {"connection_id": None, "event": "contact.created"}
    assert tenant.get(f"/flows/{flow['id']}").json()["data"] == flow

    disabled = tenant.patch(f"/flows/{flow['id']}", json={"enabled": False}).json()["data"]
    assert (disabled["enabled"], disabled["version"]) == (False, 1)
    renamed = tenant.patch(f"/flows/{flow['id']}", json={"condition": None}).json()["data"]
    assert (renamed["condition"], renamed["version"]) == (None, 2)
    assert [f["id"] for f in tenant.get("/flows", params={"enabled": "false"}).json()["data"]] == [
        flow["id"]
    ]
    assert tenant.delete(f"/flows/{flow['id']}").status_code == 200
    assert tenant.get(f"/flows/{flow['id']}").status_code == 404
    actions = [row["action"] for row in tenant.get("/audit-log").json()["data"]]
    assert "flow.created" in actions and "flow.updated" in actions and "flow.deleted" in actions


def test_an_invalid_flow_is_refused_with_a_detail_per_problem(
    tenant: Tenant, connection: str
) -> None:
    body = {
        "name": "Broken",
        "trigger": {"connection_id": None, "event": "contact.exploded"},
        "condition": "data.[",
        "actions": [
            {"connection_id": connection, "operation": "contacts.teleport", "mapping": {}},
            {
                "connection_id": connection,
                "operation": "tasks.create",
                "mapping": {
                    "title": "data.(",
                    "colour": "data.colour",
                    "due_at": {"expr": "data.due", "type": "weekday"},
                    "body": {"value": 1, "link": "data.x"},
                    "completed": "nosuch(data.completed)",
                },
            },
            {"connection_id": "con_01jd6w3q0000000000000000aa", "operation": "contacts.create"},
        ],
    }
    response = tenant.post("/flows", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    by_field = {(d["field"], d["message"].split(" ")[0]) for d in error["details"]}
    fields = {field for field, _ in by_field}
    assert "trigger.event" in fields
    assert "condition" in fields
    assert "actions.0.operation" in fields
    assert "actions.1.mapping.title" in fields  # does not parse
    assert "actions.1.mapping.colour" in fields  # not a field of tasks.create
    assert "actions.1.mapping.due_at" in fields  # unknown type
    assert "actions.1.mapping.body" in fields  # two forms at once
    assert "actions.1.mapping.completed" in fields  # unknown function
    assert "actions.1.mapping.contact_id" in fields  # required, unmapped
    assert "actions.2.connection_id" in fields  # not the account's
    assert len(error["details"]) >= 10
    assert tenant.get("/flows").json()["meta"]["total"] == 0


@pytest.mark.parametrize(
    "where",
    [
        "actions.0.connection_id",
        "trigger.connection_id",
        "actions.0.operation",
        "actions.0.mapping",
    ],
)
def test_text_no_database_can_store_is_refused_wherever_it_is_sent(
    tenant: Tenant, connection: str, where: str
) -> None:
    """A NUL in a connection id once reached PostgreSQL's query and failed there (500)."""
    body = contact_flow(connection)
    body["trigger"]["connection_id"] = connection if where.startswith("trigger") else None
    if where == "actions.0.mapping":
        body["actions"][0]["mapping"]["source"] = {"value": ["ok", "nul\x00"]}
    else:
        part, field = where.rsplit(".", 1)
        target = body["trigger"] if part == "trigger" else body["actions"][0]
        target[field] = "con_\x00"
    response = tenant.post("/flows", json=body)
    assert response.status_code == 400, response.text
    assert where in {d["field"] for d in response.json()["error"]["details"]}
    assert tenant.get("/flows").json()["meta"]["total"] == 0


def test_a_change_is_checked_like_a_new_flow(tenant: Tenant, connection: str) -> None:
    flow = created(tenant, contact_flow(connection))
    bad = {
        "actions": [
            {
                "connection_id": connection,
                "operation": "contacts.create",
                "mapping": {"email": {"expr": "data.email", "type": "email"}, "nickname": "data.x"},
            }
        ]
    }
    response = tenant.patch(f"/flows/{flow['id']}", json=bad)
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "actions.0.mapping.nickname"
    assert tenant.get(f"/flows/{flow['id']}").json()["data"]["version"] == 1


def test_the_dry_run_shows_the_request_and_every_field(tenant: Tenant, connection: str) -> None:
    flow = created(tenant, contact_flow(connection))
    event = {
        "id": "evt_01jd6w3q0000000000000000aa",
        "type": "contact.created",
        "data": {
            "first_name": None,
            "name": "Ada King Lovelace",
            "last_name": "Lovelace",
            "email": "ADA@Example.com",
            "phone": "+44 20 7946 0958",
            "tags": ["vip"],
        },
    }
    response = tenant.post(f"/flows/{flow['id']}/test", json={"event": event})
    assert response.status_code == 200, response.text
    shown = response.json()["data"]
    assert shown["status"] == "would_run" and shown["condition"]["holds"] is True
    [action] = shown["actions"]
    assert action["would_send"] is True and action["errors"] == []
    request = action["request"]
    assert request["method"] == "POST"
    assert request["url"] == "https://peer.invalid/api/v1/contacts"
    assert request["headers"]["X-API-Key"] == "***"
    assert request["headers"]["Idempotency-Key"] == "rolodex-<run id>-0"
    assert request["headers"]["X-Rolodex-Run"] == "<run id>"
    assert request["body"] == {
        "first_name": "Ada King",
        "last_name": "LOVELACE",
        "email": "ada@example.com",
        "phone": "+442079460958",
        "source": "rolodex-flow",
        "tags": ["vip"],
        "custom_fields": {"origin": "evt_01jd6w3q0000000000000000aa"},
    }
    sources = {field["field"]: field["source"]["from"] for field in action["fields"]}
    assert sources["first_name"] == "fallback" and sources["source"] == "value"
    assert sources["email"] == "expr"
    assert REMOTE_KEY not in response.text

    skipped = tenant.post(
        f"/flows/{flow['id']}/test", json={"event": {**event, "data": {"email": None}}}
    ).json()["data"]
    assert skipped["status"] == "skipped" and skipped["actions"][0]["would_send"] is False

    invalid = tenant.post(
        f"/flows/{flow['id']}/test",
        json={"event": {**event, "data": {**event["data"], "email": "not-an-email"}}},
    ).json()["data"]
    assert invalid["status"] == "invalid"
    [problem] = invalid["actions"][0]["errors"]
    assert problem["field"] == "actions.0.mapping.email"

    assert tenant.post(f"/flows/{flow['id']}/test", json={}).status_code == 400
    missing = tenant.post(
        f"/flows/{flow['id']}/test", json={"event_id": "evt_01jd6w3q0000000000000000aa"}
    )
    assert missing.status_code == 404


def test_a_rolodex_event_queues_a_run_of_each_enabled_flow(tenant: Tenant, connection: str) -> None:
    on = created(tenant, contact_flow(connection))
    off = created(tenant, contact_flow(connection, enabled=False))
    other = created(tenant, contact_flow(connection, trigger={"event": "company.created"}))
    contact = tenant.post("/contacts", json={"first_name": "Ada", "email": "ada@example.com"})
    assert contact.status_code == 201

    runs = tenant.get("/runs", params={"kind": "flow"}).json()["data"]
    assert [run["flow_id"] for run in runs] == [on["id"]]
    [run] = runs
    assert run["status"] == "queued" and run["version"] == 1
    assert run["trigger"]["type"] == "contact.created"
    assert run["trigger"]["resource_id"] == contact.json()["data"]["id"]
    assert tenant.get(f"/flows/{off['id']}/runs").json()["data"] == []
    assert tenant.get(f"/flows/{other['id']}/runs").json()["data"] == []
    assert [r["id"] for r in tenant.get(f"/flows/{on['id']}/runs").json()["data"]] == [run["id"]]

    async def job_of(session: Any) -> IntegrationJob:
        row = await session.scalar(select(Run).where(Run.id == run["id"]))
        job: IntegrationJob = await session.get(IntegrationJob, row.job_id)
        return job

    job = tenant.run(job_of)
    assert job.kind == "flow" and job.input["run_id"] == run["id"]
    assert job.input["event_id"] == run["trigger"]["event_id"]
    # the run is machinery, not a change a client made: the audit log does not list it
    actions = {row["action"] for row in tenant.get("/audit-log").json()["data"]}
    assert not any(action.startswith("run.") for action in actions)


def test_templates_are_ready_to_create(tenant: Tenant, connection: str) -> None:
    listed = tenant.get("/flow-templates", params={"rolodex": connection}).json()
    keys = [template["key"] for template in listed["data"]]
    assert len(keys) == len(set(keys)) >= 6
    assert listed["meta"]["total"] == len(keys)
    for template in listed["data"]:
        flow = template["flow"]
        assert flow["template"] == template["key"]
        for action in flow["actions"]:
            kind = next(k for k in ("highlevel", "moco", "rolodex") if k in template["needs"])
            assert action["connection_id"] == connection or action["connection_id"].startswith("<")
            assert kind


def test_only_a_running_flow_run_of_the_account_makes_a_change_the_flows(
    tenant: Tenant, make_tenant: Any, connection: str
) -> None:
    """``X-Rolodex-Run`` makes a request's events ``origin.kind = "flow"`` only when it
    names a flow run of the key's own account that is running: a client cannot claim to
    be a flow (and so keep that flow from starting) with a run it does not have."""
    other = make_tenant()
    flow = tenant.post("/flows", json={**contact_flow(connection), "enabled": False}).json()["data"]

    def run_of(account_id: str, status: str) -> str:
        async def work(session: Any) -> str:
            run = new_run(account_id, "flow", owner_id=flow["id"], status=status)
            session.add(run)
            await session.flush()
            return str(run.id)

        made: str = tenant.run(work)
        return made

    running, finished = run_of(tenant.account_id, "running"), run_of(tenant.account_id, "failed")
    theirs = run_of(other.account_id, "running")
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    for name, header in (("ours", running), ("done", finished), ("theirs", theirs), ("x", "x")):
        response = tenant.patch(
            f"/contacts/{contact['id']}",
            json={"last_name": name},
            headers={"X-Rolodex-Run": header},
        )
        assert response.status_code == 200, response.text
    events = tenant.get("/events", params={"type": "contact.updated", "order": "asc"}).json()
    origins = {e["data"]["last_name"]: e["origin"] for e in events["data"]}
    assert (origins["ours"]["kind"], origins["ours"]["flow_id"]) == ("flow", flow["id"])
    assert origins["ours"]["run_id"] == running
    for name in ("done", "theirs", "x"):
        assert (origins[name]["kind"], origins[name]["flow_id"]) == ("api", None), name
