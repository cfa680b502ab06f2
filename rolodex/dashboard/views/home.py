"""The overview page and the dashboard's static files."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from importlib.resources import files

from sqlalchemy import Select, func
from starlette.responses import Response

from rolodex.companies import service as companies
from rolodex.contacts import service as contacts
from rolodex.dashboard.pages import Ctx, Page, dashboard_router, public_router
from rolodex.db import utcnow
from rolodex.errors import NotFound
from rolodex.tasks import service as tasks

router = dashboard_router()
public = public_router()
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


async def count(page: Page, stmt: Select[object]) -> int:
    """How many live rows a search statement selects."""
    model = stmt.column_descriptions[0]["entity"]
    live = stmt.where(model.deleted_at.is_(None))
    total = await page.session.scalar(
        live.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    )
    return int(total or 0)


def overdue_tasks(page: Page, now: datetime) -> Select[object]:
    """Open tasks whose due time has passed."""
    return tasks.search(page.principal, completed=False, due_before=now)


@router.get("")
async def overview(page: Ctx) -> Response:
    """Counts at a glance, each a link to its list."""
    principal = page.principal
    counts = {
        "contacts": await count(page, contacts.search(principal)),
        "companies": await count(page, companies.search(principal)),
        "open_tasks": await count(page, tasks.search(principal, completed=False)),
        "overdue": await count(page, overdue_tasks(page, utcnow())),
    }
    return page.render("home.html", counts=counts)


@lru_cache(maxsize=8)
def _static(name: str) -> bytes | None:
    resource = files("rolodex.dashboard").joinpath("static", name)
    return resource.read_bytes() if resource.is_file() else None


@public.get("/static/{name}")
async def static(name: str) -> Response:
    """A file of the installed package's ``static/`` folder (nothing from elsewhere)."""
    kind = STATIC_TYPES.get(name[name.rfind(".") :]) if "." in name else None
    body = _static(name) if kind is not None and "/" not in name and ".." not in name else None
    if body is None:
        raise NotFound("No such file")
    return Response(
        body,
        media_type=kind,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
