"""``Rolodex`` and ``AsyncRolodex``: settings, a transport, and the resources over it."""

from __future__ import annotations

import copy
import os
from typing import Any, Generic, Self

import httpx

from rolodex.client._core import (
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Call,
    Options,
    RetryPolicy,
)
from rolodex.client._endpoint import TransportT
from rolodex.client._transport import AsyncTransport, SyncTransport
from rolodex.client.errors import ConfigurationError
from rolodex.client.resources import Resources

try:
    from rolodex import __version__
except ImportError:  # pragma: no cover - the client published on its own
    __version__ = "0"


def _settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    """The API key and base URL, from the arguments or the environment, checked."""
    key = (api_key or os.environ.get("ROLODEX_API_KEY") or "").strip()
    if not key:
        raise ConfigurationError("an api_key is required (or set ROLODEX_API_KEY)")
    for position, char in enumerate(key):
        if not ("!" <= char <= "~"):  # what an HTTP header may carry, spaces excepted
            raise ConfigurationError(
                f"the api_key holds {char!r} (U+{ord(char):04X}) at position {position}, "
                "which no API key has: paste the whole key, not a placeholder such as "
                "rdx_k_…"
            )
    url = (base_url or os.environ.get("ROLODEX_URL") or DEFAULT_BASE_URL).strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"the base_url must start with http:// or https://, not {url!r}")
    return key, url.rstrip("/")


def _timeout(timeout: float, connect_timeout: float) -> httpx.Timeout:
    """``timeout`` for each request; connecting gets at most ``connect_timeout`` of it,
    so a server that is not there is reported in seconds."""
    return httpx.Timeout(timeout, connect=min(timeout, connect_timeout))


def _headers(api_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "User-Agent": f"{USER_AGENT}/{__version__}",
    }


class _Client(Resources[TransportT], Generic[TransportT]):
    """What both clients are besides their resources: where they connect, with which
    options, and how they derive a client with other options."""

    def __init__(self, base_url: str, transport: TransportT) -> None:
        self.base_url = base_url
        super().__init__(transport)

    @property
    def retry(self) -> RetryPolicy:
        """How failed calls are retried."""
        return self._transport.retry

    @property
    def options(self) -> Options:
        """The options every call has unless it says otherwise."""
        return self._transport.options

    def with_options(
        self, *, impersonate: str | None = None, request_id: str | None = None
    ) -> Self:
        """A client sharing this one's connections, with other default options."""
        other = copy.copy(self)
        other._attach(self._transport.with_options(impersonate, request_id))
        return other


class Rolodex(_Client[SyncTransport]):
    """A synchronous client of a Rolodex server.

    ``api_key`` and ``base_url`` default to ``ROLODEX_API_KEY`` and ``ROLODEX_URL``; a
    missing or malformed one raises :class:`ConfigurationError`. ``timeout`` bounds each
    request, ``connect_timeout`` (5 s) the connection attempt within it.
    ``impersonate`` (a user id, for staff) and ``request_id`` apply to every call unless a
    call says otherwise. Failed calls are retried by ``retry`` (see :class:`RetryPolicy`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        key, url = _settings(api_key, base_url)
        http = http_client or httpx.Client(base_url=url, timeout=_timeout(timeout, connect_timeout))
        http.headers.update(_headers(key))
        transport = SyncTransport(
            http,
            retry or RetryPolicy(max_retries=max_retries),
            Options(impersonate, request_id, dict(headers or {})),
            owns_http=http_client is None,
        )
        super().__init__(url, transport)

    def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        return self._transport.request(call)

    def close(self) -> None:
        """Close the connections (only those the client opened itself)."""
        self._transport.close()

    def __enter__(self) -> Rolodex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncRolodex(_Client[AsyncTransport]):
    """The asynchronous :class:`Rolodex`: the same resources, every call awaited."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        key, url = _settings(api_key, base_url)
        http = http_client or httpx.AsyncClient(
            base_url=url, timeout=_timeout(timeout, connect_timeout)
        )
        http.headers.update(_headers(key))
        transport = AsyncTransport(
            http,
            retry or RetryPolicy(max_retries=max_retries),
            Options(impersonate, request_id, dict(headers or {})),
            owns_http=http_client is None,
        )
        super().__init__(url, transport)

    async def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        return await self._transport.request(call)

    async def close(self) -> None:
        """Close the connections (only those the client opened itself)."""
        await self._transport.close()

    async def __aenter__(self) -> AsyncRolodex:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


__all__ = ["AsyncRolodex", "Rolodex"]
