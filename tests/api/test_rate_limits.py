"""Rate limits (contract §8): per credential, fixed windows, the headers on every response.

Each test runs its own app with the limit it needs; the shared ``client`` runs with a limit
no other test reaches.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from limits.aio.storage import RedisStorage
from pydantic import ValidationError
from sqlalchemy import func, select

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.contacts.models import Contact
from tests.api.test_idempotency import records_of
from tests.cli.test_cli import run_cli
from tests.conftest import Tenant

REDIS_URL = os.environ.get("ROLODEX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
POLICY = re.compile(r'^"default";q=(\d+);w=(\d+)$')
STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def redis_available() -> bool:
    async def ping() -> bool:
        storage = RedisStorage(f"async+{REDIS_URL}", connect_timeout=1, stream_timeout=1)
        try:
            return await storage.check()
        except Exception:
            return False

    return asyncio.run(ping())


def clear_redis(prefix: str) -> None:
    """Delete every key the test wrote under its own prefix."""

    async def reset() -> None:
        await RedisStorage(f"async+{REDIS_URL}", key_prefix=prefix).reset()

    asyncio.run(reset())


def contact_count(tenant: Tenant) -> int:
    """How many contacts the tenant's account has, read from the database."""

    async def work(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count()).where(Contact.account_id == tenant.account_id)
            )
        )

    count: int = tenant.run(work)
    return count


@contextmanager
def app_client(settings: Settings, **changes: object) -> Iterator[TestClient]:
    limited = settings.model_copy(update=changes)
    with TestClient(create_app(limited), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def limited(settings: Settings, tenant: Tenant) -> Iterator[Callable[..., Tenant]]:
    """``limited(rate_limit=…, …)``: the test's tenant on an app with those settings."""
    with ExitStack() as stack:

        def make(**changes: object) -> Tenant:
            client = stack.enter_context(app_client(settings, **changes))
            return dataclasses.replace(tenant, client=client)

        yield make


def state_of(response: httpx.Response) -> dict[str, int]:
    """The rate-limit headers of a response, checked for agreement with each other."""
    for name in (*HEADERS, "RateLimit-Policy", "RateLimit"):
        assert name in response.headers, f"{name} missing on {response.status_code}"
    policy = POLICY.match(response.headers["RateLimit-Policy"])
    current = STATE.match(response.headers["RateLimit"])
    assert policy and current, (response.headers["RateLimit-Policy"], response.headers["RateLimit"])
    limit = int(response.headers["X-RateLimit-Limit"])
    remaining = int(response.headers["X-RateLimit-Remaining"])
    reset = int(response.headers["X-RateLimit-Reset"])
    window = int(policy.group(2))
    assert int(policy.group(1)) == limit
    assert (int(current.group(1)), int(current.group(2))) == (remaining, reset)
    assert 0 <= remaining <= limit
    assert 0 <= reset <= window
    return {"limit": limit, "remaining": remaining, "reset": reset, "window": window}


def test_the_default_is_120_requests_per_120_seconds(settings: Settings, tenant: Tenant) -> None:
    assert Settings(database_url=settings.database_url).rate_limit == "120/120"
    with app_client(settings, rate_limit="120/120") as client:
        response = dataclasses.replace(tenant, client=client).get("/users/me")
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "120"
    assert response.headers["X-RateLimit-Remaining"] == "119"
    assert response.headers["RateLimit-Policy"] == '"default";q=120;w=120'
    assert 110 <= int(response.headers["X-RateLimit-Reset"]) <= 120
    assert response.headers["RateLimit"] == (
        f'"default";r=119;t={response.headers["X-RateLimit-Reset"]}'
    )


def test_headers_on_success_404_400_and_403_and_remaining_counts_down(
    limited: Callable[..., Tenant],
) -> None:
    tenant = limited(rate_limit="10/60")
    ok = tenant.get("/contacts")
    missing = tenant.get("/contacts/cnt_01jd6w3q0000000000000000")
    invalid = tenant.get("/contacts", params={"per_page": 0})
    forbidden = tenant.post("/contacts", key=tenant.new_key("read_only"), json={"email": "a@b.co"})
    created = tenant.post("/contacts", json={"first_name": "Ada"})
    assert [r.status_code for r in (ok, missing, invalid, forbidden, created)] == [
        200,
        404,
        400,
        403,
        201,
    ]
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    remaining = [state_of(r)["remaining"] for r in (ok, missing, invalid, created)]
    assert remaining == [9, 8, 7, 6]
    assert state_of(forbidden)["remaining"] == 9  # another key: its own budget
    assert all(state_of(r)["limit"] == 10 for r in (ok, missing, invalid, forbidden))


def test_past_the_limit_429_with_retry_after_and_the_same_headers(
    limited: Callable[..., Tenant],
) -> None:
    tenant = limited(rate_limit="3/60")
    statuses = [tenant.get("/contacts").status_code for _ in range(3)]
    refused = tenant.get("/contacts", headers={"X-Request-Id": "req-over-limit"})
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["request_id"] == "req-over-limit"
    assert "3 requests per 60 seconds" in error["message"]
    state = state_of(refused)
    assert state["remaining"] == 0 and state["limit"] == 3
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Refused requests stay refused, also writes (and a write refused is not stored).
    again = tenant.post("/contacts", json={"first_name": "Ada"}, headers={"Idempotency-Key": "k1"})
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(again.headers["Retry-After"]) <= int(refused.headers["Retry-After"])
    assert records_of(tenant, "k1") == []
    assert contact_count(tenant) == 0


def test_served_again_once_the_window_has_passed(limited: Callable[..., Tenant]) -> None:
    tenant = limited(rate_limit="2/2")
    assert [tenant.get("/users/me").status_code for _ in range(3)] == [200, 200, 429]
    refused = tenant.get("/users/me")
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait + 0.1)
    served = tenant.get("/users/me")
    assert served.status_code == 200
    assert state_of(served)["remaining"] == 1


