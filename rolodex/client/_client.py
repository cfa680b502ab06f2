"""``Rolodex`` and ``AsyncRolodex``: a connection pool, the retry loop, and the resources."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx

from rolodex.client import _core
from rolodex.client._core import Call, Options, RetryPolicy
from rolodex.client.models import ApiKey, Appointment, AuditEntry, Company, Note, Tag, Task
from rolodex.client.resources import (
    ApiKeys,
    AsyncCollection,
    AsyncContacts,
    AsyncRestorableCollection,
    AsyncUsers,
    AsyncWritableCollection,
    Collection,
    Contacts,
    RestorableCollection,
    Users,
    WritableCollection,
)

try:
    from rolodex import __version__
except ImportError:  # pragma: no cover - the client published on its own
    __version__ = "0"


def _settings(api_key: str | None, base_url: str | None) -> tuple[str, str]:
    key = api_key or os.environ.get("ROLODEX_API_KEY")
    if not key:
        raise ValueError("an api_key is required (or set ROLODEX_API_KEY)")
    url = base_url or os.environ.get("ROLODEX_URL") or _core.DEFAULT_BASE_URL
    return key, url.rstrip("/")


def _headers(api_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "User-Agent": f"{_core.USER_AGENT}/{__version__}",
    }


class Rolodex:
    """A synchronous client of a Rolodex server.

    ``api_key`` and ``base_url`` default to ``ROLODEX_API_KEY`` and ``ROLODEX_URL``.
    ``impersonate`` (a user id, for staff) and ``request_id`` apply to every call unless a
    call says otherwise. Failed calls are retried by ``retry`` (see :class:`RetryPolicy`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = _core.DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        key, url = _settings(api_key, base_url)
        self.base_url = url
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self.options = Options(impersonate, request_id, dict(headers or {}))
        self._api_key = key
        self._http = http_client or httpx.Client(base_url=url, timeout=timeout)
        self._http.headers.update(_headers(key))
        self._owns_http = http_client is None
        self._build()

    def _build(self) -> None:
        self.contacts = Contacts(self)
        self.companies: RestorableCollection[Company] = RestorableCollection(
            self, "/companies", Company
        )
        self.tasks: Collection[Task] = Collection(self, "/tasks", Task)
        self.notes: Collection[Note] = Collection(self, "/notes", Note)
        self.appointments: Collection[Appointment] = Collection(self, "/appointments", Appointment)
        self.tags: WritableCollection[Tag] = WritableCollection(self, "/tags", Tag)
        self.users = Users(self)
        self.api_keys = ApiKeys(self)
        self.audit_log: Collection[AuditEntry] = Collection(self, "/audit-log", AuditEntry)

    def with_options(
        self, *, impersonate: str | None = None, request_id: str | None = None
    ) -> Rolodex:
        """A client sharing this one's connections, with other default options."""
        other = object.__new__(Rolodex)
        other.__dict__.update(self.__dict__)
        other.options = self.options.merged(impersonate, request_id)
        other._owns_http = False
        other._build()
        return other

    def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        attempt = 0
        while True:
            request = _core.build_request(self._http, call)
            try:
                response = self._http.send(request)
            except httpx.TransportError as exc:
                if not call.safe_to_resend or attempt >= self.retry.max_retries:
                    raise _core.connection_error(call, exc) from exc
                attempt += 1
                time.sleep(self.retry.delay(attempt, None))
                continue
            if attempt < self.retry.max_retries and _core.should_retry_response(call, response):
                attempt += 1
                time.sleep(self.retry.delay(attempt, _core.retry_after_of(response)))
                continue
            return _core.parse(response)

    def close(self) -> None:
        """Close the connections (only those the client opened itself)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Rolodex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncRolodex:
    """The asynchronous :class:`Rolodex`: the same resources, every call awaited."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = _core.DEFAULT_TIMEOUT,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        key, url = _settings(api_key, base_url)
        self.base_url = url
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self.options = Options(impersonate, request_id, dict(headers or {}))
        self._http = http_client or httpx.AsyncClient(base_url=url, timeout=timeout)
        self._http.headers.update(_headers(key))
        self._owns_http = http_client is None
        self._build()

    def _build(self) -> None:
        self.contacts = AsyncContacts(self)
        self.companies: AsyncRestorableCollection[Company] = AsyncRestorableCollection(
            self, "/companies", Company
        )
        self.tasks: AsyncCollection[Task] = AsyncCollection(self, "/tasks", Task)
        self.notes: AsyncCollection[Note] = AsyncCollection(self, "/notes", Note)
        self.appointments: AsyncCollection[Appointment] = AsyncCollection(
            self, "/appointments", Appointment
        )
        self.tags: AsyncWritableCollection[Tag] = AsyncWritableCollection(self, "/tags", Tag)
        self.users = AsyncUsers(self)
        self.api_keys: AsyncWritableCollection[ApiKey] = AsyncWritableCollection(
            self, "/api-keys", ApiKey
        )
        self.audit_log: AsyncCollection[AuditEntry] = AsyncCollection(
            self, "/audit-log", AuditEntry
        )

    def with_options(
        self, *, impersonate: str | None = None, request_id: str | None = None
    ) -> AsyncRolodex:
        """A client sharing this one's connections, with other default options."""
        other = object.__new__(AsyncRolodex)
        other.__dict__.update(self.__dict__)
        other.options = self.options.merged(impersonate, request_id)
        other._owns_http = False
        other._build()
        return other

    async def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        attempt = 0
        while True:
            request = _core.build_request(self._http, call)
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                if not call.safe_to_resend or attempt >= self.retry.max_retries:
                    raise _core.connection_error(call, exc) from exc
                attempt += 1
                await asyncio.sleep(self.retry.delay(attempt, None))
                continue
            if attempt < self.retry.max_retries and _core.should_retry_response(call, response):
                attempt += 1
                await asyncio.sleep(self.retry.delay(attempt, _core.retry_after_of(response)))
                continue
            return _core.parse(response)

    async def close(self) -> None:
        """Close the connections (only those the client opened itself)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncRolodex:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()


__all__ = ["AsyncRolodex", "Rolodex"]
