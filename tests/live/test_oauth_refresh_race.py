"""Concurrent refreshes of one refresh token, against real `rolodex serve` processes.

Two parties refreshing the same token at once is reuse: one may win, every other gets
``invalid_grant`` and the whole family is revoked. Whatever the database — SQLite, where
writers queue on its lock, or PostgreSQL, where they queue on the token's row lock — the
race must never surface as a server error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import LiveServer, Tenant, start_server
from tests.oauth.helpers import REDIRECT_URI, Registered, code_for, register

pytestmark = pytest.mark.live

RACERS = 8
ROUNDS = 4


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # two processes, so that the racers also meet across processes (SQLite's file lock)
    with start_server(
        database_url,
        tmp_path_factory.mktemp("refresh-race"),
        workers=2,
        env={"ROLODEX_TOKEN_RATE_LIMIT": "100000/60"},
    ) as live:
        yield live


def tokens(server: LiveServer, tenant: Tenant, registered: Registered) -> dict[str, str]:
    """Tokens of a fresh authorization (code flow with PKCE) of the tenant's owner."""
    with httpx.Client(timeout=30) as http:
        code, verifier = code_for(http, server.url, tenant, registered)
        response = http.post(
            f"{server.url}/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=(registered.client_id, registered.client_secret or ""),
        )
    assert response.status_code == 200, response.text
    issued: dict[str, str] = response.json()
    return issued


def race(server: LiveServer, registered: Registered, refresh_token: str) -> list[httpx.Response]:
    """``RACERS`` refreshes of one token, released together."""
    start = threading.Barrier(RACERS)

    def refresh(_: int) -> httpx.Response:
        with httpx.Client(timeout=60) as http:
            start.wait()
            return http.post(
                f"{server.url}/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=(registered.client_id, registered.client_secret or ""),
            )

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(refresh, range(RACERS)))


def test_concurrent_refreshes_of_one_token_never_fail_with_a_server_error(
    server: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    registered = register(tenant)
    for _ in range(ROUNDS):
        issued = tokens(server, tenant, registered)
        answers = race(server, registered, issued["refresh_token"])
        statuses = sorted(a.status_code for a in answers)
        assert all(status in (200, 400) for status in statuses), [a.text for a in answers]
        assert statuses.count(200) <= 1, statuses
        for answer in answers:
            assert answer.headers["content-type"].startswith("application/json")
            assert answer.headers["cache-control"] == "no-store"
            if answer.status_code == 400:
                body = answer.json()  # RFC 6749 section 5.2
                assert body["error"] == "invalid_grant", body
                assert set(body) <= {"error", "error_description", "error_uri"}
        if 400 in statuses:
            # reuse was detected: the whole family is revoked, the winner's tokens too
            for token in [issued] + [a.json() for a in answers if a.status_code == 200]:
                answer = httpx.get(
                    f"{server.url}/api/v1/contacts",
                    headers={"Authorization": f"Bearer {token['access_token']}"},
                    timeout=30,
                )
                assert answer.status_code == 401, answer.text
    log = server.log_path.read_text()
    assert "Traceback" not in log and "database is locked" not in log