def test_each_key_has_its_own_budget(limited: Callable[..., Tenant]) -> None:
    tenant = limited(rate_limit="2/60")
    other = tenant.new_key()
    assert [tenant.get("/users/me").status_code for _ in range(3)] == [200, 200, 429]
    response = tenant.get("/users/me", key=other)
    assert response.status_code == 200
    assert state_of(response)["remaining"] == 1


def test_another_account_has_its_own_budget(
    limited: Callable[..., Tenant], make_tenant: Callable[[], Tenant]
) -> None:
    tenant = limited(rate_limit="1/60")
    stranger = dataclasses.replace(make_tenant(), client=tenant.client)
    assert tenant.get("/users/me").status_code == 200
    assert tenant.get("/users/me").status_code == 429
    assert stranger.get("/users/me").status_code == 200


def test_a_key_may_have_its_own_limit(limited: Callable[..., Tenant]) -> None:
    tenant = limited(rate_limit="50/60")
    created = tenant.post("/api-keys", json={"name": "sync job", "rate_limit": " 2 / 30 "})
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["rate_limit"] == "2/30"
    shown = tenant.get(f"/api-keys/{data['id']}").json()["data"]
    assert shown["rate_limit"] == "2/30"
    listed = tenant.get("/api-keys").json()["data"]
    assert {k["id"]: k["rate_limit"] for k in listed}[data["id"]] == "2/30"
    assert all(k["rate_limit"] is None for k in listed if k["id"] != data["id"])

    first = tenant.get("/users/me", key=data["key"])
    assert first.headers["RateLimit-Policy"] == '"default";q=2;w=30'
    assert state_of(first)["remaining"] == 1
    assert tenant.get("/users/me", key=data["key"]).status_code == 200
    refused = tenant.get("/users/me", key=data["key"])
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == refused.headers["X-RateLimit-Reset"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    # The deployment's limit still applies to the other keys.
    assert state_of(tenant.get("/users/me"))["limit"] == 50


def test_a_key_may_have_several_windows_each_counted(limited: Callable[..., Tenant]) -> None:
    tenant = limited(rate_limit="50/60")
    created = tenant.post("/api-keys", json={"name": "hl", "rate_limit": "5/3600 ; 3/86400"})
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["rate_limit"] == "5/3600;3/86400"
    for remaining in (4, 3, 2):
        response = tenant.get("/users/me", key=data["key"])
        assert response.status_code == 200
        # The native headers report the first window.
        assert response.headers["RateLimit-Policy"] == '"default";q=5;w=3600'
        assert state_of(response)["remaining"] == remaining
    # The first window has room; the second (3 a day) refuses, and says when it resets.
    refused = tenant.get("/users/me", key=data["key"])
    assert refused.status_code == 429
    assert "3 requests per 86400 seconds" in refused.json()["error"]["message"]
    assert 3600 < int(refused.headers["Retry-After"]) <= 86400


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "0/10",
        "10/0",
        "-1/5",
        "10",
        "1/2/3",
        "1.5/2",
        "",
        5,
        "9" * 40,
        "1/10;2/10",
        "1/10;",
        "1/1;2/2;3/3;4/4;5/5",
    ],
)
def test_an_invalid_key_limit_is_400(tenant: Tenant, value: object) -> None:
    response = tenant.post("/api-keys", json={"name": "bad", "rate_limit": value})
    assert response.status_code == 400, response.text
    body = response.json()["error"]
    assert body["code"] == "VALIDATION_ERROR"
    assert body["details"][0]["field"] == "rate_limit"


