"""Tenant isolation and scopes, proven on every route the application registers.

The routes are enumerated from the application itself (``app.routes``, included routers
walked), so a route added later is covered without editing this file: its path ids are
filled by the id prefix its OpenAPI parameter declares, its body from its OpenAPI schema.
The kinds of resource come from the registry (:data:`rolodex.registry.KINDS`): another
account holds a record of every kind, every route's ids and scope must be those of a
registered kind, and a kind added later fails here until it has a record to try.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from rolodex.kinds import API_PREFIX
from rolodex.oauth.scopes import flat_routes
from rolodex.registry import BY_PREFIX, KINDS
from rolodex.syncs.kinds import LINK
from rolodex.syncs.models import Link
from tests.conftest import API
from tests.oauth.helpers import register

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_PREFIX = re.compile(r"^\^([a-z]+)_")


def api_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path template, route) of every ``/api/v1`` route of the app."""
    found = []
    for path, route in flat_routes(app.routes):
        if not path.startswith(API):
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, path, route))
    return found


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """A small valid value of a JSON schema: required fields, and those with examples."""
    schema = _resolve(schema, components)
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return sample(options[0], components)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        wanted = set(schema.get("required", [])) | {
            name for name, prop in properties.items() if "examples" in _resolve(prop, components)
        }
        return {name: sample(properties[name], components) for name in sorted(wanted)}
    if kind == "array":
        return [sample(schema.get("items", {}), components)] if schema.get("minItems") else []
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    formats = {"date-time": "2030-01-01T10:00:00Z", "date": "2030-01-01", "email": "a@example.com"}
    return formats.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))


