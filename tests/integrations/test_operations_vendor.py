"""The HighLevel operations' requests against HighLevel's own OpenAPI document of its
Contacts API (``tests/fixtures/highlevel/apps/contacts.json``, CC0): every operation of
that API is a path and method the document has, and every body it sends holds only the
document's fields, valid by its schema. And :func:`render_request` on its own, as the
flows engine calls it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from rolodex.errors import ValidationFailed
from rolodex.integrations.connector import RateLimit
from rolodex.integrations.connectors.highlevel import HIGHLEVEL
from rolodex.integrations.connectors.moco import MOCO
from rolodex.integrations.rendering import render_request
from rolodex.integrations.target import Target
from tests.api.test_tenant_isolation import sample

DOCUMENT = json.loads(
    (Path(__file__).parents[1] / "fixtures/highlevel/apps/contacts.json").read_text()
)
BASE = "https://services.leadconnectorhq.com"
TOKEN = "pit-0123456789abcdef"


def target(connector: Any = HIGHLEVEL, base: str = BASE) -> Target:
    return Target(
        connection_id="con_test",
        account_id="acc_test",
        connector=connector,
        base_url=base,
        location_id="ve9EPM428h8vShlRW1KT",
        status="active",
        auth_type="api_key",
        oauth=None,
        rate=RateLimit(100, 10),
        credentials_version=1,
        access_expires_at=None,
        credentials={"api_key": TOKEN},
    )


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


VENDOR = {
    (method.upper(), _shape(path)): operation
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
    if method in ("get", "post", "put", "delete", "patch")
}
CONTACTS_API = [
    pytest.param(operation, id=operation.key)
    for operation in HIGHLEVEL.operations.values()
    if operation.kind == "action" and operation.path.startswith("/contacts")
]


def test_the_contacts_api_operations_are_most_of_the_connector() -> None:
    assert len(CONTACTS_API) >= 20


@pytest.mark.parametrize("operation", CONTACTS_API)
def test_each_request_is_one_highlevel_documents(operation: Any) -> None:
    vendor = VENDOR.get((operation.method, _shape(operation.path)))
    assert vendor is not None, f"HighLevel has no {operation.method} {operation.path}"
    assert any(p["name"] == "Version" for p in vendor.get("parameters", []))
    schema = operation.input.model_json_schema()
    given = sample(schema, schema.get("$defs", {}))
    shown = render_request(target(), operation, given)
    assert shown["headers"]["Authorization"] == "***"
    assert shown["headers"]["Version"] == "2021-07-28"
    assert TOKEN not in json.dumps(shown)
    query = {p["name"] for p in vendor.get("parameters", []) if p.get("in") == "query"}
    sent_query = set(re.findall(r"[?&]([^=&]+)=", shown["url"]))
    assert sent_query <= query, (sent_query, query)
    body_of = vendor.get("requestBody", {}).get("content", {}).get("application/json")
    if body_of is None:
        assert shown["body"] is None
        return
    reference = body_of["schema"]["$ref"]
    properties = DOCUMENT["components"]["schemas"][reference.rsplit("/", 1)[1]]["properties"]
    body = shown["body"] or {}
    if properties:  # the search body is documented elsewhere, as an open object here
        assert set(body) <= set(properties), set(body) - set(properties)
    validator = jsonschema_rs.validator_for(
        {"$ref": reference, "components": DOCUMENT["components"]}
    )
    validator.validate(body)


def test_every_field_of_a_contact_body_is_one_highlevel_takes() -> None:
    create = HIGHLEVEL.operations["contacts.create"]
    every = {name: None for name in create.input.model_fields}
    vendor = DOCUMENT["components"]["schemas"]["CreateContactDto"]["properties"]
    assert set(every) <= set(vendor), set(every) - set(vendor)
    update = HIGHLEVEL.operations["contacts.update"]
    vendor = DOCUMENT["components"]["schemas"]["UpdateContactDto"]["properties"]
    assert set(update.input.model_fields) - {"contactId"} <= set(vendor)


def test_render_request_alone_as_the_flows_engine_calls_it() -> None:
    shown = render_request(
        target(MOCO, "https://acme.mocoapp.com/api/v1"),
        "people.update",
        {"id": 123, "job_position": "Head of Sales"},
    )
    assert shown == {
        "method": "PUT",
        "url": "https://acme.mocoapp.com/api/v1/contacts/people/123",
        "headers": {
            "User-Agent": shown["headers"]["User-Agent"],
            "Content-Type": "application/json",
            "Authorization": "***",
        },
        "body": {"job_position": "Head of Sales"},
    }
    with pytest.raises(ValidationFailed) as refused:
        render_request(target(MOCO), "people.create", {"firstname": "Ada"})
    assert {d["field"] for d in refused.value.details or []} == {"input.lastname", "input.gender"}
    with pytest.raises(ValidationFailed):
        render_request(target(MOCO), "projects.list", {})
    no_location = Target(**{**target().__dict__, "location_id": None})
    with pytest.raises(ValidationFailed) as missing:
        render_request(no_location, "contacts.create", {"firstName": "Ada"})
    assert "location_id" in missing.value.message or any(
        "location_id" in d["message"] for d in missing.value.details or []
    )


def test_a_full_contact_body_is_valid_by_highlevels_schema() -> None:
    full = {
        "firstName": "Rosan",
        "lastName": "Deo",
        "email": "rosan@deos.com",
        "phone": "+1 888-888-8888",
        "address1": "3535 1st St N",
        "city": "Dolomite",
        "state": "AL",
        "postalCode": "35061",
        "country": "US",
        "website": "https://www.tesla.com",
        "timezone": "America/Chihuahua",
        "dnd": True,
        "tags": ["vip"],
        "customFields": [{"id": "6dvNaf7VhkQ9snc5vnjJ", "field_value": "9039160788"}],
        "source": "public api",
        "companyName": "DGS VolMAX",
        "gender": "male",
    }
    for key, schema in (
        ("contacts.create", "CreateContactDto"),
        ("contacts.upsert", "UpsertContactDto"),
    ):
        body = render_request(target(), key, full)["body"]
        assert body == {"locationId": "ve9EPM428h8vShlRW1KT", **full}
        validator = jsonschema_rs.validator_for(
            {"$ref": f"#/components/schemas/{schema}", "components": DOCUMENT["components"]}
        )
        validator.validate(body)
