"""The application: routers, middleware and error handlers, top to bottom."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from rolodex import __version__
from rolodex.accounts.routes import api_keys, users
from rolodex.appointments.routes import router as appointments
from rolodex.audit.routes import router as audit_log
from rolodex.batch.routes import companies_router as companies_batch
from rolodex.batch.routes import contacts_router as contacts_batch
from rolodex.companies.routes import router as companies
from rolodex.config import Settings, get_settings
from rolodex.contacts.routes import router as contacts
from rolodex.dashboard.routes import install_dashboard
from rolodex.db import make_engine, make_sessionmaker
from rolodex.dialects.highlevel import oauth as highlevel_oauth
from rolodex.dialects.highlevel import public_key as highlevel_public_key
from rolodex.dialects.highlevel.routes import ROUTERS as HIGHLEVEL_ROUTERS
from rolodex.dialects.highlevel.surface import HIGHLEVEL
from rolodex.dialects.moco.routes import ROUTERS as MOCO_ROUTERS
from rolodex.dialects.moco.surface import MOCO
from rolodex.events.routes import router as events
from rolodex.flows.dispatch import FlowStarter
from rolodex.flows.routes import router as flows
from rolodex.flows.routes import templates_router as flow_templates
from rolodex.health import router as health
from rolodex.http.errors import install_error_handlers
from rolodex.http.methods import MethodMiddleware
from rolodex.http.middleware import (
    BodyLimitMiddleware,
    RequestIdMiddleware,
    TrailingSlashMiddleware,
)
from rolodex.http.ratelimit import RateLimiter
from rolodex.http.surface import NATIVE, mount, native_routes
from rolodex.idempotency.service import expired_keys_cleanup
from rolodex.integrations.callback_routes import router as oauth_callback
from rolodex.integrations.changes.hook_routes import router as remote_hooks
from rolodex.integrations.changes.routes import router as remote_changes
from rolodex.integrations.operation_routes import catalog_router as catalog
from rolodex.integrations.operation_routes import router as connection_operations
from rolodex.integrations.routes import router as connections
from rolodex.integrations.running import in_process_jobs
from rolodex.integrations.runtime import Runtime
from rolodex.kinds import API_PREFIX
from rolodex.notes.routes import router as notes
from rolodex.oauth.bearer import ACCESS_TOKEN_PREFIX, authenticate_access_token
from rolodex.oauth.client_routes import router as oauth_clients
from rolodex.oauth.protocol_routes import router as oauth
from rolodex.oauth.scopes import scopes_of
from rolodex.observability.wiring import install as install_observability
from rolodex.runs.routes import router as runs
from rolodex.secret_fields import install_log_redaction
from rolodex.syncs.routes import links_router as links
from rolodex.syncs.routes import router as syncs
from rolodex.syncs.triggers import queue_on_change
from rolodex.tags.routes import router as tags
from rolodex.tasks.routes import router as tasks
from rolodex.webhooks.fanout import enqueue_deliveries
from rolodex.webhooks.routes import router as webhooks
from rolodex.webhooks.running import in_process_worker

DESCRIPTION = """\
The Rolodex API: contacts, companies, tasks, notes, appointments, tags, users, the event
feed and webhooks.

