"""Everything the dashboard adds to the application, installed in one call."""

from __future__ import annotations

from fastapi import FastAPI

from rolodex.dashboard.pages import PREFIX, render_failure
from rolodex.dashboard.views import (
    audit,
    companies,
    connections,
    contacts,
    flows,
    home,
    monitoring,
    runs,
    settings,
    signin,
    syncs,
    tasks,
    webhooks,
)
from rolodex.http.errors import register_error_renderer

ROUTERS = (
    signin.public,
    home.public,
    signin.router,
    home.router,
    contacts.router,
    companies.router,
    tasks.router,
    settings.router,
    webhooks.router,
    audit.router,
    connections.router,
    flows.router,
    runs.router,
    syncs.router,
    monitoring.router,
)


def install_dashboard(app: FastAPI) -> None:
    """Mount the dashboard's pages under ``/dashboard``; errors there are pages too."""
    for router in ROUTERS:
        app.include_router(router)
    register_error_renderer(app, PREFIX, render_failure)
