"""Errors as the native API shows them: ``{"error": {code, message, request_id, details}}``.

Services raise the domain's kinds (:mod:`rolodex.errors`), which carry no status; the
pipeline raises the transport's own (:class:`ApiError`: a missing credential, the rate
limit, the media type, the body size), which do. Rendering an error is two steps:

1. :func:`failure_of` turns any exception into a :class:`Failure` — status, code,
   message, details, headers — through one table from domain kind to status and code
   (:data:`NATIVE_STATUS`), so every surface starts from the same facts;
2. an :data:`ErrorRenderer` draws the failure as its surface's body. The native one is
   :func:`render_native`.

How a surface plugs in (a MOCO-style ``/moco/api/v1``, a HighLevel-style ``/highlevel``):
write a renderer ``(failure, request_id) -> Response`` that maps the failure to the
vendor's body and status (MOCO's ``{"message": …}``, its 422 for validation…); make the
surface's routers with ``api_router(resource, render_error=that_renderer)``, so that every
error raised inside their pipeline is drawn by it; and call
``register_error_renderer(app, "/moco/api/v1", that_renderer)`` so that errors the
framework answers outside any route (an unknown path, a wrong method) under its prefix
are drawn by it as well. Services and the table stay as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from rolodex.db import is_contention
from rolodex.errors import (
    Conflict,
    Detail,
    DomainError,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
    ValidationFailed,
    invalid,
)

log = logging.getLogger("rolodex.errors")


class ErrorDetail(BaseModel):
    """One problem with one field or parameter."""

    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """The inside of the error envelope."""

    code: str
    message: str
    request_id: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorEnvelope(BaseModel):
    """What every failed request answers."""

    error: ErrorBody


class ApiError(Exception):
    """An error of the transport (never of a service), with its status and code."""

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: list[Detail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"


class MethodNotAllowed(ApiError):
    status, code = 405, "METHOD_NOT_ALLOWED"


class PayloadTooLarge(ApiError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(ApiError):
    status, code = 429, "RATE_LIMITED"


class ServiceUnavailable(ApiError):
    status, code = 503, "SERVICE_UNAVAILABLE"


BUSY_RETRY_AFTER_SECONDS = 1
"""What ``Retry-After`` says when the database was too busy to take the request."""


NATIVE_STATUS: dict[type[DomainError], tuple[int, str]] = {
    ValidationFailed: (400, "VALIDATION_ERROR"),
    Forbidden: (403, "FORBIDDEN"),
    NotFound: (404, "NOT_FOUND"),
    Conflict: (409, "CONFLICT"),
    PreconditionFailed: (412, "PRECONDITION_FAILED"),
    Unprocessable: (422, "UNPROCESSABLE"),
}
"""The status and code of each domain kind in the native API."""

_CODES_BY_STATUS: dict[int, str] = {
    **{status: code for status, code in NATIVE_STATUS.values()},
    **{
        cls.status: cls.code
        for cls in (Unauthorized, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType)
    },
    RateLimited.status: RateLimited.code,
    ServiceUnavailable.status: ServiceUnavailable.code,
}
_DEFAULT_MESSAGES = {
    400: "The request is not valid",
    404: "No such resource",
    405: "This method is not allowed on this resource",
    413: "The request body is larger than the server accepts",
}


@dataclass(frozen=True)
class Failure:
    """What went wrong, as every surface's renderer receives it."""

    status: int
    code: str
    message: str
    details: list[Detail] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers the error itself calls for (``Retry-After``, ``WWW-Authenticate``)."""


ErrorRenderer = Callable[[Failure, str | None], Response]
"""A surface's drawing of a failure: ``(failure, request_id) -> response``. The caller
adds the failure's and the request's headers afterwards."""


def native_status(error: DomainError) -> tuple[int, str]:
    """The native status and code of a domain error (its nearest kind in the table)."""
    for kind in type(error).__mro__:
        if kind in NATIVE_STATUS:
            return NATIVE_STATUS[kind]
    return 500, ApiError.code


def _from_framework(exc: StarletteHTTPException) -> Failure:
    code = _CODES_BY_STATUS.get(exc.status_code)
    status = exc.status_code if code is not None else 400
    default = _DEFAULT_MESSAGES.get(exc.status_code, "The request could not be handled")
    message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else default
    return Failure(status, code or "VALIDATION_ERROR", message, None, dict(exc.headers or {}))


def failure_of(exc: Exception, request_id: str | None = None) -> Failure:
    """Any exception as a :class:`Failure`; an unexpected one is logged and becomes a 500
    whose message shows no trace."""
    if isinstance(exc, RequestValidationError):
        exc = invalid(exc.errors(), skip=1)
    elif isinstance(exc, IntegrityError):
        log.info("integrity error turned into 409: %s", type(exc).__name__)
        exc = Conflict("The change conflicts with existing data")
    elif is_contention(exc):
        log.warning("database busy in request %s: answered 503", request_id)
        exc = ServiceUnavailable(
            "The database is busy; retry the request after Retry-After seconds",
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, DomainError):
        status, code = native_status(exc)
        return Failure(status, code, exc.message, exc.details)
    if isinstance(exc, ApiError):
        return Failure(exc.status, exc.code, exc.message, exc.details, dict(exc.headers or {}))
    if isinstance(exc, StarletteHTTPException):
        return _from_framework(exc)
    log.exception("unhandled error in request %s", request_id, exc_info=exc)
    return Failure(
        500, ApiError.code, "An internal error occurred; quote the request id when reporting it"
    )


def render_native(failure: Failure, request_id: str | None) -> Response:
    """The native envelope: ``{"error": {code, message, request_id, details}}``."""
    body = ErrorBody(
        code=failure.code,
        message=failure.message,
        request_id=request_id,
        details=[ErrorDetail(**d) for d in failure.details] if failure.details else None,
    )
    return JSONResponse({"error": body.model_dump(exclude_none=True)}, status_code=failure.status)


def item_error(error: DomainError) -> dict[str, Any]:
    """A domain error as one item of a native batch answers it: code, message, details."""
    out: dict[str, Any] = {"code": native_status(error)[1], "message": error.message}
    if error.details:
        out["details"] = error.details
    return out


def request_id_of(request: Request) -> str | None:
    """The id the request-id middleware gave this request."""
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    exc: Exception,
    render: ErrorRenderer = render_native,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The response to ``exc``, drawn by ``render``, with the request's ``headers`` (those
    the pipeline collected, the rate limit's…), the error's own and ``X-Request-Id``."""
    request_id = request_id_of(request)
    failure = failure_of(exc, request_id)
    response = render(failure, request_id)
    response.headers.update({**(headers or {}), **failure.headers})
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


