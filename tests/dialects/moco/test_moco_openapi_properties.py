"""Property-based run of the MOCO surface's own OpenAPI document against a live server.

As the native run (``tests/api/test_openapi_properties.py``): every operation of
``/moco/api/v1/openapi.json``, cases from the examples, coverage and fuzzing phases in
positive and negative mode with a fixed seed, sent over HTTP to a real ``rolodex serve``
on each backend. Each response must not be a 5xx, must have a documented status, content
type, headers and body, and input that breaks the schema must be refused. The account
has a record of every kind; positive cases use their numbers in paths about half of the
time, destructive calls (DELETE) records of their own.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import strategies as st

from rolodex.app import create_app
from rolodex.config import Settings
from tests.api.test_openapi_properties import _new_account
from tests.conftest import LiveServer, start_server
from tests.properties import CHECKS, Target, configured, server_output_on_failure

MOCO = "/moco/api/v1"
RECORDS: dict[str, dict[str, int]] = {}


def _document() -> dict[str, Any]:
    """The MOCO surface's document, as the app serves it (no database is touched)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite://", secret_key="openapi"))
    document: dict[str, Any] = TestClient(app).get(f"{MOCO}/openapi.json").json()
    return document


schema = configured(_document())


def _parameter_kind(path: str, name: str) -> str:
    if name == "entity_id":
        return "person_id" if "/taggings/Contact/" in path else "company_id"
    return name


@schema.hook("before_generate_case")
def real_ids(context: Any, strategy: Any) -> Any:
    """Positive cases use the seeded records' numbers in the path about half of the time."""
    operation = context.operation
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return strategy
    kind = "disposable" if operation.method.upper() == "DELETE" else "stable"

    def with_real_ids(case: Any) -> Any:
        records = RECORDS.get(kind, {})
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return st.just(case)
        wanted = {name: _parameter_kind(operation.path, name) for name in names}
        if not all(kind_name in records for kind_name in wanted.values()):
            return st.just(case)
        real = case.derive()
        real.path_parameters = {name: records[k] for name, k in wanted.items()}
        return st.sampled_from([case, real])

    return strategy.flatmap(with_real_ids)


def _seed(http: httpx.Client) -> dict[str, int]:
    """One record of every kind, by the path parameter that names it."""

    def create(path: str, body: dict[str, Any]) -> int:
        response = http.post(path, json=body)
        assert response.status_code == 200, response.text
        return int(response.json()["id"])

    company = create("/companies", {"name": "Acme", "type": "customer"})
    person = create("/contacts/people", {"lastname": "Ada", "gender": "F", "company_id": company})
    hook = {"target": "Contact", "event": "create", "hook": "https://example.org/hook"}
    return {
        "company_id": company,
        "person_id": person,
        "comment_id": create(
            "/comments",
            {"commentable_id": person, "commentable_type": "Contact", "text": "Met"},
        ),
        "tag_id": create("/tags", {"name": f"vip-{secrets.token_hex(4)}", "context": "Contact"}),
        "web_hook_id": create("/account/web_hooks", hook),
        "user_id": int(http.get("/session").json()["id"]),
    }


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("moco-openapi")) as live:
        yield live


@pytest.fixture(scope="module")
def target(server: LiveServer, settings: Settings) -> Iterator[Target]:
    served = httpx.get(f"{server.url}{MOCO}/openapi.json", timeout=30)
    assert served.json() == schema.raw_schema, "the live server serves another document"
    _, key = _new_account(settings)
    headers = {"Authorization": f"Token token={key}"}
    with httpx.Client(base_url=server.url + MOCO, headers=headers) as http:
        RECORDS["stable"] = _seed(http)
        RECORDS["disposable"] = _seed(http)
    try:
        yield Target(server.url, key, server.log_path)
    finally:
        RECORDS.clear()


@pytest.mark.live
@schema.parametrize()
def test_moco_openapi_properties(case: Any, target: Target) -> None:
    """No 5xx, no undocumented status and no response that breaks its own schema."""
    with server_output_on_failure(target.log):
        case.call_and_validate(
            base_url=target.url,
            headers={"Authorization": f"Token token={target.key}"},
            checks=CHECKS,
            timeout=30,
        )
