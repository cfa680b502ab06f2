"""Idempotency keys against real `rolodex serve` processes on PostgreSQL: many server
processes racing on one key, and a server killed with SIGKILL in the middle of a keyed
request.

Both need PostgreSQL: the in-flight 409 comes from a PostgreSQL advisory lock, and the
SIGKILL test pauses the request inside its transaction with a table lock taken from the
test. On SQLite every transaction begins with BEGIN IMMEDIATE, so keyed requests are
serialised and a concurrent duplicate waits and then replays; the API tests cover that.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import start_server

pytestmark = pytest.mark.live
SQLITE_REASON = (
    "PostgreSQL only: SQLite serialises every transaction (BEGIN IMMEDIATE), so there is no "
    "in-flight 409 to race for and no way to pause a request inside its transaction"
)
# Enough budget that the rate limit never interferes with these floods. The key's
# last_used_at is written on every request (as the suite's settings do): that write runs
# after the request's transaction, so concurrent requests of one key never queue on it.
SERVER_ENV = {"ROLODEX_RATE_LIMIT": "100000/60", "ROLODEX_API_KEY_TOUCH_SECONDS": "0"}


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip(SQLITE_REASON)
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Db:
    """A separate PostgreSQL connection of the test, on its own event loop."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.connection: asyncpg.Connection = self.loop.run_until_complete(asyncpg.connect(url))

    def __call__(self, method: str, sql: str, *args: Any) -> Any:
        return self.loop.run_until_complete(getattr(self.connection, method)(sql, *args))

    def close(self) -> None:
        self.loop.run_until_complete(self.connection.close())
        self.loop.close()


