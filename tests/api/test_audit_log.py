"""The audit log: every mutation writes rows, in its transaction, readable by managers."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from rolodex.accounts.secrets import hash_api_key

API = "/api/v1"
SAFE = {"GET", "HEAD", "OPTIONS"}


def request_id() -> str:
    return f"test-{secrets.token_hex(8)}"


def audit(tenant, key: str | None = None, **filters: Any) -> list[dict]:
    response = tenant.get("/audit-log", params={"per_page": 250, **filters}, key=key)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def rows_of(tenant, rid: str) -> list[dict]:
    return audit(tenant, request_id=rid)


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def new_contact(tenant, **fields: Any) -> str:
    return created(tenant.post("/contacts", json={"first_name": "Ada", **fields}))["id"]


def test_an_update_records_only_the_fields_that_changed_with_old_and_new(tenant) -> None:
    contact_id = new_contact(tenant, email="ada@old.example", last_name="Lovelace")
    rid = request_id()
    response = tenant.patch(
        f"/contacts/{contact_id}",
        json={"email": "ada@new.example", "last_name": "Lovelace"},
        headers={"X-Request-Id": rid},
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-Id"] == rid
    [row] = rows_of(tenant, rid)
    assert row["object"] == "audit_entry"
    assert row["id"].startswith("aud_")
    assert row["action"] == "contact.updated"
    assert row["resource_type"] == "contact"
    assert row["resource_id"] == contact_id
    assert row["request_id"] == rid
    assert row["user_id"] == tenant.user_id
    assert row["impersonator_id"] is None
    assert row["credential_kind"] == "api_key"
    assert row["changes"] == {"email": ["ada@old.example", "ada@new.example"]}
    assert row["created_at"].endswith("Z")


def test_creation_records_the_values_set(tenant) -> None:
    rid = request_id()
    contact = created(
        tenant.post(
            "/contacts",
            json={"first_name": "Ada", "birthday": "1815-12-10", "tags": ["vip"]},
            headers={"X-Request-Id": rid},
        )
    )
    rows = rows_of(tenant, rid)
    [row] = [r for r in rows if r["resource_type"] == "contact"]
    assert row["action"] == "contact.created"
    assert row["resource_id"] == contact["id"]
    changes = row["changes"]
    assert changes["first_name"] == [None, "Ada"]
    assert changes["birthday"] == [None, "1815-12-10"]
    assert changes["owner_id"] == [None, tenant.user_id]
    assert changes["tags"] == [[], ["vip"]]
    assert "updated_at" not in changes and "id" not in changes
    # the tag created on the way is audited too
    assert [r["action"] for r in rows if r["resource_type"] == "tag"] == ["tag.created"]


def test_deletion_and_restore_are_recorded_with_the_cascade(tenant) -> None:
    contact_id = new_contact(tenant)
    task = created(tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "Call"}))
    note = created(tenant.post(f"/contacts/{contact_id}/notes", json={"body": "Hi"}))

    rid = request_id()
    assert (
        tenant.delete(f"/contacts/{contact_id}", headers={"X-Request-Id": rid}).status_code == 200
    )
    rows = {(r["action"], r["resource_id"]): r for r in rows_of(tenant, rid)}
    assert set(rows) == {
        ("contact.deleted", contact_id),
        ("task.deleted", task["id"]),
        ("note.deleted", note["id"]),
    }
    deleted_at = rows[("contact.deleted", contact_id)]["changes"]["deleted_at"]
    assert deleted_at[0] is None and deleted_at[1].endswith("Z")

    rid = request_id()
    response = tenant.post(f"/contacts/{contact_id}/restore", headers={"X-Request-Id": rid})
    assert response.status_code == 200, response.text
    rows = {(r["action"], r["resource_id"]): r for r in rows_of(tenant, rid)}
    assert set(rows) == {
        ("contact.restored", contact_id),
        ("task.restored", task["id"]),
        ("note.restored", note["id"]),
    }
    assert rows[("contact.restored", contact_id)]["changes"]["deleted_at"] == [deleted_at[1], None]
    assert tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}").status_code == 200


def test_impersonation_records_the_real_actor_and_the_impersonated_user(tenant) -> None:
    member_id, _ = tenant.add_user(role="member")
    rid = request_id()
    contact = created(
        tenant.post(
            "/contacts",
            json={"first_name": "Grace"},
            headers={"X-Request-Id": rid, "X-IMPERSONATE-USER-ID": member_id},
        )
    )
    [row] = rows_of(tenant, rid)
    assert row["resource_id"] == contact["id"]
    assert row["user_id"] == member_id
    assert row["impersonator_id"] == tenant.user_id
    # user_id matches either
    assert [r["id"] for r in audit(tenant, user_id=member_id)] == [row["id"]]
    assert row["id"] in [r["id"] for r in audit(tenant, user_id=tenant.user_id)]


def test_the_credential_is_recorded(tenant) -> None:
    key = created(tenant.post("/api-keys", json={"name": "sync"}))
    rid = request_id()
    new_contact_id = created(
        tenant.post(
            "/contacts", json={"first_name": "Key"}, key=key["key"], headers={"X-Request-Id": rid}
        )
    )["id"]
    [row] = rows_of(tenant, rid)
    assert row["resource_id"] == new_contact_id
    assert row["credential_id"] == key["id"]
    assert row["credential_kind"] == "api_key"


def test_secrets_never_reach_the_audit_log(tenant) -> None:
    rid = request_id()
    key = created(tenant.post("/api-keys", json={"name": "secret"}, headers={"X-Request-Id": rid}))
    rows = rows_of(tenant, rid)
    assert [(r["action"], r["resource_id"]) for r in rows] == [("api_key.created", key["id"])]
    text = json.dumps(rows)
    assert key["key"] not in text
    assert hash_api_key(key["key"]) not in text
    assert "key_hash" not in text and "password" not in text
    assert rows[0]["changes"]["name"] == [None, "secret"]
    assert rows[0]["changes"]["prefix"] == [None, key["prefix"]]

    rid = request_id()
    assert tenant.delete(f"/api-keys/{key['id']}", headers={"X-Request-Id": rid}).status_code == 200
    [row] = rows_of(tenant, rid)
    assert row["action"] == "api_key.revoked"
    assert list(row["changes"]) == ["revoked_at"]
    everything = json.dumps(audit(tenant))
    assert key["key"] not in everything and hash_api_key(key["key"]) not in everything


def test_reads_and_key_use_are_not_audited(tenant) -> None:
    new_contact(tenant)
    rid = request_id()
    assert tenant.get("/contacts", headers={"X-Request-Id": rid}).status_code == 200
    assert rows_of(tenant, rid) == []
    assert [r for r in audit(tenant) if r["resource_type"] == "api_key"] == []


def test_a_failed_mutation_writes_nothing(tenant) -> None:
    contact_id = new_contact(tenant)
    rid = request_id()
    response = tenant.patch(
        f"/contacts/{contact_id}",
        json={"first_name": None},  # refused by the service: the contact needs a name
        headers={"X-Request-Id": rid},
    )
    assert response.status_code == 400
    assert rows_of(tenant, rid) == []


def test_tag_link_changes_are_recorded_as_a_tags_field_change(tenant) -> None:
    contact_id = new_contact(tenant, tags=["alpha"])
    company_id = created(tenant.post("/companies", json={"name": "Acme", "tags": ["alpha"]}))["id"]

    rid = request_id()
    response = tenant.post(
        f"/contacts/{contact_id}/tags", json={"tags": ["Beta"]}, headers={"X-Request-Id": rid}
    )
    assert response.status_code == 200, response.text
    [row] = [r for r in rows_of(tenant, rid) if r["resource_type"] == "contact"]
    assert row["action"] == "contact.updated"
    assert row["changes"] == {"tags": [["alpha"], ["alpha", "Beta"]]}

    rid = request_id()
    response = tenant.delete(
        f"/contacts/{contact_id}/tags", json={"tags": ["alpha"]}, headers={"X-Request-Id": rid}
    )
    assert response.status_code == 200, response.text
    [row] = rows_of(tenant, rid)
    assert row["changes"] == {"tags": [["alpha", "Beta"], ["Beta"]]}

    rid = request_id()
    response = tenant.put(
        f"/contacts/{contact_id}",
        json={"first_name": "Ada", "last_name": "L", "tags": ["gamma"]},
        headers={"X-Request-Id": rid},
    )
    assert response.status_code == 200, response.text
    [row] = [r for r in rows_of(tenant, rid) if r["resource_type"] == "contact"]
    assert row["changes"] == {  # PUT: the omitted owner_id becomes null
        "last_name": [None, "L"],
        "owner_id": [tenant.user_id, None],
        "tags": [["Beta"], ["gamma"]],
    }

    # renaming a tag changes the tags of every record that has it
    [alpha] = tenant.get("/tags", params={"name": "alpha"}).json()["data"]
    rid = request_id()
    response = tenant.patch(
        f"/tags/{alpha['id']}", json={"name": "omega"}, headers={"X-Request-Id": rid}
    )
    assert response.status_code == 200, response.text
    rows = {(r["action"], r["resource_id"]): r["changes"] for r in rows_of(tenant, rid)}
    assert rows == {
        ("tag.updated", alpha["id"]): {"name": ["alpha", "omega"]},
        ("company.updated", company_id): {"tags": [["alpha"], ["omega"]]},
    }

    rid = request_id()
    assert tenant.delete(f"/tags/{alpha['id']}", headers={"X-Request-Id": rid}).status_code == 200
    rows = {(r["action"], r["resource_id"]): r["changes"] for r in rows_of(tenant, rid)}
    assert rows[("company.updated", company_id)] == {"tags": [["omega"], []]}
    assert ("tag.deleted", alpha["id"]) in rows


def test_filters_and_pagination(tenant) -> None:
    first = new_contact(tenant)
    second = new_contact(tenant)
    rid = request_id()
    assert tenant.patch(
        f"/contacts/{first}", json={"last_name": "X"}, headers={"X-Request-Id": rid}
    ).is_success

    everything = audit(tenant)
    assert len(everything) == 3
    times = [r["created_at"] for r in everything]
    assert times == sorted(times, reverse=True)  # newest first by default
    assert [r["resource_id"] for r in audit(tenant, resource_id=first)] == [first, first]
    assert [r["resource_id"] for r in audit(tenant, action="contact.created")] == [second, first]
    assert len(audit(tenant, resource_type="contact")) == 3
    assert audit(tenant, resource_type="task") == []
    assert [r["action"] for r in audit(tenant, request_id=rid)] == ["contact.updated"]
    ascending = audit(tenant, sort="created_at", order="asc")
    assert [r["id"] for r in ascending] == [r["id"] for r in reversed(everything)]

    middle = everything[1]["created_at"]
    assert {r["id"] for r in audit(tenant, created_after=middle)} <= {everything[0]["id"]}
    assert {r["id"] for r in audit(tenant, created_before=middle)} <= {everything[2]["id"]}
    assert audit(tenant, created_after="2999-01-01T00:00:00Z") == []
    assert len(audit(tenant, created_before="2999-01-01T00:00:00Z")) == 3

    page = tenant.get("/audit-log", params={"per_page": 2})
    assert page.status_code == 200
    assert page.json()["meta"]["total"] == 3 and page.headers["X-Total"] == "3"
    assert [r["id"] for r in page.json()["data"]] == [r["id"] for r in everything[:2]]
    cursor = page.json()["meta"]["next_cursor"]
    rest = tenant.get("/audit-log", params={"per_page": 2, "after": cursor}).json()
    assert [r["id"] for r in rest["data"]] == [everything[2]["id"]]
    assert rest["meta"]["next_cursor"] is None

    assert tenant.get("/audit-log", params={"created_after": "yesterday"}).status_code == 400
    assert tenant.get("/audit-log", params={"sort": "action"}).status_code == 400


def test_only_owners_and_admins_may_read_it(tenant) -> None:
    _, member_key = tenant.add_user(role="member")
    _, admin_key = tenant.add_user(role="admin")
    response = tenant.get("/audit-log", key=member_key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert tenant.get("/audit-log", key=admin_key).status_code == 200
    # a read-only key of the owner reads it; it is not a mutation
    assert tenant.get("/audit-log", key=tenant.new_key("read_only")).status_code == 200


def test_another_accounts_entries_are_never_visible(tenant, make_tenant) -> None:
    other = make_tenant()
    rid = request_id()
    contact_id = created(
        other.post("/contacts", json={"first_name": "Other"}, headers={"X-Request-Id": rid})
    )["id"]
    assert len(rows_of(other, rid)) == 1
    assert rows_of(tenant, rid) == []
    assert audit(tenant, resource_id=contact_id) == []
    assert audit(tenant) == []


# --- every mutating route writes audit rows findable by its request id ----------------

PARAM_NAMES = (
    "contact_id",
    "company_id",
    "task_id",
    "note_id",
    "appointment_id",
    "tag_id",
    "key_id",
    "user_id",
)
NO_BODY = object()
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/contacts"): {"first_name": "Walk", "tags": ["walked"]},
    ("PUT", "/contacts/{contact_id}"): {"first_name": "Put", "email": "put@example.com"},
    ("PATCH", "/contacts/{contact_id}"): {"last_name": "Patched"},
    ("DELETE", "/contacts/{contact_id}"): NO_BODY,
    ("POST", "/contacts/{contact_id}/restore"): NO_BODY,
    ("POST", "/contacts/{contact_id}/tags"): {"tags": ["added"]},
    ("DELETE", "/contacts/{contact_id}/tags"): {"tags": ["existing"]},
    ("POST", "/companies"): {"name": "Walk Inc"},
    ("PUT", "/companies/{company_id}"): {"name": "Put Inc"},
    ("PATCH", "/companies/{company_id}"): {"description": "patched"},
    ("DELETE", "/companies/{company_id}"): NO_BODY,
    ("POST", "/companies/{company_id}/restore"): NO_BODY,
    ("POST", "/contacts/{contact_id}/tasks"): {"title": "Walk task"},
    ("PUT", "/contacts/{contact_id}/tasks/{task_id}"): {"title": "Put task"},
    ("PATCH", "/contacts/{contact_id}/tasks/{task_id}"): {"body": "patched"},
    ("DELETE", "/contacts/{contact_id}/tasks/{task_id}"): NO_BODY,
    ("PUT", "/contacts/{contact_id}/tasks/{task_id}/completed"): {"completed": True},
    ("POST", "/contacts/{contact_id}/notes"): {"body": "Walk note"},
    ("PUT", "/contacts/{contact_id}/notes/{note_id}"): {"body": "Put note"},
    ("PATCH", "/contacts/{contact_id}/notes/{note_id}"): {"pinned": True},
    ("DELETE", "/contacts/{contact_id}/notes/{note_id}"): NO_BODY,
    ("POST", "/contacts/{contact_id}/appointments"): {"title": "Walk meeting"},
    ("PUT", "/contacts/{contact_id}/appointments/{appointment_id}"): {"title": "Put meeting"},
    ("PATCH", "/contacts/{contact_id}/appointments/{appointment_id}"): {"location": "Room 1"},
    ("DELETE", "/contacts/{contact_id}/appointments/{appointment_id}"): NO_BODY,
    ("POST", "/tags"): {"name": "walk-tag"},
    ("PUT", "/tags/{tag_id}"): {"name": "put-tag"},
    ("PATCH", "/tags/{tag_id}"): {"description": "patched"},
    ("DELETE", "/tags/{tag_id}"): NO_BODY,
    ("POST", "/api-keys"): {"name": "walk key"},
    ("DELETE", "/api-keys/{key_id}"): NO_BODY,
    ("POST", "/webhooks"): {"url": "https://hooks.example.com/walk", "events": ["*"]},
    ("PUT", "/webhooks/{endpoint_id}"): {"url": "https://hooks.example.com/p", "events": ["*"]},
    ("PATCH", "/webhooks/{endpoint_id}"): {"description": "patched"},
    ("DELETE", "/webhooks/{endpoint_id}"): NO_BODY,
    ("POST", "/webhooks/{endpoint_id}/rotate-secret"): NO_BODY,
    ("POST", "/webhooks/{endpoint_id}/ping"): NO_BODY,
    ("POST", "/webhooks/{endpoint_id}/replay"): {"since": "2000-01-01T00:00:00Z"},
    ("POST", "/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay"): NO_BODY,
    ("POST", "/users"): {"email": "walked@example.com", "first_name": "Walked"},
    ("PATCH", "/users/{user_id}"): {"first_name": "Renamed"},
    ("DELETE", "/users/{user_id}"): NO_BODY,
    ("POST", "/oauth-clients"): {
        "name": "Walk client",
        "redirect_uris": ["https://app.example.com/callback"],
        "scopes": ["contacts.readonly"],
    },
    ("DELETE", "/oauth-clients/{client_id}"): NO_BODY,
    ("POST", "/contacts/batch"): {"items": [{"first_name": "Batched"}]},
    ("POST", "/companies/batch"): {"items": [{"name": "Batched Inc"}]},
    ("POST", "/connections"): {
        "kind": "rolodex",
        "base_url": "https://walk.invalid/api/v1",
        "credentials": {"api_key": "remote-walk-key"},
    },
    ("PATCH", "/connections/{connection_id}"): {"name": "Walked connection"},
    ("DELETE", "/connections/{connection_id}"): NO_BODY,
    # a remote that never resolves: the check fails fast and marks the connection failing
    ("POST", "/connections/{connection_id}/check"): NO_BODY,
    # on the OAuth connection of make_records: a state is made, no remote is called
    ("POST", "/connections/{connection_id}/authorize"): NO_BODY,
    # a finished run of make_records: queued again as a new run
    ("POST", "/runs/{run_id}/retry"): NO_BODY,
    # the walk puts in the connection of make_records
    # Syncs and flows of the walk are made disabled: an enabled one would queue work
    # (runs on every contact the walk makes) that the integration tests' workers, sharing
    # this database, would then have to get through first.
    ("POST", "/syncs"): {"object": "contacts", "enabled": False},
    ("PATCH", "/syncs/{sync_id}"): {"conflict": "rolodex_wins"},
    ("DELETE", "/syncs/{sync_id}"): NO_BODY,
    ("POST", "/syncs/{sync_id}/run"): {"dry_run": True},
    # a dry run: the request it would send, nothing sent; audited on the connection
    ("POST", "/connections/{connection_id}/operations/{operation_key}"): {
        "input": {"per_page": 5},
        "dry_run": True,
    },
    ("POST", "/flows"): {
        "name": "Walked flow",
        "enabled": False,
        "trigger": {"event": "contact.created"},
        "actions": [
            {
                "connection_id": "{connection_id}",
                "operation": "contacts.delete",
                "mapping": {"contact_id": "data.id"},
            }
        ],
    },
    ("PATCH", "/flows/{flow_id}"): {"name": "Walked and renamed"},
    ("DELETE", "/flows/{flow_id}"): NO_BODY,
}
DRY = {("POST", "/flows/{flow_id}/test")}
"""Routes that write nothing, by design: the walk checks that they wrote no audit row."""


def mutating_routes(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """(method, path under /api/v1) of every API route that is not a read, however the
    installed FastAPI nests included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            candidates = [(route.path, route.methods)]
        elif hasattr(route, "effective_route_contexts"):
            candidates = [
                (context.path, context.methods)
                for context in route.effective_route_contexts()
                if isinstance(context.original_route, APIRoute)
            ]
        elif hasattr(route, "routes"):
            yield from mutating_routes(route.routes)
            continue
        else:
            continue
        for path, methods in candidates:
            if not path.startswith(API + "/"):
                continue
            for method in sorted(set(methods or ()) - SAFE):
                yield method, path.removeprefix(API)


