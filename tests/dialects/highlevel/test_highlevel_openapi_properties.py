"""Property-based run of the HighLevel surface's own OpenAPI document against a live server.

As the native and MOCO runs: every operation of ``/highlevel/openapi.json`` (tasks,
notes, appointments, tags and custom fields as well as contacts; the vendor's contacts
document is run in ``test_vendor_schema.py``), cases from the examples, coverage and
fuzzing phases in positive and negative mode with a fixed seed, sent over HTTP to a real
``rolodex serve`` on each backend. No response may be a 5xx, have an undocumented status,
content type or header, or break its own schema, and input that breaks the schema must be
refused. Positive cases are aimed at the seeded account as the vendor document's run
aims them (its ``locationId``, and real ids in paths every other time; DELETEs records of
their own).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from rolodex.app import create_app
from rolodex.config import Settings
from tests.api.test_openapi_properties import _new_account
from tests.conftest import LiveServer, start_server
from tests.dialects.highlevel.helpers import aim_at_seeded
from tests.properties import CHECKS, Target, configured, server_output_on_failure

PREFIX = "/highlevel"
RECORDS: dict[str, dict[str, str]] = {}
TURNS: dict[str, int] = {}


def _document() -> dict[str, Any]:
    """The HighLevel surface's document, as the app serves it (no database is touched)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="openapi"))
    document: dict[str, Any] = TestClient(app).get(f"{PREFIX}/openapi.json").json()
    return document


schema = configured(_document())


def _seed(http: httpx.Client, native: httpx.Client, location_id: str) -> dict[str, str]:
    """A contact with a task and a note, and a business; their ids by path parameter."""

    def create(path: str, body: dict[str, Any], field: str) -> str:
        response = http.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return str(response.json()[field]["id"])

    contact = create(
        f"{PREFIX}/contacts", {"locationId": location_id, "firstName": "Ada"}, "contact"
    )
    business = native.post("/companies", json={"name": "Acme"})
    assert business.status_code == 201, business.text
    return {
        "contactId": contact,
        "taskId": create(
            f"{PREFIX}/contacts/{contact}/tasks",
            {"title": "Call", "dueDate": "2026-12-24T09:00:00Z", "completed": False},
            "task",
        ),
        "id": create(f"{PREFIX}/contacts/{contact}/notes", {"body": "Met"}, "note"),
        "businessId": str(business.json()["data"]["id"]),
        "locationId": location_id,
        "objectKey": "contact",
    }


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("highlevel-openapi")) as live:
        yield live


@pytest.fixture(scope="module")
def target(server: LiveServer, settings: Settings) -> Iterator[Target]:
    served = httpx.get(f"{server.url}{PREFIX}/openapi.json", timeout=30)
    assert served.json() == schema.raw_schema, "the live server serves another document"
    _, key = _new_account(settings)
    headers = {"Authorization": f"Bearer {key}", "Version": "2021-07-28"}
    with (
        httpx.Client(base_url=server.url, headers=headers) as http,
        httpx.Client(base_url=f"{server.url}/api/v1", headers={"X-API-Key": key}) as native,
    ):
        me = native.get("/users/me")
        assert me.status_code == 200, me.text
        location_id = str(me.json()["data"]["account_id"])
        RECORDS["stable"] = _seed(http, native, location_id)
        RECORDS["disposable"] = _seed(http, native, location_id)
    RECORDS["account"] = {"locationId": location_id, "assignedTo": str(me.json()["data"]["id"])}
    try:
        yield Target(server.url, key, server.log_path)
    finally:
        RECORDS.clear()


@pytest.mark.live
@schema.parametrize()
def test_highlevel_openapi_properties(case: Any, target: Target) -> None:
    """No 5xx, no undocumented status and no response that breaks its own schema."""
    aim_at_seeded(case, RECORDS, TURNS)
    with server_output_on_failure(target.log):
        case.call_and_validate(
            base_url=target.url,
            headers={"Authorization": f"Bearer {target.key}"},
            checks=CHECKS,
            timeout=30,
        )
