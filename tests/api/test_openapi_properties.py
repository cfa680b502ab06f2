"""Property-based run of the OpenAPI document against the live server (schemathesis).

How it works:

- Every case is sent over HTTP to a real ``rolodex serve`` process, once per backend,
  SQLite and PostgreSQL (the harness's ``database_url`` parametrization), started by the
  harness's ``start_server`` for this module alone. Its output goes to a file; the part
  written during a failing case is shown with the failure.
- The document is the app's own ``openapi()``, loaded at import so that pytest collects
  one test per operation; the ``target`` fixture checks that it is exactly what the live
  server serves at ``/openapi.json``. (schemathesis's lazy ``from_fixture`` schema does
  not work with pytest 9: it writes ``request.node._nodeid``.)
- Every operation of the document is tested; none is excluded. Cases come from the
  examples, coverage and fuzzing phases, in positive and negative mode, with at most
  ``MAX_EXAMPLES`` fuzzed examples per operation and a fixed seed, so runs repeat.
- Each response must pass ``not_a_server_error`` (no 5xx), ``status_code_conformance``
  (only documented statuses), ``content_type_conformance``,
  ``response_schema_conformance`` and ``response_headers_conformance`` (body and headers
  as declared), and ``negative_data_rejection`` (input that breaks the schema is refused).
- Every case carries the ``X-API-Key`` of a fresh account. Before the run the account gets
  real records (a company, a contact with a task, a note, an appointment and a tag, a
  second API key); positive cases draw path parameters from those ids as well as random
  ones, so single-resource operations reach real rows, not only 404s. Destructive calls
  (DELETE, restore) get records of their own, so the other operations keep theirs.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st

from rolodex.accounts.service import create_account
from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from tests.conftest import API, PASSWORD, LiveServer, start_server
from tests.properties import CHECKS, Target, configured, server_output_on_failure

# The ids of the seeded records of the backend under test, by path parameter name:
# "stable" for reads and updates, "disposable" for DELETE and restore.
RECORDS: dict[str, dict[str, str]] = {}


def _document() -> dict[str, Any]:
    """The app's OpenAPI document; building the app touches no database."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="openapi"))
    return app.openapi()


schema = configured(_document())


@schema.hook("before_generate_case")
def real_ids(context: Any, strategy: Any) -> Any:
    """Positive cases use the seeded records' ids in the path about half of the time."""
    operation = context.operation
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return strategy
    destructive = operation.method.upper() == "DELETE" or operation.path.endswith("/restore")
    kind = "disposable" if destructive else "stable"

    def with_real_ids(case: Any) -> Any:
        records = RECORDS.get(kind, {})
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return st.just(case)
        if not all(name in records for name in names):
            return st.just(case)
        real = case.derive()
        real.path_parameters = {name: records[name] for name in names}
        return st.sampled_from([case, real])

    return strategy.flatmap(with_real_ids)


def _new_account(settings: Settings) -> tuple[str, str]:
    """A fresh account; returns (owner id, full key)."""

    async def work() -> tuple[str, str]:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                created = await create_account(
                    session,
                    email=f"openapi-{secrets.token_hex(6)}@example.com",
                    password=PASSWORD,
                    account_name=None,
                )
                return created.owner.id, created.secret
        finally:
            await engine.dispose()

    return asyncio.run(work())


def _seed(http: httpx.Client, owner_id: str) -> dict[str, str]:
    """One record of every kind; their ids by path parameter name."""

    def create(path: str, body: dict[str, Any]) -> str:
        response = http.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    company = create("/companies", {"name": "Acme", "type": "customer"})
    contact = create(
        "/contacts", {"first_name": "Ada", "email": "ada@example.com", "company_id": company}
    )
    appointment = {
        "title": "Demo",
        "starts_at": "2026-11-22T09:00:00Z",
        "ends_at": "2026-11-22T10:00:00Z",
    }
    return {
        "company_id": company,
        "contact_id": contact,
        "task_id": create(f"/contacts/{contact}/tasks", {"title": "Call back"}),
        "note_id": create(f"/contacts/{contact}/notes", {"body": "Met at the fair"}),
        "appointment_id": create(f"/contacts/{contact}/appointments", appointment),
        "tag_id": create("/tags", {"name": f"vip-{secrets.token_hex(4)}"}),
        "key_id": create("/api-keys", {"name": "spare", "scope": "read_only"}),
        "user_id": owner_id,
        # a remote that never resolves: checks fail fast, with an answer, never a 5xx
        "connection_id": create(
            "/connections",
            {
                "kind": "rolodex",
                "base_url": "https://crm.invalid/api/v1",
                "credentials": {"api_key": "remote-key"},
            },
        ),
    }


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`rolodex serve` on a free port and the session's database, logging to a file."""
    with start_server(database_url, tmp_path_factory.mktemp("openapi")) as live:
        yield live


@pytest.fixture(scope="module")
def target(server: LiveServer, settings: Settings) -> Iterator[Target]:
    """The live server, with a seeded account whose key every case sends."""
    served = httpx.get(f"{server.url}/openapi.json", timeout=30)
    assert served.json() == schema.raw_schema, "the live server serves another document"
    owner_id, key = _new_account(settings)
    with httpx.Client(base_url=server.url + API, headers={"X-API-Key": key}) as http:
        RECORDS["stable"] = _seed(http, owner_id)
        RECORDS["disposable"] = _seed(http, owner_id)
    try:
        yield Target(server.url, key, server.log_path)
    finally:
        RECORDS.clear()


@pytest.mark.live
@schema.parametrize()
def test_openapi_properties(case: Any, target: Target) -> None:
    """No 5xx, no undocumented status and no response that breaks its own schema."""
    with server_output_on_failure(target.log):
        case.call_and_validate(
            base_url=target.url, headers={"X-API-Key": target.key}, checks=CHECKS, timeout=30
        )
