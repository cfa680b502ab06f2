"""The event feed followed with its cursor while two server processes take writes: the
reader sees every event exactly once, in the feed's order, although transactions commit
in a different order than their events were numbered by time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import start_server
from tests.feed_walk import walk_during_writes
from tests.live.test_webhooks_live import ENV, Api

pytestmark = pytest.mark.live
WRITERS = 6
PER_WRITER = 25


def test_cursor_walk_during_writes_returns_every_event_once(
    database_url: str, tmp_path: Path
) -> None:
    with start_server(database_url, tmp_path, workers=2, env=ENV) as server:
        api = Api(server)

        def create(first_name: str) -> tuple[int, str]:
            response = api.http.post("/contacts", json={"first_name": first_name})
            return response.status_code, response.text

        seen, errors = walk_during_writes(
            create,
            lambda params: api.call("GET", "/events", params=params),
            writers=WRITERS,
            per_writer=PER_WRITER,
            per_page=10,
            timeout=120,
        )
        assert not errors
        everything = [event["id"] for event in api.feed()]
        assert len(everything) == WRITERS * PER_WRITER
        assert len(seen) == len(set(seen)), "an event was read twice"
        assert seen == everything, "the reader skipped events or read them out of order"
