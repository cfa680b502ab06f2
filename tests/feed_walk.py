"""Following the event feed with its cursor while other threads write: the shared part of
the feed's concurrency tests (in-process and against live server processes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def walk_during_writes(
    create: Callable[[str], tuple[int, str]],
    page: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    writers: int,
    per_writer: int,
    per_page: int,
    timeout: float,
) -> tuple[list[str], list[str]]:
    """Run ``writers`` threads that each create ``per_writer`` contacts through
    ``create(first_name)`` (its status and body), while one thread reads the feed page by
    page through ``page(params)``, resuming from ``meta.resume_cursor``, until the writers
    are done and a page comes back empty. The ids the reader saw, in order, and the bodies
    of creations that did not answer 201."""
    done = threading.Event()
    errors: list[str] = []
    seen: list[str] = []

    def write(n: int) -> None:
        for i in range(per_writer):
            status, text = create(f"w{n}-{i}")
            if status != 201:
                errors.append(text)

    def read() -> None:
        cursor: str | None = None
        while True:
            finished = done.is_set()
            params: dict[str, Any] = {"per_page": per_page}
            params.update({"after": cursor} if cursor else {"order": "asc"})
            body = page(params)
            seen.extend(event["id"] for event in body["data"])
            cursor = body["meta"]["resume_cursor"] or cursor
            if finished and not body["data"]:
                return

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    reader = threading.Thread(target=read)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join(timeout=timeout)
    return seen, errors
