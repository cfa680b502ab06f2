"""A real HTTP receiver on loopback that records every webhook it is sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    """One request the receiver got."""

    at: float
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each webhook with ``respond(request)``'s status (200 by default)."""

    url: str
    respond: Callable[[Received], int] = lambda _received: 200
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(list(self.received)):
                    return
            time.sleep(0.05)
        raise AssertionError(f"receiver timed out; got {len(self.received)} requests")

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.received]


def verify(secret: str, received: Received) -> Any:
    """Check a request's signature with the reference Standard Webhooks implementation."""
    return Webhook(secret).verify(received.body, received.headers)


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 until the block ends."""
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender went away mid-body (a worker killed while sending): no request
                # arrived, as no real receiver would take a cut-off body for one.
                self.close_connection = True
                return
            target = state["receiver"]
            with target.lock:
                target.in_flight += 1
            if target.delay:
                time.sleep(target.delay)
            headers = {k.lower(): v for k, v in self.headers.items()}
            item = Received(time.monotonic(), headers, body, 0)
            item.status = target.respond(item)
            with target.lock:
                target.received.append(item)
                target.in_flight -= 1
            self.send_response(item.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["receiver"] = Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
