"""``GET /catalog``: every trigger and action of the three connectors, with JSON Schemas,
filterable, and the operation route's refusals that need no remote."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from rolodex.integrations.catalog import catalog
from tests.conftest import Tenant
from tests.integrations.conftest import connect

ITEM_KEYS = {"connector", "kind", "key", "title", "description", "input_schema", "output_schema"}


def all_items(tenant: Tenant, **params: str) -> list[dict]:
    response = tenant.get("/catalog", params={"per_page": 250, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["total"] == len(body["data"])
    return body["data"]


def test_the_catalog_holds_at_least_126_operations_with_schemas(tenant: Tenant) -> None:
    items = all_items(tenant)
    assert len(items) >= 126
    assert len(items) == len(catalog())
    counts = Counter(item["connector"] for item in items)
    assert set(counts) == {"rolodex", "moco", "highlevel"}
    assert all(count >= 40 for count in counts.values()), counts
    seen = set()
    for item in items:
        assert set(item) == ITEM_KEYS, item
        assert item["kind"] in ("action", "trigger")
        assert item["title"] and item["description"]
        assert (item["connector"], item["key"]) not in seen
        seen.add((item["connector"], item["key"]))
        assert item["input_schema"]["type"] == "object", item["key"]
        assert isinstance(item["output_schema"], dict) and item["output_schema"], item["key"]


def test_keys_are_in_each_remotes_own_words(tenant: Tenant) -> None:
    items = all_items(tenant)
    keys = {c: {i["key"] for i in items if i["connector"] == c} for c in ("moco", "highlevel")}
    for resource in ("people", "companies", "comments", "taggings", "tags", "users"):
        assert any(key.startswith(f"{resource}.") for key in keys["moco"]), resource
    assert {"Contact.create", "Contact.update", "Company.create", "Comment.create"} <= keys["moco"]
    assert {"people.new_or_updated", "companies.new_or_updated"} <= keys["moco"]
    assert {
        "contacts.create",
        "contacts.update",
        "contacts.upsert",
        "contacts.delete",
        "contacts.get",
        "contacts.search",
        "tasks.complete",
        "notes.create",
        "tags.add",
        "tags.remove",
        "appointments.list",
        "custom_fields.list",
        "ContactCreate",
        "ContactUpdate",
        "ContactDelete",
        "ContactTagUpdate",
        "TaskCreate",
        "TaskComplete",
        "NoteCreate",
        "AppointmentCreate",
        "contacts.new_or_updated",
    } <= keys["highlevel"]
    triggers = {i["key"] for i in items if i["connector"] == "rolodex" and i["kind"] == "trigger"}
    assert {"contact.created", "task.completed", "note.created"} <= triggers
    for item in items:
        if item["kind"] == "action":
            assert re.fullmatch(r"[a-z_]+\.[a-z_]+", item["key"]), item["key"]


def test_filters_by_connector_and_kind(tenant: Tenant) -> None:
    every = all_items(tenant)
    moco_triggers = all_items(tenant, connector="moco", kind="trigger")
    assert moco_triggers and all(
        i["connector"] == "moco" and i["kind"] == "trigger" for i in moco_triggers
    )
    expected = [i for i in every if i["connector"] == "moco" and i["kind"] == "trigger"]
    assert moco_triggers == expected
    actions = all_items(tenant, kind="action")
    assert len(actions) + len(all_items(tenant, kind="trigger")) == len(every)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"connector": "salesforce"}, "connector"), ({"kind": "webhook"}, "kind")],
)
def test_unknown_filter_values_are_400(tenant: Tenant, params: dict, field: str) -> None:
    response = tenant.get("/catalog", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == field


def test_the_catalog_pages_in_the_native_envelope(tenant: Tenant) -> None:
    first = tenant.get("/catalog", params={"per_page": 10})
    assert first.status_code == 200
    body = first.json()
    assert len(body["data"]) == 10 and body["meta"]["page"] == 1
    assert body["meta"]["total"] == len(catalog())
    assert 'rel="next"' in first.headers["Link"]
    second = tenant.get("/catalog", params={"per_page": 10, "page": 2}).json()["data"]
    assert {i["key"] for i in second}.isdisjoint({i["key"] for i in body["data"]})


def test_the_catalog_needs_a_manager_and_reads_with_a_read_only_key(tenant: Tenant) -> None:
    assert tenant.get("/catalog", key=tenant.new_key("read_only")).status_code == 200
    _member, member_key = tenant.add_user(role="member")
    assert tenant.get("/catalog", key=member_key).status_code == 403


def test_an_unknown_operation_or_an_invalid_input_is_refused_before_any_call(
    tenant: Tenant,
) -> None:
    made = connect(
        tenant,
        kind="moco",
        base_url="https://acme.invalid/api/v1",
        credentials={"api_key": "moco-key-1234"},
    )
    base = f"/connections/{made['id']}/operations"
    unknown = tenant.post(f"{base}/projects.list", json={"dry_run": True})
    assert unknown.status_code == 404, unknown.text
    bad = tenant.post(
        f"{base}/people.create", json={"input": {"firstname": "Ada"}, "dry_run": True}
    )
    assert bad.status_code == 400, bad.text
    fields = {d["field"] for d in bad.json()["error"]["details"]}
    assert fields == {"input.lastname", "input.gender"}
    extra = tenant.post(f"{base}/people.get", json={"input": {"id": 1}, "dry_runs": True})
    assert extra.status_code == 400, extra.text
    read_only = tenant.post(
        f"{base}/people.get",
        json={"input": {"id": 1}, "dry_run": True},
        key=tenant.new_key("read_only"),
    )
    assert read_only.status_code == 403


def test_a_live_run_of_a_disabled_or_unauthorized_connection_is_409_and_sends_nothing(
    tenant: Tenant,
) -> None:
    made = connect(
        tenant,
        kind="moco",
        base_url="https://acme.invalid/api/v1",
        credentials={"api_key": "moco-key-1234"},
    )
    assert tenant.patch(f"/connections/{made['id']}", json={"status": "disabled"}).is_success
    url = f"/connections/{made['id']}/operations/people.list"
    live = tenant.post(url, json={"input": {}})
    assert live.status_code == 409, live.text
    dry = tenant.post(url, json={"input": {}, "dry_run": True})
    assert dry.status_code == 200, dry.text
    oauth = connect(
        tenant,
        kind="highlevel",
        base_url="https://hl.invalid",
        location_id="loc-1",
        oauth={"client_id": "c", "client_secret": "s"},
    )
    assert oauth["status"] == "needs_auth"
    waiting = tenant.post(
        f"/connections/{oauth['id']}/operations/contacts.get", json={"input": {"contactId": "x"}}
    )
    assert waiting.status_code == 409, waiting.text
    usage = tenant.get(f"/connections/{made['id']}/usage").json()["data"]
    assert usage["operations"] == []
