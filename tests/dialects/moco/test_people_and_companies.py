"""People and companies on the MOCO surface: the same rows as the native API, MOCO's
fields, ids, statuses, errors and lists."""

from __future__ import annotations

from typing import Any

from tests.conftest import Tenant
from tests.dialects.moco.conftest import Moco

PERSON = {
    "firstname": "Peter",
    "lastname": "Muster",
    "gender": "M",
    "title": "Dr. med.",
    "job_position": "Account Manager",
    "mobile_phone": "+41 79 123 45 67",
    "work_phone": "+41 44 555 66 77",
    "work_email": "peter.muster@beispiel.ch",
    "work_address": "Beispiel AG\nBeispielstrasse 123\n8000 Zürich",
    "birthday": "1959-05-22",
    "info": "Met at the fair",
    "tags": ["Key Account", "Christmas Card"],
    "custom_properties": {"Sector": "Pharma"},
}


def _company(moco: Moco, **fields: Any) -> dict[str, Any]:
    body = {"name": "Beispiel AG", "type": "customer", **fields}
    company: dict[str, Any] = moco.ok("POST", "/companies", json=body)
    return company


def test_a_person_written_through_moco_reads_back_through_both_surfaces(
    moco: Moco, tenant: Tenant
) -> None:
    company = _company(moco)
    session = moco.ok("GET", "/session")
    person = moco.ok(
        "POST",
        "/contacts/people",
        json={**PERSON, "company_id": company["id"], "user_id": session["id"]},
    )
    assert isinstance(person["id"], int) and person["id"] > 0
    for name, value in PERSON.items():
        expected = sorted(value) if name == "tags" else value
        shown = sorted(person[name]) if name == "tags" else person[name]
        assert shown == expected, name
    assert person["company"] == {"id": company["id"], "type": "customer", "name": "Beispiel AG"}
    assert person["user"]["id"] == session["id"]
    assert person["work_fax"] == "" and person["home_email"] == "" and person["home_address"] == ""
    assert person["created_at"].endswith("Z") and len(person["created_at"]) == 20
    assert moco.ok("GET", f"/contacts/people/{person['id']}") == person

    [native] = tenant.get("/contacts", params={"q": "Muster"}).json()["data"]
    assert native["first_name"] == "Peter" and native["last_name"] == "Muster"
    assert native["email"] == "peter.muster@beispiel.ch"
    assert native["phone"] == "+41 44 555 66 77" and native["mobile_phone"] == "+41 79 123 45 67"
    assert native["job_title"] == "Account Manager" and native["title"] == "Dr. med."
    assert native["gender"] == "M" and native["birthday"] == "1959-05-22"
    assert native["description"] == "Met at the fair"
    assert native["address"]["line1"] == "Beispiel AG"
    assert sorted(native["tags"]) == sorted(PERSON["tags"])
    assert native["custom_fields"] == {"Sector": "Pharma"}
    assert native["owner_id"] == tenant.user_id
    company_native = tenant.get(f"/contacts/{native['id']}").json()["data"]["company_id"]
    assert tenant.get(f"/companies/{company_native}").json()["data"]["name"] == "Beispiel AG"


def test_a_moco_update_leaves_what_moco_does_not_know_untouched(moco: Moco, tenant: Tenant) -> None:
    native = tenant.post(
        "/contacts",
        json={
            "first_name": "Jane",
            "last_name": "Smith",
            "website": "https://jane.example.com",
            "timezone": "Europe/Berlin",
            "source": "fair",
            "do_not_contact": True,
            "gender": "nonbinary",
            "address": {"line1": "Main St 1", "city": "Berlin", "postal_code": "10115"},
            "custom_fields": {"a": "1", "b": "2"},
            "tags": ["vip"],
        },
    ).json()["data"]
    [person] = moco.ok("GET", "/contacts/people", params={"term": "Smith"})
    assert person["gender"] is None  # not F or M: unknown to MOCO
    assert person["work_address"] == "Main St 1\n10115 Berlin"
    changed = moco.ok(
        "PUT",
        f"/contacts/people/{person['id']}",
        json={"job_position": "CTO", "custom_properties": {"b": "3", "c": "4"}},
    )
    assert changed["job_position"] == "CTO"
    assert changed["custom_properties"] == {"a": "1", "b": "3", "c": "4"}  # merged, as MOCO does
    after = tenant.get(f"/contacts/{native['id']}").json()["data"]
    for name in ("website", "timezone", "source", "do_not_contact", "gender", "address", "tags"):
        assert after[name] == native[name], name
    assert after["job_title"] == "CTO"