Every request to `/api/v1` is authenticated with an API key, sent as
`X-API-Key: rdx_k_…`, `Authorization: Bearer rdx_k_…` or `Authorization: Token token=rdx_k_…`.
Responses use the `{"data": …}` envelope; lists add `meta` and the `X-Page`, `X-Per-Page`,
`X-Total` and `Link` headers; errors are `{"error": {"code", "message", "request_id", "details"}}`.
"""


def api_routes() -> APIRouter:
    """Every route of the API, under :data:`~rolodex.kinds.API_PREFIX`."""
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        contacts_batch,
        companies_batch,
        contacts,
        companies,
        tasks,
        notes,
        appointments,
        tags,
        users,
        api_keys,
        audit_log,
        events,
        webhooks,
        oauth_clients,
        connections,
        remote_changes,
        runs,
        syncs,
        links,
        connection_operations,
        catalog,
        flows,
        flow_templates,
    ):
        api.include_router(router)
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the Rolodex application for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        app.state.rate_limiter = RateLimiter(settings)
        app.state.integrations = Runtime.make(settings, app.state.sessions, app.state.key_ring)
        try:
            async with (
                expired_keys_cleanup(app.state.sessions, settings),
                in_process_worker(app.state.sessions, settings, app.state.key_ring),
                in_process_jobs(app.state.integrations),
            ):
                yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Rolodex API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.key_ring = settings.resolved_key_ring()
    # What the pipeline's authentication accepts beside API keys (rolodex.http.auth).
    app.state.token_kinds = {ACCESS_TOKEN_PREFIX: authenticate_access_token}
    # What the outbox hands each request's new events to (rolodex.events.outbox).
    app.state.event_subscribers = (enqueue_deliveries, queue_on_change, FlowStarter(settings))

    api = api_routes()
    app.state.oauth_scopes = scopes_of(api.routes)
    # First: the router tries routes in order, and /health shares no path with the rest.
    app.include_router(health)
    app.include_router(api)
    app.include_router(oauth)
    app.include_router(oauth_callback)
    app.include_router(remote_hooks)

    install_error_handlers(app)
    install_dashboard(app)  # pages under /dashboard, and its error pages
    app.state.surfaces = {}
    # Each dialect is mounted here: mount(app, SURFACE, ROUTERS) (rolodex.http.surface).
    mount(app, HIGHLEVEL, HIGHLEVEL_ROUTERS)
    # HighLevel's OAuth and webhook key: outside the surface's pipeline, in its error body.
    app.include_router(highlevel_oauth.router)
    app.include_router(highlevel_public_key.router)
    mount(app, MOCO, MOCO_ROUTERS)
    # Added inner to outer: the request id wraps everything, so even a 413 carries it;
    # the methods of each path are checked on the normalised path, just before routing.
    app.add_middleware(MethodMiddleware, routes=app.routes)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(TrailingSlashMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # Outermost: /metrics, and every request counted, timed and logged as one event.
    install_observability(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The native OpenAPI document (the dialects' routes are in their own), with the three
    ways of sending a key."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=native_routes(app),
    )
    schema.setdefault("components", {})["securitySchemes"] = dict(NATIVE.security_schemes)
    _document_api_conventions(schema)
    app.openapi_schema = schema
    return schema


LIST_HEADERS = {
    "X-Page": "The page number (absent when walking with a cursor).",
    "X-Per-Page": "Rows per page.",
    "X-Total": "Rows matching the filters, across all pages.",
    "Link": 'RFC 8288 links with rel="first", "prev", "next", "last" as they apply.',
}

RATE_LIMIT_HEADERS: dict[str, Any] = {
    name: {"description": description, "schema": {"type": kind}}
    for name, description, kind in (
        ("X-RateLimit-Limit", "Requests allowed per window to this credential.", "integer"),
        ("X-RateLimit-Remaining", "Requests left in the current window.", "integer"),
        ("X-RateLimit-Reset", "Seconds until the window resets.", "integer"),
        ("RateLimit-Policy", 'IETF draft syntax: `"default";q=120;w=120`.', "string"),
        ("RateLimit", 'IETF draft syntax: `"default";r=119;t=57`.', "string"),
    )
}


def _document_api_conventions(schema: dict[str, Any]) -> None:
    """Say in the document what every response carries, and drop FastAPI's default 422.

    Rolodex answers invalid input with 400 in the error envelope, never with FastAPI's
    ``HTTPValidationError``; lists carry the page headers.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            default_422 = responses.get("422", {})
            if "HTTPValidationError" in str(default_422):
                del responses["422"]
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers["X-Request-Id"] = {
                    "description": "The request's id, also in error bodies.",
                    "schema": {"type": "string"},
                }
                if "x-required-scope" in operation and status != "401":
                    # Absent only where the request was refused before its key was
                    # known (a 413 of the body limit, an impersonation error).
                    always = status.startswith("2") or status == "429"
                    for name, doc in RATE_LIMIT_HEADERS.items():
                        headers[name] = {**doc, "required": always}
                if status == "429":
                    headers["Retry-After"] = {
                        "description": "Seconds until the rate limit's window resets.",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ok = status.startswith("2")
                if ok and "ListEnvelope" in str(response.get("content", {})):
                    for name, description in LIST_HEADERS.items():
                        headers[name] = {
                            "description": description,
                            "required": name != "X-Page",
                            "schema": {"type": "string"},
                        }
                if status == "201":
                    headers["Location"] = {
                        "description": "The path of the created resource.",
                        "required": True,
                        "schema": {"type": "string"},
                    }
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
