"""Calling user-given URLs: connect only to public addresses, the ones that were checked.

A host is resolved once per connection; every address it resolves to must pass
:func:`rolodex.net.addresses.is_public_address`, and the connection is then opened to
one of those very addresses. Nothing resolves the name a second time, so a DNS server
that answers differently a moment later (DNS rebinding) cannot steer the request inward.
TLS still verifies the certificate against the host name: only the TCP connection is
pinned to the address, the handshake names the host (SNI) as usual.

:class:`CheckedTransport` is an ``httpx`` transport doing this; anything that calls a
URL a user stored (webhook deliveries, remote base URLs of integrations) sends through it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from rolodex.net.addresses import host_refusal, is_public_address, parse_address

Resolver = Callable[[str, int], Awaitable[list[str]]]


class DestinationRefused(Exception):
    """The destination may not be called."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses a host resolves to, for a TCP connection (the system resolver)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def public_addresses(host: str, port: int, resolver: Resolver = resolve) -> list[str]:
    """Resolve a host once and check every address; the addresses to connect to.

    Raises :class:`DestinationRefused` if the host is ``localhost``, cannot be resolved,
    or any address it resolves to is not public.
    """
    refusal = host_refusal(host)
    if refusal:
        raise DestinationRefused(f"destination {refusal}")
    try:
        addresses = await resolver(host, port)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc}") from None
    if not addresses:
        raise DestinationRefused(f"cannot resolve {host}: no addresses")
    for address in addresses:
        ip = parse_address(address.split("%", 1)[0])
        if ip is None or not is_public_address(ip):
            raise DestinationRefused(f"{host} resolves to a non-public address ({address})")
    return addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to checked public addresses of the requested host."""

    def __init__(
        self,
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """A connection to the first checked address of ``host`` that answers."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await public_addresses(host, port, self.resolver)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never: user-given URLs do not reach local sockets."""
        raise DestinationRefused("destination is a local socket")

    async def sleep(self, seconds: float) -> None:
        """Wait (the pool's retry pause)."""
        await self.inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """An ``httpx`` transport whose connections go only to checked public addresses.

    Certificates are verified against the host name of the URL. Proxies are not used
    (a proxy would connect on our behalf, unchecked).
    """

    def __init__(self, limits: httpx.Limits, resolver: Resolver = resolve) -> None:
        super().__init__(limits=limits)
        self.backend = CheckedBackend(resolver)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )


def transport(limits: httpx.Limits, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """The transport for user-given URLs: checked, unless the deployment allows private
    destinations (``ROLODEX_WEBHOOKS_ALLOW_PRIVATE=true``: receivers on its own network)."""
    if allow_private:
        return httpx.AsyncHTTPTransport(limits=limits)
    return CheckedTransport(limits)
