"""The one place the application takes in observability."""

from __future__ import annotations

from fastapi import FastAPI

from rolodex.observability.middleware import ObservabilityMiddleware
from rolodex.observability.routes import router


def install(app: FastAPI) -> None:
    """Serve ``/metrics`` and observe every request (the outermost middleware, so that a
    request refused by any other middleware is counted and logged too)."""
    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware, routes=app.routes)
