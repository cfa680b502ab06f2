"""One live `rolodex serve --workers 2` for the observability tests, logging to a file
(not a terminal: JSON lines) with metrics behind a token."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, start_server

METRICS_TOKEN = "metrics-" + secrets.token_urlsafe(16)
RATE_LIMIT = "3/600"
"""Per key and process (no Redis): a fourth request of a key to one process is a 429."""


@pytest.fixture(scope="package")
def observed(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The server; its log is ``observed.log_path``."""
    with start_server(
        database_url,
        tmp_path_factory.mktemp("observed"),
        workers=2,
        env={"ROLODEX_METRICS_TOKEN": METRICS_TOKEN, "ROLODEX_RATE_LIMIT": RATE_LIMIT},
    ) as server:
        yield server
