"""``check`` against another Rolodex: a real `rolodex serve` process as the remote.

The remote serves the same database as the tests (another account of it is the remote
account), so its API keys are made here and its answers are real HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live


def connect(tenant: Tenant, base_url: str, key: str) -> str:
    body = {"kind": "rolodex", "base_url": base_url, "credentials": {"api_key": key}}
    response = tenant.post("/connections", json=body)
    assert response.status_code == 201, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def check(tenant: Tenant, connection_id: str) -> dict[str, object]:
    response = tenant.post(f"/connections/{connection_id}/check")
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()["data"]
    return result


def test_a_check_passes_fails_on_a_refused_key_and_passes_again(
    remote: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant, peer = make_tenant(), make_tenant()
    connection_id = connect(tenant, f"{remote.url}/api/v1", peer.key)
    path = f"/connections/{connection_id}"

    passed = check(tenant, connection_id)
    assert passed["ok"] is True and passed["status"] == 200 and passed["message"] == "OK"
    assert isinstance(passed["latency_ms"], int) and passed["latency_ms"] >= 0
    assert tenant.get(path).json()["data"]["checked_at"] is not None

    wrong = "rdx_k_" + "0" * 43
    assert tenant.patch(path, json={"credentials": {"api_key": wrong}}).status_code == 200
    refused = check(tenant, connection_id)
    assert refused["ok"] is False and refused["status"] == 401
    assert "refused the credential" in str(refused["message"])
    shown = tenant.get(path).json()["data"]
    assert shown["status"] == "failing" and "Check failed" in shown["status_reason"]
    [failing] = tenant.get("/events", params={"type": "connection.failing"}).json()["data"]
    assert failing["data"]["id"] == connection_id and failing["data"]["status"] == "failing"
    assert wrong not in tenant.get("/events").text

    assert tenant.patch(path, json={"credentials": {"api_key": peer.key}}).status_code == 200
    again = check(tenant, connection_id)
    assert again["ok"] is True
    assert tenant.get(path).json()["data"]["status"] == "active"

    usage = tenant.get(f"{path}/usage").json()["data"]
    assert usage["totals"] == {"requests": 3, "throttled": 0, "failed": 0}
    assert [(o["operation"], o["requests"]) for o in usage["operations"]] == [("check", 3)]
    assert len(usage["hours"]) == 7 * 24 and sum(h["requests"] for h in usage["hours"]) == 3
    budget = usage["budget"]
    assert budget["requests"] == 120 and budget["per_seconds"] == 120
    # the remote sends its own rate-limit headers, so the budget shown is its word
    assert budget["source"] == "remote" and isinstance(budget["remaining"], int)