@contextmanager
def database(url: str) -> Iterator[Db]:
    db = Db(url)
    try:
        yield db
    finally:
        db.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def contacts_with(server_url: str, api_key: str, email: str) -> list[dict]:
    response = httpx.get(
        f"{server_url}/api/v1/contacts",
        params={"email": email},
        headers={"X-API-Key": api_key},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_fifty_concurrent_identical_posts_on_three_processes_create_one_contact(
    pg_url: str, tenant, tmp_path
) -> None:
    email = f"race-{secrets.token_hex(5)}@example.com"
    body = {"first_name": "Race", "last_name": "Condition", "email": email}
    headers = {"X-API-Key": tenant.key, "Idempotency-Key": f"race-{secrets.token_hex(8)}"}
    with start_server(tenant.settings.database_url, tmp_path, workers=3, env=SERVER_ENV) as server:
        url = f"{server.url}/api/v1/contacts"
        clients = [httpx.Client(timeout=60) for _ in range(50)]
        for client in clients:  # open the connections first, so the posts start together
            assert client.get(f"{server.url}/health").status_code == 200
        barrier = threading.Barrier(50)

        def post(client: httpx.Client) -> httpx.Response:
            barrier.wait()
            return client.post(url, json=body, headers=headers)

        try:
            with ThreadPoolExecutor(50) as pool:
                responses = list(pool.map(post, clients))
        finally:
            for client in clients:
                client.close()

        statuses = Counter(
            (r.status_code, r.headers.get("Idempotent-Replayed") == "true") for r in responses
        )
        print(f"50 concurrent keyed POSTs: {dict(statuses)}")
        assert set(statuses) <= {(201, False), (201, True), (409, False)}, statuses
        assert statuses[(201, False)] == 1  # performed exactly once
        created = [r for r in responses if r.status_code == 201]
        assert len({r.content for r in created}) == 1  # every 201 has the same body
        assert len({r.headers["Location"] for r in created}) == 1
        for conflict in (r for r in responses if r.status_code == 409):
            assert conflict.json()["error"]["code"] == "CONFLICT"

        [contact] = contacts_with(server.url, tenant.key, email)
        assert contact["id"] == created[0].json()["data"]["id"]

        # Once the first has finished, every retry is a replay of it ...
        replay = httpx.post(url, json=body, headers=headers, timeout=30)
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.content == created[0].content
        # ... and the same key with another body is refused.
        other = httpx.post(url, json={**body, "first_name": "Other"}, headers=headers, timeout=30)
        assert other.status_code == 422
        assert other.json()["error"]["code"] == "UNPROCESSABLE"
        assert len(contacts_with(server.url, tenant.key, email)) == 1


def test_while_the_first_request_runs_every_duplicate_is_409(pg_url: str, tenant, tmp_path) -> None:
    """The first request is held inside its transaction (a table lock of the test), so the
    outcome does not depend on timing: 49 times 409, then, once it finished, replays."""
    email = f"held-{secrets.token_hex(5)}@example.com"
    body = {"first_name": "Held", "email": email}
    headers = {"X-API-Key": tenant.key, "Idempotency-Key": f"held-{secrets.token_hex(8)}"}
    with (
        start_server(tenant.settings.database_url, tmp_path, workers=3, env=SERVER_ENV) as server,
        database(pg_url) as db,
    ):
        url = f"{server.url}/api/v1/contacts"
        db("execute", "BEGIN")
        db("execute", "LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE")
        with ThreadPoolExecutor(1) as first_pool:
            first = first_pool.submit(httpx.post, url, json=body, headers=headers, timeout=60)
            wait_for(
                lambda: (
                    db(
                        "fetchval",
                        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                        "'contacts'::regclass",
                    )
                    > 0
                ),
                "the first request to wait for the contacts table",
            )
            with ThreadPoolExecutor(49) as pool:
                duplicates = list(
                    pool.map(
                        lambda _: httpx.post(url, json=body, headers=headers, timeout=60),
                        range(49),
                    )
                )
            assert [r.status_code for r in duplicates] == [409] * 49
            db("execute", "ROLLBACK")
            original = first.result()
        assert original.status_code == 201, original.text
        assert "Idempotent-Replayed" not in original.headers

        with ThreadPoolExecutor(49) as pool:
            replays = list(
                pool.map(
                    lambda _: httpx.post(url, json=body, headers=headers, timeout=60), range(49)
                )
            )
        assert {(r.status_code, r.headers.get("Idempotent-Replayed")) for r in replays} == {
            (201, "true")
        }
        assert {r.content for r in replays} == {original.content}
        assert len(contacts_with(server.url, tenant.key, email)) == 1


def _other_transactions(db: Db) -> int:
    count: int = db(
        "fetchval",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
    )
    return count


@pytest.mark.parametrize(
    ("table", "mode", "moment"),
    [
        ("contacts", "ACCESS EXCLUSIVE", "before the contact is written"),
        ("idempotency_keys", "EXCLUSIVE", "after the contact is written, before its key"),
    ],
    ids=["before-change", "between-change-and-key"],
)
def test_a_server_killed_mid_request_leaves_no_half_state(
    pg_url: str, tenant, tmp_path, table: str, mode: str, moment: str
) -> None:
    """SIGKILL the server while a keyed POST waits inside its transaction (on a table lock
    the test holds), at the moment named by ``moment``; then retry with the same key on a
    new server."""
    email = f"killed-{secrets.token_hex(5)}@example.com"
    key = f"killed-{secrets.token_hex(8)}"
    body = {"first_name": "Killed", "email": email}
    headers = {"X-API-Key": tenant.key, "Idempotency-Key": key}
    dsn = tenant.settings.database_url
    with database(pg_url) as db:
        with start_server(dsn, tmp_path, workers=1, env=SERVER_ENV) as server:
            db("execute", "BEGIN")
            db("execute", f"LOCK TABLE {table} IN {mode} MODE")
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(
                    httpx.post, f"{server.url}/api/v1/contacts", json=body, headers=headers
                )
                wait_for(
                    lambda: (
                        db(
                            "fetchval",
                            "SELECT count(*) FROM pg_locks "
                            "WHERE NOT granted AND relation = $1::regclass",
                            table,
                        )
                        > 0
                    ),
                    f"the request to wait for {table}",
                )
                # With one worker, uvicorn serves in the main process.
                os.kill(server.process.pid, signal.SIGKILL)
                server.process.wait(timeout=10)
                with pytest.raises(httpx.TransportError):
                    pending.result(timeout=30)
            db("execute", "ROLLBACK")
        # The orphaned backend gets its lock, then finds its client gone and rolls back.
        wait_for(lambda: _other_transactions(db) == 0, "the killed server's transaction to end")
        contacts = db(
            "fetchval",
            "SELECT count(*) FROM contacts WHERE account_id = $1 AND email = $2",
            tenant.account_id,
            email,
        )
        keys = db(
            "fetchval",
            "SELECT count(*) FROM idempotency_keys WHERE account_id = $1 AND key = $2",
            tenant.account_id,
            key,
        )
        assert (contacts, keys) == (0, 0), "a half-done request survived the kill"

        with start_server(dsn, tmp_path, workers=1, env=SERVER_ENV) as server:
            url = f"{server.url}/api/v1/contacts"
            retry = httpx.post(url, json=body, headers=headers, timeout=30)
            assert retry.status_code == 201, retry.text
            assert "Idempotent-Replayed" not in retry.headers  # performed now, once
            again = httpx.post(url, json=body, headers=headers, timeout=30)
            assert again.headers["Idempotent-Replayed"] == "true"
            assert again.content == retry.content
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)

        # A committed result survives a kill: the next server replays it.
        with start_server(dsn, tmp_path, workers=1, env=SERVER_ENV) as server:
            replay = httpx.post(
                f"{server.url}/api/v1/contacts", json=body, headers=headers, timeout=30
            )
            assert replay.status_code == 201
            assert replay.headers["Idempotent-Replayed"] == "true"
            assert replay.content == retry.content
            assert len(contacts_with(server.url, tenant.key, email)) == 1
