"""Webhook test helpers: fast worker settings and a worker running in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker
from rolodex.webhooks.worker import DeliveryWorker
from tests.conftest import Tenant

FAST = {
    "webhooks_allow_private": True,
    "webhooks_retry_schedule": "0.2,0.4,0.8",
    "webhooks_retry_jitter": 0.0,
    "webhooks_timeout_seconds": 5,
    "worker_poll_seconds": 0.05,
    "worker_lease_seconds": 10,
}


@contextmanager
def _running(settings: Settings) -> Iterator[DeliveryWorker]:
    stop: asyncio.Event | None = None
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        engine = make_engine(settings)
        worker = DeliveryWorker(make_sessionmaker(engine), settings, settings.resolved_key_ring())
        holder["worker"] = worker
        ready.set()
        try:
            await worker.run(stop)
        finally:
            await engine.dispose()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield holder["worker"]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


@pytest.fixture
def run_worker(settings: Settings) -> Callable[..., AbstractContextManager[DeliveryWorker]]:
    """``with run_worker(**overrides):`` a delivery worker on the test database."""

    def start(**overrides: Any) -> AbstractContextManager[DeliveryWorker]:
        worker_settings = settings.model_copy(update={**FAST, **overrides})
        return _running(worker_settings)

    return start


def create_endpoint(tenant: Tenant, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    """A webhook endpoint of the tenant; its body includes the secret."""
    response = tenant.post("/webhooks", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def deliveries(tenant: Tenant, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = tenant.get(f"/webhooks/{endpoint_id}/deliveries", params={"per_page": 250, **params})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data
