"""Tenant isolation and scopes on every route of the HighLevel surface, enumerated from
its own OpenAPI document (``/highlevel/openapi.json``), so that a route added later is
walked without editing this file.

- Another account's ids in the path are 404, in HighLevel's error body.
- Another account's ``locationId`` (in the path, the query or the body) is 403, whatever
  ids the request names, its own included.
- A read-only key, and an OAuth token with ``contacts.readonly`` only, get 403 on every
  route that changes anything; no list shows a record of another account.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.test_tenant_isolation import oauth_token, operation_of, sample
from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import PREFIX, hl

ERROR_KEYS = {"statusCode", "message", "error"}
_PREFIX = re.compile(r"^\^([a-z]+)_")


def routes(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, path without the prefix) of every operation of the surface."""
    return [
        (method.upper(), path.removeprefix(PREFIX))
        for path, item in document["paths"].items()
        for method in item
    ]


def seed(tenant: Tenant) -> dict[str, str]:
    """A company, a contact of it with a task and a note; ids by prefix."""
    company = tenant.post("/companies", json={"name": "Corp"}).json()["data"]["id"]
    contact = tenant.post(
        "/contacts", json={"first_name": "Seed", "company_id": company, "tags": ["seed"]}
    ).json()["data"]["id"]
    task = tenant.post(f"/contacts/{contact}/tasks", json={"title": "t"}).json()["data"]["id"]
    note = tenant.post(f"/contacts/{contact}/notes", json={"body": "n"}).json()["data"]["id"]
    return {"cmp": company, "cnt": contact, "tsk": task, "nte": note, "acc": tenant.account_id}


def request_of(
    document: dict[str, Any], method: str, path: str, ids: dict[str, str], location: str
) -> tuple[str, dict[str, Any]]:
    """The operation's path filled with ``ids`` (by the prefix each parameter declares),
    its required query parameters, and a valid body, all naming ``location``."""
    operation = operation_of(document, method, PREFIX + path)
    query: dict[str, str] = {}
    filled = path
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            if name == "locationId":
                value = location
            elif name == "objectKey":
                value = "contact"
            else:
                match = _PREFIX.match(parameter["schema"].get("pattern", ""))
                assert match, f"{method} {path}: {name} declares no id prefix"
                value = ids[match.group(1)]
            filled = filled.replace(f"{{{name}}}", value)
        elif parameter["in"] == "query" and parameter.get("required"):
            assert name == "locationId", (method, path, name)
            query[name] = location
    kwargs: dict[str, Any] = {"params": query}
    body = operation.get("requestBody")
    if body is not None:
        schema = body["content"]["application/json"]["schema"]
        value = sample(schema, document["components"]["schemas"])
        if "locationId" in value:
            value["locationId"] = location
        kwargs["json"] = value
    return filled, kwargs


@pytest.fixture
def document(tenant: Tenant) -> dict[str, Any]:
    served = tenant.client.get(f"{PREFIX}/openapi.json")
    assert served.status_code == 200
    result: dict[str, Any] = served.json()
    assert len(routes(result)) >= 22
    return result


def assert_error(response: Any, status: int, context: Any) -> None:
    assert response.status_code == status, (context, response.text)
    assert set(response.json()) == ERROR_KEYS, context
    assert response.json()["statusCode"] == status


def test_every_id_of_another_account_is_404(
    document: dict[str, Any], tenant: Tenant, make_tenant: Any
) -> None:
    foreign = seed(make_tenant())
    checked = 0
    for method, path in routes(document):
        if not re.search(r"\{(contactId|taskId|id|businessId)\}", path):
            continue
        filled, kwargs = request_of(document, method, path, foreign, tenant.account_id)
        assert_error(hl(tenant, method, filled, **kwargs), 404, (method, filled))
        checked += 1
    assert checked >= 16


