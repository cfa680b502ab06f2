"""Account-level API keys: keys of the account that act as no user.

Who may make, see and revoke them; what they create (no owner, no author); how the audit
log and events attribute their changes; the admin rights they carry and the user-only
things they cannot do (impersonate, ``/users/me``); and that they outlive their maker.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rolodex.client.models import ApiKey as ClientApiKey
from tests.conftest import Tenant


def create(tenant: Tenant, *, key: str | None = None, **body: Any) -> dict[str, Any]:
    response = tenant.post(
        "/api-keys", json={"name": "Integration", "kind": "account", **body}, key=key
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    message: str = error["message"]
    return message


# --- making, seeing and revoking them ----------------------------------------------------


def test_an_owner_creates_an_account_key_of_no_user(tenant: Tenant) -> None:
    response = tenant.post("/api-keys", json={"name": "Zapier", "kind": "account"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/api/v1/api-keys/{response.json()['data']['id']}"
    data = response.json()["data"]
    assert data["kind"] == "account" and data["user_id"] is None
    assert data["created_by_id"] == tenant.user_id
    assert data["scope"] == "full" and data["key"].startswith("rdx_k_")
    assert data["last_used_at"] is None and data["revoked_at"] is None

    shown = tenant.get(f"/api-keys/{data['id']}").json()["data"]
    assert "key" not in shown
    assert {k: shown[k] for k in ("kind", "user_id", "created_by_id")} == {
        "kind": "account",
        "user_id": None,
        "created_by_id": tenant.user_id,
    }
    # the key works, and its use is recorded
    assert tenant.get("/contacts", key=data["key"]).status_code == 200
    assert tenant.get(f"/api-keys/{data['id']}").json()["data"]["last_used_at"] is not None


def test_user_keys_say_so_and_default_to_kind_user(tenant: Tenant) -> None:
    response = tenant.post("/api-keys", json={"name": "mine"})
    data = response.json()["data"]
    assert data["kind"] == "user" and data["user_id"] == tenant.user_id
    assert data["created_by_id"] == tenant.user_id
    member_id, _ = tenant.add_user()
    theirs = tenant.post("/api-keys", json={"name": "theirs", "user_id": member_id})
    assert theirs.json()["data"]["user_id"] == member_id
    assert theirs.json()["data"]["created_by_id"] == tenant.user_id


def test_kind_account_with_a_user_id_is_400(tenant: Tenant) -> None:
    response = tenant.post(
        "/api-keys", json={"name": "x", "kind": "account", "user_id": tenant.user_id}
    )
    error_of(response, 400, "VALIDATION_ERROR")
    assert response.json()["error"]["details"][0]["field"] == "user_id"
    error_of(tenant.post("/api-keys", json={"name": "x", "kind": "robot"}), 400, "VALIDATION_ERROR")


def test_a_member_cannot_create_see_or_revoke_account_keys(tenant: Tenant) -> None:
    account_key = create(tenant)
    _, member_key = tenant.add_user()
    refused = tenant.post("/api-keys", json={"name": "x", "kind": "account"}, key=member_key)
    assert "owners and admins" in error_of(refused, 403, "FORBIDDEN")
    listed = tenant.get("/api-keys", key=member_key).json()["data"]
    assert all(k["kind"] == "user" for k in listed)
    path = f"/api-keys/{account_key['id']}"
    assert tenant.get(path, key=member_key).status_code == 404
    assert tenant.delete(path, key=member_key).status_code == 404
    assert tenant.get("/contacts", key=account_key["key"]).status_code == 200


def test_an_admin_creates_lists_and_revokes_account_keys(tenant: Tenant) -> None:
    admin_id, admin_key = tenant.add_user(role="admin")
    made = create(tenant, key=admin_key, scope="read_only")
    assert made["created_by_id"] == admin_id and made["scope"] == "read_only"
    owners = create(tenant)
    listed = tenant.get("/api-keys", params={"kind": "account"}, key=admin_key).json()["data"]
    assert {k["id"] for k in listed} == {made["id"], owners["id"]}
    users_keys = tenant.get("/api-keys", params={"kind": "user"}, key=admin_key).json()["data"]
    assert users_keys and all(k["kind"] == "user" for k in users_keys)
    assert tenant.delete(f"/api-keys/{owners['id']}", key=admin_key).json() == {"data": None}
    revoked = tenant.get(f"/api-keys/{owners['id']}").json()["data"]
    assert revoked["revoked_at"] is not None
    assert tenant.get("/contacts", key=owners["key"]).status_code == 401


def test_expiry_and_own_rate_limit_work_as_for_user_keys(tenant: Tenant) -> None:
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    made = create(tenant, expires_at=soon, rate_limit="600/60")
    assert made["expires_at"] is not None and made["rate_limit"] == "600/60"
    answer = tenant.get("/contacts", key=made["key"])
    assert answer.headers["X-RateLimit-Limit"] == "600"
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    too_late = tenant.post("/api-keys", json={"name": "x", "kind": "account", "expires_at": past})
    error_of(too_late, 400, "VALIDATION_ERROR")


def test_the_client_library_reads_an_account_key(tenant: Tenant) -> None:
    made = create(tenant)
    parsed = ClientApiKey.model_validate(made)
    assert parsed.kind == "account" and parsed.user_id is None
    assert parsed.created_by_id == tenant.user_id


# --- acting as no user -------------------------------------------------------------------


def test_what_an_account_key_creates_has_no_owner_assignee_or_author(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    contact = tenant.post("/contacts", json={"first_name": "Ada"}, key=key).json()["data"]
    assert contact["owner_id"] is None
    company = tenant.post("/companies", json={"name": "Acme"}, key=key).json()["data"]
    assert company["owner_id"] is None
    base = f"/contacts/{contact['id']}"
    task = tenant.post(f"{base}/tasks", json={"title": "call"}, key=key).json()["data"]
    assert task["assignee_id"] is None
    appointment = tenant.post(
        f"{base}/appointments",
        json={"title": "a", "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z"},
        key=key,
    ).json()["data"]
    assert appointment["assignee_id"] is None
    note = tenant.post(f"{base}/notes", json={"body": "n"}, key=key)
    assert note.status_code == 201, note.text
    assert note.json()["data"]["author_id"] is None
    assert (
        tenant.get(f"{base}/notes/{note.json()['data']['id']}").json()["data"]["author_id"] is None
    )
    # a body may still name an owner or assignee
    named = tenant.post(
        "/contacts", json={"first_name": "Bo", "owner_id": tenant.user_id}, key=key
    ).json()["data"]
    assert named["owner_id"] == tenant.user_id
    assigned = tenant.post(
        f"{base}/tasks", json={"title": "t", "assignee_id": tenant.user_id}, key=key
    ).json()["data"]
    assert assigned["assignee_id"] == tenant.user_id
    # but never an author: that is written only as oneself
    as_someone = tenant.post(
        f"{base}/notes", json={"body": "n", "author_id": tenant.user_id}, key=key
    )
    error_of(as_someone, 403, "FORBIDDEN")


def test_audit_rows_and_events_record_no_user_and_the_key(tenant: Tenant) -> None:
    made = create(tenant)
    response = tenant.post("/contacts", json={"first_name": "Ada"}, key=made["key"])
    contact_id = response.json()["data"]["id"]
    [row] = tenant.get("/audit-log", params={"resource_id": contact_id}).json()["data"]
    assert row["user_id"] is None and row["impersonator_id"] is None
    assert row["credential_kind"] == "api_key" and row["credential_id"] == made["id"]
    assert row["request_id"] == response.headers["X-Request-Id"]
    events = [
        e
        for e in tenant.get("/events", params={"type": "contact.created"}).json()["data"]
        if e["data"]["id"] == contact_id
    ]
    assert [e["origin"] for e in events] == [
        {
            "kind": "api",
            "surface": "native",
            "request_id": response.headers["X-Request-Id"],
            "user_id": None,
            "impersonator_id": None,
            "credential_id": made["id"],
            "connection_id": None,
            "flow_id": None,
            "run_id": None,
        }
    ]
    # the key's own creation is recorded with its maker
    [creation] = tenant.get("/audit-log", params={"resource_id": made["id"]}).json()["data"]
    assert creation["action"] == "api_key.created" and creation["user_id"] == tenant.user_id
    assert creation["changes"]["kind"] == [None, "account"]
    assert "key_hash" not in creation["changes"]


def test_an_account_key_cannot_impersonate(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    member_id, _ = tenant.add_user()
    response = tenant.get("/contacts", key=key, headers={"X-IMPERSONATE-USER-ID": member_id})
    assert "account-level API key" in error_of(response, 403, "FORBIDDEN")


def test_users_me_is_404_for_an_account_key(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    message = error_of(tenant.get("/users/me", key=key), 404, "NOT_FOUND")
    assert "acts as no user" in message
    assert tenant.get(f"/users/{tenant.user_id}", key=key).status_code == 200


def test_it_keeps_working_when_its_maker_is_deactivated(tenant: Tenant) -> None:
    admin_id, admin_key = tenant.add_user(role="admin")
    account_key = create(tenant, key=admin_key)
    users_key = tenant.post("/api-keys", json={"name": "own"}, key=admin_key).json()["data"]
    assert tenant.delete(f"/users/{admin_id}").status_code == 200
    assert tenant.get("/contacts", key=admin_key).status_code == 401
    assert tenant.get("/contacts", key=users_key["key"]).status_code == 401
    assert tenant.get("/contacts", key=account_key["key"]).status_code == 200
    made = tenant.post("/contacts", json={"first_name": "Still"}, key=account_key["key"])
    assert made.status_code == 201
    shown = tenant.get(f"/api-keys/{account_key['id']}").json()["data"]
    assert shown["created_by_id"] == admin_id  # still who made it


# --- an admin's rights, never an owner's -------------------------------------------------


def test_it_has_an_admins_rights(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    member = tenant.post("/users", json={"email": f"{secrets.token_hex(5)}@example.com"}, key=key)
    assert member.status_code == 201, member.text
    member_id = member.json()["data"]["id"]
    changed = tenant.patch(f"/users/{member_id}", json={"role": "admin"}, key=key)
    assert changed.status_code == 200, changed.text
    for body in ({"role": "owner"}, {"staff": True}):
        new = {"email": f"{secrets.token_hex(5)}@example.com", **body}
        error_of(tenant.post("/users", json=new, key=key), 403, "FORBIDDEN")
        error_of(tenant.patch(f"/users/{member_id}", json=body, key=key), 403, "FORBIDDEN")
    error_of(
        tenant.patch(f"/users/{tenant.user_id}", json={"first_name": "x"}, key=key),
        403,
        "FORBIDDEN",
    )
    error_of(tenant.delete(f"/users/{tenant.user_id}", key=key), 403, "FORBIDDEN")

    assert tenant.get("/audit-log", key=key).status_code == 200
    hook = tenant.post(
        "/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["contact.*"]}, key=key
    )
    assert hook.status_code == 201, hook.text
    assert tenant.get("/api-keys", key=key).json()["meta"]["total"] >= 2


def test_the_keys_it_may_make(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    member_id, _ = tenant.add_user()
    for_member = tenant.post("/api-keys", json={"name": "m", "user_id": member_id}, key=key)
    assert for_member.status_code == 201, for_member.text
    assert for_member.json()["data"]["created_by_id"] is None  # no user made it
    # not for an owner or a staff user: that would be more than an admin's rights
    staff_id, _ = tenant.add_user(staff=True)
    for target in (tenant.user_id, staff_id):
        refused = tenant.post("/api-keys", json={"name": "x", "user_id": target}, key=key)
        error_of(refused, 403, "FORBIDDEN")
    # a user key needs its user: the account key has none of its own
    no_user = tenant.post("/api-keys", json={"name": "x"}, key=key)
    error_of(no_user, 400, "VALIDATION_ERROR")
    assert no_user.json()["error"]["details"][0]["field"] == "user_id"
    another = tenant.post("/api-keys", json={"name": "y", "kind": "account"}, key=key)
    assert another.status_code == 201
    assert another.json()["data"]["created_by_id"] is None


def test_it_cannot_register_oauth_clients_whose_tokens_act_as_a_user(tenant: Tenant) -> None:
    key = create(tenant)["key"]
    body = {
        "name": "x",
        "client_type": "confidential",
        "redirect_uris": ["http://127.0.0.1:9/cb"],
        "scopes": ["contacts.readonly"],
    }
    error_of(tenant.post("/oauth-clients", json=body, key=key), 403, "FORBIDDEN")
    assert tenant.get("/oauth-clients", key=key).status_code == 200


def test_a_read_only_account_key_reads_but_never_writes(tenant: Tenant) -> None:
    key = create(tenant, scope="read_only")["key"]
    assert tenant.get("/contacts", key=key).status_code == 200
    error_of(tenant.post("/contacts", json={"first_name": "x"}, key=key), 403, "FORBIDDEN")
    error_of(
        tenant.post("/api-keys", json={"name": "x", "kind": "account"}, key=key), 403, "FORBIDDEN"
    )


# --- idempotency ------------------------------------------------------------------------


def test_its_idempotency_keys_are_its_own(tenant: Tenant) -> None:
    account_key = create(tenant)["key"]
    other_account_key = create(tenant)["key"]
    idem = {"Idempotency-Key": f"idem-{secrets.token_hex(6)}"}
    first = tenant.post("/contacts", json={"first_name": "A"}, key=account_key, headers=idem)
    assert first.status_code == 201
    again = tenant.post("/contacts", json={"first_name": "A"}, key=account_key, headers=idem)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    # the same Idempotency-Key of other credentials is theirs: no replay, no conflict
    for key in (other_account_key, tenant.key):
        other = tenant.post("/contacts", json={"first_name": "B"}, key=key, headers=idem)
        assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    reused = tenant.post("/contacts", json={"first_name": "C"}, key=account_key, headers=idem)
    error_of(reused, 422, "UNPROCESSABLE")


@pytest.mark.parametrize("scope", ["full", "read_only"])
def test_account_keys_of_another_account_are_404(
    tenant: Tenant, make_tenant: Any, scope: str
) -> None:
    other = make_tenant()
    theirs = create(other, scope=scope)
    assert tenant.get(f"/api-keys/{theirs['id']}").status_code == 404
    assert tenant.delete(f"/api-keys/{theirs['id']}").status_code == 404
    mine = create(tenant)
    assert tenant.get(f"/api-keys/{theirs['id']}", key=mine["key"]).status_code == 404
    listed = {k["id"] for k in other.get("/api-keys", key=theirs["key"]).json()["data"]}
    assert theirs["id"] in listed and mine["id"] not in listed
