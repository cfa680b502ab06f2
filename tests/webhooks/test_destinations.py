"""Which destinations webhooks may call: every spelling of a non-public address is
refused when an endpoint is stored and when it is delivered to, and deliveries connect
to the very address that was checked."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, cast

import httpcore
import httpx
import pytest
from fastapi.testclient import TestClient

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.net.addresses import host_refusal, is_public
from rolodex.net.outbound import CheckedTransport, DestinationRefused, public_addresses
from rolodex.webhooks.worker import DeliveryWorker, Job
from tests.conftest import API, Tenant

# Hosts that are this machine or its network, however they are spelled.
NON_PUBLIC = [
    "127.0.0.1",
    "[::1]",
    "10.1.2.3",
    "localhost",
    "[::127.0.0.1]",  # IPv4-compatible IPv6
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[64:ff9b::7f00:1]",  # NAT64, well-known prefix
    "[64:ff9b:1::a01:203]",  # NAT64, local-use prefix
    "[2002:7f00:1::]",  # 6to4
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "0",
    "localhost.",
    "LocalHost",
    "api.localhost",
    "127.0.0.1.",
    "[fe80::1%25eth0]",
    "169.254.169.254",
    "0xa9fea9fe",
]
PUBLIC = [
    "93.184.216.34",
    "0x5db8d822",  # 93.184.216.34
    "[2606:4700:4700::1111]",
    "[64:ff9b::5db8:d822]",  # NAT64 of 93.184.216.34
    "[2002:5db8:d822::]",  # 6to4 of 93.184.216.34
    "hooks.example.com",
    "deadbeef.example",
]


@pytest.mark.parametrize("host", NON_PUBLIC)
def test_non_public_spellings_are_refused_without_resolving(host: str) -> None:
    assert host_refusal(host) is not None


@pytest.mark.parametrize("host", PUBLIC)
def test_public_addresses_and_names_pass_the_literal_check(host: str) -> None:
    assert host_refusal(host) is None


def test_is_public_reads_every_spelling_of_an_address() -> None:
    assert is_public("0x5db8d822") and not is_public("0177.0.0.1")
    assert not is_public("[::127.0.0.1]") and is_public("2606:4700:4700::1111")
    with pytest.raises(ValueError):
        is_public("hooks.example.com")


def test_every_spelling_is_refused_at_creation(settings: Settings, tenant: Tenant) -> None:
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    with TestClient(create_app(strict), raise_server_exceptions=False) as client:
        headers = {"X-API-Key": tenant.key}
        for host in NON_PUBLIC:
            body = {"url": f"http://{host}:9/x", "events": ["*"]}
            response = client.post(f"{API}/webhooks", json=body, headers=headers)
            assert response.status_code == 400, (host, response.text)
            error = response.json()["error"]
            assert error["code"] == "VALIDATION_ERROR", host
            assert error["details"][0]["field"] == "url", host
        created = client.post(
            f"{API}/webhooks",
            json={"url": "https://hooks.example.com/x", "events": ["*"]},
            headers=headers,
        )
        assert created.status_code == 201
        path = f"{API}/webhooks/{created.json()['data']['id']}"
        changed = client.patch(path, json={"url": "http://[::127.0.0.1]/x"}, headers=headers)
        assert changed.status_code == 400 and "url" in changed.text


def _job(url: str) -> Job:
    return Job("whd_1", "acc_1", "whk_1", url, "evt_1", b"{}", {"webhook-id": "evt_1"}, 1)


def test_every_spelling_is_refused_at_delivery(settings: Settings) -> None:
    """Endpoints stored before the rule (or while private ones were allowed) are still
    never called."""
    strict = settings.model_copy(update={"webhooks_allow_private": False})
    worker = DeliveryWorker(cast(Any, None), strict, "key")

    async def send_all() -> list[str | None]:
        async with worker.client() as client:
            return [(await worker.send(client, _job(f"http://{h}:9/x"))).error for h in NON_PUBLIC]

    for host, error in zip(NON_PUBLIC, asyncio.run(send_all()), strict=True):
        assert error is not None, host
        # httpx itself refuses to parse some spellings (0177.0.0.1): never called either.
        assert any(w in error for w in ("non-public address", "localhost", "InvalidURL")), (
            host,
            error,
        )


class _Stream(httpcore.AsyncNetworkStream):
    """A connection that answers every request with 204 and records its TLS name."""

    def __init__(self) -> None:
        self.server_hostname: str | None = None
        self.answered = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        if self.answered:
            return b""
        self.answered = True
        return b"HTTP/1.1 204 No Content\r\n\r\n"

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        return None

    async def aclose(self) -> None:
        return None

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        assert ssl_context.verify_mode == ssl.CERT_REQUIRED and ssl_context.check_hostname
        self.server_hostname = server_hostname
        return self


class _Network(httpcore.AsyncNetworkBackend):
    """Records where connections are opened to."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self.streams: list[_Stream] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        self.streams.append(_Stream())
        return self.streams[-1]


def test_deliveries_connect_to_the_address_that_was_checked() -> None:
    """The name is resolved once per connection, and the connection goes to the address
    that passed, not to the name (which a rebinding DNS server could answer differently
    the second time); TLS still names and verifies the host."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers.pop(0)

    network = _Network()
    checked = CheckedTransport(httpx.Limits(max_keepalive_connections=0), rebinding)
    checked.backend.inner = network

    async def post_twice() -> tuple[int, Exception | None]:
        async with httpx.AsyncClient(transport=checked) as client:
            first = await client.post("https://hooks.example.com/x", content=b"{}")
            try:
                await client.post("https://hooks.example.com/x", content=b"{}")
            except DestinationRefused as exc:
                return first.status_code, exc
            return first.status_code, None

    status, refused = asyncio.run(post_twice())
    assert status == 204
    assert network.connected == [("93.184.216.34", 443)], "one connection, to the checked address"
    assert network.streams[0].server_hostname == "hooks.example.com"
    assert asked == ["hooks.example.com", "hooks.example.com"]
    assert refused is not None and "non-public address (127.0.0.1)" in str(refused)


def test_a_name_with_any_non_public_address_is_refused() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "::ffff:10.0.0.1"]

    with pytest.raises(DestinationRefused, match=r"10\.0\.0\.1"):
        asyncio.run(public_addresses("hooks.example.com", 443, mixed))
