"""Authentication, key scopes, impersonation, ``/users`` and ``/api-keys``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from rolodex.accounts.models import ApiKey
from tests.conftest import API

FAKE_IDS = {
    "id": "cnt_01jd6w3q0000000000000000aa",
    "contact_id": "cnt_01jd6w3q0000000000000000aa",
    "company_id": "cmp_01jd6w3q0000000000000000aa",
    "task_id": "tsk_01jd6w3q0000000000000000aa",
    "note_id": "nte_01jd6w3q0000000000000000aa",
    "appointment_id": "apt_01jd6w3q0000000000000000aa",
    "tag_id": "tag_01jd6w3q0000000000000000aa",
    "user_id": "usr_01jd6w3q0000000000000000aa",
    "key_id": "key_01jd6w3q0000000000000000aa",
    "client_id": "ocl_01jd6w3q0000000000000000aa",
    "endpoint_id": "whk_01jd6w3q0000000000000000aa",
    "delivery_id": "whd_01jd6w3q0000000000000000aa",
    "event_id": "evt_01jd6w3q0000000000000000aa",
    "connection_id": "con_01jd6w3q0000000000000000aa",
    "run_id": "run_01jd6w3q0000000000000000aa",
    "flow_id": "flw_01jd6w3q0000000000000000aa",
    "sync_id": "syn_01jd6w3q0000000000000000aa",
    "operation_key": "contacts.list",
}


def raw_get(client, path: str, headers: dict[str, str]):
    return client.get(API + path, headers=headers)


def set_expiry(tenant, key_id: str, when: datetime) -> None:
    async def work(session) -> None:
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=when))

    tenant.run(work)


def create_key(tenant, *, key: str | None = None, **body) -> dict:
    response = tenant.post("/api-keys", json={"name": "Integration", **body}, key=key)
    assert response.status_code == 201, response.text
    return response.json()["data"]


# --- credentials -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "style",
    [
        lambda key: {"X-API-Key": key},
        lambda key: {"Authorization": f"Bearer {key}"},
        lambda key: {"Authorization": f"bearer  {key} "},
        lambda key: {"Authorization": f"Token token={key}"},
        lambda key: {"Authorization": f'Token token="{key}"'},
    ],
    ids=["x-api-key", "bearer", "bearer-lowercase-spaces", "token", "token-quoted"],
)
def test_every_header_style_authenticates(client, tenant, style) -> None:
    response = raw_get(client, "/users/me", style(tenant.key))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == tenant.user_id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token abc"},
        {"X-API-Key": "rdx_k_unknown"},
        {"Authorization": "Bearer rdx_k_unknown"},
        {"Authorization": "Token token=rdx_k_unknown"},
        {"X-API-Key": "rdx_k_" + "a" * 2000},
    ],
    ids=[
        "none",
        "empty",
        "bearer-empty",
        "basic",
        "token-no-eq",
        "unknown",
        "unknown-bearer",
        "unknown-token",
        "huge",
    ],
)
def test_missing_or_unknown_credential_is_401(client, headers) -> None:
    response = raw_get(client, "/contacts", headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "UNAUTHORIZED"
    assert error["request_id"] == response.headers["X-Request-Id"]


def test_missing_credential_on_a_write_is_401_not_400(client) -> None:
    response = client.post(API + "/contacts", json={})
    assert response.status_code == 401


def test_missing_credential_advertises_the_scheme(client) -> None:
    response = raw_get(client, "/contacts", {})
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_near_miss_of_a_real_key_is_401(client, tenant) -> None:
    assert raw_get(client, "/contacts", {"X-API-Key": tenant.key[:-1]}).status_code == 401
    assert raw_get(client, "/contacts", {"X-API-Key": tenant.key + "x"}).status_code == 401


def test_expired_key_is_401(tenant) -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = create_key(tenant, expires_at=future)
    assert tenant.get("/contacts", key=created["key"]).status_code == 200
    set_expiry(tenant, created["id"], datetime.now(UTC) - timedelta(seconds=1))
    response = tenant.get("/contacts", key=created["key"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_key_with_past_expiry_cannot_be_created(tenant) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = tenant.post("/api-keys", json={"name": "old", "expires_at": past})
    assert response.status_code == 400


def test_revoked_key_is_401(tenant) -> None:
    created = create_key(tenant)
    assert tenant.delete(f"/api-keys/{created['id']}").json() == {"data": None}
    response = tenant.get("/contacts", key=created["key"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert tenant.get("/contacts").status_code == 200, "other keys keep working"


def test_deactivated_users_key_is_401(tenant) -> None:
    _, key = tenant.add_user(active=False)
    response = tenant.get("/users/me", key=key)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_other_accounts_key_does_not_see_this_accounts_data(tenant, make_tenant) -> None:
    other = make_tenant()
    contact = tenant.post("/contacts", json={"first_name": "Mine"}).json()["data"]
    assert other.get(f"/contacts/{contact['id']}").status_code == 404
    assert other.get("/contacts").json()["data"] == []


# --- read_only scope -------------------------------------------------------------------


def test_read_only_key_reads(tenant) -> None:
    tenant.post("/contacts", json={"first_name": "Ada"})
    key = tenant.new_key("read_only")
    for path in (
        "/contacts",
        "/companies",
        "/tasks",
        "/notes",
        "/appointments",
        "/tags",
        "/users",
        "/users/me",
        "/api-keys",
    ):
        response = tenant.get(path, key=key)
        assert response.status_code == 200, (path, response.text)
    assert tenant.get("/contacts", key=key).json()["meta"]["total"] == 1


def _mutations(client) -> list[tuple[str, str]]:
    """Every documented write of the API, its path ids filled with well-formed fakes."""
    found = []
    for template, operations in client.get("/openapi.json").json()["paths"].items():
        if not template.startswith(API):
            continue
        for method in operations:
            if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                path = re.sub(r"\{(\w+)\}", lambda m: FAKE_IDS[m.group(1)], template)
                found.append((method.upper(), path))
    return found


def test_read_only_key_is_refused_every_mutation(client, tenant) -> None:
    key = tenant.new_key("read_only")
    mutations = _mutations(client)
    assert len(mutations) >= 20
    for method, path in mutations:
        response = client.request(method, path, json={}, headers={"X-API-Key": key})
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json()["error"]["code"] == "FORBIDDEN"


def test_read_only_key_cannot_change_real_records(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    key = tenant.new_key("read_only")
    path = f"/contacts/{contact['id']}"
    assert tenant.patch(path, json={"first_name": "Eve"}, key=key).status_code == 403
    assert tenant.delete(path, key=key).status_code == 403
    assert tenant.post("/contacts", json={"first_name": "New"}, key=key).status_code == 403
    assert tenant.get(path).json()["data"]["first_name"] == "Ada"
    assert tenant.get("/contacts").json()["meta"]["total"] == 1


# --- impersonation ---------------------------------------------------------------------


def test_staff_can_impersonate_a_user_of_the_account(tenant) -> None:
    member_id, _ = tenant.add_user()
    response = tenant.get("/users/me", headers={"X-IMPERSONATE-USER-ID": member_id})
    assert response.status_code == 200
    assert response.json()["data"]["id"] == member_id
    assert tenant.get("/users/me").json()["data"]["id"] == tenant.user_id


def test_impersonated_writes_are_owned_by_the_impersonated_user(tenant) -> None:
    member_id, _ = tenant.add_user()
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    task = tenant.post(
        f"/contacts/{contact['id']}/tasks",
        json={"title": "x"},
        headers={"X-IMPERSONATE-USER-ID": member_id},
    ).json()["data"]
    assert task["assignee_id"] == member_id


def test_non_staff_cannot_impersonate(tenant) -> None:
    _, admin_key = tenant.add_user(role="admin", staff=False)
    response = tenant.get(
        "/users/me", key=admin_key, headers={"X-IMPERSONATE-USER-ID": tenant.user_id}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "target", ["usr_01jd6w3q0000000000000000aa", "usr_bad", "cnt_01jd6w3q0000000000000000aa", ""]
)
def test_impersonating_an_unknown_user_is_404(tenant, target) -> None:
    response = tenant.get("/users/me", headers={"X-IMPERSONATE-USER-ID": target})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_impersonating_a_user_of_another_account_is_404(tenant, make_tenant) -> None:
    other = make_tenant()
    response = tenant.get("/users/me", headers={"X-IMPERSONATE-USER-ID": other.user_id})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_impersonation_keeps_the_keys_scope(tenant) -> None:
    member_id, _ = tenant.add_user()
    key = tenant.new_key("read_only")
    headers = {"X-IMPERSONATE-USER-ID": member_id}
    assert tenant.get("/users/me", key=key, headers=headers).json()["data"]["id"] == member_id
    response = tenant.post("/contacts", json={"first_name": "x"}, key=key, headers=headers)
    assert response.status_code == 403


# --- /users ----------------------------------------------------------------------------


def test_users_me_shows_the_keys_user(tenant) -> None:
    response = tenant.get("/users/me")
    assert response.status_code == 200
    me = response.json()["data"]
    assert me["id"] == tenant.user_id
    assert me["object"] == "user"
    assert me["email"] == tenant.email
    assert me["role"] == "owner"
    assert me["staff"] is True
    assert me["active"] is True
    assert me["account_id"] == tenant.account_id
    assert "password_hash" not in me and "password" not in me


def test_members_key_acts_as_the_member(tenant) -> None:
    member_id, key = tenant.add_user()
    me = tenant.get("/users/me", key=key).json()["data"]
    assert me["id"] == member_id
    assert me["role"] == "member"
    assert me["staff"] is False


def test_users_list_and_get_are_scoped_to_the_account(tenant, make_tenant) -> None:
    other = make_tenant()
    member_id, _ = tenant.add_user()
    listed = tenant.get("/users").json()
    assert {u["id"] for u in listed["data"]} == {tenant.user_id, member_id}
    assert listed["meta"]["total"] == 2
    assert tenant.get(f"/users/{member_id}").json()["data"]["id"] == member_id
    assert tenant.get(f"/users/{other.user_id}").status_code == 404
    assert tenant.get("/users/usr_nope").status_code == 404
    assert tenant.get("/users/cnt_01jd6w3q0000000000000000aa").status_code == 404


def test_users_list_filters(tenant) -> None:
    member_id, _ = tenant.add_user()
    inactive_id, _ = tenant.add_user(active=False)
    by_role = tenant.get("/users", params={"role": "member"}).json()["data"]
    assert {u["id"] for u in by_role} == {member_id, inactive_id}
    inactive = tenant.get("/users", params={"active": "false"}).json()["data"]
    assert [u["id"] for u in inactive] == [inactive_id]
    by_email = tenant.get("/users", params={"email": tenant.email.upper()}).json()["data"]
    assert [u["id"] for u in by_email] == [tenant.user_id]


# --- /api-keys -------------------------------------------------------------------------


def test_created_key_is_shown_once_with_prefix_and_scope(tenant) -> None:
    response = tenant.post("/api-keys", json={"name": "Zapier", "scope": "read_only"})
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["id"].startswith("key_")
    assert created["object"] == "api_key"
    assert response.headers["Location"] == f"/api/v1/api-keys/{created['id']}"
    assert created["key"].startswith("rdx_k_")
    assert created["key"].startswith(created["prefix"])
    assert len(created["prefix"]) < len(created["key"])
    assert created["scope"] == "read_only"
    assert created["name"] == "Zapier"
    assert created["user_id"] == tenant.user_id
    assert created["revoked_at"] is None
    assert tenant.get("/users/me", key=created["key"]).status_code == 200
    assert tenant.post("/contacts", json={"first_name": "x"}, key=created["key"]).status_code == (
        403
    )

    shown = tenant.get(f"/api-keys/{created['id']}").json()["data"]
    assert "key" not in shown
    assert shown["prefix"] == created["prefix"]


def test_key_scope_defaults_to_full(tenant) -> None:
    created = create_key(tenant)
    assert created["scope"] == "full"
    assert tenant.post("/contacts", json={"first_name": "x"}, key=created["key"]).status_code == (
        201
    )


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x", "scope": "admin"}])
def test_invalid_key_body_is_400(tenant, body) -> None:
    assert tenant.post("/api-keys", json=body).status_code == 400


def test_key_list_never_shows_the_secret(tenant) -> None:
    created = create_key(tenant)
    listed = tenant.get("/api-keys").json()["data"]
    assert {k["id"] for k in listed} >= {created["id"]}
    for key in listed:
        assert "key" not in key
        assert "key_hash" not in key
        assert created["key"] not in str(key.values())


def test_member_sees_only_own_keys_while_owner_sees_all(tenant) -> None:
    member_id, member_key = tenant.add_user()
    owners_extra = create_key(tenant)
    member_listed = tenant.get("/api-keys", key=member_key).json()["data"]
    assert member_listed and {k["user_id"] for k in member_listed} == {member_id}
    assert tenant.get(f"/api-keys/{owners_extra['id']}", key=member_key).status_code == 404
    assert tenant.delete(f"/api-keys/{owners_extra['id']}", key=member_key).status_code == 404
    assert tenant.get("/users/me", key=owners_extra["key"]).status_code == 200

    owner_listed = tenant.get("/api-keys").json()["data"]
    assert {k["user_id"] for k in owner_listed} == {tenant.user_id, member_id}


def test_member_creates_keys_for_self_only(tenant) -> None:
    member_id, member_key = tenant.add_user()
    own = create_key(tenant, key=member_key)
    assert own["user_id"] == member_id
    response = tenant.post(
        "/api-keys", json={"name": "x", "user_id": tenant.user_id}, key=member_key
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_owner_can_create_a_key_for_a_member(tenant, make_tenant) -> None:
    member_id, _ = tenant.add_user()
    created = create_key(tenant, user_id=member_id)
    assert created["user_id"] == member_id
    assert tenant.get("/users/me", key=created["key"]).json()["data"]["id"] == member_id
    other = make_tenant()
    response = tenant.post("/api-keys", json={"name": "x", "user_id": other.user_id})
    assert response.status_code == 400


def test_revoking_a_key_shows_revoked_at_and_is_idempotent(tenant) -> None:
    created = create_key(tenant)
    path = f"/api-keys/{created['id']}"
    assert tenant.delete(path).json() == {"data": None}
    revoked_at = tenant.get(path).json()["data"]["revoked_at"]
    assert revoked_at is not None and revoked_at.endswith("Z")
    assert tenant.delete(path).status_code == 200
    assert tenant.get(path).json()["data"]["revoked_at"] == revoked_at


def test_a_key_can_revoke_itself(tenant) -> None:
    created = create_key(tenant)
    response = tenant.delete(f"/api-keys/{created['id']}", key=created["key"])
    assert response.status_code == 200
    assert tenant.get("/users/me", key=created["key"]).status_code == 401


def test_other_accounts_key_ids_are_404(tenant, make_tenant) -> None:
    other = make_tenant()
    created = create_key(other)
    assert tenant.get(f"/api-keys/{created['id']}").status_code == 404
    assert tenant.delete(f"/api-keys/{created['id']}").status_code == 404
    assert other.get("/users/me", key=created["key"]).status_code == 200
    assert tenant.get("/api-keys/key_bad").status_code == 404


def test_last_used_at_is_set_when_a_key_is_used(tenant) -> None:
    created = create_key(tenant)
    assert created["last_used_at"] is None
    before = datetime.now(UTC) - timedelta(seconds=5)
    assert tenant.get("/contacts", key=created["key"]).status_code == 200
    used = tenant.get(f"/api-keys/{created['id']}").json()["data"]["last_used_at"]
    assert used is not None and used.endswith("Z")
    assert datetime.fromisoformat(used.replace("Z", "+00:00")) >= before


@pytest.mark.parametrize(
    "style",
    ["x-api-key and bearer", "x-api-key twice", "authorization twice", "key and token"],
)
def test_two_different_credentials_are_refused(client, tenant, style) -> None:
    other = tenant.new_key()
    headers = {
        "x-api-key and bearer": [("X-API-Key", tenant.key), ("Authorization", f"Bearer {other}")],
        "x-api-key twice": [("X-API-Key", tenant.key), ("X-API-Key", other)],
        "authorization twice": [
            ("Authorization", f"Bearer {tenant.key}"),
            ("Authorization", f"Bearer {other}"),
        ],
        "key and token": [("X-API-Key", other), ("Authorization", f"Token token={tenant.key}")],
    }[style]
    response = client.get(API + "/contacts", headers=headers)
    assert response.status_code == 401, response.text
    error = response.json()["error"]
    assert error["code"] == "UNAUTHORIZED" and "more than one credential" in error["message"]


def test_the_same_credential_sent_twice_is_one_credential(client, tenant) -> None:
    headers = [("X-API-Key", tenant.key), ("Authorization", f"Bearer {tenant.key}")]
    assert client.get(API + "/contacts", headers=headers).status_code == 200
