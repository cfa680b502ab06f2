"""How a client sends its calls: a connection pool, the client's default options and its
retry policy, with the retry loop around each send. ``SyncTransport`` blocks,
``AsyncTransport`` is awaited; every decision in the loop is made in :mod:`._core`."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import BaseModel

from rolodex.client._core import (
    Call,
    Listing,
    Operation,
    Options,
    Outcome,
    RetryPolicy,
    build_request,
    is_connect_failure,
    result,
    retry_delay,
)
from rolodex.client.pagination import AsyncPager, Pager

H = TypeVar("H", httpx.Client, httpx.AsyncClient)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Transport(Generic[H]):
    """What both transports hold: the connections (closed by the transport only when it
    opened them), the retry policy and the default options of every call."""

    http: H
    retry: RetryPolicy
    options: Options
    owns_http: bool = True

    def with_options(self, impersonate: str | None, request_id: str | None) -> Self:
        """A transport over the same connections (which it leaves open) with other
        default options."""
        merged = self.options.merged(impersonate, request_id)
        return replace(self, options=merged, owns_http=False)


class SyncTransport(Transport[httpx.Client]):
    """Sends calls and waits for their answers."""

    def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        attempt = connect_failures = 0
        while True:
            try:
                outcome: Outcome = self.http.send(build_request(self.http, call))
            except httpx.TransportError as exc:
                outcome = exc
            delay = retry_delay(call, self.retry, attempt, outcome, connect_failures)
            if delay is None:
                return result(call, outcome)
            attempt += 1
            connect_failures += is_connect_failure(outcome)
            time.sleep(delay)

    def execute(self, operation: Operation[T]) -> T:
        """The result of an operation."""
        return operation.read(self.request(operation.call))

    def pager(self, listing: Listing[M]) -> Pager[M]:
        """A lazy walk over a listing."""
        return Pager(
            lambda params: self.request(listing.call(params)), listing.params, listing.model
        )

    def close(self) -> None:
        """Close the connections, if this transport opened them."""
        if self.owns_http:
            self.http.close()


class AsyncTransport(Transport[httpx.AsyncClient]):
    """Sends calls without blocking: every method that talks to the server is awaited."""

    async def request(self, call: Call) -> Any:
        """Send a call, retrying as the policy says; its JSON body, or raise."""
        attempt = connect_failures = 0
        while True:
            try:
                outcome: Outcome = await self.http.send(build_request(self.http, call))
            except httpx.TransportError as exc:
                outcome = exc
            delay = retry_delay(call, self.retry, attempt, outcome, connect_failures)
            if delay is None:
                return result(call, outcome)
            attempt += 1
            connect_failures += is_connect_failure(outcome)
            await asyncio.sleep(delay)

    async def execute(self, operation: Operation[T]) -> T:
        """The result of an operation."""
        return operation.read(await self.request(operation.call))

    def pager(self, listing: Listing[M]) -> AsyncPager[M]:
        """A lazy walk over a listing, for ``async for``."""
        return AsyncPager(
            lambda params: self.request(listing.call(params)), listing.params, listing.model
        )

    async def close(self) -> None:
        """Close the connections, if this transport opened them."""
        if self.owns_http:
            await self.http.aclose()
