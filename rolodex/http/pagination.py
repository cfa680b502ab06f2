"""Lists: page and cursor pagination, sorting, the common filters, meta and headers.

Every collection is listed through :func:`paginate` and answered by
:func:`list_response`, so page limits, sort spellings, tombstones, cursors, ``meta``,
``X-Page``/``X-Per-Page``/``X-Total`` and ``Link`` behave the same everywhere.
"""

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import Query, Request
from pydantic import AfterValidator, BaseModel
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.base import ExecutableOption

from rolodex.errors import ValidationFailed
from rolodex.http.cursor import Cursor, decode_cursor, encode_cursor
from rolodex.http.envelope import JsonResponse
from rolodex.ids import is_valid_id
from rolodex.keyring import KeyRing
from rolodex.validation import UtcDatetime, clean_text

MAX_PER_PAGE = 250
MAX_IDS = 250
DEFAULT_SORT = "created_at"


@dataclass(frozen=True)
class ListParams:
    """The parsed common parameters of a list request."""

    page: int
    per_page: int
    sort: str
    descending: bool
    sort_given: bool
    after: str | None
    updated_after: datetime | None
    ids: list[str] | None
    include_deleted: bool


@dataclass(frozen=True)
class Page:
    """One page of rows and where it stands."""

    rows: list[Any]
    params: ListParams
    total: int
    next_cursor: str | None


def _parse_sort(
    sort: str | None, order: str | None, sort_by: str | None, allowed: Sequence[str]
) -> tuple[str, bool, bool]:
    if sort is not None and sort_by is not None:
        raise ValidationFailed(
            "Send either sort (with order) or sort_by, not both",
            details=[{"field": "sort_by", "message": "conflicts with sort"}],
        )
    if order is not None and order not in ("asc", "desc"):
        raise ValidationFailed.field("order", "must be asc or desc")
    if sort_by is not None:
        field, _, direction = sort_by.strip().partition(" ")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise ValidationFailed.field(
                "sort_by", "must be '<field>', '<field> asc' or '<field> desc'"
            )
        if field not in allowed:
            raise ValidationFailed.field("sort_by", f"must be one of: {', '.join(allowed)}")
        return field, direction == "desc", True
    field = sort if sort is not None else DEFAULT_SORT
    if field not in allowed:
        raise ValidationFailed.field("sort", f"must be one of: {', '.join(allowed)}")
    return field, (order or "desc") == "desc", sort is not None or order is not None


def _parse_ids(raw: str | None, prefix: str) -> list[str] | None:
    if raw is None:
        return None
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if len(ids) > MAX_IDS:
        raise ValidationFailed.field("ids", f"must list at most {MAX_IDS} ids")
    for value in ids:
        if not is_valid_id(prefix, value):
            raise ValidationFailed.field("ids", f"must be a comma-separated list of {prefix}_ ids")
    return ids


QueryText = Annotated[str, AfterValidator(clean_text)]
QueryTime = UtcDatetime


class Listed(Protocol):
    """What a list reads of its kind of resource (a :class:`rolodex.kinds.ResourceKind`)."""

    @property
    def model(self) -> Any: ...
    @property
    def plural(self) -> str: ...
    @property
    def prefix(self) -> str: ...
    @property
    def sorts(self) -> Mapping[str, Any]: ...
    @property
    def load(self) -> tuple[ExecutableOption, ...]: ...


def kind_params(kind: Listed) -> Callable[..., Awaitable[ListParams]]:
    """:func:`list_params` of a kind's collection: its sorts and id prefix."""
    return list_params(list(kind.sorts), kind.prefix)


def list_params(sortable: Sequence[str], id_prefix: str) -> Callable[..., Awaitable[ListParams]]:
    """A dependency that parses the common list parameters of one collection."""
    fields = ", ".join(f"`{name}`" for name in sortable)

    async def dependency(
        page: Annotated[int, Query(ge=1, description="1-based page number.")] = 1,
        per_page: Annotated[
            int, Query(ge=1, le=MAX_PER_PAGE, description="Rows per page, 1 to 250.")
        ] = 25,
        sort: Annotated[
            QueryText | None,
            Query(description=f"Field to sort by: {fields}. Default `created_at`."),
        ] = None,
        order: Annotated[
            QueryText | None, Query(description="`asc` or `desc` (default) for `sort`.")
        ] = None,
        sort_by: Annotated[
            QueryText | None,
            Query(
                description=f"MOCO spelling: `<field> [asc|desc]`, default asc. Fields: {fields}."
            ),
        ] = None,
        after: Annotated[
            QueryText | None,
            Query(description="Cursor from `meta.next_cursor`; walks the list without `page`."),
        ] = None,
        updated_after: Annotated[
            QueryTime | None,
            Query(description="ISO 8601; only rows with `updated_at` later than this."),
        ] = None,
        ids: Annotated[
            QueryText | None, Query(description="Comma-separated ids, at most 250.")
        ] = None,
        include_deleted: Annotated[
            bool, Query(description="Also return deleted rows, as tombstones with `deleted_at`.")
        ] = False,
    ) -> ListParams:
        field, descending, given = _parse_sort(sort, order, sort_by, sortable)
        after = after or None  # an empty `after=` is no cursor
        if after is not None and page != 1:
            raise ValidationFailed.field("page", "cannot be combined with a cursor (after)")
        return ListParams(
            page=page,
            per_page=per_page,
            sort=field,
            descending=descending,
            sort_given=given,
            after=after,
            updated_after=updated_after,
            ids=_parse_ids(ids, id_prefix),
            include_deleted=include_deleted,
        )

    return dependency


