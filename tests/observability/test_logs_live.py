"""A live server's log, not written to a terminal: one JSON event a line, a request's
carrying its id, account, route, status and duration — and never a secret."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer, Tenant


def events(server: LiveServer) -> list[dict[str, Any]]:
    """Every line of the server's log, each parsed as JSON (failing on one that is not)."""
    lines = [line for line in server.log_path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]


def request_event(server: LiveServer, request_id: str) -> dict[str, Any]:
    """The request event of ``request_id`` (logged once the answer is sent: waited for)."""
    deadline = time.monotonic() + 10
    while True:
        found = [e for e in events(server) if e.get("request_id") == request_id]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, found
            return found[0]
        time.sleep(0.1)


@pytest.mark.live
def test_each_request_is_one_json_event_with_its_id(
    observed: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    sent_id = f"trace-{secrets.token_hex(8)}"
    with httpx.Client(base_url=observed.url, timeout=30) as http:
        listed = http.get(
            "/api/v1/contacts", headers={"X-API-Key": tenant.key, "X-Request-Id": sent_id}
        )
        assert listed.status_code == 200 and listed.headers["x-request-id"] == sent_id
        missing = http.get("/api/v1/companies/cmp_missing", headers={"X-API-Key": tenant.key})
        assert missing.status_code == 404
    event = request_event(observed, sent_id)
    assert event["logger"] == "rolodex.access" and event["level"] == "info"
    assert event["event"] == "request"
    assert event["account_id"] == tenant.account_id
    assert (event["method"], event["route"], event["status"]) == ("GET", "/api/v1/contacts", 200)
    assert isinstance(event["duration_ms"], int | float) and event["duration_ms"] >= 0
    assert event["ts"].endswith("Z")
    # An id the server chose is in its answer and in its event alike.
    chosen = missing.headers["x-request-id"]
    assert chosen.startswith("req_")
    other = request_event(observed, chosen)
    assert other["route"] == "/api/v1/companies/{company_id}" and other["status"] == 404
    assert other["target"] == "/api/v1/companies/cmp_missing"
    # The server's own lines are events too (every line parsed above).
    assert any(e["logger"].startswith("uvicorn") for e in events(observed))


@pytest.mark.live
def test_no_secret_reaches_a_log_line(
    observed: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    # A request id that looks like an API key is echoed to its client, but logged masked.
    disguised = f"rdx_k_{secrets.token_hex(16)}"
    code, state = secrets.token_hex(12), secrets.token_hex(12)
    with httpx.Client(base_url=observed.url, timeout=30) as http:
        made = http.post(
            "/api/v1/api-keys",
            json={"name": "logged?", "scope": "full"},
            headers={"X-API-Key": tenant.key, "X-Request-Id": "made-a-key"},
        )
        assert made.status_code == 201, made.text
        new_key = made.json()["data"]["key"]
        echoed = http.get(
            "/api/v1/contacts",
            headers={"Authorization": f"Bearer {new_key}", "X-Request-Id": disguised},
        )
        assert echoed.status_code == 200 and echoed.headers["x-request-id"] == disguised
        http.get("/integrations/oauth/callback", params={"code": code, "state": state})
        time.sleep(0.5)
    log = observed.log_path.read_text()
    for secret in (tenant.key, new_key, disguised, code, state):
        assert secret not in log
    assert '"request_id": "rdx_k_[redacted]"' in log
    assert "code=[redacted]&state=[redacted]" in log
    events(observed)  # still one JSON event a line
