"""MOCO's lists: 100 records a page, ``?page=N``, ``sort_by``, ``ids`` and
``updated_after``, answered as a bare JSON array with ``X-Page``, ``X-Per-Page``,
``X-Total`` and a ``Link`` header.

A list runs through the native :func:`~rolodex.http.pagination.paginate` (the same
count, index walk and tombstone filter as every native list); only the parameters and
the answer are MOCO's. ``Link`` carries ``rel="next"`` and ``rel="last"`` while there is
a next page and is absent on the last one (moco-py follows ``next``, moco-wrapper stops
when ``last`` is missing). A page past the end is ``200 []``. The default order is the
order of creation, so that walking the pages sees every record once.

No ``from __future__ import annotations`` here: the parameters of the dependency
:func:`list_query` makes are read by FastAPI, which must see them as objects.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import ExecutableOption

from rolodex.dialects.moco.refs import resolve_many
from rolodex.dialects.moco.surface import MocoJson
from rolodex.errors import ValidationFailed
from rolodex.http.pagination import ListParams, Page, QueryText, QueryTime, paginate
from rolodex.keyring import KeyRing

PER_PAGE = 100
MAX_IDS = 1000
DEFAULT_SORT = "created_at"
LIST_HEADERS: dict[str, Any] = {
    "X-Page": {"description": "The page number.", "schema": {"type": "string"}},
    "X-Per-Page": {"description": "Records a page (100).", "schema": {"type": "string"}},
    "X-Total": {"description": "Records of the list, all pages.", "schema": {"type": "string"}},
    "Link": {
        "description": '`rel="next"` and `rel="last"` while there is a next page.',
        "schema": {"type": "string"},
    },
}


@dataclass(frozen=True)
class ListQuery:
    """MOCO's common list parameters, parsed."""

    page: int
    sort: str
    """The MOCO field to sort by."""
    descending: bool
    ids: list[int] | None
    updated_after: datetime | None


def split_list(values: Sequence[str] | None) -> list[str] | None:
    """A list parameter sent comma-separated (``tags=a,b``), repeated (``tags=a&tags=b``)
    or both, as its trimmed, non-empty parts; None when it was not sent."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_sort(raw: str | None, sortable: Sequence[str]) -> tuple[str, bool]:
    """``sort_by=field`` or ``sort_by=field desc`` (default ascending)."""
    if raw is None or not raw.strip():
        return DEFAULT_SORT, False
    field, _, direction = raw.strip().partition(" ")
    direction = direction.strip().lower() or "asc"
    if direction not in ("asc", "desc"):
        raise ValidationFailed.field(
            "sort_by", "must be '<field>', '<field> asc' or '<field> desc'"
        )
    if field not in sortable:
        raise ValidationFailed.field("sort_by", f"must be one of: {', '.join(sortable)}")
    return field, direction == "desc"


def parse_ids(values: Sequence[str] | None) -> list[int] | None:
    """``ids=1,2,3`` as integers."""
    parts = split_list(values)
    if parts is None:
        return None
    if len(parts) > MAX_IDS:
        raise ValidationFailed.field("ids", f"must list at most {MAX_IDS} ids")
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValidationFailed.field("ids", "must be comma-separated integers")
    return [int(part) for part in parts]


def list_query(sortable: Sequence[str]) -> Callable[..., ListQuery]:
    """A dependency that parses a MOCO list's common parameters."""
    fields = ", ".join(f"`{name}`" for name in sortable)

    def dependency(
        page: Annotated[int, Query(ge=1, description="1-based; 100 records a page.")] = 1,
        sort_by: Annotated[
            QueryText | None,
            Query(max_length=100, description=f"`<field> [asc|desc]`; fields: {fields}."),
        ] = None,
        ids: Annotated[
            list[QueryText] | None,
            Query(description="Comma-separated ids: only these records."),
        ] = None,
        updated_after: Annotated[
            QueryTime | None, Query(description="ISO 8601: records changed after it.")
        ] = None,
    ) -> ListQuery:
        sort, descending = parse_sort(sort_by, sortable)
        return ListQuery(page, sort, descending, parse_ids(ids), updated_after)

    return dependency


async def moco_page(
    session: AsyncSession,
    account_id: str,
    stmt: Select[Any],
    query: ListQuery,
    *,
    model: Any,
    prefix: str,
    sortable: Mapping[str, InstrumentedAttribute[Any]],
    secret: KeyRing,
    options: Sequence[ExecutableOption] = (),
) -> Page:
    """One page of ``stmt`` (a native service's ``search``) as MOCO asked for it."""
    ids = None
    if query.ids is not None:
        ids = list((await resolve_many(session, account_id, prefix, query.ids)).values())
    params = ListParams(
        page=query.page,
        per_page=PER_PAGE,
        sort=query.sort,
        descending=query.descending,
        sort_given=True,
        after=None,
        updated_after=query.updated_after,
        ids=ids,
        include_deleted=False,
    )
    return await paginate(
        session,
        stmt,
        model=model,
        collection=f"moco:{prefix}",
        sortable=sortable,
        params=params,
        secret=secret,
        options=options,
    )


def list_response(request: Request, page: Page, items: list[dict[str, Any]]) -> MocoJson:
    """A page as MOCO answers it: the array, and the page headers."""
    current = page.params.page
    last = math.ceil(page.total / PER_PAGE)
    headers = {"X-Page": str(current), "X-Per-Page": str(PER_PAGE), "X-Total": str(page.total)}
    if current < last:
        headers["Link"] = (
            f'<{request.url.include_query_params(page=current + 1)}>; rel="next", '
            f'<{request.url.include_query_params(page=last)}>; rel="last"'
        )
    return MocoJson(items, headers=headers)
