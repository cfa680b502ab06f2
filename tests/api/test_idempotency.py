"""Idempotency keys (contract §7): replay, reuse with another request, validation, scope,
what is not stored, every write method, expiry and the API-key secret."""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from rolodex.app import create_app
from rolodex.db import make_engine, make_sessionmaker, utcnow
from rolodex.idempotency.models import IdempotencyRecord
from rolodex.idempotency.service import purge_expired

API = "/api/v1"
UNKNOWN_CONTACT = "cnt_01jd6w3q0000000000000000zz"


def new_key() -> str:
    return f"idem-{secrets.token_hex(8)}"


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["X-Request-Id"]
    return error


def contacts_with_email(tenant, email: str) -> list[dict]:
    response = tenant.get("/contacts", params={"email": email})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def records_of(tenant, key: str) -> list[IdempotencyRecord]:
    async def work(session) -> list[IdempotencyRecord]:
        rows = await session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.account_id == tenant.account_id, IdempotencyRecord.key == key
            )
        )
        return list(rows.all())

    return tenant.run(work)


def expire(tenant, key: str) -> None:
    async def work(session) -> None:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.account_id == tenant.account_id, IdempotencyRecord.key == key)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    tenant.run(work)


# --- replay -------------------------------------------------------------------------------


def test_a_retry_replays_the_first_response_and_creates_nothing(tenant) -> None:
    key, email = new_key(), f"{secrets.token_hex(5)}@example.com"
    body = {"first_name": "Ida", "email": email}
    first = tenant.post("/contacts", json=body, headers=keyed(key))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers

    again = tenant.post("/contacts", json=body, headers=keyed(key))
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"].startswith("application/json")
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert len(contacts_with_email(tenant, email)) == 1


def test_the_same_json_with_other_whitespace_and_key_order_is_the_same_request(tenant) -> None:
    key = new_key()
    headers = keyed(key, **{"Content-Type": "application/json"})
    first = tenant.post(
        "/contacts", content=b'{"first_name":"Ada","last_name":"L"}', headers=headers
    )
    assert first.status_code == 201, first.text
    again = tenant.post(
        "/contacts", content=b'{ "last_name": "L",\n  "first_name": "Ada" }', headers=headers
    )
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_requests_without_a_key_are_never_replayed(tenant) -> None:
    email = f"{secrets.token_hex(5)}@example.com"
    for _ in range(2):
        response = tenant.post("/contacts", json={"email": email})
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
    assert len(contacts_with_email(tenant, email)) == 2


def test_reads_ignore_the_header(tenant) -> None:
    response = tenant.get("/contacts", headers=keyed("not valid for a write"))
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response.headers


# --- the same key with another request ------------------------------------------------------


def test_the_same_key_with_another_body_path_query_or_method_is_422(tenant) -> None:
    key, email = new_key(), f"{secrets.token_hex(5)}@example.com"
    first = tenant.post("/contacts", json={"first_name": "Ada", "email": email}, headers=keyed(key))
    assert first.status_code == 201
    contact_id = first.json()["data"]["id"]

    other_body = tenant.post("/contacts", json={"first_name": "Bob"}, headers=keyed(key))
    error = assert_error(other_body, 422, "UNPROCESSABLE")
    assert error["details"][0]["field"] == "Idempotency-Key"
    assert_error(
        tenant.post("/companies", json={"first_name": "Ada", "email": email}, headers=keyed(key)),
        422,
        "UNPROCESSABLE",
    )
    assert_error(
        tenant.post(
            "/contacts?x=1", json={"first_name": "Ada", "email": email}, headers=keyed(key)
        ),
        422,
        "UNPROCESSABLE",
    )
    assert_error(
        tenant.patch(f"/contacts/{contact_id}", json={"first_name": "Eve"}, headers=keyed(key)),
        422,
        "UNPROCESSABLE",
    )
    assert_error(tenant.delete(f"/contacts/{contact_id}", headers=keyed(key)), 422, "UNPROCESSABLE")
    assert tenant.get(f"/contacts/{contact_id}").json()["data"]["first_name"] == "Ada"
    assert tenant.get("/companies").json()["meta"]["total"] == 0
    # the first request is still replayed
    replay = tenant.post(
        "/contacts", json={"first_name": "Ada", "email": email}, headers=keyed(key)
    )
    assert replay.headers["Idempotent-Replayed"] == "true"


# --- the header -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [b"", b"a" * 256, b"with space", b"tab\there", "cl\u00e9".encode(), b"\x7f"],
    ids=["empty", "too-long", "space", "tab", "non-ascii", "del"],
)
def test_an_invalid_key_is_400_and_changes_nothing(tenant, value: bytes) -> None:
    email = f"{secrets.token_hex(5)}@example.com"
    response = tenant.client.post(
        f"{API}/contacts",
        json={"email": email},
        headers=[(b"X-API-Key", tenant.key.encode()), (b"Idempotency-Key", value)],
    )
    error = assert_error(response, 400, "VALIDATION_ERROR")
    assert error["details"][0]["field"] == "Idempotency-Key"
    assert contacts_with_email(tenant, email) == []


