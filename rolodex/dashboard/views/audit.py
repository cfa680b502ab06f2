"""The audit log (owners and admins): every change, who made it and through what."""

from __future__ import annotations

from starlette.responses import Response

from rolodex.audit import service
from rolodex.dashboard.listing import list_page
from rolodex.dashboard.pages import Ctx, dashboard_router
from rolodex.kinds import AUDIT_ENTRY

router = dashboard_router()


@router.get("/audit")
async def audit_log(page: Ctx) -> Response:
    """Entries newest first, filtered by resource id, action or user."""
    page.require_manager()
    query = page.query
    stmt = service.search(
        page.principal,
        resource_id=query.optional("resource_id"),
        action=query.optional("action"),
        user_id=query.optional("user_id"),
    )
    listing = await list_page(page, stmt, AUDIT_ENTRY)
    return page.render("audit.html", listing=listing)
