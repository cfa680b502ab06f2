"""Companies over HTTP: CRUD, validation, filters, tenancy, soft delete and restore."""

from __future__ import annotations

from datetime import datetime

import httpx

UNKNOWN_COMPANY = "cmp_01jd6w3q0000000000000000zz"


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The response is the contract's error envelope with this status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    return error


def error_fields(response: httpx.Response) -> set[str]:
    return {d.get("field") for d in response.json()["error"].get("details", [])}


def ts(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def make_company(tenant, name: str = "Acme GmbH", **fields) -> dict:
    response = tenant.post("/companies", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_create_company_returns_201_with_location_and_all_fields(tenant) -> None:
    body = {
        "name": "Acme GmbH",
        "type": "customer",
        "email": "info@Acme.EXAMPLE",
        "phone": "+49 30 1",
        "website": "https://acme.example",
        "address": {"line1": "Main St 1", "postal_code": "10115", "city": "Berlin"},
        "description": "Makes anvils",
        "tags": ["key account", "Partner"],
        "custom_fields": {"employees": 50},
    }
    response = tenant.post("/companies", json=body)
    assert response.status_code == 201, response.text
    company = response.json()["data"]
    assert company["id"].startswith("cmp_")
    assert company["object"] == "company"
    assert response.headers["Location"] == f"/api/v1/companies/{company['id']}"
    assert company["name"] == "Acme GmbH"
    assert company["type"] == "customer"
    assert company["email"].lower() == "info@acme.example"
    assert company["address"]["postal_code"] == "10115"
    assert company["owner_id"] == tenant.user_id
    assert company["tags"] == ["key account", "Partner"]
    assert company["custom_fields"] == {"employees": 50}
    assert company["deleted_at"] is None
    assert tenant.get(f"/companies/{company['id']}").json()["data"] == company


def test_create_company_requires_a_name(tenant) -> None:
    for body in ({}, {"name": None}, {"name": ""}, {"type": "customer"}):
        response = tenant.post("/companies", json=body)
        assert_error(response, 400, "VALIDATION_ERROR")
        assert "name" in error_fields(response), body
    assert tenant.get("/companies").json()["meta"]["total"] == 0


def test_create_company_with_invalid_fields_is_400(tenant) -> None:
    for field, value in (
        ("email", "not-an-email"),
        ("type", "partner"),
        ("name", "x" * 256),
        ("tags", [""]),
        ("address", {"zip": "10115"}),
        ("color", "red"),
    ):
        response = tenant.post("/companies", json={"name": "Acme", field: value})
        assert_error(response, 400, "VALIDATION_ERROR")
        assert any(f and f.startswith(field) for f in error_fields(response)), (field, value)
    assert tenant.get("/companies").json()["meta"]["total"] == 0


def test_create_company_ignores_read_only_fields(tenant) -> None:
    response = tenant.post(
        "/companies",
        json={
            "name": "Acme",
            "id": "cmp_01jd6w3q0000000000000000aa",
            "object": "contact",
            "created_at": "2001-01-01T00:00:00Z",
            "deleted_at": "2001-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.text
    company = response.json()["data"]
    assert company["id"] != "cmp_01jd6w3q0000000000000000aa"
    assert company["object"] == "company"
    assert company["deleted_at"] is None
    assert ts(company["created_at"]).year > 2001


def test_create_company_with_owner_of_another_account_is_400(tenant, make_tenant) -> None:
    other = make_tenant()
    response = tenant.post("/companies", json={"name": "Acme", "owner_id": other.user_id})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "owner_id" in error_fields(response)
    member_id, _ = tenant.add_user(role="member")
    ok = tenant.post("/companies", json={"name": "Acme", "owner_id": member_id})
    assert ok.status_code == 201, ok.text
    assert ok.json()["data"]["owner_id"] == member_id


def test_get_unknown_wrong_prefix_or_foreign_company_is_404(tenant, make_tenant) -> None:
    other = make_tenant()
    theirs = make_company(other)
    contact = tenant.post("/contacts", json={"first_name": "J"}).json()["data"]
    for company_id in (UNKNOWN_COMPANY, contact["id"], "cmp_x", theirs["id"]):
        path = f"/companies/{company_id}"
        assert_error(tenant.get(path), 404, "NOT_FOUND")
        assert_error(tenant.put(path, json={"name": "Mine"}), 404, "NOT_FOUND")
        assert_error(tenant.patch(path, json={"name": "Mine"}), 404, "NOT_FOUND")
        assert_error(tenant.delete(path), 404, "NOT_FOUND")
        assert_error(tenant.post(f"{path}/restore"), 404, "NOT_FOUND")
    assert other.get(f"/companies/{theirs['id']}").json()["data"] == theirs


def test_put_replaces_the_whole_company(tenant) -> None:
    company = make_company(
        tenant,
        type="supplier",
        email="a@example.com",
        phone="1",
        address={"city": "Berlin"},
        description="d",
        tags=["vip"],
        custom_fields={"x": 1},
    )
    response = tenant.put(f"/companies/{company['id']}", json={"name": "Acme AG"})
    assert response.status_code == 200, response.text
    replaced = response.json()["data"]
    assert replaced["name"] == "Acme AG"
    for field in ("type", "email", "phone", "website", "address", "description", "owner_id"):
        assert replaced[field] is None, field
    assert replaced["tags"] == []
    assert replaced["custom_fields"] == {}
    assert replaced["created_at"] == company["created_at"]
    assert ts(replaced["updated_at"]) > ts(company["updated_at"])
    assert tenant.get(f"/companies/{company['id']}").json()["data"] == replaced


def test_put_without_name_is_400_and_changes_nothing(tenant) -> None:
    company = make_company(tenant, type="customer")
    response = tenant.put(f"/companies/{company['id']}", json={"type": "supplier"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get(f"/companies/{company['id']}").json()["data"] == company


def test_patch_changes_only_the_fields_sent(tenant) -> None:
    company = make_company(tenant, type="customer", tags=["vip"], email="a@example.com")
    response = tenant.patch(f"/companies/{company['id']}", json={"description": "New"})
    assert response.status_code == 200, response.text
    patched = response.json()["data"]
    assert patched["description"] == "New"
    for field in ("name", "type", "tags", "email", "owner_id", "custom_fields"):
        assert patched[field] == company[field], field


def test_patch_null_name_is_400_but_null_optional_field_clears_it(tenant) -> None:
    company = make_company(tenant, type="customer")
    response = tenant.patch(f"/companies/{company['id']}", json={"name": None})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "name" in error_fields(response)
    response = tenant.patch(f"/companies/{company['id']}", json={"type": None})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["type"] is None
    assert response.json()["data"]["name"] == "Acme GmbH"


def test_patch_unknown_field_is_400_and_read_only_fields_are_ignored(tenant) -> None:
    company = make_company(tenant)
    response = tenant.patch(f"/companies/{company['id']}", json={"industry": "anvils"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "industry" in error_fields(response)
    response = tenant.patch(
        f"/companies/{company['id']}", json={"id": UNKNOWN_COMPANY, "phone": "42"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["id"] == company["id"]
    assert response.json()["data"]["phone"] == "42"


def test_read_only_key_cannot_write_companies(tenant) -> None:
    company = make_company(tenant)
    key = tenant.new_key("read_only")
    path = f"/companies/{company['id']}"
    assert tenant.get(path, key=key).status_code == 200
    assert tenant.get("/companies", key=key).status_code == 200
    assert_error(tenant.post("/companies", json={"name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.put(path, json={"name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.patch(path, json={"name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.delete(path, key=key), 403, "FORBIDDEN")
    assert_error(tenant.post(f"{path}/restore", key=key), 403, "FORBIDDEN")
    assert tenant.get(path).json()["data"] == company
    assert tenant.get("/companies").json()["meta"]["total"] == 1


def test_list_filters_by_q_and_type(tenant) -> None:
    acme = make_company(tenant, "Acme Anvils", type="supplier")
    make_company(tenant, "Globex", type="customer")
    initech = make_company(tenant, "Initech", type="customer")

    def names(**params) -> list[str]:
        response = tenant.get("/companies", params=params)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["data"]]

    assert names(q="ANVIL") == [acme["id"]]
    assert names(q="tech", type="customer") == [initech["id"]]
    assert names(type="supplier") == [acme["id"]]
    assert names(sort_by="name", type="customer")[-1] == initech["id"]
    assert_error(tenant.get("/companies", params={"type": "partner"}), 400, "VALIDATION_ERROR")


def test_delete_is_soft_and_restore_brings_the_company_back(tenant) -> None:
    company = make_company(tenant, tags=["vip"])
    contact = tenant.post("/contacts", json={"first_name": "J", "company_id": company["id"]})
    contact = contact.json()["data"]
    path = f"/companies/{company['id']}"
    assert tenant.delete(path).json() == {"data": None}
    assert_error(tenant.get(path), 404, "NOT_FOUND")
    assert_error(tenant.delete(path), 404, "NOT_FOUND")
    assert tenant.get("/companies").json()["data"] == []
    # a deleted company cannot be referenced by new contacts, nor listed as a business
    refused = tenant.post("/contacts", json={"first_name": "K", "company_id": company["id"]})
    assert_error(refused, 400, "VALIDATION_ERROR")
    assert_error(tenant.get(f"/contacts/business/{company['id']}"), 404, "NOT_FOUND")
    # its contacts keep the reference, ready for a restore
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["company_id"] == company["id"]

    tombstone = tenant.get(path, params={"include_deleted": "true"})
    assert tombstone.status_code == 200
    assert tombstone.json()["data"]["deleted_at"] is not None
    listed = tenant.get("/companies", params={"include_deleted": "true"}).json()["data"]
    assert [(c["id"], c["deleted_at"] is not None) for c in listed] == [(company["id"], True)]

    restored = tenant.post(f"{path}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["data"]["deleted_at"] is None
    assert restored.json()["data"]["tags"] == ["vip"]
    business = tenant.get(f"/contacts/business/{company['id']}").json()["data"]
    assert [c["id"] for c in business] == [contact["id"]]


def test_restoring_a_live_company_is_422(tenant) -> None:
    company = make_company(tenant)
    assert_error(tenant.post(f"/companies/{company['id']}/restore"), 422, "UNPROCESSABLE")
    assert tenant.get(f"/companies/{company['id']}").json()["data"] == company
