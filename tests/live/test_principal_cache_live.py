"""Processes keep API keys in memory, and a change to one is seen on the very next request
in every process: two `rolodex serve` processes on one database, each of which has the
key cached (for ten minutes, so that only the credential version can end it), one
revoking, deactivating or promoting and the other answering the next request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import Tenant, start_server

LONG_CACHE = {"ROLODEX_AUTH_CACHE_SECONDS": "600"}


def _get(http: httpx.Client, url: str, key: str, path: str = "/users/me") -> httpx.Response:
    return http.get(f"{url}/api/v1{path}", headers={"X-API-Key": key})


@pytest.mark.live
def test_a_change_to_a_key_or_user_is_seen_by_the_next_request_in_another_process(
    database_url: str, tmp_path: Path, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    owner = {"X-API-Key": tenant.key}
    with (
        start_server(database_url, tmp_path, env=LONG_CACHE) as first,
        start_server(database_url, tmp_path, env=LONG_CACHE) as second,
        httpx.Client(timeout=10) as http,
    ):
        # A key used in both processes (so cached in both), revoked through the first.
        made = http.post(
            f"{first.url}/api/v1/api-keys", headers=owner, json={"name": "to revoke"}
        ).json()["data"]
        for server in (first, second, first, second):
            assert _get(http, server.url, made["key"]).status_code == 200
        revoked = http.delete(f"{first.url}/api/v1/api-keys/{made['id']}", headers=owner)
        assert revoked.status_code == 200, revoked.text
        refused = _get(http, second.url, made["key"])
        assert refused.status_code == 401
        assert "revoked" in refused.json()["error"]["message"]
        assert _get(http, first.url, made["key"]).status_code == 401

        # A member's key, cached in both, after the member is promoted through the first:
        # the second answers with the new role at once.
        user_id, member_key = tenant.add_user(role="member")
        for server in (first, second, first, second):
            me = _get(http, server.url, member_key)
            assert me.status_code == 200 and me.json()["data"]["role"] == "member"
        promoted = http.patch(
            f"{first.url}/api/v1/users/{user_id}", headers=owner, json={"role": "admin"}
        )
        assert promoted.status_code == 200, promoted.text
        assert _get(http, second.url, member_key).json()["data"]["role"] == "admin"

        # The same user deactivated through the second: the first refuses the next request.
        for server in (first, second):
            assert _get(http, server.url, member_key).status_code == 200
        off = http.patch(
            f"{second.url}/api/v1/users/{user_id}", headers=owner, json={"active": False}
        )
        assert off.status_code == 200, off.text
        deactivated = _get(http, first.url, member_key)
        assert deactivated.status_code == 401
        assert "deactivated" in deactivated.json()["error"]["message"]

        # The owner's own key was cached all along and still works in both.
        for server in (first, second):
            assert _get(http, server.url, tenant.key).status_code == 200
