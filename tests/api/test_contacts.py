"""Contacts over HTTP: CRUD, validation, filters, tags of a contact, soft delete and restore."""

from __future__ import annotations

from datetime import datetime

import httpx

UNKNOWN_CONTACT = "cnt_01jd6w3q0000000000000000zz"
UNKNOWN_COMPANY = "cmp_01jd6w3q0000000000000000zz"


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The response is the contract's error envelope with this status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    return error


def ts(value: str) -> datetime:
    """A timestamp of the API as a datetime (string order is not time order)."""
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def error_fields(response: httpx.Response) -> set[str]:
    return {d.get("field") for d in response.json()["error"].get("details", [])}


def make_contact(tenant, **fields) -> dict:
    body = {"first_name": "Jane", **fields}
    response = tenant.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def make_company(tenant, name: str = "Acme GmbH", **fields) -> dict:
    response = tenant.post("/companies", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


# --- create -------------------------------------------------------------------------------


def test_create_contact_returns_201_with_every_field_and_location(tenant) -> None:
    company = make_company(tenant)
    body = {
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "Jane.Smith@Example.COM",
        "phone": "+49 30 1234567",
        "mobile_phone": "+49 170 1234567",
        "title": "Dr.",
        "job_title": "CTO",
        "gender": "female",
        "birthday": "1980-02-29",
        "website": "https://jane.example.com",
        "address": {"line1": "Main St 1", "city": "Berlin", "country": "DE"},
        "company_id": company["id"],
        "source": "fair",
        "timezone": "Europe/Berlin",
        "do_not_contact": True,
        "description": "Met at the fair",
        "tags": ["vip", "newsletter"],
        "custom_fields": {"shoe_size": 38, "vegan": True},
    }
    response = tenant.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    contact = response.json()["data"]
    assert contact["id"].startswith("cnt_")
    assert contact["object"] == "contact"
    assert response.headers["Location"] == f"/api/v1/contacts/{contact['id']}"
    assert contact["name"] == "Jane Smith"
    assert contact["email"].lower() == "jane.smith@example.com"
    assert contact["birthday"] == "1980-02-29"
    assert contact["address"]["city"] == "Berlin"
    assert contact["address"]["line2"] is None
    assert contact["company_id"] == company["id"]
    assert contact["owner_id"] == tenant.user_id
    assert contact["do_not_contact"] is True
    assert contact["tags"] == ["newsletter", "vip"]
    assert contact["custom_fields"] == {"shoe_size": 38, "vegan": True}
    assert contact["deleted_at"] is None
    assert contact["created_at"].endswith("Z") and contact["updated_at"].endswith("Z")
    fetched = tenant.get(f"/contacts/{contact['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == contact


def test_create_contact_with_only_an_email_or_a_phone_is_enough(tenant) -> None:
    by_email = tenant.post("/contacts", json={"email": "only@example.com"})
    assert by_email.status_code == 201, by_email.text
    assert by_email.json()["data"]["name"] is None
    by_phone = tenant.post("/contacts", json={"phone": "+1 555 0100"})
    assert by_phone.status_code == 201, by_phone.text
    data = by_phone.json()["data"]
    assert data["tags"] == [] and data["custom_fields"] == {} and data["do_not_contact"] is False


def test_create_contact_without_any_identifying_field_is_400(tenant) -> None:
    for body in (
        {},
        {"job_title": "CTO"},
        {"first_name": None, "last_name": None},
        {"first_name": "", "email": None},
    ):
        response = tenant.post("/contacts", json=body)
        assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get("/contacts").json()["meta"]["total"] == 0


def test_create_contact_with_invalid_email_is_400_naming_the_field(tenant) -> None:
    for email in ("not-an-email", "a@", "@example.com", "two@@example.com", "a b@example.com"):
        response = tenant.post("/contacts", json={"first_name": "Jane", "email": email})
        assert_error(response, 400, "VALIDATION_ERROR")
        assert "email" in error_fields(response), email
    assert tenant.get("/contacts").json()["meta"]["total"] == 0


def test_create_contact_with_invalid_field_is_400_naming_it(tenant) -> None:
    for field, value in (
        ("birthday", "29.02.1980"),
        ("birthday", "1981-02-29"),
        ("timezone", "Mars/Olympus"),
        ("do_not_contact", "yes"),
        ("do_not_contact", None),
        ("tags", "vip"),
        ("tags", [""]),
        ("address", {"street": "Main St"}),
        ("custom_fields", ["a"]),
        ("first_name", "x" * 256),
        ("first_name", "nul\x00byte"),
    ):
        response = tenant.post("/contacts", json={"last_name": "Smith", field: value})
        assert_error(response, 400, "VALIDATION_ERROR")
        assert any(f and f.startswith(field) for f in error_fields(response)), (field, value)
    assert tenant.get("/contacts").json()["meta"]["total"] == 0


def test_create_contact_with_unknown_field_is_400(tenant) -> None:
    response = tenant.post("/contacts", json={"first_name": "Jane", "nickname": "JJ"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "nickname" in error_fields(response)


def test_create_contact_ignores_read_only_fields(tenant) -> None:
    response = tenant.post(
        "/contacts",
        json={
            "id": "cnt_01jd6w3q0000000000000000aa",
            "object": "banana",
            "name": "Someone Else",
            "first_name": "Jane",
            "created_at": "2001-01-01T00:00:00Z",
            "updated_at": "2001-01-01T00:00:00Z",
            "deleted_at": "2001-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.text
    contact = response.json()["data"]
    assert contact["id"] != "cnt_01jd6w3q0000000000000000aa"
    assert contact["object"] == "contact"
    assert contact["name"] == "Jane"
    assert not contact["created_at"].startswith("2001")
    assert contact["deleted_at"] is None


def test_create_contact_with_company_or_owner_of_another_account_is_refused(
    tenant, make_tenant
) -> None:
    other = make_tenant()
    foreign_company = make_company(other)
    response = tenant.post(
        "/contacts", json={"first_name": "J", "company_id": foreign_company["id"]}
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "company_id" in error_fields(response)
    response = tenant.post("/contacts", json={"first_name": "J", "owner_id": other.user_id})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert "owner_id" in error_fields(response)
    response = tenant.post("/contacts", json={"first_name": "J", "company_id": UNKNOWN_COMPANY})
    assert_error(response, 400, "VALIDATION_ERROR")
    # Both wrong references are reported, not only the first one checked.
    body = {"first_name": "J", "company_id": foreign_company["id"], "owner_id": other.user_id}
    error = assert_error(tenant.post("/contacts", json=body), 400, "VALIDATION_ERROR")
    assert sorted(d["field"] for d in error["details"]) == ["company_id", "owner_id"]
    assert error["message"] == f"{error['details'][0]['field']} {error['details'][0]['message']}"
    assert tenant.get("/contacts").json()["meta"]["total"] == 0


def test_create_contact_with_malformed_json_is_400_and_wrong_media_type_415(tenant) -> None:
    response = tenant.post(
        "/contacts", content=b'{"first_name": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "VALIDATION_ERROR")
    response = tenant.post(
        "/contacts", content=b"first_name=Jane", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


# --- read ---------------------------------------------------------------------------------


def test_get_unknown_or_wrong_prefix_contact_is_404(tenant) -> None:
    for contact_id in (UNKNOWN_CONTACT, "cmp_01jd6w3q0000000000000000zz", "cnt_nope", "12345"):
        assert_error(tenant.get(f"/contacts/{contact_id}"), 404, "NOT_FOUND")


def test_company_id_in_contact_path_is_404_even_when_it_exists(tenant) -> None:
    company = make_company(tenant)
    assert_error(tenant.get(f"/contacts/{company['id']}"), 404, "NOT_FOUND")


def test_contact_of_another_account_is_404_on_every_route(tenant, make_tenant) -> None:
    other = make_tenant()
    theirs = make_contact(other, email="theirs@example.com")
    path = f"/contacts/{theirs['id']}"
    assert_error(tenant.get(path), 404, "NOT_FOUND")
    assert_error(tenant.put(path, json={"first_name": "X"}), 404, "NOT_FOUND")
    assert_error(tenant.patch(path, json={"first_name": "X"}), 404, "NOT_FOUND")
    assert_error(tenant.delete(path), 404, "NOT_FOUND")
    assert_error(tenant.post(f"{path}/restore"), 404, "NOT_FOUND")
    assert_error(tenant.get(f"{path}/tags"), 404, "NOT_FOUND")
    assert_error(tenant.post(f"{path}/tags", json={"tags": ["x"]}), 404, "NOT_FOUND")
    assert_error(tenant.delete(f"{path}/tags", json={"tags": ["x"]}), 404, "NOT_FOUND")
    assert tenant.get("/contacts", params={"ids": theirs["id"]}).json()["data"] == []
    assert tenant.get("/contacts", params={"email": "theirs@example.com"}).json()["data"] == []
    # and nothing changed for its owner
    unchanged = other.get(path).json()["data"]
    assert unchanged == theirs


# --- PUT / PATCH --------------------------------------------------------------------------


def test_put_replaces_whole_contact_omitted_fields_become_null(tenant) -> None:
    company = make_company(tenant)
    contact = make_contact(
        tenant,
        last_name="Smith",
        email="jane@example.com",
        phone="123",
        job_title="CTO",
        company_id=company["id"],
        address={"city": "Berlin"},
        do_not_contact=True,
        tags=["vip"],
        custom_fields={"a": 1},
    )
    response = tenant.put(f"/contacts/{contact['id']}", json={"first_name": "Janet"})
    assert response.status_code == 200, response.text
    replaced = response.json()["data"]
    assert replaced["id"] == contact["id"]
    assert replaced["first_name"] == "Janet"
    for name in ("last_name", "email", "phone", "job_title", "company_id", "address", "owner_id"):
        assert replaced[name] is None, name
    assert replaced["tags"] == []
    assert replaced["custom_fields"] == {}
    assert replaced["do_not_contact"] is False
    assert replaced["name"] == "Janet"
    assert replaced["created_at"] == contact["created_at"]
    assert ts(replaced["updated_at"]) > ts(contact["updated_at"])
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"] == replaced
    assert tenant.get(f"/contacts/{contact['id']}/tags").json() == {"data": []}


def test_put_of_a_fetched_contact_round_trips_unchanged(tenant) -> None:
    contact = make_contact(tenant, last_name="Smith", tags=["vip"], address={"city": "Berlin"})
    response = tenant.put(f"/contacts/{contact['id']}", json=contact)
    assert response.status_code == 200, response.text
    again = response.json()["data"]
    assert again == contact


def test_put_without_identifying_field_is_400_and_changes_nothing(tenant) -> None:
    contact = make_contact(tenant, email="jane@example.com")
    response = tenant.put(f"/contacts/{contact['id']}", json={"job_title": "CTO"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"] == contact


def test_patch_changes_only_the_fields_sent(tenant) -> None:
    contact = make_contact(
        tenant, last_name="Smith", email="jane@example.com", tags=["vip"], custom_fields={"a": 1}
    )
    response = tenant.patch(f"/contacts/{contact['id']}", json={"job_title": "CEO"})
    assert response.status_code == 200, response.text
    patched = response.json()["data"]
    assert patched["job_title"] == "CEO"
    for name in ("first_name", "last_name", "email", "tags", "custom_fields", "owner_id"):
        assert patched[name] == contact[name], name
    assert ts(patched["updated_at"]) > ts(contact["updated_at"])


def test_patch_can_clear_an_optional_field_with_null(tenant) -> None:
    contact = make_contact(tenant, last_name="Smith", phone="123", tags=["vip"])
    response = tenant.patch(
        f"/contacts/{contact['id']}", json={"last_name": None, "phone": None, "tags": []}
    )
    assert response.status_code == 200, response.text
    patched = response.json()["data"]
    assert patched["last_name"] is None and patched["phone"] is None and patched["tags"] == []
    assert patched["name"] == "Jane"


def test_patch_removing_the_last_identifying_field_is_400(tenant) -> None:
    contact = make_contact(tenant)
    response = tenant.patch(f"/contacts/{contact['id']}", json={"first_name": None})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["first_name"] == "Jane"


def test_patch_null_for_non_nullable_boolean_is_400(tenant) -> None:
    contact = make_contact(tenant, do_not_contact=True)
    response = tenant.patch(f"/contacts/{contact['id']}", json={"do_not_contact": None})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["do_not_contact"] is True


def test_patch_with_invalid_email_or_unknown_field_is_400(tenant) -> None:
    contact = make_contact(tenant, email="jane@example.com")
    response = tenant.patch(f"/contacts/{contact['id']}", json={"email": "nope"})
    assert_error(response, 400, "VALIDATION_ERROR")
    response = tenant.patch(f"/contacts/{contact['id']}", json={"favourite_color": "red"})
    assert_error(response, 400, "VALIDATION_ERROR")
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"] == contact


def test_patch_ignores_read_only_fields(tenant) -> None:
    contact = make_contact(tenant, last_name="Smith")
    response = tenant.patch(
        f"/contacts/{contact['id']}",
        json={
            "id": UNKNOWN_CONTACT,
            "name": "Other Name",
            "created_at": "2001-01-01T00:00:00Z",
            "job_title": "CTO",
        },
    )
    assert response.status_code == 200, response.text
    patched = response.json()["data"]
    assert patched["id"] == contact["id"]
    assert patched["name"] == "Jane Smith"
    assert patched["created_at"] == contact["created_at"]
    assert patched["job_title"] == "CTO"


def test_patch_with_no_change_keeps_updated_at(tenant) -> None:
    contact = make_contact(tenant, last_name="Smith")
    response = tenant.patch(f"/contacts/{contact['id']}", json={"last_name": "Smith"})
    assert response.status_code == 200
    assert response.json()["data"]["updated_at"] == contact["updated_at"]


def test_put_and_patch_of_unknown_or_wrong_prefix_id_are_404(tenant) -> None:
    for path in (f"/contacts/{UNKNOWN_CONTACT}", "/contacts/tag_01jd6w3q0000000000000000zz"):
        assert_error(tenant.put(path, json={"first_name": "X"}), 404, "NOT_FOUND")
        assert_error(tenant.patch(path, json={"first_name": "X"}), 404, "NOT_FOUND")
        assert_error(tenant.delete(path), 404, "NOT_FOUND")


# --- read-only keys -----------------------------------------------------------------------


def test_read_only_key_can_read_but_every_contact_mutation_is_403(tenant) -> None:
    contact = make_contact(tenant, tags=["vip"])
    key = tenant.new_key("read_only")
    path = f"/contacts/{contact['id']}"
    assert tenant.get(path, key=key).status_code == 200
    assert tenant.get("/contacts", key=key).json()["meta"]["total"] == 1
    assert tenant.get(f"{path}/tags", key=key).json() == {"data": ["vip"]}
    assert_error(tenant.post("/contacts", json={"first_name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.put(path, json={"first_name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.patch(path, json={"first_name": "X"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.post(f"{path}/tags", json={"tags": ["x"]}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.delete(f"{path}/tags", json={"tags": ["vip"]}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.delete(path, key=key), 403, "FORBIDDEN")
    assert_error(tenant.post(f"{path}/restore", key=key), 403, "FORBIDDEN")
    assert tenant.get(path).json()["data"] == contact
    assert tenant.get("/contacts").json()["meta"]["total"] == 1


# --- filters ------------------------------------------------------------------------------


def test_email_is_compared_case_insensitively_in_the_filter(tenant) -> None:
    jane = make_contact(tenant, email="jane.smith@example.com")
    make_contact(tenant, email="john@example.com")
    for spelling in ("jane.smith@example.com", "JANE.SMITH@EXAMPLE.COM", "Jane.Smith@Example.com"):
        listed = tenant.get("/contacts", params={"email": spelling}).json()
        assert [c["id"] for c in listed["data"]] == [jane["id"]], spelling
        assert listed["meta"]["total"] == 1
    assert tenant.get("/contacts", params={"email": "jane@example.com"}).json()["data"] == []


def test_email_stored_in_mixed_case_is_found_by_lower_case_filter(tenant) -> None:
    jane = make_contact(tenant, email="Jane.Smith@EXAMPLE.com")
    listed = tenant.get("/contacts", params={"email": "jane.smith@example.com"}).json()
    assert [c["id"] for c in listed["data"]] == [jane["id"]]


def test_q_searches_name_email_phone_and_company_name(tenant) -> None:
    acme = make_company(tenant, "Zyxwidget Industries")
    by_name = make_contact(tenant, first_name="Bartholomew", last_name="Quill")
    by_email = make_contact(tenant, first_name="A", email="marzipan@example.com")
    by_phone = make_contact(tenant, first_name="B", phone="+49 555 98765")
    by_company = make_contact(tenant, first_name="C", company_id=acme["id"])
    make_contact(tenant, first_name="Nobody")

    def found(q: str) -> set[str]:
        response = tenant.get("/contacts", params={"q": q})
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()["data"]}

    assert found("bartholo") == {by_name["id"]}
    assert found("mew quill") == {by_name["id"]}
    assert found("MARZIPAN") == {by_email["id"]}
    assert found("98765") == {by_phone["id"]}
    assert found("zyxwidget") == {by_company["id"]}
    assert found("no such thing") == set()


def test_q_treats_like_wildcards_literally(tenant) -> None:
    percent = make_contact(tenant, first_name="100%")
    make_contact(tenant, first_name="1000")
    underscore = make_contact(tenant, first_name="a_b")
    make_contact(tenant, first_name="axb")
    assert [c["id"] for c in tenant.get("/contacts", params={"q": "0%"}).json()["data"]] == [
        percent["id"]
    ]
    assert [c["id"] for c in tenant.get("/contacts", params={"q": "a_b"}).json()["data"]] == [
        underscore["id"]
    ]


def test_tags_filter_keeps_contacts_having_all_listed_tags(tenant) -> None:
    both = make_contact(tenant, first_name="Both", tags=["vip", "newsletter"])
    vip = make_contact(tenant, first_name="Vip", tags=["vip"])
    make_contact(tenant, first_name="None")

    def found(tags: str) -> set[str]:
        return {c["id"] for c in tenant.get("/contacts", params={"tags": tags}).json()["data"]}

    assert found("vip") == {both["id"], vip["id"]}
    assert found("vip,newsletter") == {both["id"]}
    assert found("VIP, Newsletter") == {both["id"]}
    assert found("vip,unknown") == set()


def test_company_id_filter_and_business_route_list_a_company_s_contacts(tenant) -> None:
    acme = make_company(tenant, "Acme")
    other = make_company(tenant, "Other")
    first = make_contact(tenant, first_name="A", company_id=acme["id"])
    second = make_contact(tenant, first_name="B", company_id=acme["id"])
    make_contact(tenant, first_name="C", company_id=other["id"])
    make_contact(tenant, first_name="D")
    expected = [second["id"], first["id"]]  # default sort: created_at desc

    filtered = tenant.get("/contacts", params={"company_id": acme["id"]})
    assert [c["id"] for c in filtered.json()["data"]] == expected
    business = tenant.get(f"/contacts/business/{acme['id']}")
    assert business.status_code == 200, business.text
    assert [c["id"] for c in business.json()["data"]] == expected
    assert business.json()["meta"]["total"] == 2
    assert business.headers["X-Total"] == "2"
    ascending = tenant.get(f"/contacts/business/{acme['id']}", params={"sort_by": "first_name"})
    assert [c["id"] for c in ascending.json()["data"]] == [first["id"], second["id"]]


def test_business_route_of_unknown_foreign_or_wrong_prefix_company_is_404(
    tenant, make_tenant
) -> None:
    other = make_tenant()
    foreign = make_company(other)
    make_contact(other, company_id=foreign["id"])
    for company_id in (UNKNOWN_COMPANY, foreign["id"], UNKNOWN_CONTACT, "acme"):
        assert_error(tenant.get(f"/contacts/business/{company_id}"), 404, "NOT_FOUND")


def test_business_route_of_company_without_contacts_is_empty(tenant) -> None:
    company = make_company(tenant)
    response = tenant.get(f"/contacts/business/{company['id']}")
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert response.json()["meta"]["total"] == 0


# --- tags of a contact --------------------------------------------------------------------


def test_adding_tags_creates_unknown_ones_and_answers_the_contact_s_tags(tenant) -> None:
    contact = make_contact(tenant, tags=["vip"])
    response = tenant.post(f"/contacts/{contact['id']}/tags", json={"tags": ["Newsletter", "VIP"]})
    assert response.status_code == 200, response.text
    assert response.json() == {"data": ["Newsletter", "vip"]}
    assert tenant.get(f"/contacts/{contact['id']}/tags").json() == {"data": ["Newsletter", "vip"]}
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["tags"] == ["Newsletter", "vip"]
    names = sorted(t["name"] for t in tenant.get("/tags").json()["data"])
    assert names == ["Newsletter", "vip"]


def test_adding_tags_matches_existing_tags_case_insensitively(tenant) -> None:
    created = tenant.post("/tags", json={"name": "Customer"})
    assert created.status_code == 201
    contact = make_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact['id']}/tags", json={"tags": ["customer", "CUSTOMER"]}
    )
    assert response.json() == {"data": ["Customer"]}
    assert tenant.get("/tags").json()["meta"]["total"] == 1


def test_adding_tags_moves_updated_at_only_when_something_changed(tenant) -> None:
    contact = make_contact(tenant, tags=["vip"])
    tenant.post(f"/contacts/{contact['id']}/tags", json={"tags": ["vip"]})
    assert (
        tenant.get(f"/contacts/{contact['id']}").json()["data"]["updated_at"]
        == contact["updated_at"]
    )
    tenant.post(f"/contacts/{contact['id']}/tags", json={"tags": ["new"]})
    moved = tenant.get(f"/contacts/{contact['id']}").json()["data"]["updated_at"]
    assert ts(moved) > ts(contact["updated_at"])


def test_removing_tags_ignores_names_the_contact_lacks(tenant) -> None:
    contact = make_contact(tenant, tags=["vip", "newsletter", "lead"])
    response = tenant.request(
        "DELETE", f"/contacts/{contact['id']}/tags", json={"tags": ["VIP", "unknown", "lead"]}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": ["newsletter"]}
    assert tenant.get(f"/contacts/{contact['id']}/tags").json() == {"data": ["newsletter"]}
    # removing a tag from a contact does not delete the tag itself
    names = sorted(t["name"] for t in tenant.get("/tags").json()["data"])
    assert names == ["lead", "newsletter", "vip"]  # and removing never creates a tag


def test_contact_tags_body_must_be_a_list_of_names(tenant) -> None:
    contact = make_contact(tenant, tags=["keep"])
    path = f"/contacts/{contact['id']}/tags"
    for body in (
        {},
        {"tags": "vip"},
        {"tags": [""]},
        {"tags": ["  "]},
        {"tags": ["x" * 65]},
        {"tags": [1]},
        {"tags": ["a"], "extra": 1},
    ):
        assert_error(tenant.post(path, json=body), 400, "VALIDATION_ERROR")
        assert_error(tenant.delete(path, json=body), 400, "VALIDATION_ERROR")
    assert tenant.get(path).json() == {"data": ["keep"]}
    assert [t["name"] for t in tenant.get("/tags").json()["data"]] == ["keep"]


def test_tags_of_unknown_contact_are_404(tenant) -> None:
    path = f"/contacts/{UNKNOWN_CONTACT}/tags"
    assert_error(tenant.get(path), 404, "NOT_FOUND")
    assert_error(tenant.post(path, json={"tags": ["vip"]}), 404, "NOT_FOUND")
    assert_error(tenant.delete(path, json={"tags": ["vip"]}), 404, "NOT_FOUND")
    assert tenant.get("/tags").json()["meta"]["total"] == 0


def test_tag_names_are_per_account(tenant, make_tenant) -> None:
    other = make_tenant()
    make_contact(other, tags=["vip"])
    mine = make_contact(tenant, tags=["VIP"])
    assert mine["tags"] == ["VIP"]
    assert [t["name"] for t in tenant.get("/tags").json()["data"]] == ["VIP"]
    assert [t["name"] for t in other.get("/tags").json()["data"]] == ["vip"]


# --- delete and restore -------------------------------------------------------------------


def test_delete_is_soft_and_restore_brings_the_contact_back(tenant) -> None:
    contact = make_contact(tenant, tags=["vip"])
    path = f"/contacts/{contact['id']}"
    response = tenant.delete(path)
    assert response.status_code == 200
    assert response.json() == {"data": None}
    assert_error(tenant.get(path), 404, "NOT_FOUND")
    assert_error(tenant.patch(path, json={"first_name": "X"}), 404, "NOT_FOUND")
    assert_error(tenant.delete(path), 404, "NOT_FOUND")
    assert_error(tenant.get(f"{path}/tags"), 404, "NOT_FOUND")
    assert tenant.get("/contacts").json()["meta"]["total"] == 0

    tombstone = tenant.get(path, params={"include_deleted": "true"})
    assert tombstone.status_code == 200
    assert tombstone.json()["data"]["deleted_at"] is not None

    restored = tenant.post(f"{path}/restore")
    assert restored.status_code == 200, restored.text
    data = restored.json()["data"]
    assert data["id"] == contact["id"]
    assert data["deleted_at"] is None
    assert data["tags"] == ["vip"]
    assert ts(data["updated_at"]) > ts(contact["updated_at"])
    assert tenant.get(path).json()["data"]["deleted_at"] is None
    assert tenant.get("/contacts").json()["meta"]["total"] == 1


def test_restoring_a_contact_that_is_not_deleted_is_422(tenant) -> None:
    contact = make_contact(tenant)
    assert_error(tenant.post(f"/contacts/{contact['id']}/restore"), 422, "UNPROCESSABLE")
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"] == contact


def test_restoring_an_unknown_contact_is_404(tenant) -> None:
    assert_error(tenant.post(f"/contacts/{UNKNOWN_CONTACT}/restore"), 404, "NOT_FOUND")
    assert_error(tenant.post("/contacts/cmp_01jd6w3q0000000000000000zz/restore"), 404, "NOT_FOUND")


def _child_ids(tenant, contact_id: str) -> dict[str, set[str]]:
    out = {}
    for plural in ("tasks", "notes", "appointments"):
        response = tenant.get(f"/contacts/{contact_id}/{plural}")
        assert response.status_code == 200, response.text
        out[plural] = {r["id"] for r in response.json()["data"]}
    return out


def test_deleting_a_contact_cascades_to_its_children_which_come_back_on_restore(tenant) -> None:
    contact = make_contact(tenant)
    bystander = make_contact(tenant, first_name="Bystander")
    cid = contact["id"]
    task = tenant.post(f"/contacts/{cid}/tasks", json={"title": "Call"})
    note = tenant.post(f"/contacts/{cid}/notes", json={"body": "Likes tea"})
    appointment = tenant.post(f"/contacts/{cid}/appointments", json={"title": "Lunch"})
    for created in (task, note, appointment):
        assert created.status_code == 201, created.text
    earlier = tenant.post(f"/contacts/{cid}/tasks", json={"title": "Deleted before"})
    assert tenant.delete(f"/contacts/{cid}/tasks/{earlier.json()['data']['id']}").status_code == 200
    other_task = tenant.post(f"/contacts/{bystander['id']}/tasks", json={"title": "Stays"})

    live = {
        "tasks": {task.json()["data"]["id"]},
        "notes": {note.json()["data"]["id"]},
        "appointments": {appointment.json()["data"]["id"]},
    }
    assert _child_ids(tenant, cid) == live

    assert tenant.delete(f"/contacts/{cid}").status_code == 200
    for plural in ("tasks", "notes", "appointments"):
        assert_error(tenant.get(f"/contacts/{cid}/{plural}"), 404, "NOT_FOUND")
        listed = tenant.get(f"/{plural}").json()["data"]
        assert all(r["contact_id"] != cid for r in listed), plural
        tombstones = tenant.get(f"/{plural}", params={"include_deleted": "true"}).json()["data"]
        mine = [r for r in tombstones if r["contact_id"] == cid]
        assert mine and all(r["deleted_at"] is not None for r in mine), plural
    assert [t["id"] for t in tenant.get("/tasks").json()["data"]] == [
        other_task.json()["data"]["id"]
    ]

    assert tenant.post(f"/contacts/{cid}/restore").status_code == 200
    # what was deleted with the contact is back; what was deleted before stays deleted
    assert _child_ids(tenant, cid) == live
    task_id = task.json()["data"]["id"]
    assert tenant.get(f"/contacts/{cid}/tasks/{task_id}").json()["data"]["deleted_at"] is None


# --- errors -------------------------------------------------------------------------------


def test_error_request_id_echoes_a_client_supplied_request_id(tenant) -> None:
    response = tenant.get(f"/contacts/{UNKNOWN_CONTACT}", headers={"X-Request-Id": "my-trace.42"})
    error = assert_error(response, 404, "NOT_FOUND")
    assert error["request_id"] == "my-trace.42"


def test_error_bodies_never_leak_internals(tenant) -> None:
    response = tenant.post("/contacts", json={"first_name": "J", "birthday": "1980-13-45"})
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert "Traceback" not in response.text and "SELECT" not in response.text
    assert any(d.get("field") == "birthday" for d in error["details"])
