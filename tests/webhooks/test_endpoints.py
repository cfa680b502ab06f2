"""Webhook endpoints over HTTP: create, read, change, rotate, ping, isolation, access."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from rolodex.app import create_app
from rolodex.config import Settings
from tests.api.test_tenant_isolation import oauth_token
from tests.conftest import API, Tenant
from tests.webhooks.conftest import create_endpoint, deliveries

URL = "https://hooks.example.com/rolodex"


def test_create_shows_the_secret_once_and_never_again(tenant: Tenant) -> None:
    created = create_endpoint(tenant, URL, ["contact.*", "task.completed"], description="CRM")
    assert created["id"].startswith("whk_") and created["object"] == "webhook_endpoint"
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["contact.*", "task.completed"]
    assert created["enabled"] is True and created["description"] == "CRM"
    fetched = tenant.get(f"/webhooks/{created['id']}").json()["data"]
    assert "secret" not in fetched
    listed = tenant.get("/webhooks").json()["data"]
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    audit = tenant.get("/audit-log", params={"resource_id": created["id"]}).json()["data"]
    assert audit and all("secret" not in str(entry["changes"]) for entry in audit)
    assert created["secret"] not in str(audit)


def test_rotation_returns_a_new_secret(tenant: Tenant) -> None:
    created = create_endpoint(tenant, URL, ["*"])
    rotated = tenant.post(f"/webhooks/{created['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["data"]["secret"].startswith("whsec_")
    assert rotated.json()["data"]["secret"] != created["secret"]
    again = tenant.post(f"/webhooks/{created['id']}/rotate-secret", json={"grace_seconds": 0})
    assert again.status_code == 200
    bad = tenant.post(f"/webhooks/{created['id']}/rotate-secret", json={"grace_seconds": -1})
    assert bad.status_code == 400


def test_update_disable_enable_and_delete(tenant: Tenant) -> None:
    created = create_endpoint(tenant, URL, ["contact.created"])
    path = f"/webhooks/{created['id']}"
    patched = tenant.patch(path, json={"enabled": False, "events": ["company.*"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["enabled"] is False
    assert patched.json()["data"]["events"] == ["company.*"]
    replaced = tenant.put(path, json={"url": URL + "/v2", "events": ["*"]})
    assert replaced.status_code == 200
    assert replaced.json()["data"]["enabled"] is True
    assert replaced.json()["data"]["description"] is None
    assert tenant.delete(path).json() == {"data": None}
    assert tenant.get(path).status_code == 404


def test_invalid_input_is_a_400(tenant: Tenant) -> None:
    for body in (
        {"url": "ftp://example.com", "events": ["*"]},
        {"url": "not a url", "events": ["*"]},
        {"url": "https://user:pw@example.com/", "events": ["*"]},
        {"url": URL, "events": []},
        {"url": URL, "events": ["contact.exploded"]},
        {"url": URL, "events": ["*.created"]},
        {"url": URL},
        {"url": URL, "events": ["*"], "secret": "whsec_mine"},
    ):
        response = tenant.post("/webhooks", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    created = create_endpoint(tenant, URL, ["*"])
    assert tenant.patch(f"/webhooks/{created['id']}", json={"url": None}).status_code == 400


def test_private_destinations_are_refused_unless_allowed(
    settings: Settings, tenant: Tenant
) -> None:
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    with TestClient(create_app(strict), raise_server_exceptions=False) as client:
        headers = {"X-API-Key": tenant.key}
        for url in (
            "http://127.0.0.1:9/x",
            "http://localhost/x",
            "http://10.1.2.3/",
            "http://[::1]/",
        ):
            response = client.post(
                f"{API}/webhooks", json={"url": url, "events": ["*"]}, headers=headers
            )
            assert response.status_code == 400, (url, response.text)
        ok = client.post(f"{API}/webhooks", json={"url": URL, "events": ["*"]}, headers=headers)
        assert ok.status_code == 201


def test_other_accounts_endpoints_are_404(tenant: Tenant, make_tenant: Any) -> None:
    created = create_endpoint(tenant, URL, ["*"])
    other = make_tenant()
    path = f"/webhooks/{created['id']}"
    assert other.get(path).status_code == 404
    assert other.patch(path, json={"enabled": False}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.post(f"{path}/rotate-secret").status_code == 404
    assert other.post(f"{path}/ping").status_code == 404
    assert other.get(f"{path}/deliveries").status_code == 404
    assert other.post(f"{path}/replay", json={"since": "2020-01-01T00:00:00Z"}).status_code == 404
    assert other.get("/webhooks").json()["data"] == []
    assert tenant.get("/webhooks/whk_nope").status_code == 404


def test_only_owners_and_admins_manage_webhooks(tenant: Tenant) -> None:
    _, member_key = tenant.add_user(role="member")
    _, admin_key = tenant.add_user(role="admin")
    assert tenant.get("/webhooks", key=member_key).status_code == 403
    denied = tenant.post("/webhooks", json={"url": URL, "events": ["*"]}, key=member_key)
    assert denied.status_code == 403
    allowed = tenant.post("/webhooks", json={"url": URL, "events": ["*"]}, key=admin_key)
    assert allowed.status_code == 201
    read_only = tenant.new_key("read_only")
    assert tenant.get("/webhooks", key=read_only).status_code == 200
    refused = tenant.post("/webhooks", json={"url": URL, "events": ["*"]}, key=read_only)
    assert refused.status_code == 403


def test_events_fan_out_to_matching_endpoints_only(tenant: Tenant) -> None:
    contacts = create_endpoint(tenant, URL, ["contact.*"])
    tasks = create_endpoint(tenant, URL, ["task.completed"])
    disabled = create_endpoint(tenant, URL, ["*"], enabled=False)
    contact = tenant.post("/contacts", json={"first_name": "Fan"}).json()["data"]
    task = tenant.post(f"/contacts/{contact['id']}/tasks", json={"title": "T"}).json()["data"]
    tenant.put(f"/contacts/{contact['id']}/tasks/{task['id']}/completed", json={"completed": True})
    assert [d["event_type"] for d in deliveries(tenant, contacts["id"])] == ["contact.created"]
    assert [d["event_type"] for d in deliveries(tenant, tasks["id"])] == ["task.completed"]
    assert deliveries(tenant, disabled["id"]) == []
    one = deliveries(tenant, contacts["id"])[0]
    assert one["status"] == "pending" and one["attempts"] == 0 and one["attempt_log"] == []
    fetched = tenant.get(f"/webhooks/{contacts['id']}/deliveries/{one['id']}")
    assert fetched.json()["data"]["id"] == one["id"]
    assert tenant.get(f"/webhooks/{tasks['id']}/deliveries/{one['id']}").status_code == 404


def test_ping_queues_an_event_for_that_endpoint_alone(tenant: Tenant) -> None:
    target = create_endpoint(tenant, URL, ["contact.created"])
    bystander = create_endpoint(tenant, URL, ["*"])
    response = tenant.post(f"/webhooks/{target['id']}/ping")
    assert response.status_code == 202, response.text
    event = response.json()["data"]
    assert event["type"] == "webhook_endpoint.ping" and event["data"]["id"] == target["id"]
    assert [d["event_id"] for d in deliveries(tenant, target["id"])] == [event["id"]]
    assert deliveries(tenant, bystander["id"]) == []


def test_replaying_a_pending_delivery_is_refused(tenant: Tenant) -> None:
    target = create_endpoint(tenant, URL, ["*"])
    tenant.post(f"/webhooks/{target['id']}/ping")
    pending = deliveries(tenant, target["id"])[0]
    replay = tenant.post(f"/webhooks/{target['id']}/deliveries/{pending['id']}/replay")
    assert replay.status_code == 422


@pytest.mark.parametrize("pattern", ["*", "contact.*", "contact.created", "task.completed"])
def test_webhooks_write_alone_cannot_subscribe_to_records(
    client: TestClient, tenant: Tenant, pattern: str
) -> None:
    token = oauth_token(client, tenant, ["webhooks.write"])
    body = {"url": "https://hooks.example.com/x", "events": ["webhook_endpoint.*", pattern]}
    made = client.post(f"{API}/webhooks", json=body, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 403, made.text
    error = made.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert [d["field"] for d in error["details"]] and {d["field"] for d in error["details"]} == {
        "events.1"
    }
    assert "contacts.readonly" in error["details"][0]["message"]


def test_pointing_an_endpoint_elsewhere_needs_to_read_what_it_receives(
    client: TestClient, tenant: Tenant
) -> None:
    created = create_endpoint(tenant, URL, ["*"])
    token = oauth_token(client, tenant, ["webhooks.write", "contacts.readonly"])
    headers = {"Authorization": f"Bearer {token}"}
    path = f"{API}/webhooks/{created['id']}"
    moved = client.patch(path, json={"url": "https://attacker.example.com/"}, headers=headers)
    assert moved.status_code == 403, moved.text
    assert moved.json()["error"]["details"][0]["field"] == "events.0"
    narrowed = {"url": "https://attacker.example.com/", "events": ["contact.*"]}
    assert client.patch(path, json=narrowed, headers=headers).status_code == 200
    # what does not choose where events go needs no more than the webhooks scope
    assert client.patch(path, json={"enabled": False}, headers=headers).status_code == 200