def make_records(tenant) -> dict[str, str]:
    """One record of each kind, for the route walk to act on."""
    contact_id = new_contact(tenant, tags=["existing"])
    nested = {
        "task_id": ("tasks", {"title": "Task"}),
        "note_id": ("notes", {"body": "Note"}),
        "appointment_id": ("appointments", {"title": "Meeting"}),
    }
    member = {"email": f"m-{secrets.token_hex(4)}@example.com", "role": "member"}
    ids = {"contact_id": contact_id, "user_id": created(tenant.post("/users", json=member))["id"]}
    client = {
        "name": "To delete",
        "redirect_uris": ["https://app.example.com/cb"],
        "scopes": ["contacts.readonly"],
    }
    ids["client_id"] = created(tenant.post("/oauth-clients", json=client))["client_id"]
    for name, (plural, body) in nested.items():
        ids[name] = created(tenant.post(f"/contacts/{contact_id}/{plural}", json=body))["id"]
    ids["company_id"] = created(tenant.post("/companies", json={"name": "Co"}))["id"]
    ids["tag_id"] = created(tenant.post("/tags", json={"name": f"t-{secrets.token_hex(3)}"}))["id"]
    ids["key_id"] = created(tenant.post("/api-keys", json={"name": "to revoke"}))["id"]
    hook = {"url": "https://hooks.example.com/r", "events": ["webhook_endpoint.*"]}
    ids["endpoint_id"] = created(tenant.post("/webhooks", json=hook))["id"]
    tenant.post(f"/webhooks/{ids['endpoint_id']}/ping")
    listed = tenant.get(f"/webhooks/{ids['endpoint_id']}/deliveries").json()["data"]
    ids["delivery_id"] = listed[0]["id"]
    tenant.run(_mark_dead, ids["delivery_id"])  # only a finished delivery can be replayed
    remote = {
        "kind": "rolodex",
        "base_url": "https://remote.invalid/api/v1",
        "credentials": {"api_key": "remote-key"},
    }
    ids["connection_id"] = created(tenant.post("/connections", json=remote))["id"]
    oauth = {
        "kind": "highlevel",
        "base_url": "https://remote.invalid",
        "location_id": "loc_walk",
        "oauth": {"client_id": "walk-client", "client_secret": "walk-secret"},
    }
    ids["oauth_connection_id"] = created(tenant.post("/connections", json=oauth))["id"]
    ids["run_id"] = tenant.run(_failed_run, tenant.account_id)
    sync = {"connection_id": ids["connection_id"], "object": "contacts", "enabled": False}
    ids["sync_id"] = created(tenant.post("/syncs", json=sync))["id"]
    ids["operation_key"] = "contacts.list"
    flow = {
        "name": "To walk",
        "enabled": False,
        "trigger": {"event": "contact.created"},
        "actions": [
            {
                "connection_id": ids["connection_id"],
                "operation": "contacts.create",
                "mapping": {"first_name": "data.first_name"},
            }
        ],
    }
    ids["flow_id"] = created(tenant.post("/flows", json=flow))["id"]
    return ids


