"""A surface: one API over the domain, in its own conventions.

Rolodex has the native API (``/api/v1``) and dialects that speak another vendor's API over
the same services (``/moco/api/v1``, ``/highlevel``). A :class:`Surface` declares what
differs between them and nothing else: the path prefix, how an error is drawn, how the
rate-limit headers are named, a check that runs on every request before it is
authenticated (a required ``Version`` header…), and the name that events' ``origin``
records for the changes made through it. The request pipeline
(:mod:`rolodex.http.pipeline`) takes a surface from the router a route belongs to:
``api_router(resource, surface=MOCO)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute

from rolodex import __version__
from rolodex.http.errors import ErrorEnvelope, ErrorRenderer, register_error_renderer, render_native
from rolodex.http.openapi_headers import RATE_LIMIT_HEADERS
from rolodex.http.ratelimit import Usage
from rolodex.kinds import API_PREFIX

NATIVE_SECURITY_SCHEMES: dict[str, Any] = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key or an OAuth access token (`rdx_at_…`); see "
        "`/.well-known/oauth-authorization-server`.",
    },
    "TokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "MOCO style: `Token token=<api key>`.",
    },
}


def no_check(request: Request) -> None:
    """Accept every request (the native API needs no header beyond the credential)."""


@dataclass(frozen=True)
class Surface:
    """What one API surface draws in its own way."""

    name: str
    """``native``, ``moco``, ``highlevel``: what events' ``origin.surface`` says."""
    prefix: str
    """Where its routes are mounted; errors outside a route under it are drawn by it too."""
    render_error: ErrorRenderer = render_native
    rate_headers: Callable[[Usage], dict[str, str]] = Usage.headers
    """The headers that tell a client its rate limit, from the request's count (the
    native API's ``X-RateLimit-*`` and the IETF draft's by default)."""
    check_request: Callable[[Request], None] = no_check
    """Runs first on every request of the surface; raises to refuse it."""
    title: str = "Rolodex API"
    """The title of the surface's own OpenAPI document."""
    description: str = ""
    security_schemes: Mapping[str, Any] = field(
        default_factory=lambda: dict(NATIVE_SECURITY_SCHEMES)
    )
    """How a credential is sent, as the OpenAPI document's ``securitySchemes``."""
    error_model: type[BaseModel] = ErrorEnvelope
    """The body of an error, as the OpenAPI document shows it."""
    rate_header_docs: Mapping[str, Any] | None = None
    """The OpenAPI description of the headers ``rate_headers`` draws (name → header
    object), shown in the surface's document in place of the native ones; None: the
    native ones."""

    @property
    def security(self) -> list[dict[str, list[str]]]:
        """The OpenAPI ``security`` of every operation: any one of the schemes."""
        return [{name: []} for name in self.security_schemes]


NATIVE = Surface(name="native", prefix=API_PREFIX)


def mount(app: FastAPI, surface: Surface, routers: Sequence[APIRouter]) -> None:
    """Serve ``routers`` under the surface's prefix: errors there (unknown paths and
    methods included) drawn by the surface, and its own OpenAPI document at
    ``<prefix>/openapi.json``, apart from the native one."""
    api = APIRouter(prefix=surface.prefix)
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    register_error_renderer(app, surface.prefix, surface.render_error)
    if not hasattr(app.state, "surfaces"):
        app.state.surfaces = {}
    app.state.surfaces[surface.prefix] = api
    document: dict[str, Any] = {}

    async def openapi() -> JSONResponse:
        if not document:
            document.update(
                get_openapi(
                    title=surface.title,
                    version=__version__,
                    description=surface.description,
                    routes=api.routes,
                )
            )
            components = document.setdefault("components", {})
            components["securitySchemes"] = dict(surface.security_schemes)
            _document_surface(document, surface)
        return JSONResponse(document)

    app.add_api_route(
        f"{surface.prefix}/openapi.json", openapi, methods=["GET"], include_in_schema=False
    )


def _document_surface(document: dict[str, Any], surface: Surface) -> None:
    """Every error of the document in the surface's body (FastAPI's default 422 and the
    native envelope of 412 included, since the surface's renderer draws them all), and
    its own rate-limit headers where the native ones are."""
    error = {
        "application/json": {
            "schema": {"$ref": f"#/components/schemas/{surface.error_model.__name__}"}
        }
    }
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5") and "content" in response:
                    response["content"] = dict(error)
                headers = response.get("headers", {})
                if surface.rate_header_docs is not None and set(RATE_LIMIT_HEADERS) & set(headers):
                    for name in RATE_LIMIT_HEADERS:
                        headers.pop(name, None)
                    headers.update(surface.rate_header_docs)
    schemas = document.get("components", {}).get("schemas", {})
    unused = ["HTTPValidationError", "ValidationError"]
    if surface.error_model is not ErrorEnvelope:
        unused += ["ErrorEnvelope", "ErrorBody", "ErrorDetail"]
    for name in unused:
        schemas.pop(name, None)


def native_routes(app: FastAPI) -> list[BaseRoute]:
    """The application's routes without those of the surfaces :func:`mount` added."""
    mounted: dict[str, APIRouter] = getattr(app.state, "surfaces", {})
    routers = [id(router) for router in mounted.values()]
    prefixes = tuple(prefix + "/" for prefix in mounted)
    return [
        route
        for route in app.routes
        # An included router stands for its routes (``original_router``).
        if id(getattr(route, "original_router", None)) not in routers
        and not getattr(route, "path", "").startswith(prefixes)
    ]
