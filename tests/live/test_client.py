"""The client library against real `rolodex serve` processes: auto-paging while rows
change, a forced 429 retried after Retry-After, a POST retried after a dropped connection
(through a real TCP proxy) creating exactly one contact, every error mapped to its
exception, impersonation and request ids, and the asynchronous client."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from rolodex.client import (
    APIConnectionError,
    AsyncRolodex,
    AuthenticationError,
    ConflictError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    RetryPolicy,
    Rolodex,
    ServerError,
    UnprocessableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from rolodex.client._core import Call
from tests.conftest import LiveServer, Tenant, start_server

pytestmark = pytest.mark.live
FAST_RETRY = RetryPolicy(max_retries=3, initial_delay=0.05, max_delay=10)


def email() -> str:
    return f"c-{secrets.token_hex(5)}@example.com"


class Recorder:
    """Records every response the client's connection pool received (an httpx hook)."""

    def __init__(self) -> None:
        self.responses: list[tuple[float, httpx.Response]] = []

    def __call__(self, response: httpx.Response) -> None:
        self.responses.append((time.monotonic(), response))

    def http(self, base_url: str) -> httpx.Client:
        return httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [self]})


def test_the_client_imports_nothing_of_the_server() -> None:
    code = (
        "import sys, rolodex.client; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'fastapi', 'starlette', 'alembic', 'uvicorn') "
        "or m.startswith('rolodex.') and not m.startswith('rolodex.client')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_auto_paging_walks_every_page_while_rows_change(
    live_server: LiveServer, tenant: Tenant
) -> None:
    client = Rolodex(tenant.key, base_url=live_server.url, retry=FAST_RETRY)
    start = client.contacts.create(first_name="marker").updated_at
    created = client.contacts.batch(
        [{"first_name": f"Row {i:02d}", "email": email()} for i in range(57)]
    )
    ids = [r.id for r in created.data]
    assert None not in ids
    pager = client.contacts.list(updated_after=start, per_page=10)  # updated_at asc

    seen: list[tuple[str, str | None]] = []
    pages = 0
    touched_seen: list[str] = []
    touched_unseen: list[str] = []
    for page in pager.pages():
        pages += 1
        seen.extend((c.id, c.last_name) for c in page.data)
        if pages == 2:
            seen_ids = {i for i, _ in seen}
            touched_seen = [i for i in ids if i in seen_ids][:5]
            touched_unseen = [i for i in ids if i not in seen_ids][10:15]
            for contact_id in touched_seen + touched_unseen:
                client.contacts.update(contact_id, last_name="changed")
    assert pages >= 6
    by_id: dict[str, list[str | None]] = {}
    for contact_id, last_name in seen:
        by_id.setdefault(contact_id, []).append(last_name)
    assert set(by_id) == set(ids)
    touched = set(touched_seen + touched_unseen)
    assert len(touched) == 10
    for contact_id, versions in by_id.items():
        if contact_id in touched:
            assert versions[-1] == "changed", (contact_id, versions)
        else:
            assert versions == [None], (contact_id, versions)
    for contact_id in touched_seen:
        assert by_id[contact_id] == [None, "changed"]
    client.close()


