"""Tags over HTTP: CRUD, case-insensitive uniqueness, and what deleting a tag does."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
from sqlalchemy import event

UNKNOWN_TAG = "tag_01jd6w3q0000000000000000zz"


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """The response is the contract's error envelope with this status and code."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    return error


def ts(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def make_tag(tenant, name: str = "vip", **fields) -> dict:
    response = tenant.post("/tags", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_create_tag_returns_201_with_location(tenant) -> None:
    response = tenant.post(
        "/tags", json={"name": "VIP", "color": "#1f77b4", "description": "Big spenders"}
    )
    assert response.status_code == 201, response.text
    tag = response.json()["data"]
    assert tag["id"].startswith("tag_")
    assert tag["object"] == "tag"
    assert response.headers["Location"] == f"/api/v1/tags/{tag['id']}"
    assert (tag["name"], tag["color"], tag["description"]) == ("VIP", "#1f77b4", "Big spenders")
    assert tag["deleted_at"] is None
    assert tenant.get(f"/tags/{tag['id']}").json()["data"] == tag


def test_create_tag_validates_its_body(tenant) -> None:
    for body, field in (
        ({}, "name"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "ok", "color": "blue"}, "color"),
        ({"name": "ok", "colour": "#ffffff"}, "colour"),
    ):
        response = tenant.post("/tags", json=body)
        assert_error(response, 400, "VALIDATION_ERROR")
        fields = {d.get("field") for d in response.json()["error"]["details"]}
        assert field in fields, body
    assert tenant.get("/tags").json()["meta"]["total"] == 0


def test_tag_names_are_unique_case_insensitively(tenant) -> None:
    make_tag(tenant, "Customer")
    for name in ("Customer", "customer", "CUSTOMER"):
        assert_error(tenant.post("/tags", json={"name": name}), 409, "CONFLICT")
    assert [t["name"] for t in tenant.get("/tags").json()["data"]] == ["Customer"]


def test_same_tag_name_in_two_accounts_does_not_conflict(tenant, make_tenant) -> None:
    make_tag(tenant, "vip")
    other = make_tenant()
    make_tag(other, "VIP")
    assert tenant.get("/tags").json()["meta"]["total"] == 1


def test_renaming_a_tag_onto_another_tag_s_name_is_409(tenant) -> None:
    make_tag(tenant, "Customer")
    lead = make_tag(tenant, "lead")
    path = f"/tags/{lead['id']}"
    assert_error(tenant.patch(path, json={"name": "CUSTOMER"}), 409, "CONFLICT")
    assert_error(tenant.put(path, json={"name": "customer"}), 409, "CONFLICT")
    assert tenant.get(path).json()["data"]["name"] == "lead"


def test_changing_only_the_case_of_a_tag_s_own_name_is_allowed(tenant) -> None:
    tag = make_tag(tenant, "lead")
    response = tenant.patch(f"/tags/{tag['id']}", json={"name": "Lead"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["name"] == "Lead"


def test_patch_changes_only_what_is_sent_and_put_replaces(tenant) -> None:
    tag = make_tag(tenant, "lead", color="#ff0000", description="Hot")
    patched = tenant.patch(f"/tags/{tag['id']}", json={"color": "#00ff00"})
    assert patched.status_code == 200, patched.text
    data = patched.json()["data"]
    assert (data["name"], data["color"], data["description"]) == ("lead", "#00ff00", "Hot")
    assert ts(data["updated_at"]) > ts(tag["updated_at"])
    put = tenant.put(f"/tags/{tag['id']}", json={"name": "prospect"})
    assert put.status_code == 200, put.text
    data = put.json()["data"]
    assert (data["name"], data["color"], data["description"]) == ("prospect", None, None)


def test_patch_null_name_or_unknown_field_is_400(tenant) -> None:
    tag = make_tag(tenant, "lead")
    assert_error(tenant.patch(f"/tags/{tag['id']}", json={"name": None}), 400, "VALIDATION_ERROR")
    assert_error(tenant.patch(f"/tags/{tag['id']}", json={"weight": 3}), 400, "VALIDATION_ERROR")
    assert_error(
        tenant.put(f"/tags/{tag['id']}", json={"color": "#000000"}), 400, "VALIDATION_ERROR"
    )
    assert tenant.get(f"/tags/{tag['id']}").json()["data"] == tag


def test_renaming_a_tag_renames_it_on_contacts_and_moves_their_updated_at(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "J", "tags": ["lead"]}).json()["data"]
    tag = tenant.get("/tags", params={"name": "LEAD"}).json()["data"][0]
    assert tenant.patch(f"/tags/{tag['id']}", json={"name": "prospect"}).status_code == 200
    after = tenant.get(f"/contacts/{contact['id']}").json()["data"]
    assert after["tags"] == ["prospect"]
    assert ts(after["updated_at"]) > ts(contact["updated_at"])


def test_unknown_wrong_prefix_or_foreign_tag_is_404(tenant, make_tenant) -> None:
    other = make_tenant()
    theirs = make_tag(other, "theirs")
    for tag_id in (UNKNOWN_TAG, "cnt_01jd6w3q0000000000000000zz", "vip", theirs["id"]):
        path = f"/tags/{tag_id}"
        assert_error(tenant.get(path), 404, "NOT_FOUND")
        assert_error(tenant.put(path, json={"name": "x"}), 404, "NOT_FOUND")
        assert_error(tenant.patch(path, json={"name": "x"}), 404, "NOT_FOUND")
        assert_error(tenant.delete(path), 404, "NOT_FOUND")
    assert other.get(f"/tags/{theirs['id']}").json()["data"] == theirs


def test_read_only_key_cannot_write_tags(tenant) -> None:
    tag = make_tag(tenant)
    key = tenant.new_key("read_only")
    path = f"/tags/{tag['id']}"
    assert tenant.get(path, key=key).json()["data"] == tag
    assert_error(tenant.post("/tags", json={"name": "x"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.put(path, json={"name": "x"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.patch(path, json={"name": "x"}, key=key), 403, "FORBIDDEN")
    assert_error(tenant.delete(path, key=key), 403, "FORBIDDEN")
    assert tenant.get("/tags").json()["data"] == [tag]


def test_deleting_a_tag_removes_it_from_contacts_and_companies(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "J", "tags": ["vip", "lead"]})
    contact = contact.json()["data"]
    company = tenant.post("/companies", json={"name": "Acme", "tags": ["vip"]}).json()["data"]
    vip = tenant.get("/tags", params={"name": "vip"}).json()["data"][0]

    assert tenant.delete(f"/tags/{vip['id']}").json() == {"data": None}
    assert_error(tenant.get(f"/tags/{vip['id']}"), 404, "NOT_FOUND")
    assert [t["name"] for t in tenant.get("/tags").json()["data"]] == ["lead"]

    after = tenant.get(f"/contacts/{contact['id']}").json()["data"]
    assert after["tags"] == ["lead"]
    assert ts(after["updated_at"]) > ts(contact["updated_at"])
    assert tenant.get(f"/contacts/{contact['id']}/tags").json() == {"data": ["lead"]}
    assert tenant.get(f"/companies/{company['id']}").json()["data"]["tags"] == []
    assert tenant.get("/contacts", params={"tags": "vip"}).json()["data"] == []
    # a sync client polling with updated_after learns of the change
    changed = tenant.get("/contacts", params={"updated_after": contact["updated_at"]})
    assert [c["id"] for c in changed.json()["data"]] == [contact["id"]]
    tombstones = tenant.get("/tags", params={"include_deleted": "true"}).json()["data"]
    assert {t["name"]: t["deleted_at"] is not None for t in tombstones} == {
        "vip": True,
        "lead": False,
    }


def test_a_deleted_tag_s_name_can_be_used_again(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "J", "tags": ["vip"]}).json()["data"]
    old = tenant.get("/tags").json()["data"][0]
    assert tenant.delete(f"/tags/{old['id']}").status_code == 200
    new = make_tag(tenant, "VIP")
    assert new["id"] != old["id"]
    # the new tag is not silently linked to the contacts of the old one
    assert tenant.get(f"/contacts/{contact['id']}/tags").json() == {"data": []}
    added = tenant.post(f"/contacts/{contact['id']}/tags", json={"tags": ["vip"]})
    assert added.json() == {"data": ["VIP"]}
    assert tenant.get("/tags").json()["meta"]["total"] == 1


def test_list_tags_filters_by_exact_name_any_case(tenant) -> None:
    make_tag(tenant, "vip")
    make_tag(tenant, "vip-gold")
    listed = tenant.get("/tags", params={"name": "VIP"}).json()
    assert [t["name"] for t in listed["data"]] == ["vip"]
    assert listed["meta"]["total"] == 1
    by_name = tenant.get("/tags", params={"sort": "name", "order": "asc"}).json()["data"]
    assert [t["name"] for t in by_name] == ["vip", "vip-gold"]


@contextmanager
def statements_of(tenant) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    engine = tenant.client.app.state.engine.sync_engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_new_tags_of_a_request_are_created_in_bulk_and_each_audited(tenant) -> None:
    names = [f"bulk-{secrets.token_hex(3)}-{i}" for i in range(200)]
    items = [
        {"first_name": f"B{i}", "tags": names[i * 50 : (i + 1) * 50] + names[:10]} for i in range(4)
    ]
    with statements_of(tenant) as statements:
        response = tenant.post("/contacts/batch", json={"items": items})
    assert response.status_code == 200, response.text
    # One multi-row insert makes every new tag: no SAVEPOINT, no INSERT, per tag.
    tag_inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO TAGS")]
    assert len(tag_inserts) == 1, tag_inserts
    assert sum("SAVEPOINT" in s.upper() for s in statements) <= 2
    assert len(statements) < 40, len(statements)

    rows = tenant.get(
        "/audit-log",
        params={"request_id": response.headers["X-Request-Id"], "per_page": 250},
    ).json()["data"]
    created = sorted(r["changes"]["name"][1] for r in rows if r["action"] == "tag.created")
    assert created == sorted(names)
    assert {r["action"] for r in rows} == {"tag.created", "contact.created"}
    listed = tenant.get("/tags", params={"per_page": 250}).json()["data"]
    assert sorted(t["name"] for t in listed) == sorted(names)


def test_a_tag_another_request_created_meanwhile_is_found_not_duplicated(
    tenant, monkeypatch
) -> None:
    from rolodex.tags import service

    theirs = tenant.post("/tags", json={"name": "Raced"}).json()["data"]
    live_named = service._live_named
    calls = []

    async def blind_first(session, account_id, lowered):
        # The first look-up ran before the other request's tag existed.
        calls.append(list(lowered))
        return [] if len(calls) == 1 else await live_named(session, account_id, lowered)

    monkeypatch.setattr(service, "_live_named", blind_first)
    response = tenant.post("/contacts", json={"first_name": "R", "tags": ["raced", "Fresh"]})
    assert response.status_code == 201, response.text
    assert len(calls) == 2
    assert response.json()["data"]["tags"] == ["Fresh", "Raced"]
    raced = tenant.get("/tags", params={"name": "raced"}).json()["data"]
    assert [t["id"] for t in raced] == [theirs["id"]]
    rows = tenant.get("/audit-log", params={"request_id": response.headers["X-Request-Id"]}).json()[
        "data"
    ]
    assert [r["changes"]["name"][1] for r in rows if r["action"] == "tag.created"] == ["Fresh"]
