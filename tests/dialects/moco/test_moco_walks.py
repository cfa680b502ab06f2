"""Tenant isolation and scopes on every route of the MOCO surface, enumerated from its
own OpenAPI document (``/moco/api/v1/openapi.json``): a route added later is walked
without editing this file, and fails here until its path parameters name a kind the
walk has a record of."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.test_tenant_isolation import account_key, oauth_token, sample
from tests.conftest import Tenant
from tests.dialects.moco.conftest import MOCO, Moco

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
MARKER = "foreign-marker"
SCOPES = {
    "/contacts/people": "contacts",
    "/companies": "companies",
    "/comments": "contacts",
    "/taggings/Contact": "contacts",
    "/taggings/Company": "companies",
    "/tags": "tags",
    "/users": "users",
    "/session": "users",
    "/account/web_hooks": "webhooks",
}
"""Where each collection lives → the native scope family that guards it."""


def _document(moco: Moco) -> dict[str, Any]:
    document: dict[str, Any] = moco.tenant.client.get(f"{MOCO}/openapi.json").json()
    return document


def routes(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template under the prefix, operation) of every MOCO route."""
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            found.append((method.upper(), path.removeprefix(MOCO), operation))
    return found


def _kind(template: str, parameter: str) -> str:
    """Which record a path parameter names."""
    if parameter == "entity_id":
        return "person" if template.startswith("/taggings/Contact") else "company"
    return {
        "person_id": "person",
        "company_id": "company",
        "comment_id": "comment",
        "tag_id": "tag",
        "user_id": "user",
        "web_hook_id": "web_hook",
    }[parameter]


def fill(template: str, numbers: dict[str, int]) -> str:
    """The path with every parameter replaced by the number of a record of its kind."""

    def one(match: re.Match[str]) -> str:
        kind = _kind(template, match.group(1))
        assert kind in numbers, f"{template}: no record of kind {kind} to try"
        return str(numbers[kind])

    return re.sub(r"\{(\w+)\}", one, template)


def body_for(document: dict[str, Any], operation: dict[str, Any]) -> Any:
    """A valid body for the operation, or None when it takes none."""
    body = operation.get("requestBody")
    if body is None:
        return None
    [content] = body["content"].values()
    return sample(content["schema"], document.get("components", {}).get("schemas", {}))


def _records(moco: Moco) -> dict[str, int]:
    """One record of every kind of the MOCO surface in ``moco``'s account, by kind."""
    person = moco.ok(
        "POST", "/contacts/people", json={"lastname": MARKER, "gender": "F", "tags": [MARKER]}
    )
    company = moco.ok("POST", "/companies", json={"name": MARKER, "type": "customer"})
    comment = moco.ok(
        "POST",
        "/comments",
        json={"commentable_id": person["id"], "commentable_type": "Contact", "text": MARKER},
    )
    tag = moco.ok("POST", "/tags", json={"name": f"{MARKER}-tag", "context": "Contact"})
    hook = moco.ok(
        "POST",
        "/account/web_hooks",
        json={"target": "Contact", "event": "create", "hook": f"https://{MARKER}.example.com/h"},
    )
    return {
        "person": person["id"],
        "company": company["id"],
        "comment": comment["id"],
        "tag": tag["id"],
        "user": moco.ok("GET", "/session")["id"],
        "web_hook": hook["id"],
    }


@pytest.fixture
def foreign(make_moco: Any) -> dict[str, int]:
    """A record of every kind in another account."""
    return _records(make_moco())


def test_every_route_needs_the_scope_of_its_kind(moco: Moco) -> None:
    document = _document(moco)
    walked = routes(document)
    assert len(walked) >= 30
    for method, template, operation in walked:
        [family] = [scope for prefix, scope in SCOPES.items() if template.startswith(prefix)] or [
            None
        ]
        assert family is not None, f"{method} {template} is in no known collection"
        suffix = ".readonly" if method == "GET" else ".write"
        assert operation["x-required-scope"] == family + suffix, (method, template)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                _kind(template, parameter["name"])  # every path parameter names a known kind


def test_every_number_of_another_account_is_404(
    moco: Moco, tenant: Tenant, foreign: dict[str, int]
) -> None:
    document = _document(moco)
    templated = [(m, t, o) for m, t, o in routes(document) if "{" in t]
    assert len(templated) >= 20
    token = oauth_token(
        tenant.client,
        tenant,
        ["contacts.write", "companies.write", "tags.write", "users.write", "webhooks.write"],
    )
    keys = (tenant.key, account_key(tenant))
    for method, template, operation in templated:
        path = fill(template, foreign)
        body = body_for(document, operation)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        for key in keys:
            response = moco.request(method, path, key=key, **kwargs)
            assert response.status_code == 404, (method, path, body, response.text)
            assert set(response.json()) == {"message"}
        bearer = tenant.client.request(
            method, MOCO + path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert bearer.status_code == 404, ("oauth", method, path, bearer.text)


def test_the_same_requests_on_own_records_are_not_404(moco: Moco) -> None:
    """The walk above would prove nothing if its requests failed anyway."""
    document = _document(moco)
    own = _records(moco)
    checked = 0
    for method, template, operation in routes(document):
        if "{" not in template or method == "DELETE":
            continue
        body = body_for(document, operation)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        response = moco.request(method, fill(template, own), **kwargs)
        assert response.status_code == 200, (method, template, body, response.text)
        checked += 1
    assert checked >= 15


def test_no_list_shows_a_record_of_another_account(
    moco: Moco, tenant: Tenant, foreign: dict[str, int]
) -> None:
    document = _document(moco)
    lists = [t for m, t, _ in routes(document) if m == "GET" and "{" not in t and t != "/session"]
    assert len(lists) >= 6
    numbers = ",".join(str(n) for n in foreign.values())
    for template in lists:
        for key in (tenant.key, account_key(tenant)):
            for params in ({}, {"ids": numbers}):
                response = moco.get(template, key=key, params=params)
                assert response.status_code == 200, (template, response.text)
                assert MARKER not in response.text, template
                if params:
                    assert response.json() == [], template


def test_read_only_credentials_get_403_on_every_change(
    moco: Moco, tenant: Tenant, foreign: dict[str, int]
) -> None:
    document = _document(moco)
    own = _records(moco)
    mutations = [(m, t, o) for m, t, o in routes(document) if m in WRITE_METHODS]
    assert len(mutations) >= 20
    credentials = (
        tenant.new_key("read_only"),
        account_key(tenant, "read_only"),
    )
    token = oauth_token(tenant.client, tenant, ["contacts.readonly", "companies.readonly"])
    for method, template, operation in mutations:
        path = fill(template, own)
        body = body_for(document, operation)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        for key in credentials:
            response = moco.request(method, path, key=key, **kwargs)
            assert response.status_code == 403, (method, path, response.text)
            assert set(response.json()) == {"message"}
        response = tenant.client.request(
            method, MOCO + path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        assert response.status_code == 403, ("oauth", method, path, response.text)
    # nothing changed, and reading still works
    person = moco.ok("GET", f"/contacts/people/{own['person']}", key=credentials[0])
    assert person["lastname"] == MARKER and person["tags"] == [MARKER]
    assert moco.ok("GET", f"/account/web_hooks/{own['web_hook']}")["disabled"] is False
