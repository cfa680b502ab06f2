"""Managing users: the permission matrix, owner protection, deactivation."""

from __future__ import annotations

import secrets

import pytest


def new_email() -> str:
    return f"u-{secrets.token_hex(5)}@example.com"


def create(tenant, key=None, **body):
    return tenant.post("/users", json={"email": new_email(), **body}, key=key)


def test_owner_creates_a_user_without_showing_the_password(tenant) -> None:
    response = create(tenant, role="admin", password="a-long-password", first_name="Ada")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["role"] == "admin" and data["active"] is True and data["first_name"] == "Ada"
    assert "password" not in response.text and "password_hash" not in response.text
    assert response.headers["Location"] == f"/api/v1/users/{data['id']}"
    audit = tenant.get("/audit-log", params={"resource_id": data["id"]}).json()["data"]
    assert audit and "password_hash" not in str(audit)


def test_duplicate_email_is_409(tenant) -> None:
    email = new_email()
    assert tenant.post("/users", json={"email": email}).status_code == 201
    response = tenant.post("/users", json={"email": email.upper()})
    assert response.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email"},
        {"email": "a@b.co", "role": "god"},
        {"email": "a@b.co", "x": 1},
    ],
)
def test_invalid_user_bodies_are_400(tenant, body) -> None:
    assert tenant.post("/users", json=body).status_code == 400


def test_member_cannot_manage_users(tenant) -> None:
    member_id, member_key = tenant.add_user()
    assert create(tenant, key=member_key).status_code == 403
    assert (
        tenant.patch(
            f"/users/{tenant.user_id}", json={"first_name": "x"}, key=member_key
        ).status_code
        == 403
    )
    assert tenant.delete(f"/users/{tenant.user_id}", key=member_key).status_code == 403
    # but may change their own name
    own = tenant.patch(f"/users/{member_id}", json={"first_name": "Me"}, key=member_key)
    assert own.status_code == 200 and own.json()["data"]["first_name"] == "Me"
    # not their own role or staff
    assert (
        tenant.patch(f"/users/{member_id}", json={"role": "admin"}, key=member_key).status_code
        == 403
    )
    assert (
        tenant.patch(f"/users/{member_id}", json={"staff": True}, key=member_key).status_code == 403
    )


def test_admin_manages_members_but_not_owners_or_staff(tenant) -> None:
    _, admin_key = tenant.add_user(role="admin")
    member = create(tenant, key=admin_key).json()["data"]
    assert (
        tenant.patch(f"/users/{member['id']}", json={"role": "admin"}, key=admin_key).status_code
        == 200
    )
    assert create(tenant, key=admin_key, role="owner").status_code == 403
    assert create(tenant, key=admin_key, staff=True).status_code == 403
    assert (
        tenant.patch(f"/users/{member['id']}", json={"role": "owner"}, key=admin_key).status_code
        == 403
    )
    assert (
        tenant.patch(f"/users/{member['id']}", json={"staff": True}, key=admin_key).status_code
        == 403
    )
    assert (
        tenant.patch(
            f"/users/{tenant.user_id}", json={"first_name": "x"}, key=admin_key
        ).status_code
        == 403
    )
    assert tenant.delete(f"/users/{tenant.user_id}", key=admin_key).status_code == 403
    assert tenant.get("/users/me").json()["data"]["role"] == "owner"


def test_last_owner_cannot_be_demoted_or_deactivated(tenant) -> None:
    response = tenant.patch(f"/users/{tenant.user_id}", json={"role": "admin"})
    assert response.status_code == 422
    assert tenant.delete(f"/users/{tenant.user_id}").status_code == 422
    # with a second owner, one owner may demote the other
    second_id, second_key = tenant.add_user(role="owner")
    assert (
        tenant.patch(f"/users/{tenant.user_id}", json={"role": "admin"}, key=second_key).status_code
        == 200
    )
    assert (
        tenant.patch(f"/users/{second_id}", json={"role": "member"}, key=second_key).status_code
        == 422
    )


def test_deactivated_user_keeps_the_row_and_loses_access(tenant) -> None:
    member_id, member_key = tenant.add_user()
    assert tenant.get("/users/me", key=member_key).status_code == 200
    assert tenant.delete(f"/users/{member_id}").json() == {"data": None}
    assert tenant.get("/users/me", key=member_key).status_code == 401
    user = tenant.get(f"/users/{member_id}").json()["data"]
    assert user["active"] is False
    # reactivating is a PATCH
    assert tenant.patch(f"/users/{member_id}", json={"active": True}).status_code == 200
    assert tenant.get("/users/me", key=member_key).status_code == 200


def test_users_of_another_account_are_404(tenant, make_tenant) -> None:
    other = make_tenant()
    assert tenant.patch(f"/users/{other.user_id}", json={"first_name": "x"}).status_code == 404
    assert tenant.delete(f"/users/{other.user_id}").status_code == 404
    assert other.get("/users/me").status_code == 200


def test_null_for_a_required_field_is_400(tenant) -> None:
    response = tenant.patch(f"/users/{tenant.user_id}", json={"email": None})
    assert response.status_code == 400


def test_an_admin_cannot_mint_keys_that_carry_more_rights(tenant) -> None:
    _, admin_key = tenant.add_user(role="admin")
    staff_id, _ = tenant.add_user(role="member", staff=True)
    member_id, _ = tenant.add_user()
    for target in (tenant.user_id, staff_id):
        response = tenant.post("/api-keys", json={"name": "x", "user_id": target}, key=admin_key)
        assert response.status_code == 403, response.text
    response = tenant.post("/api-keys", json={"name": "x", "user_id": member_id}, key=admin_key)
    assert response.status_code == 201
    assert tenant.post("/api-keys", json={"name": "x", "user_id": staff_id}).status_code == 201