@pytest.fixture(scope="module")
def limited_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server allowing 3 requests per 5 seconds per key."""
    with start_server(
        database_url, tmp_path_factory.mktemp("limited"), env={"ROLODEX_RATE_LIMIT": "3/5"}
    ) as server:
        yield server


def test_a_forced_429_is_retried_after_retry_after_with_the_same_idempotency_key(
    limited_server: LiveServer, tenant: Tenant
) -> None:
    recorder = Recorder()
    client = Rolodex(
        tenant.key, base_url=limited_server.url, http_client=recorder.http(limited_server.url)
    )
    for _ in range(3):
        client.users.me()
    address = email()
    contact = client.contacts.create(first_name="After the wait", email=address)
    statuses = [r.status_code for _, r in recorder.responses]
    assert statuses[:4] == [200, 200, 200, 429], statuses
    assert statuses[-1] == 201
    (refused_at, refused), (served_at, _) = recorder.responses[3], recorder.responses[-1]
    retry_after = float(refused.headers["Retry-After"])
    assert retry_after >= 1
    assert served_at - refused_at >= retry_after - 0.05
    assert served_at - refused_at <= retry_after + 2
    keys = {r.request.headers["Idempotency-Key"] for _, r in recorder.responses[3:]}
    assert len(keys) == 1
    assert contact.email == address

    no_retry = Rolodex(tenant.key, base_url=limited_server.url, max_retries=0)
    for _ in range(3):
        with suppress(RateLimitError):
            no_retry.users.me()
    with pytest.raises(RateLimitError) as caught:
        no_retry.users.me(request_id="rate-limited-1")
    error = caught.value
    assert (error.status, error.code, error.request_id) == (429, "RATE_LIMITED", "rate-limited-1")
    assert error.retry_after is not None and error.retry_after > 0


class DroppingProxy:
    """A TCP proxy on loopback that forwards everything, except that the response to the
    first ``drops`` POSTs is never relayed: the client's connection is closed once the
    server has answered, so the server did the work and the client does not know it."""

    def __init__(self, upstream_port: int, drops: int = 1) -> None:
        self.upstream_port = upstream_port
        self.drops = drops
        self.posts = 0
        self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        state = {"drop": False}

        def client_to_server() -> None:
            try:
                while chunk := client.recv(65536):
                    if chunk.startswith(b"POST "):
                        with self.lock:
                            self.posts += 1
                            if self.dropped < self.drops:
                                self.dropped += 1
                                state["drop"] = True
                    upstream.sendall(chunk)
            except OSError:
                pass
            finally:
                _close(upstream)

        threading.Thread(target=client_to_server, daemon=True).start()
        try:
            while chunk := upstream.recv(65536):
                if state["drop"]:
                    break  # the server answered; the client never hears it
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(client)
            _close(upstream)

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def test_a_post_retried_after_a_dropped_connection_creates_exactly_one_contact(
    live_server: LiveServer, tenant: Tenant
) -> None:
    proxy = DroppingProxy(int(live_server.url.rsplit(":", 1)[1]))
    url = f"http://127.0.0.1:{proxy.port}"
    recorder = Recorder()
    try:
        client = Rolodex(tenant.key, base_url=url, http_client=recorder.http(url), retry=FAST_RETRY)
        address = email()
        contact = client.contacts.create(first_name="Once", email=address)
        assert proxy.posts == 2 and proxy.dropped == 1
        (_, answer) = recorder.responses[-1]
        assert answer.headers.get("Idempotent-Replayed") == "true"
        assert answer.status_code == 201
        found = tenant.get("/contacts", params={"email": address}).json()["data"]
        assert [c["id"] for c in found] == [contact.id]

        # Without retries the broken connection is an error, not a silent success.
        proxy.dropped, proxy.drops = 0, 1
        no_retry = Rolodex(tenant.key, base_url=url, max_retries=0)
        with pytest.raises(APIConnectionError):
            no_retry.contacts.create(first_name="Lost answer", email=email())
    finally:
        proxy.close()


def test_every_error_is_mapped_to_its_exception(
    live_server: LiveServer, tenant: Tenant, make_tenant: Callable[[], Tenant]
) -> None:
    client = Rolodex(tenant.key, base_url=live_server.url, retry=FAST_RETRY)
    contact = client.contacts.create(first_name="Target")
    foreign = make_tenant().post("/contacts", json={"first_name": "x"}).json()["data"]["id"]

    def expect(kind: type[Exception], status: int, code: str, action: Callable[..., Any]):
        rid = f"map-{secrets.token_hex(4)}"
        with pytest.raises(kind) as caught:
            action(rid)
        error: Any = caught.value
        assert (error.status, error.code, error.request_id) == (status, code, rid), error
        assert error.message
        return error

    error = expect(
        ValidationError,
        400,
        "VALIDATION_ERROR",
        lambda rid: client.contacts.create(email="nope", request_id=rid),
    )
    assert error.details[0]["field"] == "email"
    with pytest.raises(AuthenticationError) as unauthorised:
        Rolodex("rdx_k_wrong", base_url=live_server.url).users.get("me", request_id="map-401")
    assert (unauthorised.value.status, unauthorised.value.request_id) == (401, "map-401")
    read_only = Rolodex(tenant.new_key("read_only"), base_url=live_server.url)
    expect(
        PermissionDeniedError,
        403,
        "FORBIDDEN",
        lambda rid: read_only.contacts.create(first_name="x", request_id=rid),
    )
    expect(
        NotFoundError, 404, "NOT_FOUND", lambda rid: client.contacts.get(foreign, request_id=rid)
    )
    expect(
        MethodNotAllowedError,
        405,
        "METHOD_NOT_ALLOWED",
        lambda rid: client.request(Call("PATCH", "/contacts", body={}, options=_opts(rid))),
    )
    client.tags.create(name="dup")
    expect(
        ConflictError, 409, "CONFLICT", lambda rid: client.tags.create(name="DUP", request_id=rid)
    )
    stale = Rolodex(tenant.key, base_url=live_server.url, headers={"If-Match": '"stale"'})
    expect(
        PreconditionFailedError,
        412,
        "PRECONDITION_FAILED",
        lambda rid: stale.contacts.update(contact.id, last_name="x", request_id=rid),
    )
    expect(
        PayloadTooLargeError,
        413,
        "PAYLOAD_TOO_LARGE",
        lambda rid: client.contacts.create(description="x" * 1_100_000, request_id=rid),
    )
    text_body = Rolodex(
        tenant.key, base_url=live_server.url, headers={"Content-Type": "text/plain"}
    )
    expect(
        UnsupportedMediaTypeError,
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        lambda rid: text_body.contacts.create(first_name="x", request_id=rid),
    )
    expect(
        UnprocessableError,
        422,
        "UNPROCESSABLE",
        lambda rid: client.contacts.restore(contact.id, request_id=rid),
    )
    key = f"reuse-{secrets.token_hex(4)}"
    client.contacts.create(first_name="one", idempotency_key=key)
    expect(
        UnprocessableError,
        422,
        "UNPROCESSABLE",
        lambda rid: client.contacts.create(first_name="two", idempotency_key=key, request_id=rid),
    )


def _opts(rid: str) -> Any:
    from rolodex.client._core import Options

    return Options(request_id=rid)


@contextmanager
def failing_server(failures: int, status: int = 503) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that fails ``failures`` times with ``status`` (the Rolodex
    error body, ``Retry-After: 1``), then answers 200; the paths it saw."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if len(seen) <= failures:
                body = {"error": {"code": "INTERNAL_ERROR", "message": "down", "request_id": "r1"}}
                self._send(status, body, {"Retry-After": "1"})
            else:
                self._send(200, {"data": {"id": "usr_1", "object": "user", "email": "a@b.c"}}, {})

        def _send(self, code: int, body: Any, headers: dict[str, str]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_5xx_is_retried_after_retry_after_then_raised_as_server_error() -> None:
    with failing_server(failures=2) as (url, seen):
        started = time.monotonic()
        user = Rolodex("rdx_k_x", base_url=url, retry=FAST_RETRY).users.me()
        assert user.email == "a@b.c" and len(seen) == 3
        assert time.monotonic() - started >= 2
    with failing_server(failures=10, status=500) as (url, seen):
        with pytest.raises(ServerError) as caught:
            Rolodex("rdx_k_x", base_url=url, retry=RetryPolicy(max_retries=1)).users.me()
        assert (caught.value.status, caught.value.code, caught.value.request_id) == (
            500,
            "INTERNAL_ERROR",
            "r1",
        )
        assert len(seen) == 2


def test_impersonation_per_client_and_per_call(live_server: LiveServer, tenant: Tenant) -> None:
    member_id, _ = tenant.add_user(role="member")
    client = Rolodex(tenant.key, base_url=live_server.url)
    as_member = client.with_options(impersonate=member_id)
    assert as_member.users.me().id == member_id
    assert as_member.contacts.create(first_name="by member").owner_id == member_id
    per_call = client.contacts.create(first_name="per call", impersonate=member_id)
    assert per_call.owner_id == member_id
    assert client.contacts.create(first_name="as owner").owner_id == tenant.user_id
    with pytest.raises(NotFoundError):
        (client.users.me(),)
        client.contacts.create(first_name="x", impersonate="usr_01jd6w3q0000000000000000zz")


def test_the_async_client(live_server: LiveServer, tenant: Tenant, tmp_path: Path) -> None:
    async def main() -> None:
        async with AsyncRolodex(tenant.key, base_url=live_server.url) as client:
            company = await client.companies.create(name="Async GmbH")
            result = await client.contacts.batch(
                [{"first_name": f"A{i}", "company_id": company.id} for i in range(12)]
            )
            assert result.meta["created"] == 12
            names = [
                c.first_name async for c in client.contacts.list(company_id=company.id, per_page=5)
            ]
            assert sorted(names) == sorted(f"A{i}" for i in range(12))
            task = await client.contacts.tasks(result.data[0].id or "").create(title="Call")
            assert task.contact_id == result.data[0].id
            with pytest.raises(NotFoundError) as caught:
                await client.contacts.get("cnt_01jd6w3q0000000000000000zz", request_id="async-1")
            assert caught.value.request_id == "async-1"
            key = await client.api_keys.create(name="from async", scope="read_only")
            assert key.key and key.key.startswith("rdx_k_")
            assert key.id in [k.id async for k in client.api_keys.list()]
            contact_id = result.data[0].id or ""
            assert await client.contacts.add_tags(contact_id, ["async-b", "async-a"]) == [
                "async-a",
                "async-b",
            ]
            assert await client.contacts.remove_tags(contact_id, ["async-a"]) == ["async-b"]
            assert await client.api_keys.revoke(key.id) is None
            assert (await client.api_keys.get(key.id)).revoked_at is not None
            as_owner = client.with_options(request_id="async-2")
            with pytest.raises(NotFoundError) as caught:
                await as_owner.contacts.get("cnt_01jd6w3q0000000000000000zz")
            assert caught.value.request_id == "async-2"

    asyncio.run(main())
