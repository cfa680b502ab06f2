"""Endpoints of the ``highlevel`` format: created through the native API, queued only the
events HighLevel has a webhook for, each rendered as HighLevel's body of its type."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from rolodex.dialects.highlevel.delivery import EVENT_TYPES, body_of, moment
from rolodex.events.catalog import EVENT_TYPES as NATIVE_EVENT_TYPES
from tests.conftest import Tenant
from tests.dialects.highlevel.webhook_events import TYPES, document
from tests.webhooks.conftest import create_endpoint, deliveries

URL = "https://hooks.example.com/highlevel"


def test_every_mapped_type_is_a_native_event_and_every_highlevel_type_is_made() -> None:
    assert set(EVENT_TYPES) <= set(NATIVE_EVENT_TYPES)
    assert set(EVENT_TYPES.values()) == set(TYPES)


def test_the_body_puts_type_and_location_first_and_the_replay_fields_last() -> None:
    body = body_of("NoteCreate", "acc_1", {"id": "not_1", "body": "x"}, at="T", webhook_id="evt_1")
    assert list(body) == ["type", "locationId", "id", "body", "timestamp", "webhookId"]
    _, example = document("NoteCreate")
    assert list(example)[:2] == ["type", "locationId"]


def test_timestamp_is_in_the_form_of_highlevels_example() -> None:
    assert moment(datetime(2025, 1, 28, 14, 35, 0, 123456, tzinfo=UTC)) == "2025-01-28T14:35:00Z"


def test_a_highlevel_endpoint_is_queued_only_what_highlevel_has_a_webhook_for(
    tenant: Tenant,
) -> None:
    endpoint = create_endpoint(tenant, URL, ["*"], format="highlevel")
    assert endpoint["format"] == "highlevel" and endpoint["secret"].startswith("whsec_")
    native = create_endpoint(tenant, URL, ["*"])
    company = tenant.post("/companies", json={"name": "Acme"}).json()["data"]
    tenant.patch(f"/companies/{company['id']}", json={"name": "Acme AG"})
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    cid = contact["id"]
    task = tenant.post(f"/contacts/{cid}/tasks", json={"title": "Call"}).json()["data"]
    tenant.patch(f"/contacts/{cid}/tasks/{task['id']}", json={"title": "Call back"})
    tenant.post(f"/contacts/{cid}/appointments", json={"title": "Demo"})
    tenant.delete(f"/contacts/{cid}")
    tenant.post(f"/contacts/{cid}/restore")

    queued = Counter(d["event_type"] for d in deliveries(tenant, endpoint["id"]))
    assert queued == {
        "contact.created": 1,
        "contact.deleted": 1,
        "contact.restored": 1,
        "task.created": 1,
        "task.deleted": 1,
        "task.restored": 1,
    }
    everything = Counter(d["event_type"] for d in deliveries(tenant, native["id"]))
    assert everything["company.created"] == 1 and everything["task.updated"] == 1
    assert everything["appointment.created"] == 1


def test_an_unknown_format_is_refused(tenant: Tenant) -> None:
    response = tenant.post("/webhooks", json={"url": URL, "events": ["*"], "format": "zapier"})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "format"
