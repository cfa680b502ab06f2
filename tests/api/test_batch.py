"""Batch writes: POST /contacts/batch and /companies/batch — per-item results, valid items
landing beside failing ones, upserts by email and by id, one audit row (hence one event)
per changed record with the batch's request id, idempotency and the rate limit."""

from __future__ import annotations

import secrets
from typing import Any

API_BATCH = "/contacts/batch"


def email() -> str:
    return f"b-{secrets.token_hex(5)}@example.com"


def batch(tenant, items: list[dict[str, Any]], path: str = API_BATCH, **body: Any):
    return tenant.post(path, json={"items": items, **body})


def audit_rows(tenant, request_id: str) -> list[dict]:
    response = tenant.get("/audit-log", params={"request_id": request_id, "per_page": 250})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_valid_items_land_beside_invalid_ones_with_per_item_errors(tenant) -> None:
    good = [email(), email()]
    response = batch(
        tenant,
        [
            {"first_name": "Ada", "email": good[0], "tags": ["vip"]},
            {"first_name": "Bad", "email": "not-an-email"},
            {"last_name": "Lovelace", "email": good[1]},
            {"description": "no identifying field"},
            {"first_name": "X", "unknown": 1},
            {"first_name": "Y", "company_id": "cmp_01jd6w3q0000000000000000zz"},
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [r["status"] for r in body["data"]]
    assert statuses == ["created", "error", "created", "error", "error", "error"]
    assert [r["index"] for r in body["data"]] == list(range(6))
    assert body["meta"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 4}
    bad_email = body["data"][1]["error"]
    assert bad_email["code"] == "VALIDATION_ERROR"
    assert bad_email["details"][0]["field"] == "email"
    assert body["data"][4]["error"]["details"][0]["field"] == "unknown"
    assert body["data"][5]["error"]["details"][0]["field"] == "company_id"
    assert body["data"][0]["data"]["tags"] == ["vip"]
    for address in good:
        found = tenant.get("/contacts", params={"email": address}).json()["data"]
        assert len(found) == 1
    assert tenant.get("/contacts", params={"q": "Bad"}).json()["meta"]["total"] == 0

    rows = audit_rows(tenant, response.headers["X-Request-Id"])
    created_ids = {r["id"] for r in body["data"] if r["status"] == "created"}
    contact_rows = [r for r in rows if r["resource_type"] == "contact"]
    assert {r["resource_id"] for r in contact_rows} == created_ids
    assert all(r["action"] == "contact.created" for r in contact_rows)
    assert all(r["request_id"] == response.headers["X-Request-Id"] for r in rows)


def test_upsert_by_email_updates_matches_creates_others_and_then_changes_nothing(tenant) -> None:
    existing = email()
    first = tenant.post("/contacts", json={"first_name": "Old", "email": existing}).json()["data"]
    fresh = email()
    items = [
        {"first_name": "New", "email": existing.upper()},
        {"first_name": "Fresh", "email": fresh, "job_title": "CTO"},
    ]
    response = batch(tenant, items, mode="upsert", match_on="email")
    body = response.json()
    assert [r["status"] for r in body["data"]] == ["updated", "created"], body
    assert body["data"][0]["id"] == first["id"]
    assert body["data"][0]["data"]["first_name"] == "New"
    rows = audit_rows(tenant, response.headers["X-Request-Id"])
    actions = sorted((r["action"], r["resource_id"]) for r in rows)
    assert actions == sorted(
        [("contact.updated", first["id"]), ("contact.created", body["data"][1]["id"])]
    )
    updated_row = next(r for r in rows if r["action"] == "contact.updated")
    assert updated_row["changes"] == {"first_name": ["Old", "New"]}

    again = batch(tenant, items, mode="upsert", match_on="email")
    assert [r["status"] for r in again.json()["data"]] == ["unchanged", "unchanged"]
    assert again.json()["meta"]["unchanged"] == 2
    assert audit_rows(tenant, again.headers["X-Request-Id"]) == []
    assert tenant.get("/contacts", params={"email": fresh}).json()["meta"]["total"] == 1


def test_upsert_by_email_needs_an_email(tenant) -> None:
    response = batch(tenant, [{"first_name": "Nomail"}], mode="upsert", match_on="email")
    result = response.json()["data"][0]
    assert result["status"] == "error"
    assert result["error"]["details"] == [
        {"field": "email", "message": "is required to match on email"}
    ]


def test_upsert_by_id_updates_and_refuses_unknown_missing_and_foreign_ids(
    tenant, make_tenant
) -> None:
    mine = tenant.post("/contacts", json={"first_name": "Mine"}).json()["data"]
    other = make_tenant()
    theirs = other.post("/contacts", json={"first_name": "Theirs"}).json()["data"]
    response = batch(
        tenant,
        [
            {"id": mine["id"], "last_name": "Updated"},
            {"id": theirs["id"], "last_name": "Hijacked"},
            {"id": "cnt_01jd6w3q0000000000000000zz", "last_name": "Ghost"},
            {"last_name": "No id"},
            {"id": "cmp_01jd6w3q0000000000000000zz", "last_name": "Wrong prefix"},
        ],
        mode="upsert",
        match_on="id",
    )
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["updated", "error", "error", "error", "error"]
    assert [r["error"]["code"] for r in results[1:]] == [
        "NOT_FOUND",
        "NOT_FOUND",
        "VALIDATION_ERROR",
        "NOT_FOUND",
    ]
    assert tenant.get(f"/contacts/{mine['id']}").json()["data"]["last_name"] == "Updated"
    assert other.get(f"/contacts/{theirs['id']}").json()["data"]["last_name"] is None


def test_create_mode_creates_even_when_the_email_exists(tenant) -> None:
    address = email()
    tenant.post("/contacts", json={"email": address})
    response = batch(tenant, [{"email": address}], mode="create")
    assert response.json()["data"][0]["status"] == "created"
    assert tenant.get("/contacts", params={"email": address}).json()["meta"]["total"] == 2


def test_the_body_itself_is_validated(tenant) -> None:
    for body in (
        {"items": []},
        {"items": [{"first_name": "a"}] * 251},
        {"items": [{"first_name": "a"}], "mode": "merge"},
        {"items": [{"first_name": "a"}], "match_on": "phone"},
        {"items": ["not an object"]},
        {"items": [{"first_name": "a"}], "extra": True},
        {},
    ):
        response = tenant.post(API_BATCH, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_250_items_are_accepted(tenant) -> None:
    items = [{"first_name": f"Bulk {i}", "email": email()} for i in range(250)]
    response = batch(tenant, items)
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["created"] == 250


def test_read_only_keys_cannot_batch(tenant) -> None:
    response = tenant.post(
        API_BATCH, json={"items": [{"first_name": "a"}]}, key=tenant.new_key("read_only")
    )
    assert response.status_code == 403


def test_an_idempotency_key_covers_the_whole_batch(tenant) -> None:
    items = [{"email": email()}, {"email": email()}, {"email": "broken"}]
    headers = {"Idempotency-Key": f"batch-{secrets.token_hex(6)}"}
    first = tenant.post(API_BATCH, json={"items": items}, headers=headers)
    again = tenant.post(API_BATCH, json={"items": items}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    for item in items[:2]:
        assert tenant.get("/contacts", params={"email": item["email"]}).json()["meta"]["total"] == 1


def test_a_batch_counts_once_against_the_rate_limit(tenant) -> None:
    before = tenant.get("/users/me")
    items = [{"first_name": f"n{i}"} for i in range(50)]
    during = batch(tenant, items)
    assert during.status_code == 200
    remaining = int(before.headers["X-RateLimit-Remaining"])
    assert int(during.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_if_match_does_not_apply_to_a_batch(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "A", "email": email()}).json()["data"]
    response = tenant.post(
        API_BATCH,
        json={
            "items": [{"id": contact["id"], "first_name": "B"}],
            "mode": "upsert",
            "match_on": "id",
        },
        headers={"If-Match": '"stale"'},
    )
    assert response.json()["data"][0]["status"] == "updated"


def test_companies_batch_creates_and_upserts(tenant) -> None:
    address = email()
    response = batch(
        tenant,
        [{"name": "Acme", "email": address}, {"email": email()}, {"name": "Beta", "type": "x"}],
        path="/companies/batch",
        mode="upsert",
    )
    body = response.json()
    assert [r["status"] for r in body["data"]] == ["created", "error", "error"]
    assert body["data"][1]["error"]["details"][0]["field"] == "name"
    again = batch(
        tenant,
        [{"name": "Acme Corp", "email": address}],
        path="/companies/batch",
        mode="upsert",
    )
    result = again.json()["data"][0]
    assert result["status"] == "updated" and result["id"] == body["data"][0]["id"]
    rows = audit_rows(tenant, again.headers["X-Request-Id"])
    assert [(r["action"], r["changes"]) for r in rows] == [
        ("company.updated", {"name": ["Acme", "Acme Corp"]})
    ]


def test_a_dry_run_answers_what_would_happen_and_writes_nothing(tenant) -> None:
    existing = email()
    first = tenant.post("/contacts", json={"first_name": "Old", "email": existing}).json()["data"]
    fresh = email()
    items = [
        {"first_name": "New", "email": existing},
        {"first_name": "Same", "email": fresh},
        {"first_name": "Twice", "email": fresh},
        {"email": "broken"},
    ]
    response = batch(tenant, items, mode="upsert", dry_run=True)
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["updated", "created", "created", "error"]
    assert results[0]["id"] == first["id"] and results[1]["id"] is None
    assert results[1]["data"]["first_name"] == "Same"
    assert tenant.get(f"/contacts/{first['id']}").json()["data"]["first_name"] == "Old"
    assert tenant.get("/contacts", params={"email": fresh}).json()["meta"]["total"] == 0
    assert audit_rows(tenant, response.headers["X-Request-Id"]) == []


def events_of(tenant, request_id: str) -> list[dict]:
    response = tenant.get("/events", params={"per_page": 250})
    assert response.status_code == 200, response.text
    return [e for e in response.json()["data"] if e["origin"]["request_id"] == request_id]


def test_one_event_per_changed_record_and_none_for_the_rest(tenant) -> None:
    first, second = email(), email()
    items = [{"first_name": "A", "email": first}, {"first_name": "B", "email": second}]
    created = batch(tenant, [*items, {"email": "not-an-email"}], mode="upsert")
    assert created.status_code == 200, created.text
    rid = created.headers["X-Request-Id"]
    ids = {r["id"] for r in created.json()["data"] if r["status"] == "created"}
    events = events_of(tenant, rid)
    assert sorted(e["type"] for e in events) == ["contact.created", "contact.created"]
    assert {e["data"]["id"] for e in events} == ids

    changed = batch(tenant, [{"first_name": "A2", "email": first}, items[1]], mode="upsert")
    assert [r["status"] for r in changed.json()["data"]] == ["updated", "unchanged"]
    [event] = events_of(tenant, changed.headers["X-Request-Id"])
    assert event["type"] == "contact.updated"
    assert event["changes"] == {"first_name": ["A", "A2"]}


def test_items_naming_the_same_record_are_applied_in_order(tenant) -> None:
    shared = email()
    items = [
        {"first_name": "First", "email": shared, "tags": ["one"]},
        {"last_name": "Second", "email": shared.upper(), "tags": ["two"]},
    ]
    response = batch(tenant, items, mode="upsert")
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["created", "updated"]
    assert results[0]["id"] == results[1]["id"]
    contact = tenant.get(f"/contacts/{results[0]['id']}").json()["data"]
    assert (contact["first_name"], contact["last_name"]) == ("First", "Second")
    assert contact["email"] == shared and contact["tags"] == ["two"]
    assert tenant.get("/contacts", params={"email": shared}).json()["meta"]["total"] == 1


def test_tags_of_failing_items_are_not_created(tenant) -> None:
    ghost = f"ghost-{secrets.token_hex(4)}"
    kept = f"kept-{secrets.token_hex(4)}"
    items = [
        {"first_name": "Bad", "email": "not-an-email", "tags": [ghost]},
        {"first_name": "Y", "company_id": "cmp_01jd6w3q0000000000000000zz", "tags": [ghost]},
        {"first_name": "Good", "tags": [kept]},
    ]
    response = batch(tenant, items)
    assert [r["status"] for r in response.json()["data"]] == ["error", "error", "created"]
    names = {t["name"] for t in tenant.get("/tags", params={"per_page": 250}).json()["data"]}
    assert kept in names and ghost not in names


def test_a_batch_takes_a_few_statements_however_many_items(tenant) -> None:
    """Items are matched, checked, tagged and written together: the number of SQL
    statements does not grow with the number of items (the one-by-one path takes about
    ten per item)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    items = [
        {"first_name": f"N{i}", "email": email(), "tags": ["bulk", f"t{i % 3}"]} for i in range(250)
    ]
    event.listen(Engine, "before_cursor_execute", count)
    try:
        created = batch(tenant, items, mode="upsert")
        created_statements = len(statements)
        statements.clear()
        again = batch(tenant, items, mode="upsert")
        again_statements = len(statements)
        statements.clear()
        for item in items:
            item["first_name"] += "!"
            item["tags"] = ["bulk", "renamed"]
        changed = batch(tenant, items, mode="upsert")
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert created.json()["meta"]["created"] == 250
    assert again.json()["meta"]["unchanged"] == 250
    assert changed.json()["meta"]["updated"] == 250
    assert created_statements < 60, created_statements
    assert again_statements < 40, again_statements
    assert len(statements) < 60, len(statements)
    # one UPDATE of the contacts and none of their audit rows: each row is written whole
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert not [s for s in updates if "audit_log" in s], updates
    rid = changed.headers["X-Request-Id"]
    rows = tenant.get("/audit-log", params={"request_id": rid, "per_page": 250}).json()
    assert rows["meta"]["total"] == 250 + 1  # a row per contact, one for the new tag
    contact_rows = [r for r in rows["data"] if r["resource_type"] == "contact"]
    assert contact_rows[0]["changes"]["first_name"][1].endswith("!")
    assert "tags" in contact_rows[0]["changes"]
    rid = created.headers["X-Request-Id"]
    logged = tenant.get("/audit-log", params={"request_id": rid}).json()["meta"]["total"]
    assert logged == 250 + 4  # a row per contact and per new tag
    assert audit_rows(tenant, again.headers["X-Request-Id"]) == []


def test_a_batch_naming_more_distinct_tags_than_allowed_is_400_and_writes_nothing(
    tenant,
) -> None:
    from rolodex.batch.schemas import MAX_TAG_NAMES

    names = [f"many-{i}" for i in range(MAX_TAG_NAMES + 1)]
    items = [{"first_name": f"T{i}", "tags": names[i::20]} for i in range(20)]
    response = batch(tenant, items)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    [detail] = error["details"]
    assert detail["field"] == "items"
    assert f"at most {MAX_TAG_NAMES}" in detail["message"]
    assert tenant.get("/tags").json()["data"] == []

    # The same names in other case count once; at the bound the batch is written.
    names.pop()
    items = [{"first_name": f"T{i}", "tags": names[i::20]} for i in range(20)]
    items[0]["tags"] += [name.upper() for name in items[1]["tags"]]
    assert len({n.lower() for item in items for n in item["tags"]}) == MAX_TAG_NAMES
    response = batch(tenant, items)
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["created"] == 20
