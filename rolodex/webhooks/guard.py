"""Refusing webhook destinations inside the deployment's own network (SSRF).

A destination's host is resolved and every address it resolves to must be public:
loopback, private, link-local, shared, multicast, reserved and unspecified addresses
are refused unless ``ROLODEX_WEBHOOKS_ALLOW_PRIVATE=true``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class DestinationRefused(Exception):
    """The destination may not be called."""


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal_refusal(url: str) -> str | None:
    """Why a URL is refused without resolving it (a literal private address), or None."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return "points at this machine (localhost)"
    try:
        public = is_public(host)
    except ValueError:
        return None  # a name: checked when resolved
    return None if public else f"points at a non-public address ({host})"


async def check_destination(url: str, allow_private: bool) -> None:
    """Resolve the URL's host; raise :class:`DestinationRefused` if it is not public."""
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    refusal = literal_refusal(url)
    if refusal:
        raise DestinationRefused(f"destination {refusal}")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc}") from None
    for info in infos:
        address = str(info[4][0])
        if not is_public(address):
            raise DestinationRefused(f"{host} resolves to a non-public address ({address})")
