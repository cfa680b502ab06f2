"""A `rolodex worker` beside `rolodex serve`, sharing ``PROMETHEUS_MULTIPROC_DIR`` (the
deployment's choice in docs/monitoring.md): the worker's deliveries show on the
server's ``/metrics``."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.live.test_webhooks_live import ENV, worker_process
from tests.observability.conftest import METRICS_TOKEN
from tests.observability.test_metrics_live import scrape
from tests.webhooks.receiver import receiver

pytestmark = pytest.mark.live

SUCCEEDED = ("rolodex_webhook_deliveries_total", frozenset({("outcome", "succeeded")}))
TIMED = ("rolodex_webhook_delivery_duration_seconds_count", frozenset())


def test_a_workers_deliveries_reach_the_servers_metrics(database_url: str, tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {
        **ENV,
        "ROLODEX_WORKER_IN_PROCESS": "false",  # only the worker process delivers
        "ROLODEX_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
    }
    with start_server(database_url, tmp_path, env=env) as server, receiver() as hook:
        email = f"metrics-{secrets.token_hex(5)}@example.com"
        made = server.cli("init", "--email", email, "--password", "long-enough-pw", "--json")
        assert made.returncode == 0, made.stderr
        headers = {"X-API-Key": json.loads(made.stdout)["api_key"]}
        with httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=30) as api:
            created = api.post("/webhooks", json={"url": hook.url, "events": ["contact.*"]})
            assert created.status_code == 201, created.text
            before = scrape(server.url)
            assert api.post("/contacts", json={"first_name": "Metered"}).status_code == 201
            with worker_process(server, tmp_path / "worker.log"):
                hook.wait_for(lambda got: len(got) >= 1)
                deadline = time.monotonic() + 30
                while True:  # the worker counts a delivery as it records it
                    after = scrape(server.url)
                    if after.get(SUCCEEDED, 0) > before.get(SUCCEEDED, 0):
                        break
                    assert time.monotonic() < deadline, "the delivery was never counted"
                    time.sleep(0.2)
        assert after.get(TIMED, 0) > before.get(TIMED, 0)
        # the worker's own log is JSON lines too (its output is a file)
        worker_lines = (tmp_path / "worker.log").read_text().splitlines()
        assert worker_lines and all(json.loads(line) for line in worker_lines if line.strip())
