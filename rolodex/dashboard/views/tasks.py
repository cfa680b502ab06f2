"""Tasks across contacts: mine, open, overdue."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from rolodex.contacts.models import Contact
from rolodex.dashboard.listing import list_page
from rolodex.dashboard.pages import Ctx, dashboard_router
from rolodex.db import utcnow
from rolodex.kinds import TASK
from rolodex.tasks import service

router = dashboard_router()
VIEWS = {
    "mine": "My open tasks",
    "open": "Open tasks",
    "overdue": "Overdue tasks",
    "done": "Done",
}


@router.get("/tasks")
async def list_tasks(page: Ctx) -> Response:
    """One of the task views (``view=mine|open|overdue|done``; mine by default)."""
    view = page.query.get("view", "mine")
    view = view if view in VIEWS else "mine"
    principal = page.principal
    if view == "mine":
        stmt = service.search(principal, assignee_id=principal.user_id, completed=False)
    elif view == "open":
        stmt = service.search(principal, completed=False)
    elif view == "overdue":
        stmt = service.search(principal, completed=False, due_before=utcnow())
    else:
        stmt = service.search(principal, completed=True)
    default = "created_at" if view == "done" else "due_at"
    listing = await list_page(page, stmt, TASK, default_sort=default)
    ids = {task.contact_id for task in listing.rows}
    names = {}
    if ids:
        rows = await page.session.execute(
            select(Contact.id, Contact.first_name, Contact.last_name, Contact.email).where(
                Contact.account_id == principal.account_id, Contact.id.in_(sorted(ids))
            )
        )
        for row in rows:
            full = " ".join(p for p in (row.first_name, row.last_name) if p)
            names[row.id] = full or row.email or row.id
    return page.render(
        "tasks.html",
        listing=listing,
        view=view,
        views=VIEWS,
        contact_names=names,
        now=utcnow(),
    )