def _keyset_after(
    column: Any, id_column: Any, cursor: Cursor, nullable: bool
) -> ColumnElement[bool]:
    """Rows strictly after the cursor, NULL sorting as the largest value."""
    value, last_id = cursor.value, cursor.last_id
    if not nullable:
        if cursor.descending:
            return tuple_(column, id_column) < tuple_(value, last_id)
        return tuple_(column, id_column) > tuple_(value, last_id)
    if cursor.descending:  # NULLs first, then values falling
        if value is None:
            return or_(and_(column.is_(None), id_column < last_id), column.is_not(None))
        return or_(column < value, and_(column == value, id_column < last_id))
    if value is None:  # NULLs last
        return and_(column.is_(None), id_column > last_id)
    return or_(column > value, and_(column == value, id_column > last_id), column.is_(None))


def _ordering(column: Any, id_column: Any, descending: bool, nullable: bool) -> list[Any]:
    if descending:
        first = column.desc().nulls_first() if nullable else column.desc()
        return [first, id_column.desc()]
    first = column.asc().nulls_last() if nullable else column.asc()
    return [first, id_column.asc()]


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    model: Any,
    collection: str,
    sortable: Mapping[str, InstrumentedAttribute[Any]],
    params: ListParams,
    secret: KeyRing,
    options: Sequence[ExecutableOption] = (),
) -> Page:
    """Run a filtered ``select(model)`` as one page.

    Ids of the page are found first on the (account, sort, id) index alone, then only
    those rows are loaded: a deep page costs an index walk, not a table walk.
    """
    if params.updated_after is not None:
        stmt = stmt.where(model.updated_at > params.updated_after)
    if params.ids is not None:
        stmt = stmt.where(model.id.in_(params.ids))
    if not params.include_deleted and hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))

    cursor = decode_cursor(params.after, secret, collection) if params.after else None
    sort, descending = params.sort, params.descending
    if cursor is not None:
        if params.sort_given and (cursor.sort, cursor.descending) != (sort, descending):
            raise ValidationFailed.field("after", "was made for another sort order")
        sort, descending = cursor.sort, cursor.descending
        if sort not in sortable:
            raise ValidationFailed.field("after", "is not a valid cursor for this list")
    column = sortable[sort]
    nullable = bool(column.property.columns[0].nullable)

    total = int(
        await session.scalar(
            stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        )
        or 0
    )
    id_stmt = stmt.with_only_columns(model.id, maintain_column_froms=True).order_by(
        *_ordering(column, model.id, descending, nullable)
    )
    has_more = False
    if cursor is not None:
        id_stmt = id_stmt.where(_keyset_after(column, model.id, cursor, nullable))
        ids = list((await session.scalars(id_stmt.limit(params.per_page + 1))).all())
        has_more = len(ids) > params.per_page
        ids = ids[: params.per_page]
    else:
        offset = (params.page - 1) * params.per_page
        ids = []
        if offset < total:
            ids = list((await session.scalars(id_stmt.offset(offset).limit(params.per_page))).all())
        has_more = offset + len(ids) < total
    rows: list[Any] = []
    if ids:
        loaded = await session.scalars(select(model).where(model.id.in_(ids)).options(*options))
        by_id = {row.id: row for row in loaded}
        rows = [by_id[i] for i in ids if i in by_id]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(
            Cursor(collection, sort, descending, getattr(last, column.key), last.id), secret
        )
    return Page(rows=rows, params=params, total=total, next_cursor=next_cursor)


async def paginate_kind(
    session: AsyncSession,
    stmt: Select[Any],
    kind: Listed,
    *,
    params: ListParams,
    secret: KeyRing,
    collection: str | None = None,
) -> Page:
    """:func:`paginate` over a kind's table, sorts and loader options; ``collection``
    names the list in its cursors when it is not the kind's whole collection."""
    return await paginate(
        session,
        stmt,
        model=kind.model,
        collection=collection or kind.plural,
        sortable=kind.sorts,
        params=params,
        secret=secret,
        options=kind.load,
    )


def _link(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return str(request.url.replace_query_params(**params))


def list_response(
    request: Request,
    page: Page,
    schema: type[BaseModel],
    extra_meta: Mapping[str, Any] | None = None,
) -> JsonResponse:
    """The list envelope with ``meta`` (plus ``extra_meta``), the MOCO page headers and
    the ``Link`` header."""
    params = page.params
    total_pages = math.ceil(page.total / params.per_page)
    cursor_mode = params.after is not None
    meta = {
        "page": None if cursor_mode else params.page,
        "per_page": params.per_page,
        "total": page.total,
        "total_pages": total_pages,
        "next_cursor": page.next_cursor,
        **(extra_meta or {}),
    }
    headers = {"X-Per-Page": str(params.per_page), "X-Total": str(page.total)}
    links = [f'<{_link(request, page=1, after=None)}>; rel="first"']
    if cursor_mode:
        if page.next_cursor:
            links.append(f'<{_link(request, after=page.next_cursor, page=None)}>; rel="next"')
    else:
        headers["X-Page"] = str(params.page)
        last = max(total_pages, 1)
        if params.page > 1:
            links.append(f'<{_link(request, page=min(params.page - 1, last))}>; rel="prev"')
        if params.page < total_pages:
            links.append(f'<{_link(request, page=params.page + 1)}>; rel="next"')
        links.append(f'<{_link(request, page=last)}>; rel="last"')
    headers["Link"] = ", ".join(links)
    # Validated models are rendered straight to JSON (the same bytes as their dumps).
    data = [schema.model_validate(row, from_attributes=True) for row in page.rows]
    body = {"data": data, "meta": meta}
    return JsonResponse(body, headers=headers)
