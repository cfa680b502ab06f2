"""Which hosts Rolodex may call on a user's behalf: public addresses only (SSRF).

One pure check, used when a destination is stored and when it is connected to. A host
is read the way the machine's resolver would read it, so every spelling of an address
meets the same rule:

- names are compared without case and without trailing dots (``localhost.``);
- IPv4 literals in the legacy forms the C resolver accepts (``127.1``, ``2130706433``,
  ``0x7f000001``, ``0177.0.0.1``, ``0``) are read as the address they stand for;
- IPv6 addresses that carry an IPv4 address (IPv4-mapped and -compatible, NAT64,
  6to4, Teredo) must carry a public one, besides being public themselves.

``localhost`` and every ``*.localhost`` name are this machine. Any other name is
decided when it is resolved (:mod:`rolodex.net.outbound`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Only these characters can make a legacy IPv4 literal; anything else is a name.
_LEGACY_IPV4 = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)
# NAT64 prefixes whose last 32 bits are the IPv4 address (RFC 6052, RFC 8215).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/96"))
# IPv4-compatible addresses (deprecated, but still routed by some stacks).
_COMPATIBLE = ipaddress.IPv6Network("::/96")


def normalise_host(host: str) -> str:
    """A host as the resolver sees it: no brackets, no trailing dots, lower case."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def parse_address(host: str) -> IPAddress | None:
    """The IP address a host literally is, in any spelling, or None for a name."""
    host = normalise_host(host)
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4,
    Teredo client), or None."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _COMPATIBLE or any(ip in prefix for prefix in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is on the public internet, and so is any IPv4 address it
    carries: loopback, private, link-local, shared, reserved, multicast and unspecified
    addresses are not."""
    if not ip.is_global or ip.is_multicast:
        return False
    inner = embedded_ipv4(ip)
    return inner is None or is_public_address(inner)


def _literal(host: str) -> IPAddress:
    ip = parse_address(normalise_host(host).split("%", 1)[0])
    if ip is None:
        raise ValueError(f"{host!r} is a name, not an address")
    return ip


def is_public(host: str) -> bool:
    """Whether an IP literal (any spelling, brackets and a zone allowed) is public.

    Raises ``ValueError`` for a name: only resolving can tell where a name points.
    """
    return is_public_address(_literal(host))


def host_refusal(host: str) -> str | None:
    """Why a host may not be called, known without resolving it, or None (a public
    address, or a name other than ``localhost`` — checked when it is resolved)."""
    name = normalise_host(host)
    if not name:
        return "has no host"
    if name == "localhost" or name.endswith(".localhost"):
        return "points at this machine (localhost)"
    try:
        ip = _literal(name)
    except ValueError:
        return None
    if is_public_address(ip):
        return None
    inner = embedded_ipv4(ip)
    shown = f"{ip}, which carries {inner}" if inner else str(ip)
    return f"points at a non-public address ({shown})"


def literal_refusal(url: str) -> str | None:
    """Why a URL's host may not be called, known without resolving it, or None."""
    return host_refusal(urlsplit(url).hostname or "")
