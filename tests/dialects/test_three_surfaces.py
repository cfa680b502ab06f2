"""One contact, three surfaces: whichever of the native API, MOCO and HighLevel writes a
contact, the other two read it back the same, over every field all three share (names,
email, phone, birthday, tags, custom fields, company and owner); and a write through
one dialect leaves what only the other knows untouched."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import hl
from tests.dialects.moco.conftest import Moco

SHARED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "tags",
    "custom_fields",
    "company_id",
    "owner_id",
)
"""The native fields every surface shows and writes."""
CUSTOM = {"tier": "gold", "score": 7}


def _moco_number(moco: Moco, path: str, native_id: str, match: dict[str, Any]) -> int:
    """The MOCO id of a record, found in its MOCO list by the fields in ``match``."""
    rows = moco.ok("GET", path)
    found = [r["id"] for r in rows if all(r.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (path, native_id, rows)
    return int(found[0])


def _write_three_ways(tenant: Tenant, moco: Moco) -> tuple[list[str], dict[str, Any]]:
    owner_id, _ = tenant.add_user()
    owner_email = tenant.get(f"/users/{owner_id}").json()["data"]["email"]
    company = tenant.post("/companies", json={"name": "Analytical Engines Ltd"}).json()["data"]
    company_number = _moco_number(moco, "/companies", company["id"], {"name": company["name"]})
    owner_number = _moco_number(moco, "/users", owner_id, {"email": owner_email})

    native = tenant.post(
        "/contacts",
        json={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0958",
            "birthday": "1815-12-10",
            "tags": ["math", "vip"],
            "custom_fields": CUSTOM,
            "company_id": company["id"],
            "owner_id": owner_id,
        },
    )
    assert native.status_code == 201, native.text
    in_moco = moco.ok(
        "POST",
        "/contacts/people",
        json={
            "firstname": "Ada",
            "lastname": "Lovelace",
            "gender": "U",  # required by MOCO; "unknown", shown by MOCO as null
            "work_email": "ada@example.com",
            "work_phone": "+44 20 7946 0958",
            "birthday": "1815-12-10",
            "tags": ["vip", "math"],
            "custom_properties": CUSTOM,
            "company_id": company_number,
            "user_id": owner_number,
        },
    )
    in_highlevel = hl(
        tenant,
        "POST",
        "/contacts/",
        json={
            "locationId": tenant.account_id,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0958",
            "dateOfBirth": "1815-12-10",
            "tags": ["math", "vip"],
            "customFields": [{"id": k, "field_value": v} for k, v in CUSTOM.items()],
            "businessId": company["id"],
            "assignedTo": owner_id,
        },
    )
    assert in_highlevel.status_code == 201, in_highlevel.text
    by_moco = [
        c["id"]
        for c in tenant.get("/contacts", params={"q": "Lovelace"}).json()["data"]
        if c["id"] not in (native.json()["data"]["id"], in_highlevel.json()["contact"]["id"])
    ]
    assert len(by_moco) == 1 and in_moco["firstname"] == "Ada"
    ids = [native.json()["data"]["id"], by_moco[0], in_highlevel.json()["contact"]["id"]]
    refs = {"company": company, "owner_id": owner_id, "company_number": company_number}
    return ids, {**refs, "owner_number": owner_number}


def _without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


def test_a_contact_written_through_any_surface_reads_the_same_through_all(
    tenant: Tenant,
) -> None:
    moco = Moco(tenant, tenant.key)
    ids, refs = _write_three_ways(tenant, moco)

    natively = [tenant.get(f"/contacts/{i}").json()["data"] for i in ids]
    shared = [{name: c[name] for name in SHARED} for c in natively]
    assert shared[0] == shared[1] == shared[2]
    assert shared[0]["tags"] == ["math", "vip"] and shared[0]["custom_fields"] == CUSTOM
    assert shared[0]["company_id"] == refs["company"]["id"]
    assert shared[0]["owner_id"] == refs["owner_id"]

    numbers = [
        p["id"]
        for p in moco.ok("GET", "/contacts/people", params={"term": "Lovelace"})
        if p["lastname"] == "Lovelace"
    ]
    assert len(numbers) == 3
    people = [moco.ok("GET", f"/contacts/people/{n}") for n in sorted(numbers)]
    moco_views = [_without(p, "id", "created_at", "updated_at") for p in people]
    assert moco_views[0] == moco_views[1] == moco_views[2]
    person = moco_views[0]
    assert (person["firstname"], person["lastname"]) == ("Ada", "Lovelace")
    assert person["work_email"] == "ada@example.com"
    assert person["work_phone"] == "+44 20 7946 0958" and person["birthday"] == "1815-12-10"
    assert sorted(person["tags"]) == ["math", "vip"] and person["custom_properties"] == CUSTOM
    assert person["company"]["id"] == refs["company_number"]
    assert person["user"]["id"] == refs["owner_number"]

    contacts = [hl(tenant, "GET", f"/contacts/{i}").json()["contact"] for i in ids]
    hl_views = [_without(c, "id", "dateAdded", "dateUpdated") for c in contacts]
    assert hl_views[0] == hl_views[1] == hl_views[2]
    contact = hl_views[0]
    assert contact["email"] == "ada@example.com" and contact["phone"] == "+44 20 7946 0958"
    assert contact["tags"] == ["math", "vip"]
    assert contact["customFields"] == [{"id": "score", "value": 7}, {"id": "tier", "value": "gold"}]
    assert contact["businessId"] == refs["company"]["id"]
    assert contact["assignedTo"] == refs["owner_id"]
    assert contact["companyName"] == "Analytical Engines Ltd"


def test_each_dialect_leaves_what_only_the_other_knows(tenant: Tenant) -> None:
    """MOCO knows titles and job positions, HighLevel websites, time zones and sources:
    an update through one keeps the other's fields as they were."""
    moco = Moco(tenant, tenant.key)
    made = tenant.post(
        "/contacts",
        json={
            "first_name": "Grace",
            "last_name": "Hopper",
            "title": "RADM",
            "job_title": "Programmer",
            "website": "https://grace.example",
            "timezone": "America/New_York",
            "source": "navy",
            "tags": ["navy"],
        },
    ).json()["data"]
    [number] = [
        p["id"]
        for p in moco.ok("GET", "/contacts/people", params={"term": "Hopper"})
        if p["lastname"] == "Hopper"
    ]
    moco.ok("PUT", f"/contacts/people/{number}", json={"firstname": "Amazing Grace"})
    updated = hl(tenant, "PUT", f"/contacts/{made['id']}", json={"lastName": "Hopper-Murray"})
    assert updated.status_code == 200, updated.text

    after = tenant.get(f"/contacts/{made['id']}").json()["data"]
    assert (after["first_name"], after["last_name"]) == ("Amazing Grace", "Hopper-Murray")
    unchanged = ("title", "job_title", "website", "timezone", "source", "tags")
    assert {k: after[k] for k in unchanged} == {k: made[k] for k in unchanged}
