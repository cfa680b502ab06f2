"""Every metric Rolodex exports, and the calls that move them.

The metrics live in ``prometheus_client``'s default registry. When
``PROMETHEUS_MULTIPROC_DIR`` is set (``rolodex serve --workers N`` sets it for its worker
processes when the deployment has not), every process writes its samples to files there
and ``/metrics`` adds up those of every process (:func:`exposition`). Only counters and
histograms are kept per process; the depth of the queues is read from the database at
each scrape (:mod:`rolodex.observability.backlog`), so it is the same whichever process
answers.

Labels are bounded: routes are path templates, never raw paths; connections are named by
id (a deployment has as many series as it has connections).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from rolodex.observability.multiprocess import ENV

CONTENT_TYPE = CONTENT_TYPE_LATEST

# No ``*_created`` series: a scraper learns of a restart from a counter going down.
disable_created_metrics()  # type: ignore[no-untyped-call]

REQUESTS = Counter(
    "rolodex_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "rolodex_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
)
RATE_LIMITED = Counter(
    "rolodex_rate_limit_refusals",
    "Requests refused with 429 by a rate limit, by route template.",
    ["route"],
)
WEBHOOK_DELIVERIES = Counter(
    "rolodex_webhook_deliveries",
    "Webhook delivery attempts, by outcome (succeeded, failed: the receiver answered "
    "other than 2xx, error: no answer).",
    ["outcome"],
)
WEBHOOK_SECONDS = Histogram(
    "rolodex_webhook_delivery_duration_seconds",
    "Time of one webhook delivery attempt.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS = Counter(
    "rolodex_integration_jobs",
    "Integration jobs run, by kind and outcome (done, failed, later, waiting).",
    ["kind", "outcome"],
)
JOB_SECONDS = Histogram(
    "rolodex_integration_job_duration_seconds",
    "Time to run one integration job, by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
REMOTE_REQUESTS = Counter(
    "rolodex_remote_requests",
    "Requests sent to a connection's remote, by connection and result (ok, throttled: "
    "the remote answered 429, failed: 5xx or no answer).",
    ["connection", "result"],
)
TOKEN_REFRESHES = Counter(
    "rolodex_token_refreshes",
    "OAuth token refreshes of connections, by result (ok, failed).",
    ["connection", "result"],
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered HTTP request (a 429 is a rate-limit refusal: Rolodex answers
    429 only for its rate limits)."""
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_SECONDS.labels(method, route).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def observe_webhook_delivery(status: int | None, seconds: float) -> None:
    """Count one delivery attempt: what the receiver answered (None: no answer)."""
    outcome = "error" if status is None else "succeeded" if 200 <= status < 300 else "failed"
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    WEBHOOK_SECONDS.observe(seconds)


def observe_job(kind: str, outcome: str, seconds: float) -> None:
    """Count one run of an integration job of ``kind``, and what came of it."""
    JOBS.labels(kind, outcome).inc()
    JOB_SECONDS.labels(kind).observe(seconds)


def observe_remote_request(connection_id: str, *, throttled: bool, failed: bool) -> None:
    """Count one attempt of a request to a connection's remote."""
    result = "throttled" if throttled else "failed" if failed else "ok"
    REMOTE_REQUESTS.labels(connection_id, result).inc()


def observe_token_refresh(connection_id: str, *, failed: bool) -> None:
    """Count one refresh of a connection's OAuth token."""
    TOKEN_REFRESHES.labels(connection_id, "failed" if failed else "ok").inc()


def multiprocess_dir() -> str | None:
    """The directory every process writes its samples to, if the deployment has one."""
    return os.environ.get(ENV) or None


def exposition(*extra: Collector) -> bytes:
    """Every metric in the text format: this process's, or every process's in
    multi-process mode, and the ``extra`` collectors' (read at this scrape)."""
    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    for collector in extra:
        scraped.register(collector)
    return text + generate_latest(scraped)
