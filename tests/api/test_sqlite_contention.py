"""One request never takes the database away from the others: a worst-case batch (within
the documented bounds) runs while another account reads and writes, and every request of
that account succeeds; a write lock that cannot be had is a 503 with ``Retry-After``,
never a 500.

Each test runs its own copies of the app, each with its own event loop and connections,
so that their requests really meet at SQLite's write lock (one app's requests would only
queue in its event loop)."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from rolodex.app import create_app
from rolodex.batch.schemas import MAX_ITEMS, MAX_TAG_NAMES
from rolodex.config import Settings
from rolodex.db import is_contention
from tests.conftest import API, Tenant

MAX_TAGS_PER_ITEM = 100


@pytest.fixture
def sqlite_settings(settings: Settings) -> Settings:
    if not settings.is_sqlite:
        pytest.skip("SQLite's write lock")
    return settings


@contextmanager
def app_client(settings: Settings, **changes: Any) -> Iterator[TestClient]:
    """A copy of the app of its own (own event loop, own connections)."""
    app = create_app(settings.model_copy(update=changes))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def worst_case_items() -> list[dict[str, Any]]:
    """As many contacts as a batch takes, each with as many tags as a contact takes, naming
    as many distinct tags (all new) as a batch may."""
    prefix = secrets.token_hex(4)
    return [
        {
            "first_name": f"Bulk {i}",
            "email": f"bulk-{prefix}-{i}@example.com",
            "tags": [f"{prefix}-{(i * 4 + j) % MAX_TAG_NAMES}" for j in range(MAX_TAGS_PER_ITEM)],
        }
        for i in range(MAX_ITEMS)
    ]


def test_the_worst_case_batch_names_the_most_tags_allowed() -> None:
    items = worst_case_items()
    assert len({name for item in items for name in item["tags"]}) == MAX_TAG_NAMES


def test_another_account_is_served_while_a_worst_case_batch_runs(
    sqlite_settings: Settings, make_tenant: Any
) -> None:
    bulk, other = make_tenant(), make_tenant()
    contact = other.post("/contacts", json={"first_name": "Steady"}).json()["data"]
    outcome: dict[str, Any] = {}

    def run_batch() -> None:
        with app_client(sqlite_settings) as client:
            started = time.monotonic()
            outcome["response"] = client.post(
                API + "/contacts/batch",
                json={"items": worst_case_items()},
                headers={"X-API-Key": bulk.key},
            )
            outcome["seconds"] = time.monotonic() - started

    statuses: list[tuple[str, int]] = []
    with app_client(sqlite_settings) as client:
        headers = {"X-API-Key": other.key}

        def call(method: str, path: str, **kwargs: Any) -> None:
            response = client.request(method, API + path, headers=headers, **kwargs)
            statuses.append((f"{method} {path}", response.status_code))

        batch = threading.Thread(target=run_batch)
        batch.start()
        while batch.is_alive() or len(statuses) < 12:
            call("GET", "/contacts")
            call("POST", "/contacts", json={"first_name": "Other", "tags": ["mine"]})
            call("PATCH", f"/contacts/{contact['id']}", json={"title": secrets.token_hex(3)})
            call("GET", f"/contacts/{contact['id']}")
        batch.join()

    response = outcome["response"]
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["created"] == MAX_ITEMS
    failed = [(what, status) for what, status in statuses if not 200 <= status < 300]
    assert failed == [], failed
    # Well inside the lock wait of the others (the busy timeout, 15 s by default).
    assert outcome["seconds"] < 10, outcome["seconds"]


def test_a_write_lock_that_cannot_be_had_is_503_with_retry_after(
    sqlite_settings: Settings, tenant: Tenant
) -> None:
    path = sqlite_settings.database_url.split("///", 1)[1]
    with app_client(sqlite_settings, db_busy_timeout_seconds=0.2) as client:
        headers = {"X-API-Key": tenant.key}
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            response = client.post(
                API + "/contacts", json={"first_name": "Blocked"}, headers=headers
            )
        finally:
            holder.rollback()
            holder.close()
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        error = response.json()["error"]
        assert error["code"] == "SERVICE_UNAVAILABLE"
        assert "busy" in error["message"]
        assert error["request_id"] == response.headers["X-Request-Id"]

        retried = client.post(API + "/contacts", json={"first_name": "Blocked"}, headers=headers)
        assert retried.status_code == 201, retried.text


def test_a_row_lock_that_cannot_be_had_on_postgresql_is_503_with_retry_after(
    settings: Settings, tenant: Tenant
) -> None:
    """Another transaction holds the contact's row; the PATCH waits its lock timeout (the
    busy timeout) and is answered 503, then succeeds once the row is free."""
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's lock_timeout")
    contact = tenant.post("/contacts", json={"first_name": "Held"}).json()["data"]
    dsn = settings.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    with app_client(settings, db_busy_timeout_seconds=0.3) as client:
        headers = {"X-API-Key": tenant.key}
        path = f"{API}/contacts/{contact['id']}"

        async def while_held() -> Any:
            holder = await asyncpg.connect(dsn)
            try:
                async with holder.transaction():
                    await holder.execute(
                        "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE", contact["id"]
                    )
                    return await asyncio.to_thread(
                        client.patch, path, json={"title": "Blocked"}, headers=headers
                    )
            finally:
                await holder.close()

        response = asyncio.run(while_held())
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        retried = client.patch(path, json={"title": "Free"}, headers=headers)
        assert retried.status_code == 200, retried.text
    assert tenant.get(f"/contacts/{contact['id']}").json()["data"]["title"] == "Free"


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("original", "busy"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: contacts"), False),
        (_PgError("55P03"), True),  # lock not available (lock_timeout)
        (_PgError("40001"), True),  # serialization failure
        (_PgError("40P01"), True),  # deadlock detected
        (_PgError("23505"), False),  # unique violation
    ],
)
def test_which_database_errors_mean_busy(original: Exception, busy: bool) -> None:
    assert is_contention(OperationalError("SELECT 1", {}, original)) is busy
