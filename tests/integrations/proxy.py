"""A small fault-injecting HTTP proxy of the tests' own, between Rolodex and a remote.

Every request is forwarded to the upstream and its answer passed back, unless a fault
queued with :meth:`Proxy.inject` matches it first (faults are used up in order):

- ``delay(seconds)``: wait, then forward;
- ``status(code, headers)``: answer ``code`` without forwarding (a 429 burst, a 503);
- ``drop()``: close the connection without forwarding or answering;
- ``drop_after()``: forward (the upstream does the work), then close without answering;
- ``fail_after(code)``: forward, then answer ``code`` instead of the upstream's answer;
- ``duplicate(times)``: forward the request ``times`` times (a webhook delivered twice),
  answering the last answer;
- ``capture()``: answer ``200`` without forwarding and keep the request
  (:attr:`Proxy.captured`), for the test to send on later with :meth:`Proxy.replay`, in
  any order (webhooks out of order).

The proxy counts what it saw (:meth:`Proxy.count`), so tests can say how many requests
of a kind reached it — a token refresh, a 429 — without looking at clocks.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)


@dataclass
class Fault:
    """One injected fault, for the first request that ``matches``."""

    kind: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    matches: Callable[[str, str], bool] = lambda _method, _path: True


def delay(seconds: float, **kwargs: Any) -> Fault:
    return Fault("delay", seconds=seconds, **kwargs)


def status(code: int, headers: dict[str, str] | None = None, **kwargs: Any) -> Fault:
    return Fault("status", status=code, headers=headers or {}, **kwargs)


def drop(**kwargs: Any) -> Fault:
    return Fault("drop", **kwargs)


def drop_after(**kwargs: Any) -> Fault:
    return Fault("drop_after", **kwargs)


def fail_after(code: int = 503, **kwargs: Any) -> Fault:
    return Fault("fail_after", status=code, **kwargs)


def duplicate(times: int = 2, **kwargs: Any) -> Fault:
    return Fault("duplicate", status=times, **kwargs)


def capture(**kwargs: Any) -> Fault:
    return Fault("capture", **kwargs)


@dataclass(frozen=True)
class Captured:
    """A request the proxy kept instead of forwarding."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def on(method: str | None = None, path: str | None = None) -> Callable[[str, str], bool]:
    """A match on the method and/or the start of the path."""
    return lambda m, p: (method is None or m == method) and (path is None or p.startswith(path))


@dataclass
class Seen:
    """One request the proxy handled, and what it answered (0: the connection dropped)."""

    method: str
    path: str
    status: int
    at: float


@dataclass
class Proxy:
    """The proxy's state: its URL, the faults waiting, what it saw."""

    url: str
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    captured: list[Captured] = field(default_factory=list)
    forward: httpx.Client | None = None

    def replay(self, request: Captured) -> httpx.Response:
        """Send a captured request on to the upstream now."""
        assert self.forward is not None
        answer = self.forward.request(
            request.method, request.path, headers=request.headers, content=request.body
        )
        self.note(request.method, request.path, answer.status_code)
        return answer

    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def take(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.matches(method, path):
                    return self.faults.pop(index)
        return None

    def note(self, method: str, path: str, status_code: int) -> None:
        with self.lock:
            self.seen.append(Seen(method, path, status_code, time.monotonic()))

    def count(
        self, method: str | None = None, path: str | None = None, status_code: int | None = None
    ) -> int:
        with self.lock:
            return sum(
                1
                for item in self.seen
                if (method is None or item.method == method)
                and (path is None or item.path.split("?")[0].startswith(path))
                and (status_code is None or item.status == status_code)
            )

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.seen.clear()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[Proxy]:
    """A proxy to ``upstream`` on 127.0.0.1 until the block ends."""
    holder: dict[str, Proxy] = {}
    forward = httpx.Client(base_url=upstream, timeout=60, trust_env=False)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _drop(self) -> None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _answer(self, code: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str, body: bytes) -> httpx.Response:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            return forward.request(method, self.path, headers=headers, content=body)

        def _handle(self) -> None:
            proxy = holder["proxy"]
            method = self.command
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy.take(method, self.path)
            kind = fault.kind if fault else "forward"
            if fault is not None and kind == "delay":
                time.sleep(fault.seconds)
            if fault is not None and kind == "status":
                proxy.note(method, self.path, fault.status)
                payload = json.dumps({"error": {"code": "INJECTED", "message": "injected"}})
                headers = {"Content-Type": "application/json", **fault.headers}
                self._answer(fault.status, headers, payload.encode())
                return
            if fault is not None and kind == "capture":
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                with proxy.lock:
                    proxy.captured.append(Captured(method, self.path, headers, body))
                proxy.note(method, self.path, 200)
                self._answer(200, {"Content-Type": "application/json"}, b"{}")
                return
            if fault is not None and kind == "duplicate":
                for _ in range(fault.status - 1):
                    proxy.note(method, self.path, self._forward(method, body).status_code)
            if kind == "drop":
                proxy.note(method, self.path, 0)
                self._drop()
                return
            answer = self._forward(method, body)
            if kind == "drop_after":
                proxy.note(method, self.path, 0)
                self._drop()
                return
            if fault is not None and kind == "fail_after":
                proxy.note(method, self.path, fault.status)
                self._answer(fault.status, {"Content-Type": "text/plain"}, b"injected failure")
                return
            proxy.note(method, self.path, answer.status_code)
            headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            self._answer(answer.status_code, headers, answer.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["proxy"] = Proxy(
        f"http://127.0.0.1:{server.server_address[1]}", upstream, forward=forward
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["proxy"]
    finally:
        server.shutdown()
        server.server_close()
        forward.close()
