"""Auto-paging: iterate over a whole collection, page after page, by cursor.

Every page after the first is asked for with the previous page's ``meta.next_cursor``
(``after=``), never by page number, so a walk over a collection that changes meanwhile
returns every unmodified row exactly once, and a modified row at least once, in its
newest version (when sorted by ``updated_at`` ascending, which is the default when
``updated_after`` is given).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@dataclass
class Page(Generic[M]):
    """One page of a list: its rows and where it stands."""

    data: list[M]
    total: int
    next_cursor: str | None

    @classmethod
    def of(cls, body: dict[str, Any], model: type[M]) -> Page[M]:
        """A page from a list answer."""
        meta = body.get("meta") or {}
        return cls(
            data=[model.model_validate(row) for row in body.get("data") or []],
            total=int(meta.get("total") or 0),
            next_cursor=meta.get("next_cursor"),
        )


def _next_params(params: dict[str, Any], cursor: str) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if k != "page"}
    out["after"] = cursor
    return out


class Pager(Generic[M]):
    """A lazy list: iterate it for every row; ``pages()`` for the pages."""

    def __init__(
        self, fetch: Callable[[dict[str, Any]], Any], params: dict[str, Any], model: type[M]
    ) -> None:
        self._fetch = fetch
        self._params = params
        self._model = model

    def pages(self) -> Iterator[Page[M]]:
        """Every page, fetched when reached."""
        params = dict(self._params)
        while True:
            page = Page.of(self._fetch(params), self._model)
            yield page
            if not page.next_cursor or not page.data:
                return
            params = _next_params(params, page.next_cursor)

    def first_page(self) -> Page[M]:
        """Only the first page (its ``total`` counts every row)."""
        return Page.of(self._fetch(dict(self._params)), self._model)

    def __iter__(self) -> Iterator[M]:
        for page in self.pages():
            yield from page.data


class AsyncPager(Generic[M]):
    """The asynchronous :class:`Pager`: ``async for`` over every row."""

    def __init__(
        self,
        fetch: Callable[[dict[str, Any]], Awaitable[Any]],
        params: dict[str, Any],
        model: type[M],
    ) -> None:
        self._fetch = fetch
        self._params = params
        self._model = model

    async def pages(self) -> AsyncIterator[Page[M]]:
        """Every page, fetched when reached."""
        params = dict(self._params)
        while True:
            page = Page.of(await self._fetch(params), self._model)
            yield page
            if not page.next_cursor or not page.data:
                return
            params = _next_params(params, page.next_cursor)

    async def first_page(self) -> Page[M]:
        """Only the first page (its ``total`` counts every row)."""
        return Page.of(await self._fetch(dict(self._params)), self._model)

    async def __aiter__(self) -> AsyncIterator[M]:
        async for page in self.pages():
            for row in page.data:
                yield row
