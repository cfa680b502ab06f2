"""Paged, sorted lists on dashboard pages, through the API's own pagination."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select

from rolodex.companies.models import Company
from rolodex.dashboard.pages import Page
from rolodex.http.pagination import Listed, ListParams, paginate_kind

PER_PAGE = 25


@dataclass(frozen=True)
class Listing:
    """One page of a list, with what its controls need."""

    rows: list[Any]
    page: int
    pages: int
    total: int
    sort: str
    order: str
    sorts: list[str]


async def list_page(
    page: Page,
    stmt: Select[Any],
    kind: Listed,
    *,
    default_sort: str = "created_at",
    include_deleted: bool = False,
) -> Listing:
    """The page the query string asks for (``page``, ``sort``, ``order``); an unknown
    sort or order falls back to the default rather than failing the page."""
    sorts = list(kind.sorts)
    sort = page.query.get("sort") if page.query.get("sort") in sorts else default_sort
    order = page.query.get("order") if page.query.get("order") in ("asc", "desc") else None
    order = order or ("desc" if sort in ("created_at", "updated_at") else "asc")
    params = ListParams(
        page=page.query.page(),
        per_page=PER_PAGE,
        sort=sort,
        descending=order == "desc",
        sort_given=True,
        after=None,
        updated_after=None,
        ids=None,
        include_deleted=include_deleted,
    )
    found = await paginate_kind(page.session, stmt, kind, params=params, secret=page.key_ring)
    return Listing(
        rows=found.rows,
        page=params.page,
        pages=max(1, math.ceil(found.total / PER_PAGE)),
        total=found.total,
        sort=sort,
        order=order,
        sorts=sorts,
    )


async def company_names(page: Page, ids: set[str]) -> dict[str, str]:
    """Names of the given companies of the account, by id."""
    if not ids:
        return {}
    rows = await page.session.execute(
        select(Company.id, Company.name).where(
            Company.account_id == page.principal.account_id, Company.id.in_(sorted(ids))
        )
    )
    return {row.id: row.name for row in rows}
