"""Appointments: nested under a contact, their time rules, and ``/appointments``."""

from __future__ import annotations

import pytest

STATUSES = ["scheduled", "confirmed", "cancelled", "completed", "no_show"]


def new_contact(tenant) -> str:
    response = tenant.post("/contacts", json={"last_name": "Lovelace"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def new_appointment(tenant, contact_id: str, **fields) -> dict:
    body = {
        "title": "Kick-off",
        "starts_at": "2026-12-01T09:00:00Z",
        "ends_at": "2026-12-01T10:00:00Z",
        **fields,
    }
    response = tenant.post(f"/contacts/{contact_id}/appointments", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_create_appointment_with_defaults(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/appointments",
        json={
            "title": "Kick-off",
            "starts_at": "2026-12-01T10:00:00+01:00",
            "ends_at": "2026-12-01T11:30:00+01:00",
            "location": "Berlin office",
            "description": "Bring the contract",
        },
    )
    assert response.status_code == 201, response.text
    appointment = response.json()["data"]
    assert appointment["id"].startswith("apt_")
    assert appointment["object"] == "appointment"
    assert response.headers["Location"] == (
        f"/api/v1/contacts/{contact_id}/appointments/{appointment['id']}"
    )
    assert appointment["contact_id"] == contact_id
    assert appointment["starts_at"] == "2026-12-01T09:00:00Z"
    assert appointment["ends_at"] == "2026-12-01T10:30:00Z"
    assert appointment["status"] == "scheduled"
    assert appointment["assignee_id"] == tenant.user_id
    assert appointment["location"] == "Berlin office"
    assert appointment["description"] == "Bring the contract"
    assert appointment["deleted_at"] is None


def test_appointment_needs_only_a_title(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/appointments", json={"title": "Some time"})
    assert response.status_code == 201
    assert response.json()["data"]["starts_at"] is None


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": None}, {"location": "x"}])
def test_appointment_without_a_title_is_400(tenant, body) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(f"/contacts/{contact_id}/appointments", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "ends_at", ["2026-12-01T09:00:00Z", "2026-12-01T08:59:59Z", "2026-12-01T10:00:00+02:00"]
)
def test_ends_at_not_after_starts_at_is_400(tenant, ends_at) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/appointments",
        json={"title": "x", "starts_at": "2026-12-01T09:00:00Z", "ends_at": ends_at},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"][0]["field"] == "ends_at"


def test_patching_one_end_is_checked_against_the_stored_other(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"
    assert tenant.patch(path, json={"ends_at": "2026-12-01T08:00:00Z"}).status_code == 400
    assert tenant.patch(path, json={"starts_at": "2026-12-01T11:00:00Z"}).status_code == 400
    moved = tenant.patch(path, json={"starts_at": "2026-12-01T09:30:00Z"})
    assert moved.status_code == 200
    assert moved.json()["data"]["starts_at"] == "2026-12-01T09:30:00Z"
    assert tenant.get(path).json()["data"]["ends_at"] == "2026-12-01T10:00:00Z"


@pytest.mark.parametrize("status", STATUSES)
def test_every_contract_status_is_accepted(tenant, status) -> None:
    contact_id = new_contact(tenant)
    assert new_appointment(tenant, contact_id, status=status)["status"] == status


@pytest.mark.parametrize("status", ["done", "Scheduled", "", None, 1])
def test_invalid_status_is_400(tenant, status) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/appointments", json={"title": "x", "status": status}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_patch_status_to_null_or_invalid_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"
    assert tenant.patch(path, json={"status": None}).status_code == 400
    assert tenant.patch(path, json={"status": "postponed"}).status_code == 400
    assert tenant.get(path).json()["data"]["status"] == "scheduled"


def test_put_replaces_and_patch_updates(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id, location="Room 1", status="confirmed")
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"

    assert tenant.get(path).json()["data"] == appointment

    replaced = tenant.put(path, json={"title": "Renamed"})
    assert replaced.status_code == 200, replaced.text
    data = replaced.json()["data"]
    assert data["title"] == "Renamed"
    assert data["location"] is None
    assert data["starts_at"] is None and data["ends_at"] is None
    assert data["status"] == "scheduled"

    patched = tenant.patch(path, json={"status": "cancelled"})
    assert patched.status_code == 200
    assert patched.json()["data"]["status"] == "cancelled"
    assert patched.json()["data"]["title"] == "Renamed"


def test_delete_appointment(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"
    assert tenant.delete(path).json() == {"data": None}
    assert tenant.get(path).status_code == 404
    assert tenant.get(f"/contacts/{contact_id}/appointments").json()["data"] == []


def test_assignee_rules(tenant, make_tenant) -> None:
    contact_id = new_contact(tenant)
    member_id, _ = tenant.add_user()
    assert new_appointment(tenant, contact_id, assignee_id=member_id)["assignee_id"] == member_id
    other = make_tenant()
    response = tenant.post(
        f"/contacts/{contact_id}/appointments",
        json={"title": "x", "assignee_id": other.user_id},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "assignee_id"


def test_appointment_under_the_wrong_contact_is_404(tenant) -> None:
    contact_id, other_contact = new_contact(tenant), new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    wrong = f"/contacts/{other_contact}/appointments/{appointment['id']}"
    assert tenant.get(wrong).status_code == 404
    assert tenant.put(wrong, json={"title": "x"}).status_code == 404
    assert tenant.patch(wrong, json={"title": "x"}).status_code == 404
    assert tenant.delete(wrong).status_code == 404


def test_appointments_of_a_deleted_contact_are_404(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    tenant.delete(f"/contacts/{contact_id}")
    base = f"/contacts/{contact_id}/appointments"
    assert tenant.get(base).status_code == 404
    assert tenant.get(f"{base}/{appointment['id']}").status_code == 404
    assert tenant.post(base, json={"title": "x"}).status_code == 404
    assert tenant.get("/appointments").json()["data"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/apt_01jd6w3q0000000000000000aa/appointments",
        "/contacts/{contact}/appointments/tsk_01jd6w3q0000000000000000aa",
        "/contacts/{contact}/appointments/apt_01jd6w3q0000000000000000aa",
        "/contacts/{contact}/appointments/apt_",
    ],
)
def test_wrong_prefix_or_unknown_appointment_ids_are_404(tenant, path) -> None:
    contact_id = new_contact(tenant)
    response = tenant.get(path.format(contact=contact_id))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_another_accounts_appointment_is_404(tenant, make_tenant) -> None:
    other = make_tenant()
    contact_id = new_contact(other)
    appointment = new_appointment(other, contact_id)
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"
    assert tenant.get(path).status_code == 404
    assert tenant.patch(path, json={"status": "cancelled"}).status_code == 404
    assert tenant.delete(path).status_code == 404
    assert tenant.get("/appointments").json()["data"] == []
    assert other.get(path).json()["data"]["status"] == "scheduled"


def test_read_only_key_cannot_write_appointments(tenant) -> None:
    contact_id = new_contact(tenant)
    appointment = new_appointment(tenant, contact_id)
    key = tenant.new_key("read_only")
    path = f"/contacts/{contact_id}/appointments/{appointment['id']}"
    assert tenant.get(path, key=key).status_code == 200
    assert tenant.get("/appointments", key=key).status_code == 200
    for response in (
        tenant.post(f"/contacts/{contact_id}/appointments", json={"title": "x"}, key=key),
        tenant.put(path, json={"title": "x"}, key=key),
        tenant.patch(path, json={"title": "x"}, key=key),
        tenant.delete(path, key=key),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert tenant.get(path).json()["data"] == appointment


class TestAccountWideList:
    """``GET /appointments`` and its filters."""

    def test_filters(self, tenant) -> None:
        a, b = new_contact(tenant), new_contact(tenant)
        member_id, _ = tenant.add_user()
        early = new_appointment(
            tenant, a, starts_at="2026-01-01T09:00:00Z", ends_at="2026-01-01T10:00:00Z"
        )
        middle = new_appointment(
            tenant,
            b,
            starts_at="2026-06-01T09:00:00Z",
            ends_at="2026-06-01T10:00:00Z",
            status="confirmed",
            assignee_id=member_id,
        )
        late = new_appointment(
            tenant, a, starts_at="2026-12-01T09:00:00Z", ends_at="2026-12-01T10:00:00Z"
        )

        def ids(**params) -> set[str]:
            response = tenant.get("/appointments", params=params)
            assert response.status_code == 200, response.text
            return {x["id"] for x in response.json()["data"]}

        assert ids() == {early["id"], middle["id"], late["id"]}
        assert ids(contact_id=a) == {early["id"], late["id"]}
        assert ids(assignee_id=member_id) == {middle["id"]}
        assert ids(status="confirmed") == {middle["id"]}
        assert ids(status="cancelled") == set()
        assert ids(starts_after="2026-06-01T09:00:00Z") == {late["id"]}
        assert ids(starts_before="2026-06-01T09:00:00Z") == {early["id"]}
        assert ids(starts_after="2025-12-31T00:00:00Z", starts_before="2026-12-01T09:00:00Z") == {
            early["id"],
            middle["id"],
        }

    def test_sorts_by_starts_at(self, tenant) -> None:
        contact_id = new_contact(tenant)
        late = new_appointment(
            tenant, contact_id, starts_at="2026-12-01T09:00:00Z", ends_at="2026-12-01T10:00:00Z"
        )
        early = new_appointment(
            tenant, contact_id, starts_at="2026-01-01T09:00:00Z", ends_at="2026-01-01T10:00:00Z"
        )
        data = tenant.get("/appointments", params={"sort_by": "starts_at"}).json()["data"]
        assert [x["id"] for x in data] == [early["id"], late["id"]]

    @pytest.mark.parametrize("params", [{"status": "done"}, {"starts_after": "yesterday"}])
    def test_invalid_filter_is_400(self, tenant, params) -> None:
        response = tenant.get("/appointments", params=params)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
