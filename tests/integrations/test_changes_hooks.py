"""``POST /integrations/hooks/{connection_id}``: signed webhooks of MOCO, HighLevel and
another Rolodex become changes; anything unsigned, mis-signed, too large or for no
connection is refused in the native error shape, and stores nothing."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rolodex.dialects.moco.delivery import signature as moco_signature
from rolodex.integrations.changes.hooks import MAX_HOOK_BYTES
from rolodex.webhooks import signing
from tests.conftest import Tenant
from tests.integrations.conftest import connect

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = (
    KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def hook(tenant: Tenant, connection_id: str, body: bytes, headers: dict[str, str]) -> Any:
    return tenant.client.post(f"/integrations/hooks/{connection_id}", content=body, headers=headers)


def changes(tenant: Tenant, connection_id: str) -> list[dict[str, Any]]:
    response = tenant.get(f"/connections/{connection_id}/changes?sort=sequence&order=asc")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["data"]
    return found


def moco_connection(tenant: Tenant, *keys: str) -> str:
    made = connect(
        tenant,
        kind="moco",
        base_url="http://127.0.0.1:9/api/v1",
        credentials={"api_key": "k", "webhook_secret": " ".join(keys)},
    )
    return str(made["id"])


def moco_headers(key: str, body: bytes, event: str = "update") -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Moco-Target": "Contact",
        "X-Moco-Event": event,
        "X-Moco-Timestamp": "1764590400000",
        "X-Moco-Signature": moco_signature(key, body),
    }


def person(number: int, updated_at: str = "2026-12-01T12:00:00Z") -> bytes:
    record = {"id": number, "firstname": "Ada", "updated_at": updated_at}
    return json.dumps(record).encode()


def test_a_moco_web_hook_signed_with_any_of_its_keys_is_one_change(tenant: Tenant) -> None:
    first, second = secrets.token_hex(16), secrets.token_hex(16)
    con = moco_connection(tenant, first, second)
    body = person(7)
    answer = hook(tenant, con, body, moco_headers(second, body))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"object": "webhook_receipt", "received": 1, "stored": 1}
    again = hook(tenant, con, body, moco_headers(first, body))  # a duplicate delivery
    assert again.json()["data"]["stored"] == 0
    [change] = changes(tenant, con)
    assert (change["remote_type"], change["remote_id"], change["action"]) == (
        "contact",
        "7",
        "updated",
    )
    assert change["remote_updated_at"] == "2026-12-01T12:00:00Z"
    assert change["source"] == "webhook" and change["event"] == "Contact.update"
    assert change["payload"]["firstname"] == "Ada"


def test_a_bad_signature_is_401_and_stores_nothing(tenant: Tenant) -> None:
    key = secrets.token_hex(16)
    con = moco_connection(tenant, key)
    body = person(8)
    cases = [
        moco_headers(secrets.token_hex(16), body),  # another key
        {**moco_headers(key, body), "X-Moco-Signature": "zz"},  # not hex
        {k: v for k, v in moco_headers(key, body).items() if k != "X-Moco-Signature"},
    ]
    for headers in cases:
        answer = hook(tenant, con, body, headers)
        assert answer.status_code == 401, answer.text
        error = answer.json()["error"]
        assert error["code"] == "UNAUTHORIZED" and error["request_id"]
        assert error["message"] == "The webhook's signature does not verify for this connection"
    tampered = hook(tenant, con, person(9), moco_headers(key, body))
    assert tampered.status_code == 401
    assert changes(tenant, con) == []


def test_no_connection_is_404_and_a_large_body_413(tenant: Tenant, make_tenant: Any) -> None:
    key = secrets.token_hex(16)
    con = moco_connection(tenant, key)
    body = person(1)
    unknown = "con_" + "0" * 26
    for target in (unknown, "not-an-id", "con_x"):
        answer = hook(tenant, target, body, moco_headers(key, body))
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    large = b'{"id": 1, "x": "' + b"a" * MAX_HOOK_BYTES + b'"}'
    too_large = hook(tenant, con, large, moco_headers(key, large))
    assert too_large.status_code == 413 and too_large.json()["error"]["code"]
    assert tenant.client.get(f"/integrations/hooks/{con}").status_code == 405
    deleted = moco_connection(tenant, key)
    assert tenant.delete(f"/connections/{deleted}").status_code == 200
    assert hook(tenant, deleted, body, moco_headers(key, body)).status_code == 404
    # A verified body that is no MOCO web hook: 400, nothing stored.
    odd = b"[1, 2]"
    assert hook(tenant, con, odd, moco_headers(key, odd)).status_code == 400
    assert changes(tenant, con) == []


def test_without_a_webhook_secret_nothing_verifies_until_one_is_patched_in(tenant: Tenant) -> None:
    made = connect(
        tenant, kind="moco", base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"}
    )
    con, key, body = made["id"], secrets.token_hex(16), person(3)
    assert hook(tenant, con, body, moco_headers(key, body)).status_code == 401
    patched = tenant.patch(f"/connections/{con}", json={"credentials": {"webhook_secret": key}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["auth"]["credentials"] == ["api_key", "webhook_secret"]
    assert patched.json()["data"]["status"] == "active"
    assert hook(tenant, con, body, moco_headers(key, body)).status_code == 200
    assert key not in patched.text


def highlevel_body(kind: str, location: str, **record: Any) -> bytes:
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {
        "type": kind,
        "locationId": location,
        **record,
        "timestamp": moment,
        "webhookId": record.pop("webhookId", "evt_1"),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def highlevel_sign(body: bytes, key: rsa.RSAPrivateKey = KEY) -> dict[str, str]:
    signed = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {"Content-Type": "application/json", "x-wh-signature": base64.b64encode(signed).decode()}


def test_highlevel_webhooks_verify_with_the_connection_s_public_key(tenant: Tenant) -> None:
    made = connect(
        tenant,
        kind="highlevel",
        base_url="http://127.0.0.1:9/highlevel",
        location_id="loc_1",
        credentials={"api_key": "k", "webhook_secret": PEM},
    )
    con = made["id"]
    created = highlevel_body(
        "ContactCreate",
        "loc_1",
        id="c1",
        dateAdded="2026-12-01T12:00:00.000Z",
        dateUpdated="2026-12-01T12:00:00.000Z",
    )
    assert hook(tenant, con, created, highlevel_sign(created)).json()["data"]["stored"] == 1
    completed = highlevel_body("TaskComplete", "loc_1", id="t1", webhookId="evt_9", completed=True)
    assert hook(tenant, con, completed, highlevel_sign(completed)).json()["data"]["stored"] == 1
    again = highlevel_body("TaskComplete", "loc_1", id="t1", webhookId="evt_9", completed=True)
    assert hook(tenant, con, again, highlevel_sign(again)).json()["data"]["stored"] == 0
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = highlevel_body("ContactUpdate", "loc_1", id="c1", dateUpdated="2026-12-01T13:00:00Z")
    assert hook(tenant, con, forged, highlevel_sign(forged, other_key)).status_code == 401
    elsewhere = highlevel_body(
        "ContactUpdate", "loc_2", id="c9", dateUpdated="2026-12-01T13:00:00Z"
    )
    assert hook(tenant, con, elsewhere, highlevel_sign(elsewhere)).status_code == 401
    old = json.dumps(
        {
            "type": "ContactUpdate",
            "locationId": "loc_1",
            "id": "c1",
            "dateUpdated": "2026-12-01T13:00:00Z",
            "timestamp": "2020-01-01T00:00:00Z",
            "webhookId": "evt_old",
        }
    ).encode()
    assert hook(tenant, con, old, highlevel_sign(old)).status_code == 401
    found = [(c["remote_type"], c["remote_id"], c["action"]) for c in changes(tenant, con)]
    assert found == [("contact", "c1", "created"), ("task", "t1", "updated")]


def test_another_rolodex_s_events_verify_with_the_endpoint_secret(tenant: Tenant) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    made = connect(
        tenant,
        base_url="http://127.0.0.1:9/api/v1",
        credentials={"api_key": "k", "webhook_secret": secret},
    )
    event = {
        "id": "evt_1",
        "type": "contact.deleted",
        "timestamp": "2026-12-01T12:00:00Z",
        "data": {"id": "cnt_1", "updated_at": "2026-12-01T12:00:00.5Z"},
    }
    body = json.dumps(event).encode()
    now = int(datetime.now(UTC).timestamp())
    headers = signing.headers([secret], "evt_1", now, body)
    answer = hook(tenant, made["id"], body, {"Content-Type": "application/json", **headers})
    assert answer.status_code == 200, answer.text
    [change] = changes(tenant, made["id"])
    assert (change["remote_type"], change["action"]) == ("contact", "deleted")