def operation_of(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return document["paths"][path][method.lower()]


def body_for(document: dict[str, Any], method: str, path: str) -> Any:
    """A valid body for the operation, or None when it takes none."""
    body = operation_of(document, method, path).get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    return sample(schema, document["components"]["schemas"])


KINDLESS = {f"{API}/catalog": "integrations", f"{API}/flow-templates": "integrations"}
"""Routes of no record kind (the catalog of operations, the flow templates), and the scope
family they need."""


def named(parameter: dict[str, Any]) -> str | None:
    """The example of a path parameter that is a name, not an id (no id pattern, an
    example instead: an operation key), else None."""
    schema = parameter["schema"]
    if _PREFIX.match(schema.get("pattern", "")) or not schema.get("examples"):
        return None
    example: str = schema["examples"][0]
    return example


def fill(document: dict[str, Any], method: str, path: str, ids: dict[str, str]) -> str:
    """The path with every id parameter replaced by a record of the prefix it declares
    (and every name parameter by its example)."""
    prefixes = {}
    names = {}
    for parameter in operation_of(document, method, path).get("parameters", []):
        if parameter.get("in") == "path" and named(parameter) is not None:
            names[parameter["name"]] = named(parameter)
        elif parameter.get("in") == "path":
            match = _PREFIX.match(parameter["schema"].get("pattern", ""))
            assert match, f"{method} {path}: parameter {parameter['name']} declares no id prefix"
            prefixes[parameter["name"]] = match.group(1)

    def one(m: re.Match[str]) -> str:
        if m.group(1) in names:
            return str(names[m.group(1)])
        prefix = prefixes[m.group(1)]
        assert prefix in ids, f"{method} {path}: no record of prefix {prefix!r} to try"
        return ids[prefix]

    return re.sub(r"\{(\w+)\}", one, path).removeprefix(API)


@pytest.fixture
def foreign_ids(make_tenant) -> dict[str, str]:
    """One record of every kind in another account, by id prefix."""
    other = make_tenant()
    company = other.post("/companies", json={"name": "Other Corp"}).json()["data"]
    contact = other.post("/contacts", json={"first_name": "Other"}).json()["data"]
    base = f"/contacts/{contact['id']}"
    task = other.post(f"{base}/tasks", json={"title": "t"}).json()["data"]
    note = other.post(f"{base}/notes", json={"body": "n"}).json()["data"]
    appointment = other.post(
        f"{base}/appointments",
        json={"title": "a", "starts_at": "2030-01-01T10:00:00Z", "ends_at": "2030-01-01T11:00:00Z"},
    ).json()["data"]
    tag = other.post("/tags", json={"name": "other-tag"}).json()["data"]
    member_id, _ = other.add_user()
    key = other.get("/api-keys").json()["data"][0]
    client = register(other)
    endpoint = other.post(
        "/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["contact.*"]}
    ).json()["data"]
    assert other.post(f"/webhooks/{endpoint['id']}/ping").status_code == 202
    [delivery] = other.get(f"/webhooks/{endpoint['id']}/deliveries").json()["data"]
    connection = other.post(
        "/connections",
        json={
            "kind": "rolodex",
            "base_url": "https://other.example.com/api/v1",
            "credentials": {"api_key": "other-key"},
        },
    ).json()["data"]
    sync = other.post(
        "/syncs", json={"connection_id": connection["id"], "object": "contacts", "enabled": False}
    ).json()["data"]
    link = make_link(other, connection["id"], contact["id"], sync["id"])
    event = other.get("/events").json()["data"][0]
    entry = other.get("/audit-log").json()["data"][0]
    run_id = other.run(_finished_run, other.account_id)
    flow = other.post(
        "/flows",
        json={
            "name": "Other flow",
            "enabled": False,
            "trigger": {"event": "contact.created"},
            "actions": [
                {
                    "connection_id": connection["id"],
                    "operation": "contacts.create",
                    "mapping": {"first_name": "data.first_name"},
                }
            ],
        },
    ).json()["data"]
    return {
        "aud": entry["id"],
        "cmp": company["id"],
        "cnt": contact["id"],
        "tsk": task["id"],
        "nte": note["id"],
        "apt": appointment["id"],
        "tag": tag["id"],
        "usr": member_id,
        "key": key["id"],
        "ocl": client.client_id,
        "evt": event["id"],
        "whk": endpoint["id"],
        "whd": delivery["id"],
        "con": connection["id"],
        "run": run_id,
        "syn": sync["id"],
        "lnk": link,
        "flw": flow["id"],
    }


async def _finished_run(session, account_id: str) -> str:
    """A failed flow run of the account, as the runs service records one (no route makes
    runs: syncs, flows and operations do)."""
    from rolodex.runs.service import finish_run, start_run

    run = await start_run(session, account_id, "flow", job_kind="flow", job_input={})
    await finish_run(session, run, "failed", error="walked")
    return str(run.id)


def make_link(tenant: Any, connection_id: str, record_id: str, sync_id: str) -> str:
    """A link of the tenant's (links are made by syncs, not by a route)."""
    link_id = LINK.new_id()

    async def work(session: Any) -> None:
        session.add(
            Link(
                id=link_id,
                account_id=tenant.account_id,
                connection_id=connection_id,
                sync_id=sync_id,
                record_type="contacts",
                record_id=record_id,
                remote_type="contacts",
                remote_id=f"remote-{record_id}",
            )
        )

    tenant.run(work)
    return link_id


def test_the_walk_has_a_foreign_record_of_every_kind(foreign_ids) -> None:
    assert API_PREFIX == API
    assert set(foreign_ids) == {kind.prefix for kind in KINDS}
    for prefix, record_id in foreign_ids.items():
        assert record_id.startswith(f"{prefix}_"), (prefix, record_id)


def _shape(template: str) -> str:
    """A path template with its parameters unnamed: ``/contacts/{}/tasks``."""
    return re.sub(r"\{\w+\}", "{}", template)


def _kind_of(path: str) -> Any:
    """The kind whose collection ``path`` lives in: the longest registered collection
    path (nested ones included) that it starts with."""
    path = _shape(path)
    found = [
        kind
        for kind in KINDS
        for collection in {_shape(API + kind.path), _shape(API + kind.nested_path)}
        if path == collection or path.startswith(collection + "/")
    ]
    assert found, f"{path} is in the collection of no registered kind"
    return max(found, key=lambda kind: len(kind.nested_path))


def test_every_route_belongs_to_a_kind_and_needs_its_scope(client) -> None:
    document = client.get("/openapi.json").json()
    served = set()
    for method, template, route in api_routes(client.app):
        for parameter in operation_of(document, method, template).get("parameters", []):
            if parameter.get("in") == "path" and named(parameter) is None:
                match = _PREFIX.match(parameter["schema"].get("pattern", ""))
                assert match and match.group(1) in BY_PREFIX, (method, template, parameter)
        if template == f"{API}/users/me":
            served.add("user")
            continue
        if template in KINDLESS:
            assert route.required_scope.rpartition(".")[0] == KINDLESS[template], template
            continue
        kind = _kind_of(template)
        served.add(kind.name)
        family = route.required_scope.rpartition(".")[0]
        assert family == kind.scope, (method, template, route.required_scope, kind.name)
    assert served == {kind.name for kind in KINDS}


def test_no_list_shows_a_record_of_another_account(client, tenant, foreign_ids) -> None:
    """Every list of the API (a GET without ids in its path), read by the account's owner
    and by its account key: none names a record of the other account."""
    lists = [p for m, p, _ in api_routes(client.app) if m == "GET" and "{" not in p]
    assert len(lists) >= 12
    of_the_account = account_key(tenant)
    for template in lists:
        for key in (tenant.key, of_the_account):
            response = tenant.get(template.removeprefix(API), key=key)
            assert response.status_code in (200, 404), (template, response.text)
            for prefix, record_id in foreign_ids.items():
                assert record_id not in response.text, (template, prefix)


def oauth_token(client, tenant, scopes: list[str]) -> str:
    """A client-credentials access token of the tenant's owner, with ``scopes``."""
    registered = register(
        tenant, grant_types=["client_credentials"], redirect_uris=[], scopes=scopes
    )
    response = client.post(
        "http://localhost/oauth/token",
        data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
        auth=(registered.client_id, registered.client_secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def account_key(tenant, scope: str = "full") -> str:
    """An account-level key of the tenant (acting as no user), of ``scope``."""
    response = tenant.post("/api-keys", json={"name": "account", "kind": "account", "scope": scope})
    assert response.status_code == 201, response.text
    secret: str = response.json()["data"]["key"]
    return secret


def test_every_id_of_another_account_is_404(client, tenant, foreign_ids) -> None:
    document = client.get("/openapi.json").json()
    routes = [(m, p) for m, p, _ in api_routes(client.app) if "{" in p]
    assert len(routes) >= 30
    token = oauth_token(
        client,
        tenant,
        [
            "contacts.write",
            "companies.write",
            "tags.write",
            "users.write",
            "audit_log.readonly",
            "events.readonly",
            "webhooks.write",
            "integrations.write",
        ],
    )
    of_the_account = account_key(tenant)
    checked = 0
    for method, template in routes:
        path = fill(document, method, template, foreign_ids)
        body = body_for(document, method, template)
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        for key in (tenant.key, of_the_account):
            response = tenant.request(method, path, key=key, **kwargs)
            assert response.status_code == 404, (method, path, body, response.text)
            assert response.json()["error"]["code"] == "NOT_FOUND"
        scope = next(
            r.required_scope for m, p, r in api_routes(client.app) if (m, p) == (method, template)
        )
        if not scope.startswith(("api_keys.", "oauth_clients.")):
            headers = {"Authorization": f"Bearer {token}"}
            response = client.request(method, API + path, headers=headers, **kwargs)
            assert response.status_code == 404, ("oauth", method, path, response.text)
        checked += 1
    assert checked == len(routes)


def test_the_same_requests_on_own_records_are_not_404(client, tenant, make_tenant) -> None:
    """The walk above would prove nothing if its requests failed anyway: run a few of
    them on records of the account itself."""
    own = {"cnt": tenant.post("/contacts", json={"first_name": "Own"}).json()["data"]["id"]}
    document = client.get("/openapi.json").json()
    checked = 0
    for method, template, _ in api_routes(client.app):
        if template.count("{") != 1 or "{contact_id}" not in template or method == "DELETE":
            continue
        path = fill(document, method, template, own)
        body = body_for(document, method, template)
        response = tenant.request(method, path, **({"json": body} if body is not None else {}))
        # a valid request that found its record: not 400 (bad body) and not 404
        assert response.status_code not in (400, 404), (method, path, response.text)
        checked += 1
    assert checked >= 8


def mutating_routes(client, ids: dict[str, str]) -> list[tuple[str, str, Any]]:
    document = client.get("/openapi.json").json()
    found = []
    for method, template, _ in api_routes(client.app):
        if method in WRITE_METHODS:
            path = fill(document, method, template, ids)
            found.append((method, path, body_for(document, method, template)))
    return found


def test_read_only_keys_and_readonly_token_get_403_on_every_mutation(
    client, tenant, foreign_ids
) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Mine"}).json()["data"]
    ids = {**foreign_ids, "cnt": contact["id"]}  # own records where they exist
    read_only_key = tenant.new_key("read_only")
    read_only_account_key = account_key(tenant, "read_only")
    token = oauth_token(client, tenant, ["contacts.readonly"])
    mutations = mutating_routes(client, ids)
    assert len(mutations) >= 25
    credentials = (
        {"X-API-Key": read_only_key},
        {"X-API-Key": read_only_account_key},
        {"Authorization": f"Bearer {token}"},
    )
    for method, path, body in mutations:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        for headers in credentials:
            response = client.request(method, API + path, headers=headers, **kwargs)
            assert response.status_code == 403, (method, path, headers, response.text)
            assert response.json()["error"]["code"] == "FORBIDDEN"
    # and nothing changed
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["first_name"] == "Mine"
    # while the token still reads what its scope allows
    response = client.get(f"{API}/contacts", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_a_write_scope_implies_its_readonly_scope(client, tenant) -> None:
    token = oauth_token(client, tenant, ["companies.write"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/companies", headers=headers).status_code == 200
    created = client.post(f"{API}/companies", json={"name": "Acme"}, headers=headers)
    assert created.status_code == 201
    assert client.get(f"{API}/contacts", headers=headers).status_code == 403