async def _failed_run(session: Any, account_id: str) -> str:
    from rolodex.runs.service import finish_run, start_run

    run = await start_run(session, account_id, "flow", job_kind="flow", job_input={})
    await finish_run(session, run, "failed", error="walked")
    return str(run.id)


async def _mark_dead(session: Any, delivery_id: str) -> None:
    from sqlalchemy import update

    from rolodex.webhooks.models import WebhookDelivery

    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(status="dead")
    )


def test_the_walk_knows_every_mutating_route(client) -> None:
    routes = set(mutating_routes(client.app.routes))
    assert len(routes) >= len(BODIES) // 2, "the route walk found too few routes"
    unknown = sorted(routes - set(BODIES) - DRY)
    assert not unknown, f"add a body to BODIES in {__file__} for: {unknown}"


def test_every_mutating_route_writes_audit_rows_under_its_request_id(client, tenant) -> None:
    routes = sorted(set(mutating_routes(client.app.routes)))
    assert routes, "no mutating route found"
    for method, path in routes:
        if (method, path) in DRY:
            continue  # test_dry_routes_write_no_audit_row
        if (method, path) not in BODIES:
            pytest.fail(f"the audit route walk does not know how to call {method} {path}")
        ids = make_records(tenant)
        if path.endswith("/authorize"):  # only an OAuth connection is authorized
            ids["connection_id"] = ids["oauth_connection_id"]
        names = re.findall(r"{(\w+)}", path)
        for name in names:
            if name not in ids:
                pytest.fail(f"the audit route walk cannot fill {{{name}}} in {method} {path}")
        url = path.format(**ids)
        if path.endswith("/restore"):
            assert tenant.delete(url.removesuffix("/restore")).status_code == 200
        body = BODIES[(method, path)]
        if body is not NO_BODY and path in ("/tags", "/tags/{tag_id}") and "name" in body:
            body = {**body, "name": f"{body['name']}-{secrets.token_hex(3)}"}
        if body is not NO_BODY and path == "/syncs":
            body = {**body, "connection_id": ids["connection_id"]}
        if body is not NO_BODY and path == "/users":
            body = {**body, "email": f"walked-{secrets.token_hex(4)}@example.com"}
        if body is not NO_BODY and path == "/flows":
            actions = [{**a, "connection_id": ids["connection_id"]} for a in body["actions"]]
            body = {**body, "actions": actions}
        rid = request_id()
        kwargs: dict[str, Any] = {"headers": {"X-Request-Id": rid}}
        if body is not NO_BODY:
            kwargs["json"] = body
        response = tenant.request(method, url, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        if path.endswith("/batch"):
            [result] = response.json()["data"]
            expected = result["id"]
        elif response.status_code == 201:
            data = response.json()["data"]
            expected = data.get("id") or data["client_id"]
        else:
            assert names, f"{method} {path} names no resource"
            resources = [name for name in names if name != "operation_key"]
            expected = ids[resources[-1]]
        rows = rows_of(tenant, rid)
        assert rows, f"{method} {path} wrote no audit row"
        assert all(row["request_id"] == rid for row in rows)
        assert expected in {row["resource_id"] for row in rows}, (
            f"{method} {path}: no audit row for {expected}: {rows}"
        )


def test_dry_routes_write_no_audit_row(client, tenant) -> None:
    ids = make_records(tenant)
    event = {"type": "contact.created", "data": {"id": ids["contact_id"], "first_name": "A"}}
    for method, path in sorted(DRY):
        rid = request_id()
        response = tenant.request(
            method, path.format(**ids), json={"event": event}, headers={"X-Request-Id": rid}
        )
        assert response.status_code == 200, f"{method} {path}: {response.text}"
        assert rows_of(tenant, rid) == [], f"{method} {path} wrote audit rows"