def test_a_person_needs_a_last_name_and_a_gender_and_422_names_the_fields(moco: Moco) -> None:
    response = moco.post("/contacts/people", json={"firstname": "Ada", "work_email": "x"})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "lastname" in message and "gender" in message
    assert set(response.json()) == {"message"}
    response = moco.post(
        "/contacts/people", json={"lastname": "L", "gender": "F", "work_email": "no-at-sign"}
    )
    assert response.status_code == 422 and response.json()["message"].startswith("work_email:")
    response = moco.post(
        "/contacts/people", json={"lastname": "L", "gender": "F", "user_id": 10**12}
    )
    assert response.status_code == 422 and response.json()["message"].startswith("user_id:")
    response = moco.post(
        "/contacts/people",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    response = moco.post("/contacts/people", content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422


def test_statuses_create_200_delete_204_unknown_404_no_key_401(moco: Moco) -> None:
    created = moco.post("/contacts/people", json={"lastname": "Gone", "gender": "F"})
    assert created.status_code == 200
    assert created.headers["content-type"] == "application/json; charset=utf-8"
    number = created.json()["id"]
    deleted = moco.delete(f"/contacts/people/{number}")
    assert deleted.status_code == 204 and deleted.content == b""
    for path in (f"/contacts/people/{number}", "/contacts/people/0", f"/contacts/people/{2**70}"):
        missing = moco.get(path)
        assert missing.status_code == 404 and set(missing.json()) == {"message"}, path
    assert moco.get("/no/such/thing").status_code == 404
    unauthenticated = moco.tenant.client.get("/moco/api/v1/contacts/people")
    assert unauthenticated.status_code == 401 and "message" in unauthenticated.json()
    bearer = moco.tenant.client.get(
        "/moco/api/v1/contacts/people", headers={"Authorization": f"Bearer {moco.key}"}
    )
    assert bearer.status_code == 200


def test_a_number_is_stable_and_another_kind_s_number_finds_nothing(moco: Moco) -> None:
    person = moco.ok("POST", "/contacts/people", json={"lastname": "Stable", "gender": "M"})
    company = _company(moco)
    assert moco.ok("GET", f"/contacts/people/{person['id']}")["id"] == person["id"]
    assert moco.get(f"/contacts/people/{company['id']}").status_code == 404
    assert moco.get(f"/companies/{person['id']}").status_code == 404


def _numbers(items: list[dict[str, Any]]) -> list[int]:
    return [item["id"] for item in items]


def test_lists_page_by_100_with_moco_s_headers(moco: Moco, tenant: Tenant) -> None:
    items = [{"last_name": f"Batch {i:03}"} for i in range(205)]
    response = tenant.post("/contacts/batch", json={"items": items})
    assert response.status_code in (200, 207), response.text
    first = moco.get("/contacts/people")
    assert first.status_code == 200
    assert (first.headers["X-Page"], first.headers["X-Per-Page"], first.headers["X-Total"]) == (
        "1",
        "100",
        "205",
    )
    assert 'page=2>; rel="next"' in first.headers["Link"]
    assert 'page=3>; rel="last"' in first.headers["Link"]
    assert len(first.json()) == 100
    assert "info" not in first.json()[0]  # lists leave it out, as MOCO's do
    third = moco.get("/contacts/people", params={"page": 3})
    assert len(third.json()) == 5 and "Link" not in third.headers
    past = moco.get("/contacts/people", params={"page": 4})
    assert past.status_code == 200 and past.json() == []
    seen = _numbers(first.json()) + _numbers(moco.ok("GET", "/contacts/people", params={"page": 2}))
    seen += _numbers(third.json())
    assert len(set(seen)) == 205
    assert moco.get("/contacts/people", params={"page": 0}).status_code == 422


def test_sort_ids_and_updated_after(moco: Moco) -> None:
    numbers = [
        moco.ok("POST", "/contacts/people", json={"lastname": name, "gender": "F"})["id"]
        for name in ("Charlie", "Alpha", "Bravo")
    ]
    by_name = moco.ok("GET", "/contacts/people", params={"sort_by": "lastname"})
    assert [p["lastname"] for p in by_name] == ["Alpha", "Bravo", "Charlie"]
    desc = moco.ok("GET", "/contacts/people", params={"sort_by": "lastname desc"})
    assert [p["lastname"] for p in desc] == ["Charlie", "Bravo", "Alpha"]
    assert moco.get("/contacts/people", params={"sort_by": "shoe_size"}).status_code == 422
    assert moco.get("/contacts/people", params={"sort_by": "lastname sideways"}).status_code == 422
    picked = moco.ok("GET", "/contacts/people", params={"ids": f"{numbers[0]},{numbers[2]}"})
    assert sorted(_numbers(picked)) == sorted([numbers[0], numbers[2]])
    assert moco.get("/contacts/people", params={"ids": "1,x"}).status_code == 422
    moco.ok("PUT", f"/contacts/people/{numbers[1]}", json={"title": "Dr."})
    [native] = moco.tenant.get("/contacts", params={"q": "Alpha"}).json()["data"]
    moco.ok("PUT", f"/contacts/people/{numbers[2]}", json={"title": "Prof."})
    later = moco.ok("GET", "/contacts/people", params={"updated_after": native["updated_at"]})
    assert _numbers(later) == [numbers[2]]
    earlier = moco.ok("GET", "/contacts/people", params={"updated_after": "2000-01-01T00:00:00Z"})
    assert set(numbers) <= set(_numbers(earlier))
    assert moco.get("/contacts/people", params={"updated_after": "yesterday"}).status_code == 422


def test_term_phone_and_tags_filters(moco: Moco) -> None:
    volkswagen = _company(moco, name="Volkswagen AG")
    moco.ok(
        "POST",
        "/contacts/people",
        json={
            "firstname": "Mario",
            "lastname": "Rossi",
            "gender": "M",
            "company_id": volkswagen["id"],
            "work_phone": "+41 79 826 11 22",
            "tags": ["Influencer", "Early Adopter"],
        },
    )
    moco.ok(
        "POST",
        "/contacts/people",
        json={"firstname": "Luigi", "lastname": "Verdi", "gender": "M", "mobile_phone": "079-826"},
    )

    def names(**params: Any) -> list[str]:
        return sorted(p["lastname"] for p in moco.ok("GET", "/contacts/people", params=params))

    assert names(term="mario, volkswagen") == ["Rossi"]
    assert names(term="MARIO") == ["Rossi"]
    assert names(term="mario, audi") == []
    assert names(phone="79 826") == ["Rossi", "Verdi"]
    assert names(phone="11 22") == ["Rossi"]
    assert names(tags="influencer, Early Adopter") == ["Rossi"]
    assert names(tags=["Influencer", "nobody"]) == []


def test_companies_archive_unarchive_and_filters(moco: Moco, tenant: Tenant) -> None:
    kept = _company(moco, name="Kept GmbH", type="supplier", tags=["Print"])
    gone = _company(moco, name="Old Corp", type="customer")
    assert kept["active"] is True and kept["archived_on"] is None
    archived = moco.ok("PUT", f"/companies/{gone['id']}/archive")
    assert archived["active"] is False and archived["archived_on"] is not None
    assert (
        moco.ok("PUT", f"/companies/{gone['id']}/archive")["archived_on"] == archived["archived_on"]
    )
    assert _numbers(moco.ok("GET", "/companies")) == [kept["id"]]
    both = moco.ok("GET", "/companies", params={"include_archived": "true"})
    assert sorted(_numbers(both)) == sorted([kept["id"], gone["id"]])
    native = tenant.get("/companies", params={"q": "Old Corp"}).json()["data"][0]
    assert native["archived_at"] is not None
    back = moco.ok("PUT", f"/companies/{gone['id']}/unarchive")
    assert back["active"] is True and back["archived_on"] is None
    assert _numbers(moco.ok("GET", "/companies", params={"type": "supplier"})) == [kept["id"]]
    assert _numbers(moco.ok("GET", "/companies", params={"tags": "print"})) == [kept["id"]]
    assert _numbers(moco.ok("GET", "/companies", params={"term": "old"})) == [gone["id"]]
    assert moco.ok("GET", "/companies", params={"identifier": "K-1"}) == []


def test_a_company_written_through_moco(moco: Moco, tenant: Tenant) -> None:
    company = _company(
        moco,
        website="www.beispiel-ag.com",
        email="info@beispiel-ag.com",
        phone="+49 30 123 45 67",
        address="Beispiel AG\nBeispielstrasse 123\n12345 Beispielstadt",
        info="Prints our flyers",
        tags=["Netzwerk"],
        custom_properties={"UID": "1234"},
        currency="EUR",  # MOCO's billing fields are accepted, not kept
        identifier="K-1",
    )
    assert company["user"]["id"] == moco.ok("GET", "/session")["id"]
    shown = moco.ok("GET", f"/companies/{company['id']}")
    assert shown == company and "currency" not in shown
    native = tenant.get("/companies", params={"q": "Beispiel"}).json()["data"][0]
    assert (
        native["description"] == "Prints our flyers" and native["website"] == "www.beispiel-ag.com"
    )
    changed = moco.ok("PUT", f"/companies/{company['id']}", json={"name": "Beispiel GmbH"})
    assert changed["name"] == "Beispiel GmbH" and changed["tags"] == ["Netzwerk"]
    missing_type = moco.post("/companies", json={"name": "No Type"})
    assert missing_type.status_code == 422 and "type" in missing_type.json()["message"]
    assert moco.delete(f"/companies/{company['id']}").status_code == 204
    assert moco.get(f"/companies/{company['id']}").status_code == 404


def test_changes_made_through_moco_say_so_in_their_events(moco: Moco, tenant: Tenant) -> None:
    person = moco.ok("POST", "/contacts/people", json={"lastname": "Evented", "gender": "F"})
    moco.ok("PUT", f"/contacts/people/{person['id']}", json={"firstname": "Eve"})
    events = tenant.get("/events", params={"order": "asc"}).json()["data"]
    mine = [e for e in events if e["type"] in ("contact.created", "contact.updated")]
    assert [e["type"] for e in mine] == ["contact.created", "contact.updated"]
    assert {e["origin"]["surface"] for e in mine} == {"moco"}
    audit = tenant.get("/audit-log").json()["data"]
    assert any(entry["action"] == "contact.updated" for entry in audit)


def test_the_credential_s_own_rate_limit_with_native_headers_and_429(moco: Moco) -> None:
    created = moco.tenant.post("/api-keys", json={"name": "slow", "rate_limit": "2/120"})
    key = created.json()["data"]["key"]
    first = moco.get("/contacts/people", key=key)
    assert first.status_code == 200
    assert (
        first.headers["X-RateLimit-Limit"] == "2" and first.headers["X-RateLimit-Remaining"] == "1"
    )
    assert moco.get("/companies", key=key).status_code == 200
    limited = moco.get("/contacts/people", key=key)
    assert limited.status_code == 429 and set(limited.json()) == {"message"}
    assert int(limited.headers["Retry-After"]) > 0
    # the native API counts against the same budget
    assert moco.tenant.get("/contacts", key=key).status_code == 429


def test_an_idempotency_key_makes_one_person_and_one_company(moco: Moco) -> None:
    """A client that retries a create with the same ``Idempotency-Key`` gets the first
    answer again, not a second record — on MOCO's surface as on the native API."""
    for path, body in (
        ("/contacts/people", {"firstname": "Once", "lastname": "Only", "gender": "F"}),
        ("/companies", {"name": "Once AG", "type": "customer"}),
    ):
        headers = {"Idempotency-Key": f"moco-once-{path}"}
        first = moco.post(path, json=body, headers=headers)
        again = moco.post(path, json=body, headers=headers)
        assert first.status_code == again.status_code == 200, (path, again.text)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
    people = moco.ok("GET", "/contacts/people", params={"term": "Only"})
    assert [p["lastname"] for p in people] == ["Only"]
    companies = moco.ok("GET", "/companies", params={"term": "Once AG"})
    assert [c["name"] for c in companies] == ["Once AG"]