def register_error_renderer(app: FastAPI, prefix: str, render: ErrorRenderer) -> None:
    """Have errors answered outside any route (unknown path, wrong method) under
    ``prefix`` drawn by ``render``; elsewhere they are native."""
    renderers: dict[str, ErrorRenderer] = app.state.error_renderers
    renderers[prefix.rstrip("/")] = render


def renderer_for(request: Request) -> ErrorRenderer:
    """The renderer of the surface the request's path belongs to (native by default)."""
    renderers: dict[str, ErrorRenderer] = getattr(request.app.state, "error_renderers", {})
    path = request.url.path
    matching = [p for p in renderers if path == p or path.startswith(p + "/")]
    return renderers[max(matching, key=len)] if matching else render_native


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error the framework raises outside a route's pipeline (which renders
    its own) in the shape of the surface the path belongs to."""
    app.state.error_renderers = {}

    async def on_error(request: Request, exc: Exception) -> Response:
        return error_response(request, exc, renderer_for(request))

    for kind in (ApiError, DomainError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, on_error)
    app.add_exception_handler(IntegrityError, on_error)
    app.add_exception_handler(Exception, on_error)


ERROR_RESPONSES: dict[int, str] = {
    400: "The body, a parameter or the JSON is not valid (`VALIDATION_ERROR`).",
    401: "No credential, or an unknown, revoked or expired one (`UNAUTHORIZED`).",
    403: "The credential's scope or the user's permission does not allow this (`FORBIDDEN`).",
    404: "No such resource in this account (`NOT_FOUND`).",
    405: "The method is not allowed on this path (`METHOD_NOT_ALLOWED`).",
    409: "A duplicate or conflicting change (`CONFLICT`).",
    413: "The body is larger than 1 MiB (`PAYLOAD_TOO_LARGE`).",
    415: "A body was sent without `Content-Type: application/json` (`UNSUPPORTED_MEDIA_TYPE`).",
    422: "Well-formed but not allowed in the resource's current state (`UNPROCESSABLE`).",
    429: "The credential's rate limit is used up; retry after `Retry-After` seconds "
    "(`RATE_LIMITED`).",
    500: "An unexpected error; the body never shows a trace (`INTERNAL_ERROR`).",
    503: "The database was too busy to take the request; retry after `Retry-After` seconds "
    "(`SERVICE_UNAVAILABLE`).",
}
