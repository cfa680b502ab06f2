"""The HighLevel surface's contacts, on both databases: the shapes, statuses and envelopes
HighLevel's clients expect, the native records behind them, and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import hl, new_contact

ERROR_KEYS = {"statusCode", "message", "error"}


def test_create_get_update_delete(tenant: Tenant) -> None:
    created = new_contact(
        tenant,
        lastName="Lovelace",
        email="Ada@Example.com",
        phone="+44 20 1234",
        companyName="Analytical Engines",
        tags=["vip"],
        customFields=[{"key": "budget", "field_value": 5000}],
        dateOfBirth="12/10/1815",
        address1="12 St James's Square",
        city="London",
        postalCode="SW1Y",
        country="GB",
        dnd=True,
        source="fair",
        timezone="Europe/London",
        website="https://ada.example",
    )
    native = tenant.get(f"/contacts/{created['id']}").json()["data"]
    assert native["first_name"] == "Ada" and native["last_name"] == "Lovelace"
    assert native["email"] == "Ada@example.com"
    assert native["birthday"] == "1815-12-10"
    assert native["address"]["postal_code"] == "SW1Y"
    assert native["custom_fields"] == {"budget": 5000}
    assert native["do_not_contact"] is True and native["owner_id"] == tenant.user_id
    company = tenant.get(f"/companies/{native['company_id']}").json()["data"]
    assert company["name"] == "Analytical Engines"
    assert created["companyName"] == "Analytical Engines"
    assert created["businessId"] == native["company_id"]
    assert created["emailLowerCase"] == "ada@example.com"
    assert created["locationId"] == tenant.account_id
    assert created["dateAdded"].endswith("Z") and len(created["dateAdded"]) == 24

    got = hl(tenant, "GET", f"/contacts/{created['id']}")
    assert got.status_code == 200
    assert got.json()["contact"] == created
    assert got.headers["traceId"] == got.json()["traceId"] == got.headers["X-Request-Id"]

    # A second contact naming the same company (in another case) joins it.
    again = new_contact(tenant, companyName="ANALYTICAL ENGINES")
    assert again["businessId"] == created["businessId"]

    updated = hl(tenant, "PUT", f"/contacts/{created['id']}", json={"city": "Paris"})
    assert updated.status_code == 200
    body = updated.json()
    assert body["succeded"] is True and body["succeeded"] is True
    assert body["contact"]["city"] == "Paris" and body["contact"]["postalCode"] == "SW1Y"

    deleted = hl(tenant, "DELETE", f"/contacts/{created['id']}")
    assert deleted.status_code == 200
    assert {k: v for k, v in deleted.json().items() if k != "traceId"} == {
        "succeded": True,
        "succeeded": True,
    }
    gone = hl(tenant, "GET", f"/contacts/{created['id']}")
    assert gone.status_code == 404 and set(gone.json()) == ERROR_KEYS


def test_an_update_leaves_what_highlevel_does_not_know(tenant: Tenant) -> None:
    made = tenant.post(
        "/contacts",
        json={
            "first_name": "Grace",
            "title": "Rear Admiral",
            "job_title": "Programmer",
            "mobile_phone": "+1 555 0100",
            "description": "COBOL",
            "gender": "female",
            "address": {"line1": "1 Navy Way", "line2": "Suite 9", "city": "Arlington"},
            "custom_fields": {"rank": "RADM", "ships": 1},
        },
    ).json()["data"]
    shown = hl(tenant, "GET", f"/contacts/{made['id']}").json()["contact"]
    assert shown["phone"] == "+1 555 0100"  # the mobile phone, in HighLevel's one phone
    # What a client read, sent back with one change.
    echoed = {
        k: v
        for k, v in shown.items()
        if k not in {"id", "locationId", "dateAdded", "dateUpdated", "emailLowerCase"}
    }
    response = hl(tenant, "PUT", f"/contacts/{made['id']}", json={**echoed, "state": "VA"})
    assert response.status_code == 200, response.text
    after = tenant.get(f"/contacts/{made['id']}").json()["data"]
    assert after["address"] == {**made["address"], "state": "VA"}
    for name in ("title", "job_title", "mobile_phone", "description", "gender", "phone"):
        assert after[name] == made[name], name
    assert after["custom_fields"] == made["custom_fields"]


def test_custom_fields_by_id_or_key_and_their_definitions(tenant: Tenant) -> None:
    contact = new_contact(
        tenant,
        customFields=[
            {"id": "tier", "field_value": "gold"},
            {"key": "contact.score", "fieldValue": 7},
            {"key": "topics", "field_value": ["a", "b"]},
        ],
    )
    assert contact["customFields"] == [
        {"id": "score", "value": 7},
        {"id": "tier", "value": "gold"},
        {"id": "topics", "value": ["a", "b"]},
    ]
    new_contact(tenant, customFields=[{"id": "score", "field_value": "high"}])
    response = hl(
        tenant,
        "PUT",
        f"/contacts/{contact['id']}",
        json={"customFields": [{"id": "tier", "field_value": None}]},
    )
    assert [f["id"] for f in response.json()["contact"]["customFields"]] == ["score", "topics"]

    listed = hl(tenant, "GET", f"/locations/{tenant.account_id}/customFields")
    assert listed.status_code == 200
    fields = {f["id"]: f for f in listed.json()["customFields"]}
    assert set(fields) == {"score", "topics"}
    assert fields["score"]["fieldKey"] == "contact.score"
    assert fields["score"]["dataType"] == "TEXT"  # a number and a string
    assert fields["topics"]["dataType"] == "MULTIPLE_OPTIONS"
    assert all(f["model"] == "contact" and f["name"] == f["id"] for f in fields.values())
    none = hl(tenant, "GET", f"/locations/{tenant.account_id}/customFields?model=opportunity")
    assert none.json()["customFields"] == []

    v2 = hl(tenant, "GET", f"/custom-fields/object-key/contact?locationId={tenant.account_id}")
    assert v2.status_code == 200
    assert [f["fieldKey"] for f in v2.json()["fields"]] == ["contact.score", "contact.topics"]
    assert (
        hl(
            tenant, "GET", f"/custom-fields/object-key/pet?locationId={tenant.account_id}"
        ).status_code
        == 404
    )


def test_upsert_matches_by_email_then_phone(tenant: Tenant) -> None:
    base = {"locationId": tenant.account_id}
    first = hl(
        tenant,
        "POST",
        "/contacts/upsert",
        json={**base, "email": "kay@example.com", "firstName": "Kay"},
    )
    assert first.status_code == 200 and first.json()["new"] is True
    assert first.json()["traceId"] == first.headers["traceId"]
    kay = first.json()["contact"]
    by_email = hl(
        tenant,
        "POST",
        "/contacts/upsert",
        json={**base, "email": "KAY@example.com", "lastName": "Moe"},
    )
    assert by_email.json()["new"] is False
    assert by_email.json()["contact"]["id"] == kay["id"]
    assert by_email.json()["contact"]["firstName"] == "Kay"
    phoned = new_contact(tenant, firstName="Phil", phone="+1 555 0199")
    by_phone = hl(
        tenant, "POST", "/contacts/upsert", json={**base, "phone": "+1 555 0199", "city": "Oslo"}
    )
    assert by_phone.json()["new"] is False and by_phone.json()["contact"]["id"] == phoned["id"]
    duplicate = hl(
        tenant,
        "POST",
        "/contacts/upsert",
        json={**base, "email": "kay@example.com", "createNewIfDuplicateAllowed": True},
    )
    assert duplicate.json()["new"] is True and duplicate.json()["contact"]["id"] != kay["id"]


def test_list_walks_with_start_after(tenant: Tenant) -> None:
    made = [new_contact(tenant, firstName=f"Walk {i}")["id"] for i in range(5)]
    seen: list[str] = []
    url = f"/contacts/?locationId={tenant.account_id}&limit=2.0"
    pages = 0
    while url:
        response = hl(tenant, "GET", url)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert body["count"] == len(body["contacts"]) and body["meta"]["total"] == 5
        assert body["meta"]["currentPage"] == pages
        seen += [c["id"] for c in body["contacts"]]
        next_url = body["meta"]["nextPageUrl"]
        url = next_url.split("/highlevel", 1)[1] if next_url else ""
    assert pages == 3 and seen == made
    meta = hl(tenant, "GET", f"/contacts/?locationId={tenant.account_id}&limit=2").json()["meta"]
    by_id = hl(
        tenant,
        "GET",
        f"/contacts/?locationId={tenant.account_id}&limit=2&startAfterId={meta['startAfterId']}",
    ).json()
    assert [c["id"] for c in by_id["contacts"]] == made[2:4]
    found = hl(tenant, "GET", f"/contacts/?locationId={tenant.account_id}&query=walk 3").json()
    assert [c["id"] for c in found["contacts"]] == [made[3]]


def search(tenant: Tenant, **body: Any) -> Any:
    response = hl(
        tenant, "POST", "/contacts/search", json={"locationId": tenant.account_id, **body}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_search_filters_sort_and_search_after(tenant: Tenant) -> None:
    a = new_contact(
        tenant,
        firstName="Anna",
        email="anna@alpha.example",
        tags=["x", "y"],
        city="Berlin",
        dateOfBirth="1990-01-02",
    )
    b = new_contact(tenant, firstName="Bert", email="bert@beta.example", tags=["x"], dnd=True)
    c = new_contact(tenant, firstName="Cleo", companyName="Gamma Ltd")
    ids = lambda body: [x["id"] for x in body["contacts"]]  # noqa: E731
    assert ids(search(tenant)) == [c["id"], b["id"], a["id"]]  # newest first by default
    eq = search(
        tenant, filters=[{"field": "email", "operator": "eq", "value": "ANNA@alpha.example"}]
    )
    assert ids(eq) == [a["id"]] and eq["total"] == 1
    contains = search(tenant, filters=[{"field": "email", "operator": "contains", "value": "BETA"}])
    assert ids(contains) == [b["id"]]
    tagged = search(tenant, filters=[{"field": "tags", "operator": "eq", "value": ["x", "y"]}])
    assert ids(tagged) == [a["id"]]
    grouped = search(
        tenant,
        filters=[
            {
                "group": "OR",
                "filters": [
                    {"field": "city", "operator": "eq", "value": "berlin"},
                    {"field": "companyName", "operator": "contains", "value": "gamma"},
                ],
            }
        ],
        sort=[{"field": "email", "direction": "asc"}],
    )
    assert ids(grouped) == [c["id"], a["id"]]  # no email sorts first
    dnd = search(tenant, filters=[{"field": "dnd", "operator": "eq", "value": True}])
    assert ids(dnd) == [b["id"]]
    born = search(
        tenant,
        filters=[
            {
                "field": "dateOfBirth",
                "operator": "range",
                "value": {"gte": "1990-01-01", "lt": "1990-02-01"},
            }
        ],
    )
    assert ids(born) == [a["id"]]
    since = search(
        tenant,
        filters=[{"field": "dateAdded", "operator": "range", "value": {"gt": b["dateAdded"]}}],
    )
    assert b["id"] not in ids(since) and a["id"] not in ids(since)

    # Walk by dateUpdated ascending, one at a time, with searchAfter.
    hl(tenant, "PUT", f"/contacts/{a['id']}", json={"city": "Bonn"})
    walked: list[str] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "pageLimit": 1,
            "sort": [{"field": "dateUpdated", "direction": "asc"}],
        }
        if after is not None:
            body["searchAfter"] = after
        page = search(tenant, **body)
        if not page["contacts"]:
            break
        assert page["total"] == 3
        walked += ids(page)
        after = page["contacts"][-1]["searchAfter"]
    assert walked == [b["id"], c["id"], a["id"]]
    paged = search(tenant, page=2, pageLimit=2)
    assert ids(paged) == [a["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filters": [{"field": "nope", "operator": "eq", "value": "x"}]}, "filters"),
        ({"filters": [{"field": "email", "operator": "range", "value": {"gt": 1}}]}, "filters"),
        (
            {"filters": [{"field": "dateAdded", "operator": "range", "value": {"gt": "x"}}]},
            "filters",
        ),
        ({"sort": [{"field": "phone", "direction": "asc"}]}, "sort"),
        ({"searchAfter": ["x", "cnt_1"]}, "searchAfter"),
        ({"page": 101, "pageLimit": 100}, "page"),
        ({"pageLimit": 501}, "pageLimit"),
    ],
)
def test_bad_searches_are_422_naming_the_field(
    tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    response = hl(
        tenant, "POST", "/contacts/search", json={"locationId": tenant.account_id, **body}
    )
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert isinstance(message, list) and message[0].startswith(field), message


def test_business_contacts(tenant: Tenant) -> None:
    one = new_contact(tenant, companyName="Delta")
    new_contact(tenant, companyName="Delta")
    new_contact(tenant, companyName="Epsilon")
    path = f"/contacts/business/{one['businessId']}?locationId={tenant.account_id}"
    body = hl(tenant, "GET", path + "&limit=1").json()
    assert body["count"] == 2 and [c["id"] for c in body["contacts"]] == [one["id"]]
    assert len(hl(tenant, "GET", path + "&skip=1").json()["contacts"]) == 1
    assert (
        hl(tenant, "GET", f"/contacts/business/cmp_nope?locationId={tenant.account_id}").status_code
        == 404
    )


def test_errors_are_highlevels(tenant: Tenant) -> None:
    contact = new_contact(tenant)
    path = f"/contacts/{contact['id']}"
    missing = hl(tenant, "GET", path, version=None)
    assert missing.status_code == 400 and set(missing.json()) == ERROR_KEYS
    assert missing.json()["error"] == "Bad Request"
    assert missing.headers["traceId"]
    assert hl(tenant, "GET", path, version="2099-01-01").status_code == 400
    unauthorized = hl(tenant, "GET", path, key="rdx_k_nope")
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {
        "statusCode": 401,
        "message": "Invalid token: access token is invalid",
        "error": "Unauthorized",
    }
    invalid = hl(
        tenant,
        "POST",
        "/contacts/",
        json={"locationId": tenant.account_id, "email": "nope", "dnd": "yes"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"] == "Unprocessable Entity"
    assert any(m.startswith("dnd") for m in invalid.json()["message"])
    owner = hl(tenant, "PUT", path, json={"assignedTo": "usr_01nobody"})
    assert owner.status_code == 422
    assert owner.json()["message"] == [
        "assignedTo does not name an existing active user of this account"
    ]
    unknown = hl(tenant, "PUT", path, json={"favouriteColour": "red"})
    assert unknown.status_code == 422 and unknown.json()["message"][0].startswith("favourite")
    bad_json = hl(
        tenant, "POST", "/contacts/", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400 and isinstance(bad_json.json()["message"], str)
    not_served = hl(tenant, "POST", f"{path}/followers", json={"followers": []})
    assert not_served.status_code == 404 and set(not_served.json()) == ERROR_KEYS
    assert not_served.headers["traceId"]
    wrong_method = hl(tenant, "PATCH", path, json={})
    assert wrong_method.status_code == 405 and set(wrong_method.json()) == ERROR_KEYS
    too_large = hl(
        tenant,
        "POST",
        "/contacts/",
        content=b"[" + b"1," * 600_000 + b"1]",
        headers={"Content-Type": "application/json"},
    )
    assert too_large.status_code == 413 and set(too_large.json()) == ERROR_KEYS
    foreign = hl(tenant, "GET", "/contacts/?locationId=acc_01someoneelse")
    assert foreign.status_code == 403 and set(foreign.json()) == ERROR_KEYS
    limit = hl(tenant, "GET", f"/contacts/?locationId={tenant.account_id}&limit=101")
    assert limit.status_code == 422 and limit.json()["message"][0].startswith("limit")


def test_rate_limit_headers_and_the_events_origin(tenant: Tenant) -> None:
    made = tenant.post("/api-keys", json={"name": "hl", "rate_limit": "100/10;200000/86400"})
    key = made.json()["data"]["key"]
    response = hl(tenant, "GET", f"/contacts/?locationId={tenant.account_id}", key=key)
    assert response.headers["X-RateLimit-Max"] == "100"
    assert response.headers["X-RateLimit-Remaining"] == "99"
    assert response.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert response.headers["X-RateLimit-Limit-Daily"] == "200000"
    assert response.headers["X-RateLimit-Daily-Remaining"] == "199999"
    native = tenant.get("/users/me", key=key)
    assert native.headers["X-RateLimit-Limit"] == "100"
    assert native.headers["X-RateLimit-Remaining"] == "98"

    contact = new_contact(tenant, firstName="Origin")
    events = tenant.get("/events?type=contact.created").json()["data"]
    [event] = [e for e in events if e["data"]["id"] == contact["id"]]
    assert event["origin"]["surface"] == "highlevel"


def test_past_the_limit_429_in_highlevels_body(tenant: Tenant) -> None:
    key = tenant.post("/api-keys", json={"name": "tight", "rate_limit": "2/60;5/86400"}).json()
    secret = key["data"]["key"]
    path = f"/contacts/?locationId={tenant.account_id}"
    assert [hl(tenant, "GET", path, key=secret).status_code for _ in range(2)] == [200, 200]
    refused = hl(tenant, "GET", path, key=secret)
    assert refused.status_code == 429 and set(refused.json()) == ERROR_KEYS
    assert refused.json()["error"] == "Too Many Requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert refused.headers["X-RateLimit-Daily-Remaining"] == "2"


def test_an_idempotency_key_makes_one_contact(tenant: Tenant) -> None:
    body = {"locationId": tenant.account_id, "firstName": "Once"}
    headers = {"Idempotency-Key": "hl-create-once"}
    first = hl(tenant, "POST", "/contacts/", json=body, headers=headers)
    again = hl(tenant, "POST", "/contacts/", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["contact"] == first.json()["contact"]
    listed = hl(tenant, "GET", f"/contacts/?locationId={tenant.account_id}&query=once").json()
    assert listed["meta"]["total"] == 1
