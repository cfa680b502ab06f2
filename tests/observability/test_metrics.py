"""``/metrics`` is off until the deployment sets a token, and says so."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_metrics_are_off_by_default_and_say_how_to_turn_them_on(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["code"] == "NOT_FOUND"
    assert "ROLODEX_METRICS_TOKEN" in error["message"]
    assert answer.headers["x-request-id"] == error["request_id"]
    # Not a route of the API: not in its OpenAPI document.
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
