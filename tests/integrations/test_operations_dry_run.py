"""Every operation of the catalog, run as a dry run: the exact request it would send, and
nothing sent — the connections point at the tests' fault proxy (in front of a live
`rolodex serve`), whose request log stays empty.

The cases are the catalog itself, each operation's input made from its own input schema,
so an operation added later is exercised here without editing this file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from rolodex.accounts.service import create_account
from rolodex.config import Settings
from rolodex.integrations.catalog import catalog
from rolodex.integrations.connectors.highlevel import VERSION
from rolodex.integrations.connectors_registry import connector_of
from tests.api.test_tenant_isolation import sample
from tests.conftest import PASSWORD, LiveServer, Tenant
from tests.integrations.proxy import Proxy, fault_proxy

pytestmark = pytest.mark.live
SECRET = f"dry-run-secret-{secrets.token_hex(8)}"
LOCATION = "loc_dry_run"
CREDENTIAL_HEADER = {"rolodex": "X-API-Key", "moco": "Authorization", "highlevel": "Authorization"}
BASES = {"rolodex": "/api/v1", "moco": "/moco/api/v1", "highlevel": "/highlevel"}

OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("rolodex", "appointments.create"): {
        "starts_at": "2030-01-01T10:00:00Z",
        "ends_at": "2030-01-01T11:00:00Z",
    },
}
"""Inputs the schema alone cannot make valid (a rule across fields)."""

CASES = [pytest.param(item, id=f"{item.connector}:{item.key}") for item in catalog()]


@pytest.fixture(scope="module")
def proxy(remote: LiveServer) -> Iterator[Proxy]:
    with fault_proxy(remote.url) as running:
        yield running


@pytest.fixture(scope="module")
def owner(client: TestClient, settings: Settings) -> Tenant:
    """One account for the whole module (the cases only read)."""
    email = f"dry-{secrets.token_hex(6)}@example.com"

    async def work(session: Any) -> Any:
        return await create_account(session, email=email, password=PASSWORD, account_name=None)

    tenant = Tenant(client, settings, "", "", email, "")
    made = tenant.run(work)
    tenant.account_id, tenant.user_id, tenant.key = made.account.id, made.owner.id, made.secret
    return tenant


@pytest.fixture(scope="module")
def connections(owner: Tenant, proxy: Proxy) -> dict[str, str]:
    """A connection of each kind, through the proxy; by kind."""
    found = {}
    for kind, base in BASES.items():
        body: dict[str, Any] = {
            "kind": kind,
            "base_url": f"{proxy.url}{base}",
            "credentials": {"api_key": SECRET},
        }
        if kind == "highlevel":
            body["location_id"] = LOCATION
        response = owner.post("/connections", json=body)
        assert response.status_code == 201, response.text
        found[kind] = response.json()["data"]["id"]
    return found


def input_for(connector: str, key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A valid input of an operation: its required fields, from its own schema."""
    made: dict[str, Any] = sample(schema, schema.get("$defs", {}))
    return {**made, **OVERRIDES.get((connector, key), {})}


