"""Connections over HTTP: create, read, change, delete; credentials write-only; who may."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from rolodex.app import create_app
from rolodex.config import Settings
from tests.api.test_tenant_isolation import oauth_token
from tests.conftest import API, Tenant, free_port

REMOTE = "https://crm.example.com/api/v1"
KEY = "remote-key-5f1c0a7d3b9e4c2a8d6f"


def create(tenant: Tenant, **body: Any) -> dict[str, Any]:
    body = {"kind": "rolodex", "base_url": REMOTE, "credentials": {"api_key": KEY}, **body}
    response = tenant.post("/connections", json=body)
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"{API}/connections/{response.json()['data']['id']}"
    data: dict[str, Any] = response.json()["data"]
    return data


def test_a_connection_is_created_and_shown_without_its_credentials(tenant: Tenant) -> None:
    made = create(tenant, name="Other office")
    assert made["id"].startswith("con_") and made["object"] == "connection"
    assert made["kind"] == "rolodex" and made["name"] == "Other office"
    assert made["base_url"] == REMOTE and made["status"] == "active"
    assert made["auth"] == {"type": "api_key", "credentials": ["api_key"], "expires_at": None}
    assert made["rate_limit"] == {"requests": 120, "per_seconds": 120, "daily": None}
    assert made["webhook_url"].endswith(f"/integrations/hooks/{made['id']}")
    assert made["oauth"] is None and made["status_reason"] is None
    shown = [
        tenant.get(f"/connections/{made['id']}").text,
        tenant.get("/connections").text,
        str(made),
    ]
    assert all(KEY not in text for text in shown)
    listed = tenant.get("/connections").json()
    assert [c["id"] for c in listed["data"]] == [made["id"]]


def test_defaults_come_from_the_connector(tenant: Tenant) -> None:
    highlevel = create(
        tenant,
        kind="highlevel",
        base_url=None,
        location_id="loc-1",
        credentials={
            "access_token": "hl-access-token-1234",
            "refresh_token": "hl-refresh-token-1234",
            "expires_in": 3600,
            "client_id": "hl-client",
            "client_secret": "hl-client-secret-1234",
        },
    )
    assert highlevel["name"] == "HighLevel"
    assert highlevel["base_url"] == "https://services.leadconnectorhq.com"
    assert highlevel["rate_limit"] == {"requests": 100, "per_seconds": 10, "daily": 200_000}
    assert highlevel["auth"]["type"] == "oauth2"
    assert highlevel["auth"]["credentials"] == ["access_token", "client_secret", "refresh_token"]
    assert highlevel["auth"]["expires_at"] is not None
    assert highlevel["oauth"]["client_id"] == "hl-client"
    assert highlevel["oauth"]["token_url"] == "https://services.leadconnectorhq.com/oauth/token"
    assert highlevel["oauth"]["pkce"] is False
    moco = create(tenant, kind="moco", base_url="https://acme.mocoapp.com/api/v1")
    assert moco["rate_limit"]["requests"] == 120 and moco["name"] == "MOCO"


def test_an_oauth_connection_waits_to_be_authorized(tenant: Tenant) -> None:
    made = create(
        tenant,
        credentials=None,
        oauth={
            "client_id": "ocl_x",
            "client_secret": "s3cr3t-value-xyz",
            "scopes": ["contacts.write"],
        },
    )
    assert made["status"] == "needs_auth" and "authorize" in made["status_reason"]
    assert made["oauth"] == {
        "client_id": "ocl_x",
        "authorize_url": "https://crm.example.com/oauth/authorize",
        "token_url": "https://crm.example.com/oauth/token",
        "scopes": ["contacts.write"],
        "pkce": True,
    }
    assert made["auth"]["credentials"] == ["client_secret"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "salesforce"}, "kind"),
        ({"base_url": None}, "base_url"),
        ({"base_url": "ftp://crm.example.com"}, "base_url"),
        ({"credentials": None}, "credentials"),
        ({"credentials": {"webhook_secret": "x" * 10}}, "credentials"),
        ({"credentials": {"api_key": "a", "access_token": "b"}}, "credentials"),
        ({"credentials": {"api_key": "a", "client_secret": "b"}}, "credentials.client_secret"),
        ({"credentials": {"access_token": "a", "refresh_token": "b"}}, "credentials.client_id"),
        ({"credentials": {"api_key": "a"}, "oauth": {"client_id": "c"}}, "oauth"),
        ({"kind": "moco", "credentials": None, "oauth": {"client_id": "c"}}, "oauth"),
        ({"kind": "highlevel", "base_url": None}, "location_id"),
        ({"name": "   "}, "name"),
        ({"rate_limit": {"requests": 0, "per_seconds": 10}}, "rate_limit.requests"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_bodies_are_refused_with_the_field_at_fault(
    tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    full = {"kind": "rolodex", "base_url": REMOTE, "credentials": {"api_key": KEY}, **body}
    response = tenant.post("/connections", json=full)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any((d["field"] or "").startswith(field) for d in error["details"]), error


def test_private_addresses_are_refused_unless_allowed(settings: Settings, tenant: Tenant) -> None:
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    with TestClient(create_app(strict), raise_server_exceptions=False) as client:
        for url in ("http://127.0.0.1:8000/api/v1", "http://localhost/api/v1", "http://10.1.2.3"):
            body = {"kind": "rolodex", "base_url": url, "credentials": {"api_key": KEY}}
            response = client.post(
                f"{API}/connections", json=body, headers={"X-API-Key": tenant.key}
            )
            assert response.status_code == 400, (url, response.text)
            assert response.json()["error"]["details"][0]["field"] == "base_url"
        body = {
            "kind": "rolodex",
            "base_url": REMOTE,
            "oauth": {"client_id": "c", "token_url": "http://169.254.169.254/token"},
        }
        response = client.post(f"{API}/connections", json=body, headers={"X-API-Key": tenant.key})
        assert response.status_code == 400
        assert response.json()["error"]["details"][0]["field"] == "oauth.token_url"
    # allowed by the test deployment's ROLODEX_WEBHOOKS_ALLOW_PRIVATE=true
    create(tenant, base_url="http://127.0.0.1:8000/api/v1")


def test_update_rename_rate_limit_disable_and_resume(tenant: Tenant) -> None:
    made = create(tenant)
    path = f"/connections/{made['id']}"
    patched = tenant.patch(
        path, json={"name": "Renamed", "rate_limit": {"requests": 60, "per_seconds": 60}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["name"] == "Renamed"
    assert patched.json()["data"]["rate_limit"] == {
        "requests": 60,
        "per_seconds": 60,
        "daily": None,
    }
    off = tenant.patch(path, json={"status": "disabled"}).json()["data"]
    assert off["status"] == "disabled"
    on = tenant.patch(path, json={"status": "active"}).json()["data"]
    assert on["status"] == "active"
    for body in ({"name": None}, {"status": "failing"}, {"rate_limit": None}):
        assert tenant.patch(path, json=body).status_code == 400, body
    # read-only fields of a GET are ignored, so GET → edit → PATCH works
    shown = tenant.get(path).json()["data"]
    assert tenant.patch(path, json={**shown, "name": "Again"}).status_code == 200


def test_a_new_base_url_needs_the_credentials_again(tenant: Tenant) -> None:
    made = create(tenant)
    path = f"/connections/{made['id']}"
    moved = tenant.patch(path, json={"base_url": "https://evil.example.net/api/v1"})
    assert moved.status_code == 400
    assert moved.json()["error"]["details"][0]["field"] == "base_url"
    assert tenant.get(path).json()["data"]["base_url"] == REMOTE
    again = tenant.patch(
        path,
        json={
            "base_url": "https://other.example.com/api/v1",
            "credentials": {"api_key": "new-key-123"},
        },
    )
    assert again.status_code == 200, again.text
    assert again.json()["data"]["base_url"] == "https://other.example.com/api/v1"


def test_events_and_audit_show_credentials_as_stars(tenant: Tenant) -> None:
    made = create(tenant)
    path = f"/connections/{made['id']}"
    assert (
        tenant.patch(path, json={"credentials": {"api_key": "second-key-abcdef"}}).status_code
        == 200
    )
    assert tenant.patch(path, json={"name": "Renamed"}).status_code == 200
    assert tenant.delete(path).json() == {"data": None}
    assert tenant.get(path).status_code == 404
    events = tenant.get("/events", params={"type": "connection.*", "order": "asc"}).json()["data"]
    assert [e["type"] for e in events] == [
        "connection.created",
        "connection.updated",
        "connection.updated",
        "connection.deleted",
    ]
    assert all(e["data"]["id"] == made["id"] for e in events)
    assert events[1]["changes"]["credentials"] == ["***", "***"]
    assert events[2]["changes"] == {"name": ["Rolodex", "Renamed"]}
    assert events[3]["data"]["status"] == "disabled"
    audit = tenant.get("/audit-log", params={"resource_id": made["id"]}).json()["data"]
    actions = {entry["action"] for entry in audit}
    assert {
        "connection.created",
        "connection.credentials_replaced",
        "connection.deleted",
    } <= actions
    created = next(e for e in audit if e["action"] == "connection.created")
    assert created["changes"]["credentials"] == [None, "***"]
    for text in (str(events), str(audit)):
        assert KEY not in text and "second-key-abcdef" not in text


def test_only_owners_and_admins_with_the_integrations_scopes(client, tenant: Tenant) -> None:
    made = create(tenant)
    _, member = tenant.add_user(role="member")
    _, admin = tenant.add_user(role="admin")
    assert tenant.get("/connections", key=member).status_code == 403
    assert tenant.post("/connections", key=member, json={"kind": "rolodex"}).status_code == 403
    assert tenant.get(f"/connections/{made['id']}", key=member).status_code == 403
    assert tenant.get("/connections", key=admin).status_code == 200
    reader = oauth_token(client, tenant, ["integrations.readonly"])
    headers = {"Authorization": f"Bearer {reader}"}
    assert client.get(f"{API}/connections", headers=headers).status_code == 200
    body = {"kind": "rolodex", "base_url": REMOTE, "credentials": {"api_key": KEY}}
    assert client.post(f"{API}/connections", headers=headers, json=body).status_code == 403
    other = oauth_token(client, tenant, ["contacts.write"])
    headers = {"Authorization": f"Bearer {other}"}
    assert client.get(f"{API}/connections", headers=headers).status_code == 403
    read_only = tenant.new_key("read_only")
    assert tenant.get("/connections", key=read_only).status_code == 200
    assert tenant.post("/connections", key=read_only, json=body).status_code == 403


def test_connections_of_another_account_are_404(tenant: Tenant, make_tenant) -> None:
    other = make_tenant()
    theirs = create(other)
    for method in ("GET", "PATCH", "DELETE"):
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        response = tenant.request(method, f"/connections/{theirs['id']}", **kwargs)
        assert response.status_code == 404, (method, response.text)
    assert tenant.post(f"/connections/{theirs['id']}/check").status_code == 404
    assert tenant.get(f"/connections/{theirs['id']}/usage").status_code == 404
    assert tenant.get("/connections").json()["data"] == []


def test_a_remote_that_does_not_answer_is_a_failed_check_not_an_error(
    tenant: Tenant,
) -> None:
    connection_id = create(tenant, base_url=f"http://127.0.0.1:{free_port()}/api/v1")["id"]
    response = tenant.post(f"/connections/{connection_id}/check")
    assert response.status_code == 200, response.text
    result = response.json()["data"]
    assert result["ok"] is False and result["status"] is None
    assert "no answer" in str(result["message"])
    assert tenant.get(f"/connections/{connection_id}").json()["data"]["status"] == "failing"
    usage = tenant.get(f"/connections/{connection_id}/usage").json()["data"]
    assert usage["totals"] == {"requests": 1, "throttled": 0, "failed": 1}
