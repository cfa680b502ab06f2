"""The MOCO surface's routes, one module per resource; :data:`ROUTERS` lists them for
:func:`rolodex.http.surface.mount`."""

from __future__ import annotations

from fastapi import APIRouter

from rolodex.dialects.moco.routes import (
    comments,
    companies,
    people,
    taggings,
    tags,
    users,
    web_hooks,
)

ROUTERS: tuple[APIRouter, ...] = (
    people.router,
    companies.router,
    comments.router,
    taggings.contact_router,
    taggings.company_router,
    tags.router,
    users.router,
    users.session_router,
    web_hooks.router,
)
