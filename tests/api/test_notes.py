"""Notes: nested under a contact, their author, and the account-wide ``/notes`` list."""

from __future__ import annotations

import pytest


def new_contact(tenant) -> str:
    response = tenant.post("/contacts", json={"first_name": "Grace"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def new_note(tenant, contact_id: str, *, key: str | None = None, headers=None, **fields) -> dict:
    response = tenant.post(
        f"/contacts/{contact_id}/notes",
        json={"body": "Met at the fair", **fields},
        key=key,
        headers=headers or {},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_create_note_is_authored_by_the_acting_user(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/notes", json={"body": "Wants a quote"})
    assert response.status_code == 201, response.text
    note = response.json()["data"]
    assert note["id"].startswith("nte_")
    assert note["object"] == "note"
    assert response.headers["Location"] == f"/api/v1/contacts/{contact_id}/notes/{note['id']}"
    assert note["contact_id"] == contact_id
    assert note["body"] == "Wants a quote"
    assert note["author_id"] == tenant.user_id
    assert note["pinned"] is False
    assert note["deleted_at"] is None


def test_note_by_a_member_is_authored_by_the_member(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, member_key = tenant.add_user()
    note = new_note(tenant, contact_id, key=member_key)
    assert note["author_id"] == member_id


def test_sending_ones_own_author_id_is_accepted(tenant) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id, author_id=tenant.user_id)
    assert note["author_id"] == tenant.user_id


def test_sending_another_users_author_id_is_403(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    response = tenant.post(
        f"/contacts/{contact_id}/notes", json={"body": "x", "author_id": member_id}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert tenant.get(f"/contacts/{contact_id}/notes").json()["data"] == []


def test_changing_the_author_of_a_note_is_403(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    note = new_note(tenant, contact_id)
    path = f"/contacts/{contact_id}/notes/{note['id']}"
    assert tenant.patch(path, json={"author_id": member_id}).status_code == 403
    assert tenant.put(path, json={"body": "x", "author_id": member_id}).status_code == 403
    assert tenant.get(path).json()["data"]["author_id"] == tenant.user_id


def test_put_of_a_get_body_keeps_the_author(tenant) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id)
    path = f"/contacts/{contact_id}/notes/{note['id']}"
    response = tenant.put(path, json={**note, "body": "Edited"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["author_id"] == tenant.user_id
    assert response.json()["data"]["body"] == "Edited"


def test_editing_another_users_note_keeps_its_author(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, member_key = tenant.add_user()
    note = new_note(tenant, contact_id, key=member_key)
    response = tenant.patch(f"/contacts/{contact_id}/notes/{note['id']}", json={"pinned": True})
    assert response.status_code == 200
    assert response.json()["data"]["author_id"] == member_id


def test_staff_impersonating_a_user_writes_the_note_as_that_user(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    headers = {"X-IMPERSONATE-USER-ID": member_id}
    note = new_note(tenant, contact_id, headers=headers)
    assert note["author_id"] == member_id
    with_author = new_note(tenant, contact_id, headers=headers, author_id=member_id)
    assert with_author["author_id"] == member_id


def test_impersonating_staff_cannot_author_as_itself(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    response = tenant.post(
        f"/contacts/{contact_id}/notes",
        json={"body": "x", "author_id": tenant.user_id},
        headers={"X-IMPERSONATE-USER-ID": member_id},
    )
    assert response.status_code == 403


def test_non_staff_cannot_impersonate_to_write_a_note(tenant) -> None:
    contact_id = new_contact(tenant)
    _, member_key = tenant.add_user(role="admin", staff=False)
    response = tenant.post(
        f"/contacts/{contact_id}/notes",
        json={"body": "x"},
        key=member_key,
        headers={"X-IMPERSONATE-USER-ID": tenant.user_id},
    )
    assert response.status_code == 403
    assert tenant.get(f"/contacts/{contact_id}/notes").json()["data"] == []


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": None}, {"pinned": True}])
def test_note_without_a_body_is_400(tenant, body) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/notes", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_pinned_must_be_a_boolean(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/notes", json={"body": "x", "pinned": "yes"})
    assert response.status_code == 400


def test_get_list_put_patch_delete_a_note(tenant) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id, pinned=True)
    path = f"/contacts/{contact_id}/notes/{note['id']}"

    assert tenant.get(path).json()["data"] == note
    assert [n["id"] for n in tenant.get(f"/contacts/{contact_id}/notes").json()["data"]] == [
        note["id"]
    ]

    replaced = tenant.put(path, json={"body": "Replaced"})
    assert replaced.status_code == 200
    assert replaced.json()["data"]["body"] == "Replaced"
    assert replaced.json()["data"]["pinned"] is False, "PUT resets omitted fields"

    patched = tenant.patch(path, json={"pinned": True})
    assert patched.status_code == 200
    assert patched.json()["data"] | {"updated_at": None} == replaced.json()["data"] | {
        "pinned": True,
        "updated_at": None,
    }

    assert tenant.patch(path, json={"body": None}).status_code == 400

    assert tenant.delete(path).json() == {"data": None}
    assert tenant.get(path).status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/notes").json()["data"] == []


def test_note_under_the_wrong_contact_is_404(tenant) -> None:
    contact_id, other_contact = new_contact(tenant), new_contact(tenant)
    note = new_note(tenant, contact_id)
    wrong = f"/contacts/{other_contact}/notes/{note['id']}"
    assert tenant.get(wrong).status_code == 404
    assert tenant.patch(wrong, json={"body": "x"}).status_code == 404
    assert tenant.put(wrong, json={"body": "x"}).status_code == 404
    assert tenant.delete(wrong).status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/notes/{note['id']}").status_code == 200


def test_notes_of_a_deleted_contact_are_404(tenant) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id)
    tenant.delete(f"/contacts/{contact_id}")
    assert tenant.get(f"/contacts/{contact_id}/notes").status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/notes/{note['id']}").status_code == 404
    assert tenant.post(f"/contacts/{contact_id}/notes", json={"body": "x"}).status_code == 404
    assert tenant.get("/notes").json()["data"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/cmp_01jd6w3q0000000000000000aa/notes",
        "/contacts/{contact}/notes/tsk_01jd6w3q0000000000000000aa",
        "/contacts/{contact}/notes/nte_01jd6w3q0000000000000000aa",
        "/contacts/{contact}/notes/NTE_{suffix}",
    ],
)
def test_wrong_prefix_or_unknown_note_ids_are_404(tenant, path) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id)
    response = tenant.get(path.format(contact=contact_id, suffix=note["id"][4:]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_another_accounts_note_is_404(tenant, make_tenant) -> None:
    other = make_tenant()
    contact_id = new_contact(other)
    note = new_note(other, contact_id)
    path = f"/contacts/{contact_id}/notes/{note['id']}"
    assert tenant.get(path).status_code == 404
    assert tenant.patch(path, json={"body": "x"}).status_code == 404
    assert tenant.delete(path).status_code == 404
    assert tenant.post(f"/contacts/{contact_id}/notes", json={"body": "x"}).status_code == 404
    assert tenant.get("/notes").json()["data"] == []
    assert other.get(path).json()["data"]["body"] == "Met at the fair"


def test_read_only_key_reads_notes_but_cannot_write(tenant) -> None:
    contact_id = new_contact(tenant)
    note = new_note(tenant, contact_id)
    key = tenant.new_key("read_only")
    path = f"/contacts/{contact_id}/notes/{note['id']}"
    assert tenant.get(path, key=key).status_code == 200
    assert tenant.get("/notes", key=key).status_code == 200
    for response in (
        tenant.post(f"/contacts/{contact_id}/notes", json={"body": "x"}, key=key),
        tenant.put(path, json={"body": "x"}, key=key),
        tenant.patch(path, json={"body": "x"}, key=key),
        tenant.delete(path, key=key),
    ):
        assert response.status_code == 403
    assert tenant.get(path).json()["data"] == note


class TestAccountWideList:
    """``GET /notes`` and its filters."""

    def test_filters_by_contact_author_and_pinned(self, tenant) -> None:
        a, b = new_contact(tenant), new_contact(tenant)
        member_id, member_key = tenant.add_user()
        owner_on_a = new_note(tenant, a, pinned=True)
        member_on_a = new_note(tenant, a, key=member_key)
        owner_on_b = new_note(tenant, b)

        def ids(**params) -> list[str]:
            response = tenant.get("/notes", params=params)
            assert response.status_code == 200, response.text
            return [n["id"] for n in response.json()["data"]]

        assert ids() == [owner_on_b["id"], member_on_a["id"], owner_on_a["id"]]
        assert ids(contact_id=a) == [member_on_a["id"], owner_on_a["id"]]
        assert ids(author_id=member_id) == [member_on_a["id"]]
        assert ids(author_id=tenant.user_id) == [owner_on_b["id"], owner_on_a["id"]]
        assert ids(pinned="true") == [owner_on_a["id"]]
        assert ids(pinned="false") == [owner_on_b["id"], member_on_a["id"]]
        assert ids(contact_id=b, pinned="true") == []

    def test_invalid_pinned_filter_is_400(self, tenant) -> None:
        assert tenant.get("/notes", params={"pinned": "sometimes"}).status_code == 400
