"""The issue's proof: two `rolodex serve` processes sharing Redis share one budget.

A client sends 200 requests, alternating between the two processes, within one window of
120 requests: exactly 120 are served and 80 refused with 429 and Retry-After; once the
window has passed it is served again. Loopback only; the test's Redis keys, under a prefix
of their own, are deleted at the end.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.api.test_rate_limits import REDIS_URL, clear_redis, redis_available
from tests.conftest import Tenant, start_server

LIMIT, WINDOW = 120, 12
REQUESTS = 200


@pytest.mark.live
@pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
def test_two_processes_sharing_redis_share_one_budget(
    database_url: str, tmp_path: Path, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    prefix = f"rolodex-test-{secrets.token_hex(6)}"
    env = {
        "ROLODEX_REDIS_URL": REDIS_URL,
        "ROLODEX_REDIS_PREFIX": prefix,
        "ROLODEX_RATE_LIMIT": f"{LIMIT}/{WINDOW}",
    }
    headers = {"X-API-Key": tenant.key}
    try:
        with (
            start_server(database_url, tmp_path, env=env) as first,
            start_server(database_url, tmp_path, env=env) as second,
            httpx.Client(headers=headers, timeout=10) as http,
        ):
            assert first.url != second.url
            started = time.monotonic()
            responses = [
                http.get(f"{(first, second)[i % 2].url}/api/v1/users/me") for i in range(REQUESTS)
            ]
            elapsed = time.monotonic() - started
            assert elapsed < WINDOW - 2, f"the burst took {elapsed:.1f}s, longer than a window"

            counts = Counter(r.status_code for r in responses)
            assert counts == {200: LIMIT, 429: REQUESTS - LIMIT}, counts
            # Both processes served and refused: the budget is one, not one per process.
            for offset in (0, 1):
                served = Counter(r.status_code for r in responses[offset::2])
                assert served[200] == LIMIT // 2 and served[429] == (REQUESTS - LIMIT) // 2
            assert [r.status_code for r in responses[:LIMIT]] == [200] * LIMIT
            remaining = [int(r.headers["X-RateLimit-Remaining"]) for r in responses[:LIMIT]]
            assert remaining == list(range(LIMIT - 1, -1, -1))
            refused = responses[LIMIT:]
            for response in refused:
                assert response.json()["error"]["code"] == "RATE_LIMITED"
                assert response.headers["X-RateLimit-Remaining"] == "0"
                assert response.headers["X-RateLimit-Limit"] == str(LIMIT)
                assert response.headers["RateLimit-Policy"] == f'"default";q={LIMIT};w={WINDOW}'
                retry_after = int(response.headers["Retry-After"])
                assert 1 <= retry_after <= WINDOW
                assert response.headers["X-RateLimit-Reset"] == str(retry_after)

            time.sleep(int(refused[-1].headers["Retry-After"]) + 0.2)
            again = [http.get(f"{server.url}/api/v1/users/me") for server in (first, second)]
            assert [r.status_code for r in again] == [200, 200]
            assert [r.headers["X-RateLimit-Remaining"] for r in again] == [
                str(LIMIT - 1),
                str(LIMIT - 2),
            ]
    finally:
        clear_redis(prefix)