def test_another_accounts_location_is_403(
    document: dict[str, Any], tenant: Tenant, make_tenant: Any
) -> None:
    own = seed(tenant)
    other = make_tenant().account_id
    checked = 0
    for method, path in routes(document):
        filled, kwargs = request_of(document, method, path, own, other)
        if (
            "locationId" not in path
            and not kwargs["params"]
            and "locationId" not in (kwargs.get("json") or {})
        ):
            continue
        for location in (other, "acc_01nosuchaccount", "ve9EPM428h8vShlRW1KT"):
            filled, kwargs = request_of(document, method, path, own, location)
            assert_error(hl(tenant, method, filled, **kwargs), 403, (method, filled, location))
        checked += 1
    assert checked >= 7


def test_own_records_are_served(document: dict[str, Any], tenant: Tenant) -> None:
    """The same walk on the account's own records and location answers 2xx: the 404s and
    403s above are about the other account, not about the requests."""
    own = seed(tenant)
    for method, path in routes(document):
        if method == "DELETE":
            continue
        filled, kwargs = request_of(document, method, path, own, tenant.account_id)
        response = hl(tenant, method, filled, **kwargs)
        assert response.status_code in (200, 201), (method, filled, response.text)


def test_read_only_credentials_get_403_on_every_change(
    document: dict[str, Any], tenant: Tenant
) -> None:
    own = seed(tenant)
    read_only = tenant.new_key("read_only")
    token = oauth_token(tenant.client, tenant, ["contacts.readonly"])
    writes = [(m, p) for m, p in routes(document) if m != "GET"]
    assert len(writes) >= 12
    for method, path in writes:
        filled, kwargs = request_of(document, method, path, own, tenant.account_id)
        for key in (read_only, token):
            assert_error(hl(tenant, method, filled, key=key, **kwargs), 403, (method, filled))
    for method, path in routes(document):
        if method == "GET":
            filled, kwargs = request_of(document, method, path, own, tenant.account_id)
            assert hl(tenant, method, filled, key=read_only, **kwargs).status_code == 200


def test_no_list_shows_a_record_of_another_account(
    document: dict[str, Any], tenant: Tenant, make_tenant: Any
) -> None:
    other = make_tenant()
    foreign = seed(other)
    tenant.post("/contacts", json={"first_name": "Mine", "custom_fields": {"mine": 1}})
    hl(
        other,
        "POST",
        "/contacts/",
        json={"locationId": other.account_id, "customFields": [{"id": "theirs", "value": 1}]},
    )
    own = seed(tenant)
    listed = 0
    for method, path in routes(document):
        if method == "DELETE":
            continue
        filled, kwargs = request_of(document, method, path, own, tenant.account_id)
        if "{" in path and "locationId" not in path and "objectKey" not in path:
            continue  # reads of one record: the 404 walk above
        response = hl(tenant, method, filled, **kwargs)
        assert response.status_code in (200, 201), (method, filled, response.text)
        for prefix, record_id in foreign.items():
            if prefix != "acc":
                assert record_id not in response.text, (method, filled, prefix)
        assert other.account_id not in response.text and "theirs" not in response.text
        listed += 1
    assert listed >= 4


def test_the_document_is_the_surfaces(document: dict[str, Any]) -> None:
    """Its errors are HighLevel's body, its rate-limit headers HighLevel's, every
    reference resolves, and no native route is in it."""
    text = str(document)
    schemas = document["components"]["schemas"]
    assert set(re.findall(r"#/components/schemas/(\w+)", text)) <= set(schemas)
    assert "ErrorEnvelope" not in text and "HTTPValidationError" not in text
    assert "X-RateLimit-Limit'" not in text and "RateLimit-Policy" not in text
    assert all(path.startswith(PREFIX + "/") for path in document["paths"])
    for item in document["paths"].values():
        for operation in item.values():
            ok = next(r for s, r in operation["responses"].items() if s.startswith("2"))
            assert {"X-RateLimit-Max", "X-RateLimit-Interval-Milliseconds", "traceId"} <= set(
                ok["headers"]
            )
