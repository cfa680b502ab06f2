"""Resource methods written once for both clients.

A resource (:class:`Resource`) holds the transport of its client. Its methods only
describe a call: ``@endpoint`` methods build an :class:`Operation` (what to send, how to
read the answer), ``@paged`` methods a :class:`Listing`. Read through a resource, such a
method becomes what the client's user calls: on a :class:`SyncTransport` it sends the call
and answers the result, on an :class:`AsyncTransport` it is a coroutine function answering
the same result when awaited (and a list is an ``AsyncPager``). The overloads of
``__get__`` tell type checkers which of the two a resource has.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from pydantic import BaseModel

from rolodex.client._core import Call, Listing, Operation
from rolodex.client._transport import AsyncTransport, SyncTransport, Transport
from rolodex.client.pagination import AsyncPager, Pager

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
TransportT = TypeVar("TransportT", bound=Transport[Any])


class Resource(Generic[TransportT]):
    """A part of the API under ``path``, whose calls go through ``transport``."""

    def __init__(self, transport: TransportT, path: str) -> None:
        self._transport = transport
        self.path = path

    def _call(
        self,
        method: str,
        suffix: str = "",
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> Call:
        """A call to ``path + suffix`` with the client's options and the call's own on top."""
        return Call(
            method,
            self.path + suffix,
            params=params,
            body=body,
            idempotency_key=idempotency_key,
            options=self._transport.options.merged(impersonate, request_id),
        )


class _Method(Generic[P, R]):
    """A method whose body describes a call; reading it through a resource binds it to
    the resource's transport, keeping the body's name, docstring and parameters."""

    def __init__(self, build: Callable[Concatenate[Any, P], R]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        signature = inspect.signature(build)
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    def _bind(self, resource: Resource[Any]) -> Callable[..., Any]:
        raise NotImplementedError

    def _get(self, resource: Resource[Any] | None) -> Any:
        if resource is None:
            return self
        bound = functools.update_wrapper(self._bind(resource), self.build)
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound


class endpoint(_Method[P, Operation[T]]):
    """A method answering one result (``T``, awaited on the asynchronous client)."""

    @overload
    def __get__(self, resource: None, owner: type[Any] | None = None) -> Self: ...
    @overload
    def __get__(
        self, resource: Resource[SyncTransport], owner: type[Any] | None = None
    ) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncTransport], owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any] | None = None) -> Any:
        return self._get(resource)

    def _bind(self, resource: Resource[Any]) -> Callable[..., Any]:
        transport = resource._transport
        build = self.build
        if isinstance(transport, AsyncTransport):

            async def awaited(*args: Any, **kwargs: Any) -> Any:
                return await transport.execute(build(resource, *args, **kwargs))

            return awaited

        def blocking(*args: Any, **kwargs: Any) -> Any:
            return transport.execute(build(resource, *args, **kwargs))

        return blocking


class paged(_Method[P, Listing[M]]):
    """A method answering a lazy walk over a list (a ``Pager``, or an ``AsyncPager``)."""

    @overload
    def __get__(self, resource: None, owner: type[Any] | None = None) -> Self: ...
    @overload
    def __get__(
        self, resource: Resource[SyncTransport], owner: type[Any] | None = None
    ) -> Callable[P, Pager[M]]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncTransport], owner: type[Any] | None = None
    ) -> Callable[P, AsyncPager[M]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any] | None = None) -> Any:
        return self._get(resource)

    def _bind(self, resource: Resource[Any]) -> Callable[..., Any]:
        transport = resource._transport
        build = self.build

        def walk(*args: Any, **kwargs: Any) -> Any:
            return transport.pager(build(resource, *args, **kwargs))

        return walk
