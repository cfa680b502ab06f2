"""The shortest path through the API: create, read, list, delete a contact."""

from __future__ import annotations


def test_contact_round_trip(tenant) -> None:
    created = tenant.post("/contacts", json={"first_name": "Jane", "email": "jane@example.com"})
    assert created.status_code == 201, created.text
    contact = created.json()["data"]
    assert created.headers["Location"] == f"/api/v1/contacts/{contact['id']}"
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["email"] == "jane@example.com"
    listed = tenant.get("/contacts").json()
    assert [c["id"] for c in listed["data"]] == [contact["id"]]
    assert listed["meta"]["total"] == 1
    assert tenant.delete(f"/contacts/{contact['id']}").json() == {"data": None}
    assert tenant.get(f"/contacts/{contact['id']}").status_code == 404
