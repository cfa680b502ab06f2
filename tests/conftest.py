"""Test harness: every test runs on SQLite and on PostgreSQL, against a real database.

Each pytest run creates its own PostgreSQL database (``rolodex_test_<random>``) and a
temporary SQLite file, migrates both with Alembic, and drops them at the end. Tests make
their own accounts, so they never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi.testclient import TestClient

from rolodex.accounts.service import create_account, issue_key
from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "ROLODEX_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
API = "/api/v1"
PASSWORD = "correct-horse-battery"
GENEROUS_RATE_LIMIT = "100000/60"


def _pg_admin(sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def _pg_url(name: str) -> str:
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database of each backend, dropped after the run."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "rolodex.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"rolodex_test_{secrets.token_hex(6)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        url = _pg_url(name)
        upgrade(url)
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Settings of the test deployment: limits no test reaches (rate limits have their own
    tests, in tests/api/test_rate_limits.py and tests/oauth/)."""
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        api_key_touch_seconds=0,
        rate_limit=GENEROUS_RATE_LIMIT,
        # every test client calls from one address, whose failed OAuth client
        # authentications share one budget
        token_rate_limit=GENEROUS_RATE_LIMIT,
        redis_url=None,
        worker_in_process=False,  # webhook tests drive their own workers
        webhooks_allow_private=True,  # their receivers listen on loopback
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client of the app, running with its lifespan."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Tenant:
    """An account made for one test: its owner, a full key and helpers to call the API."""

    client: TestClient
    settings: Settings
    account_id: str
    user_id: str
    email: str
    key: str
    headers: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Call ``/api/v1<path>`` with this tenant's key (or ``key``)."""
        headers = {"X-API-Key": key or self.key, **kwargs.pop("headers", {})}
        return self.client.request(method, API + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def run(self, coroutine_function: Callable[..., Any], *args: Any) -> Any:
        """Run ``coroutine_function(session, *args)`` in one unit of work on the test database."""

        async def work() -> Any:
            engine = make_engine(self.settings)
            try:
                async with unit_of_work(make_sessionmaker(engine)) as session:
                    return await coroutine_function(session, *args)
            finally:
                await engine.dispose()

        return asyncio.run(work())

    def add_user(
        self, *, role: str = "member", staff: bool = False, active: bool = True
    ) -> tuple[str, str]:
        """Add a user to this account; returns (user id, a full key of theirs)."""
        from rolodex.accounts.models import User
        from rolodex.ids import new_id

        async def work(session: Any) -> tuple[str, str]:
            user = User(
                id=new_id("usr"),
                account_id=self.account_id,
                email=f"{secrets.token_hex(5)}@example.com",
                role=role,
                staff=staff,
                active=True,
            )
            session.add(user)
            await session.flush()
            _, secret = await issue_key(session, user, name="test", scope="full")
            user.active = active
            return user.id, secret

        result: tuple[str, str] = self.run(work)
        return result

    def new_key(self, scope: str = "full") -> str:
        """Another key of the owner, of ``scope``."""
        from rolodex.accounts.models import User

        async def work(session: Any) -> str:
            owner = await session.get(User, self.user_id)
            _, secret = await issue_key(session, owner, name=f"{scope} key", scope=scope)
            return secret

        result: str = self.run(work)
        return result


@pytest.fixture
def make_tenant(client: TestClient, settings: Settings) -> Callable[[], Tenant]:
    """A factory of fresh accounts."""

    def make() -> Tenant:
        email = f"owner-{secrets.token_hex(6)}@example.com"

        async def work(session: Any) -> Any:
            return await create_account(session, email=email, password=PASSWORD, account_name=None)

        tenant = Tenant(client, settings, "", "", email, "")
        created = tenant.run(work)
        tenant.account_id, tenant.user_id, tenant.key = (
            created.account.id,
            created.owner.id,
            created.secret,
        )
        return tenant

    return make


@pytest.fixture
def tenant(make_tenant: Callable[[], Tenant]) -> Tenant:
    """A fresh account for one test."""
    return make_tenant()


_running: dict[str, pytest.Item] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember the test being set up, for :func:`start_server` to check its marker; a
    test asking for the shared ``live_server`` is checked now (it may be running already)."""
    _running["item"] = item
    if "live_server" in getattr(item, "fixturenames", ()):
        _require_live_marker()


def _require_live_marker() -> None:
    """A test that starts a server must say so with ``@pytest.mark.live`` (so that
    ``-m "not live"`` leaves it out); fail the one that does not."""
    item = _running.get("item")
    if item is not None and item.get_closest_marker("live") is None:
        pytest.fail(f"{item.nodeid} starts `rolodex serve` but is not marked live")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A real `rolodex serve` process."""

    url: str
    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[str]
    log_path: Path

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run `rolodex <args>` against the same database."""
        return subprocess.run(
            [sys.executable, "-m", "rolodex", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@contextmanager
def start_server(
    database_url: str,
    cwd: Path,
    *,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """Run `rolodex serve` on a free port until the block ends; its log goes to a file
    in ``cwd`` (an unread pipe would fill up and freeze the server)."""
    _require_live_marker()
    port = free_port()
    full_env = {
        **os.environ,
        "ROLODEX_DATABASE_URL": database_url,
        "ROLODEX_SECRET_KEY": "live-secret",
        "ROLODEX_RATE_LIMIT": GENEROUS_RATE_LIMIT,
        # The suite shares one database per backend: a server that delivered webhooks on
        # its own would take the deliveries other tests' workers are waiting for.
        "ROLODEX_WORKER_IN_PROCESS": "false",
        **(env or {}),
    }
    log_path = cwd / f"serve-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rolodex", "serve", "--port", str(port), "--workers", str(workers)],
        env=full_env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rolodex serve did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield LiveServer(url, full_env, cwd, process, log_path)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture(scope="session")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`rolodex serve` on a free port, on the session's database."""
    with start_server(database_url, tmp_path_factory.mktemp("live")) as server:
        yield server
