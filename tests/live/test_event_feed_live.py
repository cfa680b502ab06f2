"""The event feed followed with its cursor while two server processes take writes: the
reader sees every event exactly once, in the feed's order, although transactions commit
in a different order than their events were numbered by time."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.conftest import start_server
from tests.live.test_webhooks_live import ENV, Api

WRITERS = 6
PER_WRITER = 25


def test_cursor_walk_during_writes_returns_every_event_once(
    database_url: str, tmp_path: Path
) -> None:
    with start_server(database_url, tmp_path, workers=2, env=ENV) as server:
        api = Api(server)
        errors: list[str] = []
        done = threading.Event()

        def write(n: int) -> None:
            for i in range(PER_WRITER):
                response = api.http.post("/contacts", json={"first_name": f"f{n}-{i}"})
                if response.status_code != 201:
                    errors.append(response.text)

        seen: list[str] = []

        def read() -> None:
            cursor: str | None = None
            while True:
                finished = done.is_set()
                params: dict[str, Any] = {"per_page": 10}
                params.update({"after": cursor} if cursor else {"order": "asc"})
                body = api.call("GET", "/events", params=params)
                seen.extend(event["id"] for event in body["data"])
                cursor = body["meta"]["resume_cursor"] or cursor
                if finished and not body["data"]:
                    return

        reader = threading.Thread(target=read)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
        reader.start()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        reader.join(timeout=120)

        assert not errors
        everything = [event["id"] for event in api.feed()]
        assert len(everything) == WRITERS * PER_WRITER
        assert len(seen) == len(set(seen)), "an event was read twice"
        assert seen == everything, "the reader skipped events or read them out of order"
