"""The request pipeline every API route runs through, in this order:

authenticate → check the route's scope → check the body's media type → run the route
inside one unit of work, which commits only if the route returned.

Routes declare their resource once, through :func:`api_router`; the scope a route needs
follows from it and the HTTP method (``contacts.readonly`` for reads, ``contacts.write``
for changes) and is shown in the OpenAPI document as ``x-required-scope``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from email.message import Message
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import READ_SUFFIX, WRITE_SUFFIX, Principal
from rolodex.db import unit_of_work
from rolodex.http.auth import authenticate
from rolodex.http.errors import ERROR_RESPONSES, ErrorEnvelope, Forbidden, UnsupportedMediaType

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACCEPTED_CHARSETS = frozenset({"utf-8", "utf8"})
SECURITY: list[dict[str, list[str]]] = [{"ApiKeyHeader": []}, {"BearerAuth": []}, {"TokenAuth": []}]


def check_media_type(request: Request) -> None:
    """A request that carries a body must say it is JSON (``charset=utf-8`` allowed)."""
    if request.method not in BODY_METHODS:
        return
    has_body = request.headers.get("content-length", "0") not in ("", "0") or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return
    raw = request.headers.get("content-type")
    if not raw:
        raise UnsupportedMediaType(
            "A request body must be sent with Content-Type: application/json"
        )
    message = Message()
    message["content-type"] = raw
    charset = message.get_param("charset")
    if message.get_content_type() != "application/json" or (
        isinstance(charset, str) and charset.lower() not in ACCEPTED_CHARSETS
    ):
        raise UnsupportedMediaType(
            f"Content-Type {raw!r} is not supported; send application/json (UTF-8)"
        )


class ApiRoute(APIRoute):
    """An API route: documented errors, a required scope and the request pipeline."""

    resource: ClassVar[str] = ""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in (kwargs.get("methods") or ["GET"])}
        writes = not methods <= SAFE_METHODS
        self.required_scope = self.resource + (WRITE_SUFFIX if writes else READ_SUFFIX)
        extra = dict(kwargs.get("openapi_extra") or {})
        extra.setdefault("x-required-scope", self.required_scope)
        extra.setdefault("security", SECURITY)
        kwargs["openapi_extra"] = extra
        statuses = [400, 401, 403, 404, 500]
        if writes:
            statuses += [409, 413, 415, 422]
        responses = dict(kwargs.get("responses") or {})
        for status in statuses:
            responses.setdefault(
                status, {"model": ErrorEnvelope, "description": ERROR_RESPONSES[status]}
            )
        kwargs["responses"] = responses
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        required = self.required_scope

        async def pipeline(request: Request) -> Response:
            state = request.app.state
            async with unit_of_work(state.sessions) as session:
                request.state.session = session
                principal = await authenticate(request, session, state.settings)
                if not principal.allows(required):
                    raise Forbidden(f"This credential does not grant the {required} scope")
                request.state.principal = principal
                check_media_type(request)
                return await handler(request)

        return pipeline


def api_router(resource: str, **kwargs: Any) -> APIRouter:
    """A router whose routes need ``<resource>.readonly`` to read and ``<resource>.write``
    to change anything."""
    route_class = type(f"{resource.title()}Route", (ApiRoute,), {"resource": resource})
    return APIRouter(route_class=route_class, **kwargs)


def _principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def _session(request: Request) -> AsyncSession:
    session: AsyncSession = request.state.session
    return session


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
Session = Annotated[AsyncSession, Depends(_session)]


def secret_of(request: Request) -> str:
    """The deployment's secret key (signs cursors)."""
    secret: str = request.app.state.secret_key
    return secret


Secret = Annotated[str, Depends(secret_of)]