def test_a_key_sent_twice_is_400(tenant) -> None:
    response = tenant.client.post(
        f"{API}/contacts",
        json={"first_name": "Ada"},
        headers=[("X-API-Key", tenant.key), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    assert_error(response, 400, "VALIDATION_ERROR")


def test_every_visible_ascii_character_and_255_of_them_are_accepted(tenant) -> None:
    for key in ("".join(chr(c) for c in range(0x21, 0x7F)), "k" * 255, "1"):
        response = tenant.post("/tags", json={"name": secrets.token_hex(6)}, headers=keyed(key))
        assert response.status_code == 201, response.text


# --- scope ----------------------------------------------------------------------------------


def test_keys_are_scoped_to_the_user(tenant) -> None:
    key, email = new_key(), f"{secrets.token_hex(5)}@example.com"
    _, colleague_key = tenant.add_user()
    mine = tenant.post("/contacts", json={"email": email}, headers=keyed(key))
    theirs = tenant.post("/contacts", json={"email": email}, headers=keyed(key), key=colleague_key)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["data"]["id"] != theirs.json()["data"]["id"]
    # another key of the same user shares the user's keys
    second_key = tenant.new_key()
    replay = tenant.post("/contacts", json={"email": email}, headers=keyed(key), key=second_key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == mine.json()


def test_keys_are_scoped_to_the_account(make_tenant) -> None:
    first, second = make_tenant(), make_tenant()
    key = new_key()
    a = first.post("/contacts", json={"first_name": "Ada"}, headers=keyed(key))
    b = second.post("/contacts", json={"first_name": "Ada"}, headers=keyed(key))
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b.headers
    assert second.get(f"/contacts/{a.json()['data']['id']}").status_code == 404


def test_acting_as_another_user_with_the_same_key_is_another_request(tenant) -> None:
    _, staff_key = tenant.add_user(staff=True)
    key = new_key()
    own = tenant.post("/contacts", json={"first_name": "Ada"}, headers=keyed(key), key=staff_key)
    assert own.status_code == 201
    as_owner = tenant.post(
        "/contacts",
        json={"first_name": "Ada"},
        headers=keyed(key, **{"X-IMPERSONATE-USER-ID": tenant.user_id}),
        key=staff_key,
    )
    assert_error(as_owner, 422, "UNPROCESSABLE")


# --- what is not stored ---------------------------------------------------------------------


def test_requests_refused_before_they_ran_are_not_stored(tenant) -> None:
    key, email = new_key(), f"{secrets.token_hex(5)}@example.com"
    body = {"first_name": "Ada", "email": email}
    assert tenant.post(
        "/contacts", json=body, headers=keyed(key), key="rdx_k_nope"
    ).status_code == (401)
    read_only = tenant.new_key("read_only")
    assert tenant.post("/contacts", json=body, headers=keyed(key), key=read_only).status_code == 403
    unsupported = tenant.post(
        "/contacts", content=b"first_name=Ada", headers=keyed(key, **{"Content-Type": "text/plain"})
    )
    assert unsupported.status_code == 415
    invalid = tenant.post(
        "/contacts", json={"first_name": "Ada", "email": "nope"}, headers=keyed(key)
    )
    assert invalid.status_code == 400
    assert records_of(tenant, key) == []

    ran = tenant.post("/contacts", json=body, headers=keyed(key))
    assert ran.status_code == 201
    assert "Idempotent-Replayed" not in ran.headers
    assert len(contacts_with_email(tenant, email)) == 1


def test_a_request_that_failed_is_not_stored_and_runs_again(tenant) -> None:
    key = new_key()
    for _ in range(2):
        response = tenant.post(
            f"/contacts/{UNKNOWN_CONTACT}/tasks", json={"title": "Call"}, headers=keyed(key)
        )
        assert_error(response, 404, "NOT_FOUND")
        assert "Idempotent-Replayed" not in response.headers
    assert records_of(tenant, key) == []
    name = secrets.token_hex(6)
    assert tenant.post("/tags", json={"name": name}).status_code == 201
    duplicate = tenant.post("/tags", json={"name": name}, headers=keyed(key))
    assert_error(duplicate, 409, "CONFLICT")
    assert records_of(tenant, key) == []


# --- every write method ---------------------------------------------------------------------


def test_patch_put_and_delete_replay_without_doing_anything_twice(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    path = f"/contacts/{contact['id']}"

    patch_key = new_key()
    patched = tenant.patch(path, json={"first_name": "Bea"}, headers=keyed(patch_key))
    assert patched.status_code == 200
    assert tenant.patch(path, json={"first_name": "Cleo"}).status_code == 200
    replay = tenant.patch(path, json={"first_name": "Bea"}, headers=keyed(patch_key))
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == patched.content
    assert tenant.get(path).json()["data"]["first_name"] == "Cleo"

    put_key = new_key()
    put = tenant.put(path, json={"first_name": "Dora"}, headers=keyed(put_key))
    assert put.status_code == 200
    assert tenant.patch(path, json={"first_name": "Emma"}).status_code == 200
    replay = tenant.put(path, json={"first_name": "Dora"}, headers=keyed(put_key))
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == put.content
    assert tenant.get(path).json()["data"]["first_name"] == "Emma"

    delete_key = new_key()
    deleted = tenant.delete(path, headers=keyed(delete_key))
    assert deleted.status_code == 200
    assert tenant.post(f"{path}/restore").status_code == 200
    replay = tenant.delete(path, headers=keyed(delete_key))
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {"data": None}
    assert tenant.get(path).status_code == 200  # still restored: not deleted twice


def test_tags_of_a_contact_are_added_once(tenant) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    key = new_key()
    path = f"/contacts/{contact['id']}/tags"
    first = tenant.post(path, json={"tags": ["vip"]}, headers=keyed(key))
    assert first.status_code == 200, first.text
    assert first.json() == {"data": ["vip"]}
    assert tenant.request("DELETE", path, json={"tags": ["vip"]}).status_code == 200
    replay = tenant.post(path, json={"tags": ["vip"]}, headers=keyed(key))
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    assert tenant.get(path).json()["data"] == []


# --- the API-key secret -----------------------------------------------------------------------


def test_the_secret_of_a_created_api_key_is_never_stored_nor_replayed(tenant) -> None:
    key = new_key()
    created = tenant.post("/api-keys", json={"name": "sync"}, headers=keyed(key))
    assert created.status_code == 201, created.text
    secret = created.json()["data"]["key"]
    assert secret

    [record] = records_of(tenant, key)
    assert secret.encode() not in record.response_body
    replay = tenant.post("/api-keys", json={"name": "sync"}, headers=keyed(key))
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    data = replay.json()["data"]
    assert data["key"] is None
    assert data["id"] == created.json()["data"]["id"]
    assert {k: v for k, v in data.items() if k != "key"} == {
        k: v for k, v in created.json()["data"].items() if k != "key"
    }
    assert replay.headers["Location"] == created.headers["Location"]
    assert tenant.get("/users/me", key=secret).status_code == 200
    assert tenant.get("/api-keys").json()["meta"]["total"] == 2  # created once


# --- retention ------------------------------------------------------------------------------


def test_an_expired_key_is_ignored_and_the_request_runs_again(tenant) -> None:
    key, email = new_key(), f"{secrets.token_hex(5)}@example.com"
    assert tenant.post("/contacts", json={"email": email}, headers=keyed(key)).status_code == 201
    expire(tenant, key)
    again = tenant.post("/contacts", json={"first_name": "New", "email": email}, headers=keyed(key))
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert len(contacts_with_email(tenant, email)) == 2
    [record] = records_of(tenant, key)  # the expired row was reused, not duplicated
    assert record.expires_at > utcnow() + timedelta(hours=23)


def test_keys_are_kept_for_the_configured_time(tenant) -> None:
    key = new_key()
    assert tenant.post("/tags", json={"name": key}, headers=keyed(key)).status_code == 201
    [record] = records_of(tenant, key)
    hours = (record.expires_at - record.created_at) / timedelta(hours=1)
    assert hours == tenant.settings.idempotency_ttl_hours >= 24


def test_purge_deletes_expired_keys_in_batches_and_keeps_live_ones(tenant) -> None:
    keys = [new_key() for _ in range(5)]
    for key in keys:
        assert tenant.post("/tags", json={"name": key}, headers=keyed(key)).status_code == 201
    for key in keys[:3]:
        expire(tenant, key)

    async def purge() -> int:
        engine = make_engine(tenant.settings)
        try:
            return await purge_expired(make_sessionmaker(engine), batch_size=2)
        finally:
            await engine.dispose()

    assert asyncio.run(purge()) >= 3
    assert [len(records_of(tenant, key)) for key in keys] == [0, 0, 0, 1, 1]


def test_the_server_deletes_expired_keys_in_the_background(tenant) -> None:
    key = new_key()
    assert tenant.post("/tags", json={"name": key}, headers=keyed(key)).status_code == 201
    expire(tenant, key)
    fast = tenant.settings.model_copy(update={"idempotency_cleanup_seconds": 0.2})
    with TestClient(create_app(fast)):
        deadline = time.monotonic() + 10
        while records_of(tenant, key) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert records_of(tenant, key) == []


def test_the_retention_cannot_be_set_below_24_hours(settings) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        settings.__class__(database_url=settings.database_url, idempotency_ttl_hours=23)


def test_records_count_per_account(tenant) -> None:
    """One stored response per key and user, however often it is replayed."""
    key = new_key()
    for _ in range(3):
        assert tenant.post("/tags", json={"name": key}, headers=keyed(key)).status_code == 201

    async def count(session) -> int:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(IdempotencyRecord)
                .where(IdempotencyRecord.account_id == tenant.account_id)
            )
        )

    assert tenant.run(count) == 1
