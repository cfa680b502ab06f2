"""Tasks, notes, appointments and tags under a contact, through the HighLevel surface, and
the native records they are."""

from __future__ import annotations

from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import hl, new_contact


def test_tasks(tenant: Tenant) -> None:
    contact = new_contact(tenant)
    base = f"/contacts/{contact['id']}/tasks"
    missing = hl(tenant, "POST", base, json={"title": "No due date"})
    assert missing.status_code == 422
    assert {m.split(" ")[0] for m in missing.json()["message"]} >= {"dueDate", "completed"}
    created = hl(
        tenant,
        "POST",
        base,
        json={
            "title": "Send the proposal",
            "body": "PDF",
            "dueDate": "2026-12-01T09:00:00Z",
            "completed": False,
        },
    )
    assert created.status_code == 201, created.text
    task = created.json()["task"]
    assert task == {
        "id": task["id"],
        "title": "Send the proposal",
        "body": "PDF",
        "assignedTo": tenant.user_id,
        "dueDate": "2026-12-01T09:00:00.000Z",
        "completed": False,
        "contactId": contact["id"],
    }
    native = tenant.get(f"{base}/{task['id']}").json()["data"]
    assert native["due_at"] == "2026-12-01T09:00:00Z" and native["assignee_id"] == tenant.user_id

    updated = hl(tenant, "PUT", f"{base}/{task['id']}", json={"title": "Send it"})
    assert updated.json()["task"]["body"] == "PDF"  # only what was sent changed
    done = hl(tenant, "PUT", f"{base}/{task['id']}/completed", json={"completed": True})
    assert done.status_code == 200 and done.json()["task"]["completed"] is True
    assert tenant.get(f"{base}/{task['id']}").json()["data"]["completed_at"] is not None
    listed = hl(tenant, "GET", base).json()
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    assert hl(tenant, "GET", f"{base}/{task['id']}").json()["task"]["title"] == "Send it"
    bad = hl(tenant, "PUT", f"{base}/{task['id']}", json={"dueDate": "tomorrow"})
    assert bad.status_code == 422 and bad.json()["message"][0].startswith("dueDate")
    deleted = hl(tenant, "DELETE", f"{base}/{task['id']}")
    assert deleted.status_code == 200 and deleted.json()["succeded"] is True
    assert hl(tenant, "GET", f"{base}/{task['id']}").status_code == 404
    assert hl(tenant, "GET", base).json()["tasks"] == []


def test_notes(tenant: Tenant) -> None:
    contact = new_contact(tenant)
    base = f"/contacts/{contact['id']}/notes"
    created = hl(tenant, "POST", base, json={"body": "Met at the fair", "title": "Fair"})
    assert created.status_code == 201, created.text
    note = created.json()["note"]
    assert note["body"] == "Met at the fair" and note["userId"] == tenant.user_id
    assert note["contactId"] == contact["id"] and note["pinned"] is False
    other_user, _ = tenant.add_user()
    as_other = hl(tenant, "POST", base, json={"body": "x", "userId": other_user})
    assert as_other.status_code == 403
    updated = hl(tenant, "PUT", f"{base}/{note['id']}", json={"pinned": True})
    assert updated.json()["note"]["pinned"] is True
    assert updated.json()["note"]["body"] == "Met at the fair"
    assert hl(tenant, "GET", f"{base}/{note['id']}").json()["note"]["pinned"] is True
    assert [n["id"] for n in hl(tenant, "GET", base).json()["notes"]] == [note["id"]]
    assert hl(tenant, "DELETE", f"{base}/{note['id']}").json()["succeded"] is True
    assert tenant.get(f"/contacts/{contact['id']}/notes").json()["data"] == []


def test_appointments_are_calendar_events(tenant: Tenant) -> None:
    contact = new_contact(tenant)
    made = tenant.post(
        f"/contacts/{contact['id']}/appointments",
        json={
            "title": "Demo",
            "starts_at": "2026-11-22T09:00:00Z",
            "ends_at": "2026-11-22T10:00:00Z",
            "location": "Berlin",
            "status": "confirmed",
            "description": "Bring slides",
        },
    ).json()["data"]
    events = hl(tenant, "GET", f"/contacts/{contact['id']}/appointments").json()["events"]
    assert events == [
        {
            "id": made["id"],
            "status": "booked",
            "appointmentStatus": "confirmed",
            "title": "Demo",
            "assignedUserId": tenant.user_id,
            "users": [tenant.user_id],
            "notes": "Bring slides",
            "startTime": "2026-11-22T09:00:00.000Z",
            "endTime": "2026-11-22T10:00:00.000Z",
            "address": "Berlin",
            "locationId": tenant.account_id,
            "contactId": contact["id"],
            "dateAdded": events[0]["dateAdded"],
            "dateUpdated": events[0]["dateUpdated"],
        }
    ]


def test_tags(tenant: Tenant) -> None:
    contact = new_contact(tenant, tags=["vip"])
    base = f"/contacts/{contact['id']}/tags"
    added = hl(tenant, "POST", base, json={"tags": ["lead", "VIP"]})
    assert added.status_code == 201
    assert added.json()["tags"] == ["lead", "vip"] and added.json()["tagsAdded"] == ["lead"]
    removed = hl(tenant, "DELETE", base, json={"tags": ["Lead", "absent"]})
    assert removed.status_code == 200
    assert removed.json()["tags"] == ["vip"] and removed.json()["tagsRemoved"] == ["lead"]
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["tags"] == ["vip"]
    blank = hl(tenant, "POST", base, json={"tags": [" "]})
    assert blank.status_code == 422 and blank.json()["message"][0].startswith("tags")


def test_records_of_a_missing_contact_are_404(tenant: Tenant) -> None:
    for path in ("tasks", "notes", "appointments"):
        response = hl(tenant, "GET", f"/contacts/cnt_01nothing/{path}")
        assert response.status_code == 404, path
        assert response.json()["statusCode"] == 404
