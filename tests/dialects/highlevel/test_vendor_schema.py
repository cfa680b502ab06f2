"""HighLevel's own OpenAPI document of its Contacts API (``apps/contacts.json``, CC0, in
tests/fixtures/highlevel/) run with schemathesis against the ``/highlevel`` surface of a
live ``rolodex serve``, once per backend.

What is checked, on every response: no 5xx (``not_a_server_error``), the body matches
the vendor's schema for its status wherever the vendor describes that status
(``response_schema_conformance``), and it is JSON as declared
(``content_type_conformance``). The vendor's document lists only 200/201, 400, 401 and
422 for most operations; Rolodex's 403 (another ``locationId``), 404 (an unknown id) and
405 are HighLevel's error body too, which :func:`assert_highlevel_error` checks on
every case, since the vendor's schema cannot.

What is adjusted, in memory (the file itself is the vendor's, unchanged):

- ``../common/common-schemas.json#…`` references are resolved into the document.
- ``CustomFieldSchema.value`` (a contact's custom-field value in answers) is typed
  ``string`` in the document, while the same document's inputs take numbers, lists and
  objects (``NumericField``, ``CheckboxField``…) and the live service answers them as
  written; Rolodex does the same, so that one property is widened to any JSON value.

What is excluded, and why: the operations Rolodex does not serve — followers, campaigns,
workflows, the bulk updates, and the duplicate search — answer 404 in HighLevel's body,
which the vendor's document does not describe for them;
:func:`test_operations_not_served_are_404_in_highlevels_body` checks each of them.

A negative case may send a header that is not HTTP at all (``transfer-encoding: &4``);
uvicorn refuses such a request with its own plain-text 400 before Rolodex sees it, and
that one answer is not checked (:func:`refused_by_the_http_server`).

Cases run positive and negative, at most ``MAX_EXAMPLES`` fuzzed examples per operation,
with a fixed seed. Every case carries the key of a seeded account; positive cases use the
account's id for ``locationId`` and, half of the time, real record ids in the path, so
that they reach real rows; DELETEs get records of their own.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from rolodex.accounts.service import create_account
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from tests.conftest import API, PASSWORD, LiveServer, start_server
from tests.dialects.highlevel.helpers import aim_at_seeded
from tests.properties import Target, configured, server_output_on_failure

FIXTURES = Path(__file__).parents[2] / "fixtures" / "highlevel"
COMMON = "../common/common-schemas.json"
MAX_EXAMPLES = 15
SEED = 20_260_728
NOT_SERVED = {
    ("GET", "/contacts/search/duplicate"),
    ("POST", "/contacts/bulk/tags/update/{type}"),
    ("POST", "/contacts/bulk/business"),
    ("POST", "/contacts/{contactId}/followers"),
    ("DELETE", "/contacts/{contactId}/followers"),
    ("POST", "/contacts/{contactId}/campaigns/{campaignId}"),
    ("DELETE", "/contacts/{contactId}/campaigns/{campaignId}"),
    ("DELETE", "/contacts/{contactId}/campaigns/removeAll"),
    ("POST", "/contacts/{contactId}/workflow/{workflowId}"),
    ("DELETE", "/contacts/{contactId}/workflow/{workflowId}"),
}
ERROR_KEYS = {"statusCode", "message", "error"}


def vendor_document() -> dict[str, Any]:
    """``apps/contacts.json`` with the common schemas it references resolved into it, and
    ``CustomFieldSchema.value`` widened (see the module)."""
    text = (FIXTURES / "apps" / "contacts.json").read_text()
    common = json.loads((FIXTURES / "common" / "common-schemas.json").read_text())
    document: dict[str, Any] = json.loads(text.replace(f'"{COMMON}#/', '"#/'))
    schemas = document["components"]["schemas"]
    for name, schema in common["components"]["schemas"].items():
        assert name not in schemas, name
        schemas[name] = schema
    value = schemas["CustomFieldSchema"]["properties"]["value"]
    assert value["type"] == "string"
    schemas["CustomFieldSchema"]["properties"]["value"] = {"description": "any JSON value"}
    return document


DOCUMENT = vendor_document()
schema = configured(DOCUMENT, max_examples=MAX_EXAMPLES, seed=SEED)
served = schema.exclude(
    func=lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in NOT_SERVED
)

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# The seeded records of the backend under test, by path parameter name ("stable" for
# reads and updates, "disposable" for DELETEs), and the account's id.
RECORDS: dict[str, dict[str, str]] = {}


TURNS: dict[str, int] = {}


def aim(case: Any) -> None:
    """:func:`aim_at_seeded` with this module's records."""
    aim_at_seeded(case, RECORDS, TURNS)


