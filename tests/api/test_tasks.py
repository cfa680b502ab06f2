"""Tasks: nested under a contact, completion, and the account-wide ``/tasks`` list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

MISSING_TASK = "tsk_01jd6w3q0000000000000000aa"


def new_contact(tenant, **fields) -> str:
    response = tenant.post("/contacts", json={"first_name": "Ada", **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def new_task(tenant, contact_id: str, **fields) -> dict:
    response = tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "Call back", **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def parse(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_create_task_returns_201_location_and_defaults_assignee_to_acting_user(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/tasks",
        json={"title": "Send proposal", "body": "By Friday", "due_at": "2026-12-01T09:00:00Z"},
    )
    assert response.status_code == 201, response.text
    task = response.json()["data"]
    assert task["id"].startswith("tsk_")
    assert task["object"] == "task"
    assert response.headers["Location"] == f"/api/v1/contacts/{contact_id}/tasks/{task['id']}"
    assert task["contact_id"] == contact_id
    assert task["title"] == "Send proposal"
    assert task["body"] == "By Friday"
    assert task["due_at"] == "2026-12-01T09:00:00Z"
    assert task["completed"] is False
    assert task["completed_at"] is None
    assert task["assignee_id"] == tenant.user_id
    assert task["deleted_at"] is None
    assert task["created_at"].endswith("Z") and task["updated_at"].endswith("Z")


def test_due_at_with_offset_is_stored_and_shown_in_utc(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, due_at="2026-12-01T11:00:00+02:00")
    assert task["due_at"] == "2026-12-01T09:00:00Z"


def test_get_one_and_list_a_contacts_tasks(tenant) -> None:
    contact_id = new_contact(tenant)
    other_contact = new_contact(tenant)
    first = new_task(tenant, contact_id, title="First")
    second = new_task(tenant, contact_id, title="Second")
    new_task(tenant, other_contact, title="Elsewhere")

    got = tenant.get(f"/contacts/{contact_id}/tasks/{first['id']}")
    assert got.status_code == 200
    assert got.json()["data"] == first

    listed = tenant.get(f"/contacts/{contact_id}/tasks")
    assert listed.status_code == 200
    body = listed.json()
    assert [t["id"] for t in body["data"]] == [second["id"], first["id"]]
    assert body["meta"]["total"] == 2


def test_put_replaces_the_task_and_nulls_omitted_fields(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, body="Details", due_at="2026-12-01T09:00:00Z")
    response = tenant.put(f"/contacts/{contact_id}/tasks/{task['id']}", json={"title": "Renamed"})
    assert response.status_code == 200, response.text
    replaced = response.json()["data"]
    assert replaced["title"] == "Renamed"
    assert replaced["body"] is None
    assert replaced["due_at"] is None
    assert replaced["assignee_id"] is None
    assert parse(replaced["updated_at"]) >= parse(task["updated_at"])


def test_put_accepts_the_body_a_get_returned(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, body="Details")
    edited = {**task, "title": "Edited"}
    response = tenant.put(f"/contacts/{contact_id}/tasks/{task['id']}", json=edited)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["title"] == "Edited"
    assert response.json()["data"]["body"] == "Details"


def test_patch_changes_only_the_fields_sent(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, body="Keep me")
    response = tenant.patch(f"/contacts/{contact_id}/tasks/{task['id']}", json={"title": "New"})
    assert response.status_code == 200, response.text
    patched = response.json()["data"]
    assert patched["title"] == "New"
    assert patched["body"] == "Keep me"
    assert patched["assignee_id"] == tenant.user_id


def test_patch_title_to_null_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    response = tenant.patch(f"/contacts/{contact_id}/tasks/{task['id']}", json={"title": None})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_delete_task_answers_null_and_hides_it(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    response = tenant.delete(f"/contacts/{contact_id}/tasks/{task['id']}")
    assert response.status_code == 200
    assert response.json() == {"data": None}
    assert tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}").status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/tasks").json()["data"] == []
    assert tenant.delete(f"/contacts/{contact_id}/tasks/{task['id']}").status_code == 404


def test_deleted_task_is_a_tombstone_with_include_deleted(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    tenant.delete(f"/contacts/{contact_id}/tasks/{task['id']}")
    listed = tenant.get("/tasks", params={"include_deleted": "true"}).json()["data"]
    assert [t["id"] for t in listed] == [task["id"]]
    assert listed[0]["deleted_at"] is not None


def test_completing_a_task_stamps_completed_at_and_uncompleting_clears_it(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    path = f"/contacts/{contact_id}/tasks/{task['id']}/completed"

    done = tenant.put(path, json={"completed": True})
    assert done.status_code == 200, done.text
    data = done.json()["data"]
    assert data["completed"] is True
    stamped = parse(data["completed_at"])
    assert abs((datetime.now(UTC) - stamped).total_seconds()) < 60

    again = tenant.put(path, json={"completed": True}).json()["data"]
    assert again["completed_at"] == data["completed_at"], "re-completing keeps the first stamp"

    undone = tenant.put(path, json={"completed": False})
    assert undone.status_code == 200
    assert undone.json()["data"]["completed"] is False
    assert undone.json()["data"]["completed_at"] is None
    assert (
        tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}").json()["data"]["completed_at"]
        is None
    )


@pytest.mark.parametrize("body", [{}, {"completed": "yes"}, {"completed": None}, {"x": True}])
def test_completion_body_must_be_a_boolean(tenant, body) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    response = tenant.put(f"/contacts/{contact_id}/tasks/{task['id']}/completed", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_patch_completed_keeps_completed_at_in_step(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    path = f"/contacts/{contact_id}/tasks/{task['id']}"
    done = tenant.patch(path, json={"completed": True}).json()["data"]
    assert done["completed"] is True and done["completed_at"] is not None
    kept = tenant.patch(path, json={"title": "Still done"}).json()["data"]
    assert kept["completed_at"] == done["completed_at"]
    undone = tenant.patch(path, json={"completed": False}).json()["data"]
    assert undone["completed_at"] is None


def test_created_completed_task_has_completed_at(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, completed=True)
    assert task["completed"] is True
    assert task["completed_at"] is not None


def test_completed_at_sent_by_client_is_ignored(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, completed_at="2020-01-01T00:00:00Z")
    assert task["completed_at"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": None}, {"body": "no title"}, {"title": "x" * 256}],
)
def test_task_without_a_valid_title_is_400(tenant, body) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/tasks", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"


def test_missing_title_names_the_field(tenant) -> None:
    contact_id = new_contact(tenant)
    error = tenant.post(f"/contacts/{contact_id}/tasks", json={}).json()["error"]
    assert any(d["field"] == "title" for d in error["details"])


def test_unknown_task_field_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "x", "priority": 1})
    assert response.status_code == 400


def test_invalid_due_at_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "x", "due_at": "soon"})
    assert response.status_code == 400


def test_assignee_can_be_another_user_of_the_account(tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    task = new_task(tenant, contact_id, assignee_id=member_id)
    assert task["assignee_id"] == member_id


def test_assignee_null_leaves_task_unassigned(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id, assignee_id=None)
    assert task["assignee_id"] is None


def test_assignee_of_another_account_is_400(tenant, make_tenant) -> None:
    other = make_tenant()
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/tasks", json={"title": "x", "assignee_id": other.user_id}
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "assignee_id"


@pytest.mark.parametrize("assignee", ["usr_nope", "cnt_01jd6w3q0000000000000000aa"])
def test_malformed_assignee_is_400(tenant, assignee) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/tasks", json={"title": "x", "assignee_id": assignee}
    )
    assert response.status_code == 400


def test_deactivated_assignee_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    inactive_id, _ = tenant.add_user(active=False)
    response = tenant.post(
        f"/contacts/{contact_id}/tasks", json={"title": "x", "assignee_id": inactive_id}
    )
    assert response.status_code == 400


def test_task_under_the_wrong_contact_is_404(tenant) -> None:
    contact_id = new_contact(tenant)
    other_contact = new_contact(tenant)
    task = new_task(tenant, contact_id)
    wrong = f"/contacts/{other_contact}/tasks/{task['id']}"
    assert tenant.get(wrong).status_code == 404
    assert tenant.patch(wrong, json={"title": "x"}).status_code == 404
    assert tenant.put(wrong, json={"title": "x"}).status_code == 404
    assert tenant.put(wrong + "/completed", json={"completed": True}).status_code == 404
    assert tenant.delete(wrong).status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}").json()["data"]["title"] == (
        "Call back"
    )


def test_tasks_of_a_deleted_contact_are_404(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    assert tenant.delete(f"/contacts/{contact_id}").status_code == 200
    base = f"/contacts/{contact_id}/tasks"
    assert tenant.get(base).status_code == 404
    assert tenant.post(base, json={"title": "x"}).status_code == 404
    assert tenant.get(f"{base}/{task['id']}").status_code == 404
    assert tenant.patch(f"{base}/{task['id']}", json={"title": "x"}).status_code == 404
    assert tenant.put(f"{base}/{task['id']}/completed", json={"completed": True}).status_code == (
        404
    )
    assert tenant.get("/tasks").json()["data"] == []


def test_restoring_a_contact_brings_its_tasks_back(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    tenant.delete(f"/contacts/{contact_id}")
    assert tenant.post(f"/contacts/{contact_id}/restore").status_code == 200
    got = tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}")
    assert got.status_code == 200
    assert got.json()["data"]["deleted_at"] is None


def test_restoring_a_contact_keeps_separately_deleted_tasks_deleted(tenant) -> None:
    contact_id = new_contact(tenant)
    removed = new_task(tenant, contact_id, title="Removed first")
    kept = new_task(tenant, contact_id, title="Deleted with the contact")
    tenant.delete(f"/contacts/{contact_id}/tasks/{removed['id']}")
    tenant.delete(f"/contacts/{contact_id}")
    tenant.post(f"/contacts/{contact_id}/restore")
    listed = tenant.get(f"/contacts/{contact_id}/tasks").json()["data"]
    assert [t["id"] for t in listed] == [kept["id"]]


def test_patch_completed_to_null_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    path = f"/contacts/{contact_id}/tasks/{task['id']}"
    assert tenant.patch(path, json={"completed": None}).status_code == 400
    assert tenant.get(path).json()["data"]["completed"] is False


def test_patch_assignee_to_a_deactivated_user_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    inactive_id, _ = tenant.add_user(active=False)
    path = f"/contacts/{contact_id}/tasks/{task['id']}"
    assert tenant.patch(path, json={"assignee_id": inactive_id}).status_code == 400
    assert tenant.get(path).json()["data"]["assignee_id"] == tenant.user_id


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/cnt_bad/tasks",
        "/contacts/{contact}/tasks/nte_01jd6w3q0000000000000000aa",
        "/contacts/{contact}/tasks/tsk_short",
        "/contacts/{task}/tasks/{task}",
        "/contacts/{contact}/tasks/" + MISSING_TASK,
    ],
)
def test_wrong_prefix_or_unknown_ids_are_404(tenant, path) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    response = tenant.get(path.format(contact=contact_id, task=task["id"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_another_accounts_task_is_404_and_untouched(tenant, make_tenant) -> None:
    other = make_tenant()
    contact_id = new_contact(other)
    task = new_task(other, contact_id)
    path = f"/contacts/{contact_id}/tasks/{task['id']}"
    assert tenant.get(path).status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/tasks").status_code == 404
    assert tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "x"}).status_code == 404
    assert tenant.put(path, json={"title": "x"}).status_code == 404
    assert tenant.patch(path, json={"title": "x"}).status_code == 404
    assert tenant.put(path + "/completed", json={"completed": True}).status_code == 404
    assert tenant.delete(path).status_code == 404
    assert tenant.get("/tasks", params={"contact_id": contact_id}).json()["data"] == []
    assert other.get(path).json()["data"] == task


def test_read_only_key_reads_tasks_but_cannot_write_them(tenant) -> None:
    contact_id = new_contact(tenant)
    task = new_task(tenant, contact_id)
    key = tenant.new_key("read_only")
    path = f"/contacts/{contact_id}/tasks/{task['id']}"
    assert tenant.get(path, key=key).status_code == 200
    assert tenant.get(f"/contacts/{contact_id}/tasks", key=key).status_code == 200
    assert tenant.get("/tasks", key=key).status_code == 200
    writes = [
        tenant.post(f"/contacts/{contact_id}/tasks", json={"title": "x"}, key=key),
        tenant.put(path, json={"title": "x"}, key=key),
        tenant.patch(path, json={"title": "x"}, key=key),
        tenant.put(path + "/completed", json={"completed": True}, key=key),
        tenant.delete(path, key=key),
    ]
    for response in writes:
        assert response.status_code == 403, response.request.method
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert tenant.get(path).json()["data"] == task


class TestAccountWideList:
    """``GET /tasks`` and its filters."""

    def test_lists_tasks_of_every_contact(self, tenant) -> None:
        a, b = new_contact(tenant), new_contact(tenant)
        ta, tb = new_task(tenant, a), new_task(tenant, b)
        body = tenant.get("/tasks").json()
        assert [t["id"] for t in body["data"]] == [tb["id"], ta["id"]]
        assert body["meta"]["total"] == 2

    def test_filters_by_contact(self, tenant) -> None:
        a, b = new_contact(tenant), new_contact(tenant)
        ta = new_task(tenant, a)
        new_task(tenant, b)
        data = tenant.get("/tasks", params={"contact_id": a}).json()["data"]
        assert [t["id"] for t in data] == [ta["id"]]

    def test_filters_by_assignee(self, tenant) -> None:
        contact_id = new_contact(tenant)
        member_id, _ = tenant.add_user()
        mine = new_task(tenant, contact_id)
        theirs = new_task(tenant, contact_id, assignee_id=member_id)
        by_member = tenant.get("/tasks", params={"assignee_id": member_id}).json()["data"]
        assert [t["id"] for t in by_member] == [theirs["id"]]
        by_owner = tenant.get("/tasks", params={"assignee_id": tenant.user_id}).json()["data"]
        assert [t["id"] for t in by_owner] == [mine["id"]]

    def test_filters_by_completed(self, tenant) -> None:
        contact_id = new_contact(tenant)
        open_task = new_task(tenant, contact_id)
        done_task = new_task(tenant, contact_id)
        tenant.put(
            f"/contacts/{contact_id}/tasks/{done_task['id']}/completed", json={"completed": True}
        )
        done = tenant.get("/tasks", params={"completed": "true"}).json()["data"]
        assert [t["id"] for t in done] == [done_task["id"]]
        pending = tenant.get("/tasks", params={"completed": "false"}).json()["data"]
        assert [t["id"] for t in pending] == [open_task["id"]]

    def test_filters_by_due_window_strictly(self, tenant) -> None:
        contact_id = new_contact(tenant)
        early = new_task(tenant, contact_id, due_at="2026-01-01T00:00:00Z")
        middle = new_task(tenant, contact_id, due_at="2026-06-01T00:00:00Z")
        late = new_task(tenant, contact_id, due_at="2026-12-01T00:00:00Z")
        new_task(tenant, contact_id)  # no due date: matches neither bound

        def ids(**params) -> set[str]:
            return {t["id"] for t in tenant.get("/tasks", params=params).json()["data"]}

        assert ids(due_before="2026-06-01T00:00:00Z") == {early["id"]}
        assert ids(due_after="2026-06-01T00:00:00Z") == {late["id"]}
        assert ids(due_after="2025-12-31T00:00:00Z", due_before="2026-12-01T00:00:00Z") == {
            early["id"],
            middle["id"],
        }

    def test_sorts_by_due_at(self, tenant) -> None:
        contact_id = new_contact(tenant)
        late = new_task(tenant, contact_id, due_at="2026-12-01T00:00:00Z")
        early = new_task(tenant, contact_id, due_at="2026-01-01T00:00:00Z")
        data = tenant.get("/tasks", params={"sort": "due_at", "order": "asc"}).json()["data"]
        assert [t["id"] for t in data] == [early["id"], late["id"]]

    @pytest.mark.parametrize(
        "params",
        [{"completed": "maybe"}, {"due_before": "tomorrow"}, {"sort": "priority"}],
    )
    def test_invalid_filter_is_400(self, tenant, params) -> None:
        response = tenant.get("/tasks", params=params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    def test_other_accounts_tasks_are_not_listed(self, tenant, make_tenant) -> None:
        other = make_tenant()
        new_task(other, new_contact(other))
        mine = new_task(tenant, new_contact(tenant))
        assert [t["id"] for t in tenant.get("/tasks").json()["data"]] == [mine["id"]]