def test_the_deployment_setting_is_read_and_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLODEX_RATE_LIMIT", " 600 / 60 ")
    monkeypatch.setenv("ROLODEX_REDIS_URL", "")
    settings = Settings()
    assert settings.rate_limit == "600/60"
    assert settings.redis_url is None
    assert settings.redis_prefix == "rolodex"
    monkeypatch.setenv("ROLODEX_RATE_LIMIT", "100/10;200000/86400")
    assert Settings().rate_limit == "100/10;200000/86400"
    for bad in ("0/60", "60/0", "sixty", "60", "1/-1", "1/60;2/60"):
        monkeypatch.setenv("ROLODEX_RATE_LIMIT", bad)
        with pytest.raises(ValidationError):
            Settings()


def test_requests_without_a_valid_credential_are_not_counted(
    limited: Callable[..., Tenant],
) -> None:
    tenant = limited(rate_limit="5/60")
    unauthenticated = tenant.get("/users/me", key="rdx_k_not-a-real-key")
    assert unauthenticated.status_code == 401
    assert "X-RateLimit-Limit" not in unauthenticated.headers
    assert state_of(tenant.get("/users/me"))["remaining"] == 4


def test_redis_unreachable_fails_open_to_local_limits(
    limited: Callable[..., Tenant], caplog: pytest.LogCaptureFixture
) -> None:
    tenant = limited(rate_limit="2/60", redis_url="redis://user:s3cret-pw@127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="rolodex.ratelimit"):
        responses = [tenant.get("/users/me") for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert state_of(responses[0])["remaining"] == 1
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "unreachable" in messages and "127.0.0.1:1" in messages
    assert "s3cret-pw" not in messages and "user" not in messages


@pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
def test_two_apps_sharing_redis_share_one_budget(
    settings: Settings, tenant: Tenant, limited: Callable[..., Tenant]
) -> None:
    prefix = f"rolodex-test-{secrets.token_hex(6)}"
    try:
        first = limited(rate_limit="5/60", redis_url=REDIS_URL, redis_prefix=prefix)
        second = limited(rate_limit="5/60", redis_url=REDIS_URL, redis_prefix=prefix)
        assert first.client is not second.client
        statuses = [(first if i % 2 else second).get("/users/me").status_code for i in range(8)]
        assert statuses == [200] * 5 + [429] * 3
    finally:
        clear_redis(prefix)


def test_key_create_takes_a_rate_limit(limited: Callable[..., Tenant], tmp_path: Path) -> None:
    tenant = limited(rate_limit="50/60")
    db = {"ROLODEX_DATABASE_URL": tenant.settings.database_url}
    made = run_cli(
        tmp_path, "key", "create", "--email", tenant.email, "--rate-limit", "7/70", "--json", **db
    )
    assert made.returncode == 0, made.stderr
    response = tenant.get("/users/me", key=json.loads(made.stdout)["key"])
    assert response.headers["RateLimit-Policy"] == '"default";q=7;w=70'

    refused = run_cli(
        tmp_path, "key", "create", "--email", tenant.email, "--rate-limit", "7", "--json", **db
    )
    assert refused.returncode != 0
    assert refused.stderr.strip().startswith("error: --rate-limit must be requests/seconds")
    assert "Traceback" not in refused.stderr


def test_an_invalid_deployment_limit_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "migrate", ROLODEX_RATE_LIMIT="120 per minute")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: ROLODEX_RATE_LIMIT must be requests/seconds, e.g. 120/120"
    ]