def _new_account(settings: Settings) -> tuple[str, str, str]:
    """A fresh account; returns (account id, owner id, full key)."""

    async def work() -> tuple[str, str, str]:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                created = await create_account(
                    session,
                    email=f"highlevel-{secrets.token_hex(6)}@example.com",
                    password=PASSWORD,
                    account_name=None,
                )
                return created.account.id, created.owner.id, created.secret
        finally:
            await engine.dispose()

    return asyncio.run(work())


def _seed(http: httpx.Client) -> dict[str, str]:
    """A company, a contact of it with a task, a note and an appointment, a custom field;
    their ids by the vendor's path parameter names."""

    def create(path: str, body: dict[str, Any]) -> str:
        response = http.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    company = create("/companies", {"name": "Acme"})
    contact = create(
        "/contacts",
        {
            "first_name": "Ada",
            "email": f"ada-{secrets.token_hex(3)}@example.com",
            "company_id": company,
            "tags": ["vip"],
            "custom_fields": {"tier": "gold"},
        },
    )
    create(
        f"/contacts/{contact}/appointments",
        {"title": "Demo", "starts_at": "2026-11-22T09:00:00Z", "ends_at": "2026-11-22T10:00:00Z"},
    )
    return {
        "businessId": company,
        "contactId": contact,
        "taskId": create(f"/contacts/{contact}/tasks", {"title": "Call back"}),
        "id": create(f"/contacts/{contact}/notes", {"body": "Met at the fair"}),
    }


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("highlevel")) as live:
        yield live


@pytest.fixture(scope="module")
def target(server: LiveServer, settings: Settings) -> Iterator[Target]:
    account_id, owner_id, key = _new_account(settings)
    with httpx.Client(base_url=server.url + API, headers={"X-API-Key": key}) as http:
        RECORDS["stable"] = _seed(http)
        RECORDS["disposable"] = _seed(http)
    RECORDS["account"] = {"locationId": account_id, "assignedTo": owner_id}
    try:
        yield Target(f"{server.url}/highlevel", key, server.log_path)
    finally:
        RECORDS.clear()


def test_the_document_is_the_vendors_and_every_served_operation_is_run() -> None:
    operations = {
        (method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item
    }
    assert len(operations) == 32
    assert operations > NOT_SERVED
    assert len(operations - NOT_SERVED) == 22


@pytest.mark.live
@served.parametrize()
def test_vendor_schema(case: Any, target: Target) -> None:
    """No 5xx, and no response that breaks the vendor's schema."""
    headers = {"Authorization": f"Bearer {target.key}"}
    aim(case)
    with server_output_on_failure(target.log):
        response = case.call(base_url=target.url, headers=headers, timeout=30)
        if refused_by_the_http_server(response):
            return
        case.validate_response(response, checks=CHECKS)
        assert_highlevel_error(response)


def refused_by_the_http_server(response: Any) -> bool:
    """Whether uvicorn itself refused the request as malformed HTTP (a negative case's
    header such as ``transfer-encoding: &4``), before Rolodex could see it: its plain-text
    400, which no route can draw."""
    return (
        response.status_code == 400
        and response.headers.get("content-type", [""])[0].startswith("text/plain")
        and response.text == "Invalid HTTP request received."
    )


def assert_highlevel_error(response: Any) -> None:
    """An error (any 4xx) is ``{"statusCode", "message", "error"}`` with its status and a
    ``traceId`` header; a 422's message is a list."""
    if response.status_code < 400:
        return
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert body["statusCode"] == response.status_code
    assert isinstance(body["message"], list if response.status_code == 422 else str)
    assert response.headers.get("traceid"), response.headers


@pytest.mark.live
def test_operations_not_served_are_404_in_highlevels_body(target: Target) -> None:
    contact = RECORDS["stable"]["contactId"]
    headers = {"Authorization": f"Bearer {target.key}", "Version": "2021-07-28"}
    with httpx.Client(base_url=target.url, headers=headers, timeout=30) as http:
        for method, template in sorted(NOT_SERVED):
            path = (
                template.replace("{contactId}", contact)
                .replace("{campaignId}", "cmp1")
                .replace("{workflowId}", "wf1")
                .replace("{type}", "add")
            )
            kwargs: dict[str, Any] = {} if method == "GET" else {"json": {}}
            response = http.request(method, path, **kwargs)
            assert response.status_code == 404, (method, path, response.text)
            assert set(response.json()) == ERROR_KEYS
            assert response.headers["traceId"]
