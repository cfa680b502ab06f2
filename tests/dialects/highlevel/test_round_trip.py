"""A contact written through the native API and the same contact written through the
HighLevel surface read back identically through both, over every field the two share:
names, email, phone, address, website, time zone, source, do-not-contact, birthday, tags,
custom fields, company and owner. And a HighLevel read written back through HighLevel
changes nothing, not even the fields HighLevel cannot show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import hl

MAPPED = (
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "website",
    "timezone",
    "source",
    "do_not_contact",
    "birthday",
    "tags",
    "custom_fields",
    "company_id",
    "owner_id",
)
"""Native fields HighLevel shows (the address is compared part by part)."""
ADDRESS = ("line1", "city", "state", "postal_code", "country")
NOT_COMPARED = {"id", "dateAdded", "dateUpdated"}


def native_view(contact: dict[str, Any]) -> dict[str, Any]:
    address = contact["address"] or {}
    return {
        **{name: contact[name] for name in MAPPED},
        "address": {part: address.get(part) for part in ADDRESS},
    }


def test_native_and_highlevel_writes_read_back_the_same(tenant: Tenant) -> None:
    owner_id, _ = tenant.add_user()
    company = tenant.post("/companies", json={"name": "Analytical Engines Ltd"}).json()["data"]
    custom = {"tier": "gold", "score": 7, "topics": ["math", "poetry"]}
    native_body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "website": "https://ada.example",
        "timezone": "Europe/London",
        "source": "referral",
        "do_not_contact": True,
        "birthday": "1815-12-10",
        "tags": ["math", "vip"],
        "custom_fields": custom,
        "company_id": company["id"],
        "owner_id": owner_id,
        "address": {
            "line1": "12 St James's Square",
            "city": "London",
            "state": "Greater London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
        },
    }
    highlevel_body = {
        "locationId": tenant.account_id,
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "website": "https://ada.example",
        "timezone": "Europe/London",
        "source": "referral",
        "dnd": True,
        "dateOfBirth": "1815-12-10",
        "tags": ["vip", "math"],
        "customFields": [
            {"id": "tier", "field_value": "gold"},
            {"key": "contact.score", "fieldValue": 7},
            {"key": "topics", "field_value": ["math", "poetry"]},
        ],
        "companyName": "analytical engines ltd",  # the same company, in another case
        "assignedTo": owner_id,
        "address1": "12 St James's Square",
        "city": "London",
        "state": "Greater London",
        "postalCode": "SW1Y 4JH",
        "country": "GB",
    }
    written_natively = tenant.post("/contacts", json=native_body)
    assert written_natively.status_code == 201, written_natively.text
    written_in_highlevel = hl(tenant, "POST", "/contacts/", json=highlevel_body)
    assert written_in_highlevel.status_code == 201, written_in_highlevel.text
    ids = [written_natively.json()["data"]["id"], written_in_highlevel.json()["contact"]["id"]]

    natively = [tenant.get(f"/contacts/{i}").json()["data"] for i in ids]
    in_highlevel = [hl(tenant, "GET", f"/contacts/{i}").json()["contact"] for i in ids]
    # Read natively: the same contact, whichever surface wrote it.
    assert native_view(natively[0]) == native_view(natively[1])
    assert native_view(natively[1])["custom_fields"] == custom
    assert natively[1]["company_id"] == company["id"] and natively[1]["owner_id"] == owner_id
    # Read through HighLevel: the same too, and what the native fields say.
    same = [{k: v for k, v in c.items() if k not in NOT_COMPARED} for c in in_highlevel]
    assert same[0] == same[1]
    assert same[0] == {
        "locationId": tenant.account_id,
        "name": "Ada Lovelace",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "emailLowerCase": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "companyName": "Analytical Engines Ltd",
        "address1": "12 St James's Square",
        "city": "London",
        "state": "Greater London",
        "country": "GB",
        "postalCode": "SW1Y 4JH",
        "website": "https://ada.example",
        "timezone": "Europe/London",
        "dnd": True,
        "source": "referral",
        "assignedTo": owner_id,
        "tags": ["math", "vip"],
        "dateOfBirth": "1815-12-10T00:00:00.000Z",
        "customFields": [
            {"id": "score", "value": 7},
            {"id": "tier", "value": "gold"},
            {"id": "topics", "value": ["math", "poetry"]},
        ],
        "businessId": company["id"],
    }
    for native, shown in zip(natively, in_highlevel, strict=True):
        for mine, theirs in (("created_at", "dateAdded"), ("updated_at", "dateUpdated")):
            moment = datetime.fromisoformat(native[mine])
            to_the_ms = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
            assert datetime.fromisoformat(shown[theirs]) == to_the_ms
            assert shown[theirs].endswith("Z") and len(shown[theirs]) == 24


def test_a_highlevel_read_written_back_changes_nothing(tenant: Tenant) -> None:
    made = tenant.post(
        "/contacts",
        json={
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "mobile_phone": "+1 555 0100",
            "title": "RADM",
            "job_title": "Programmer",
            "gender": "female",
            "description": "COBOL",
            "birthday": "1906-12-09",
            "address": {"line1": "1 Navy Way", "line2": "Suite 9", "city": "Arlington"},
            "custom_fields": {"rank": "RADM", "ships": 1},
            "tags": ["navy"],
        },
    ).json()["data"]
    shown = hl(tenant, "GET", f"/contacts/{made['id']}").json()["contact"]
    sent = {
        k: v
        for k, v in shown.items()
        if k not in {"id", "locationId", "dateAdded", "dateUpdated", "emailLowerCase"}
    }
    response = hl(tenant, "PUT", f"/contacts/{made['id']}", json=sent)
    assert response.status_code == 200, response.text
    after = tenant.get(f"/contacts/{made['id']}").json()["data"]
    assert after == made  # not even updated_at moved: nothing changed