def expected_path(path: str, values: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        return LOCATION if name == "locationId" else str(values[name])

    return re.sub(r"\{(\w+)\}", one, path)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


@pytest.mark.parametrize("item", CASES)
def test_every_operation_answers_its_exact_request_and_sends_nothing(
    item: Any, owner: Tenant, connections: dict[str, str], proxy: Proxy
) -> None:
    operation = connector_of(item.connector).operations[item.key]
    values = input_for(item.connector, item.key, item.input_schema)
    before = proxy.count()
    response = owner.post(
        f"/connections/{connections[item.connector]}/operations/{item.key}",
        json={"input": values, "dry_run": True},
    )
    assert response.status_code == 200, (values, response.text)
    assert proxy.count() == before, "a dry run reached the remote"
    assert SECRET not in response.text
    data = response.json()["data"]
    assert data["dry_run"] is True and data["operation"] == item.key
    assert data["output"] is None
    sent = data["request"]
    assert sent["method"] == operation.method

    url = urlsplit(sent["url"])
    assert f"{url.scheme}://{url.netloc}" == proxy.url
    path_names = set(re.findall(r"\{(\w+)\}", operation.path))
    assert url.path == BASES[item.connector] + expected_path(operation.path, values)
    query = parse_qs(url.query)

    headers = sent["headers"]
    assert headers[CREDENTIAL_HEADER[item.connector]] == "***"
    if item.connector == "highlevel":
        assert headers["Version"] == VERSION
    if sent["body"] is not None:
        assert headers["Content-Type"] == "application/json"
    if item.connector == "rolodex" and operation.writes:
        assert headers["Idempotency-Key"].startswith("rolodex-")

    rest = {k: v for k, v in values.items() if k not in path_names}
    if operation.method == "GET":
        assert sent["body"] is None
        if item.kind == "action":
            for name, value in rest.items():
                assert query[name] == [_shown(value)], (name, query)
    elif item.kind == "action":
        body = sent["body"] or {}
        assert isinstance(body, dict)
        for name, value in rest.items():
            assert body[name] == value, (name, body)
    else:
        assert isinstance(sent["body"], dict)
    if item.connector == "highlevel" and "locationId" not in path_names:
        where = {**(sent["body"] or {}), **{k: v[0] for k, v in query.items()}}
        if operation.path.startswith(("/contacts/search", "/contacts/business")) or (
            operation.path in ("/contacts/", "/contacts/upsert", "/contacts/search/duplicate")
        ):
            assert where["locationId"] == LOCATION


def test_the_proxy_log_does_see_a_live_run(
    owner: Tenant, connections: dict[str, str], proxy: Proxy
) -> None:
    """The proof above holds only if the proxy logs what goes through it."""
    before = proxy.count("GET", "/moco/api/v1/contacts/people")
    response = owner.post(
        f"/connections/{connections['moco']}/operations/people.list",
        json={"input": {}, "dry_run": False},
    )
    # the remote does not know the key: a 401, answered as this API's 422, never a 5xx
    assert response.status_code == 422, response.text
    assert proxy.count("GET", "/moco/api/v1/contacts/people") == before + 1


def test_a_dry_run_shows_query_and_body_as_sent(owner: Tenant, connections: dict[str, str]) -> None:
    moco = owner.post(
        f"/connections/{connections['moco']}/operations/people.list",
        json={
            "input": {"tags": ["vip", "b2b"], "updated_after": "2026-01-02T03:04:05Z", "page": 2},
            "dry_run": True,
        },
    ).json()["data"]["request"]
    assert moco["url"].endswith(
        "/moco/api/v1/contacts/people?page=2&updated_after=2026-01-02T03%3A04%3A05Z&tags=vip%2Cb2b"
    )
    hl = owner.post(
        f"/connections/{connections['highlevel']}/operations/contacts.upsert",
        json={"input": {"email": "ada@example.com", "tags": ["vip"]}, "dry_run": True},
    ).json()["data"]["request"]
    assert hl["method"] == "POST" and hl["url"].endswith("/highlevel/contacts/upsert")
    assert hl["body"] == {"locationId": LOCATION, "email": "ada@example.com", "tags": ["vip"]}
    assert hl["headers"]["Authorization"] == "***" and hl["headers"]["Version"] == VERSION
    polled = owner.post(
        f"/connections/{connections['highlevel']}/operations/contacts.new_or_updated",
        json={"input": {"updated_after": "2026-01-02T03:04:05Z"}, "dry_run": True},
    ).json()["data"]["request"]
    assert polled["body"]["filters"] == [
        {"field": "dateUpdated", "operator": "range", "value": {"gt": "2026-01-02T03:04:05Z"}}
    ]
