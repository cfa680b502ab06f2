"""``/metrics`` of a live `rolodex serve --workers 2`: scraped before and after traffic,
the counters move by what was sent, added up across the server's processes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import LiveServer, Tenant
from tests.observability.conftest import METRICS_TOKEN

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of ``url``/metrics, by name and labels."""
    answer = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def requests(method: str, route: str, status: int) -> tuple[str, frozenset[tuple[str, str]]]:
    labels = {"method": method, "route": route, "status": str(status)}
    return "rolodex_http_requests_total", frozenset(labels.items())


@pytest.mark.live
def test_a_scrape_after_traffic_shows_the_counters_moving(
    observed: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    other_key = tenant.new_key()
    before = scrape(observed.url)
    with httpx.Client(base_url=observed.url, timeout=30) as http:
        for _ in range(8):
            answer = http.get("/api/v1/contacts", headers={"X-API-Key": tenant.key})
            assert answer.status_code in (200, 429), answer.text
        made = http.post(
            "/api/v1/contacts", json={"first_name": "Ada"}, headers={"X-API-Key": other_key}
        )
        assert made.status_code == 201, made.text
        missing = http.get("/api/v1/contacts/con_missing", headers={"X-API-Key": other_key})
        assert missing.status_code == 404
        assert http.get("/no/such/path").status_code == 404
    after = scrape(observed.url)

    def moved(sample: tuple[str, frozenset[tuple[str, str]]]) -> float:
        return after.get(sample, 0.0) - before.get(sample, 0.0)

    listed = moved(requests("GET", "/api/v1/contacts", 200))
    refused = moved(requests("GET", "/api/v1/contacts", 429))
    # Each of the two processes lets a key make 3 requests a window (counted in its own
    # memory without Redis): of the 8 lists, 3 to 6 went through and the rest were refused.
    assert listed + refused == 8
    assert 3 <= listed <= 6 and refused >= 2
    refusals = ("rolodex_rate_limit_refusals_total", frozenset({("route", "/api/v1/contacts")}))
    assert moved(refusals) == refused
    assert moved(requests("POST", "/api/v1/contacts", 201)) == 1
    assert moved(requests("GET", "/api/v1/contacts/{contact_id}", 404)) == 1
    assert moved(requests("GET", "unmatched", 404)) == 1
    latency = frozenset({("method", "GET"), ("route", "/api/v1/contacts")})
    assert moved(("rolodex_http_request_duration_seconds_count", latency)) == 8
    # Labels are route templates: no raw path (the missing contact's id) is one.
    assert not any("con_missing" in str(labels) for _, labels in after)
    # The queues' depth is read from the database at each scrape.
    assert ("rolodex_webhook_backlog", frozenset()) in after
    assert ("rolodex_integration_jobs_backlog", frozenset({("status", "queued")})) in after


@pytest.mark.live
def test_metrics_are_refused_without_the_token(observed: LiveServer) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {METRICS_TOKEN}"},
        {"Authorization": f"Bearer {METRICS_TOKEN}x"},
        {"X-API-Key": METRICS_TOKEN},
    ):
        answer = httpx.get(f"{observed.url}/metrics", headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.json()["error"]["code"] == "UNAUTHORIZED"
        assert "ROLODEX_METRICS_TOKEN" in answer.json()["error"]["message"]
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "rolodex_http_requests_total" not in answer.text
    scraped = httpx.get(
        f"{observed.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert scraped.status_code == 200
