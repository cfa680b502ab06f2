"""The request pipeline every API route runs through, in this order, inside one unit of
work that commits only if the route returned:

authenticate → count against the rate limit → check the route's scope → check the
body's media type → record changes for the audit log → run the route once per
Idempotency-Key → write the events of its changes (the outbox) → tag the response for
conditional requests.

Once the request is authenticated, the pipeline builds its
:class:`~rolodex.http.context.RequestContext` (session, principal, audit context, the
write's precondition, the headers of its answer); routes take it, or the parts of it they
need, through the dependencies below (:data:`Context`, :data:`Session`,
:data:`CurrentPrincipal`, :data:`WritePrecondition`) and pass those on to services.

Every error raised on the way, by a step or by the route, is answered by the pipeline in
the shape of the route's surface (:mod:`rolodex.http.surface`: the native envelope by
default; a dialect's own body otherwise), with the headers collected so far. The surface
also names the rate-limit headers, may refuse a request before it is authenticated (a
missing ``Version`` header) and is recorded in the ``origin`` of the events the request
writes. A request that names a running flow run of its own account
(:mod:`rolodex.runs.origin`) writes events whose ``origin`` is that flow's.

Routes declare their resource once, through :func:`api_router`; the scope a route needs
follows from it and the HTTP method (``contacts.readonly`` for reads, ``contacts.write``
for changes) and is shown in the OpenAPI document as ``x-required-scope``.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Coroutine
from email.message import Message
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from fastapi import APIRouter, Depends, Request, params
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import READ_SUFFIX, WRITE_SUFFIX, Principal
from rolodex.audit.capture import AuditContext, bind_audit
from rolodex.db import unit_of_work
from rolodex.errors import Forbidden, ValidationFailed
from rolodex.events.outbox import emit_changes
from rolodex.http.auth import authenticate, record_key_use
from rolodex.http.conditional import conditional_responses, precondition_of, with_etag
from rolodex.http.context import RequestContext, attach, request_context
from rolodex.http.envelope import is_single_resource
from rolodex.http.errors import (
    ERROR_RESPONSES,
    UnsupportedMediaType,
    error_response,
    request_id_of,
)
from rolodex.http.openapi_headers import request_headers
from rolodex.http.openapi_headers import response_headers as documented_headers
from rolodex.http.ratelimit import enforce_rate_limit
from rolodex.http.surface import NATIVE, Surface
from rolodex.idempotency.service import run_idempotent
from rolodex.keyring import KeyRing
from rolodex.preconditions import Precondition
from rolodex.runs.origin import mark_flow_origin
from rolodex.secret_fields import carries_secret

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACCEPTED_CHARSETS = frozenset({"utf-8", "utf8"})


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


async def check_encoding(request: Request) -> None:
    """A JSON body must be UTF-8 (RFC 8259 §8.1) without a byte-order mark; anything else
    is malformed JSON (400), where the JSON parser alone would detect UTF-16 or UTF-32
    and accept it."""
    if request.method in BODY_METHODS and not is_utf8_text(await request.body()):
        raise ValidationFailed(
            "The request body is not valid JSON: it must be UTF-8, without a byte-order mark"
        )


def is_utf8_text(body: bytes) -> bool:
    """Whether ``body`` is UTF-8 without a BOM and without NUL bytes (which JSON text in
    UTF-8 never has, and UTF-16 or UTF-32 text of ASCII always does)."""
    if body.startswith(codecs.BOM_UTF8) or b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def single_valued_query(dependant: Dependant) -> frozenset[str]:
    """The query parameters of a route (its dependencies' included) that take one value,
    not a list."""
    names = set()
    for field in get_flat_params(dependant):
        if isinstance(field.field_info, params.Query) and not _is_sequence(
            field.field_info.annotation
        ):
            names.add(field.alias)
    return frozenset(names)


def _is_sequence(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _is_sequence(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_sequence(arm) for arm in get_args(annotation))
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, list | tuple | set | frozenset)


def check_single_values(request: Request, names: frozenset[str]) -> None:
    """A parameter that takes one value may be sent once: ``?page=1&page=2`` is refused
    rather than answered for one of them."""
    repeated = sorted(n for n in names if len(request.query_params.getlist(n)) > 1)
    if repeated:
        raise ValidationFailed(
            "A query parameter that takes one value was sent more than once",
            details=[{"field": n, "message": "may be given only once"} for n in repeated],
        )


class ApiRoute(APIRoute):
    """An API route: documented errors, a required scope and the request pipeline."""

    resource: ClassVar[str] = ""
    surface: ClassVar[Surface] = NATIVE
    """The API the route belongs to: how it draws errors and rate-limit headers."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {m.upper() for m in (kwargs.get("methods") or ["GET"])}
        writes = not methods <= SAFE_METHODS
        self.required_scope = self.resource + (WRITE_SUFFIX if writes else READ_SUFFIX)
        single = is_single_resource(kwargs.get("response_model"))
        self.no_store = carries_secret(kwargs.get("response_model"))
        extra = dict(kwargs.get("openapi_extra") or {})
        extra.setdefault("x-required-scope", self.required_scope)
        extra.setdefault("security", self.surface.security)
        extra["parameters"] = [*extra.get("parameters", []), *request_headers(methods, single)]
        kwargs["openapi_extra"] = extra
        statuses = [400, 401, 403, 404, 429, 500, 503]
        if writes:
            statuses += [409, 413, 415, 422]
        responses = {k: dict(v) for k, v in (kwargs.get("responses") or {}).items()}
        for status in statuses:
            responses.setdefault(
                status,
                {"model": self.surface.error_model, "description": ERROR_RESPONSES[status]},
            )
        for status_code, doc in conditional_responses(methods, single).items():
            responses.setdefault(status_code, doc)
        success = kwargs.get("status_code") or 200
        responses.setdefault(success, {})
        for status_code, doc in responses.items():
            headers = documented_headers(int(status_code), methods, single)
            if headers:
                doc["headers"] = {**headers, **doc.get("headers", {})}
        kwargs["responses"] = responses
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        required = self.required_scope
        surface = type(self).surface
        no_store = self.no_store
        single_query = single_valued_query(self.dependant)

        async def pipeline(request: Request) -> Response:
            headers: dict[str, str] = {}
            try:
                response = await run(request, headers)
            except Exception as exc:
                return error_response(request, exc, surface.render_error, headers)
            finally:
                await record_key_use(request, request.app.state.sessions)
            response.headers.update(headers)
            return response

        async def run(request: Request, headers: dict[str, str]) -> Response:
            state = request.app.state
            surface.check_request(request)
            async with unit_of_work(state.sessions) as session:
                principal = await authenticate(request, session, state.settings, state.token_kinds)
                request_id = request_id_of(request)
                context = RequestContext(
                    request_id=request_id,
                    session=session,
                    principal=principal,
                    audit=AuditContext.acting_as(principal, request_id, surface=surface.name),
                    precondition=precondition_of(request),
                    response_headers=headers,
                )
                attach(request, context)
                # Before the scope check, so that a 403 is counted and carries the headers.
                await enforce_rate_limit(request, context, surface.rate_headers)
                if not principal.allows(required):
                    raise Forbidden(f"This credential does not grant the {required} scope")
                check_media_type(request)
                await check_encoding(request)
                check_single_values(request, single_query)
                await mark_flow_origin(session, request.headers, context.audit)
                bind_audit(session, context.audit)
                response = await run_idempotent(
                    request, session, principal, lambda: handler(request)
                )
                # Last before commit: the changes are final, and the outbox lock is
                # held only for the insert of the events.
                await emit_changes(session, state.event_subscribers)
                if no_store:  # a secret shown once is never kept by a cache
                    response.headers["Cache-Control"] = "no-store"
                return with_etag(request, response)

        return pipeline


def api_router(resource: str, *, surface: Surface = NATIVE, **kwargs: Any) -> APIRouter:
    """A router whose routes need ``<resource>.readonly`` to read and ``<resource>.write``
    to change anything, and that belong to ``surface`` (the native API unless said)."""
    route_class = type(
        f"{surface.name.title()}{resource.title()}Route",
        (ApiRoute,),
        {"resource": resource, "surface": surface},
    )
    return APIRouter(route_class=route_class, **kwargs)


async def _principal(context: Context) -> Principal:
    return context.principal


async def _session(context: Context) -> AsyncSession:
    return context.session


async def _precondition(context: Context) -> Precondition | None:
    return context.precondition


Context = Annotated[RequestContext, Depends(request_context)]
"""The whole request context, for a route that passes several of its parts on."""
CurrentPrincipal = Annotated[Principal, Depends(_principal)]
Session = Annotated[AsyncSession, Depends(_session)]
WritePrecondition = Annotated[Precondition | None, Depends(_precondition)]
"""The write's ``If-Match`` / ``If-None-Match``, for the service to check on its target."""


async def secret_of(request: Request) -> KeyRing:
    """The deployment's key ring (signs cursors with its newest key, accepts any)."""
    ring: KeyRing = request.app.state.key_ring
    return ring


Secret = Annotated[KeyRing, Depends(secret_of)]
