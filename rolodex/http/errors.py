"""Errors as the contract shows them: ``{"error": {code, message, request_id, details}}``.

Domain code raises :class:`ApiError` subclasses; handlers registered here turn them,
and every framework error, into that envelope, so no response ever leaves in another shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

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
    """An error with a status and a stable machine-readable code."""

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers


class ValidationFailed(ApiError):
    status, code = 400, "VALIDATION_ERROR"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        """A validation error about one field, worded ``"<field> <message>"``."""
        return cls(f"{field} {message}", details=[{"field": field, "message": message}])


class Unauthorized(ApiError):
    status, code = 401, "UNAUTHORIZED"


class Forbidden(ApiError):
    status, code = 403, "FORBIDDEN"


class NotFound(ApiError):
    status, code = 404, "NOT_FOUND"


class MethodNotAllowed(ApiError):
    status, code = 405, "METHOD_NOT_ALLOWED"


class Conflict(ApiError):
    status, code = 409, "CONFLICT"


class PreconditionFailed(ApiError):
    status, code = 412, "PRECONDITION_FAILED"


class PayloadTooLarge(ApiError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(ApiError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(ApiError):
    status, code = 422, "UNPROCESSABLE"


class RateLimited(ApiError):
    status, code = 429, "RATE_LIMITED"


_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (
        ValidationFailed,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        RateLimited,
    )
}
_DEFAULT_MESSAGES = {
    400: "The request is not valid",
    404: "No such resource",
    405: "This method is not allowed on this resource",
    413: "The request body is larger than the server accepts",
}


def request_id_of(request: Request) -> str | None:
    """The id the request-id middleware gave this request."""
    return getattr(request.state, "request_id", None)


def response_headers(request: Request) -> dict[str, str]:
    """Headers that steps of the pipeline (the rate limit, …) add to whatever response the
    request gets, an error included; kept in ``request.state.response_headers``."""
    headers: dict[str, str] = getattr(request.state, "response_headers", {})
    return headers


def add_response_headers(request: Request, headers: dict[str, str]) -> None:
    """Have ``headers`` sent with this request's response, success or error."""
    if not hasattr(request.state, "response_headers"):
        request.state.response_headers = {}
    request.state.response_headers.update(headers)


def error_response(request: Request, error: ApiError) -> JSONResponse:
    """Render an :class:`ApiError` as the contract's envelope."""
    body = ErrorBody(
        code=error.code,
        message=error.message,
        request_id=request_id_of(request),
        details=[ErrorDetail(**d) for d in error.details] if error.details else None,
    )
    headers = {**response_headers(request), **(error.headers or {})}
    if body.request_id:
        headers["X-Request-Id"] = body.request_id
    return JSONResponse(
        {"error": body.model_dump(exclude_none=True)}, status_code=error.status, headers=headers
    )


def _field_of(error: dict[str, Any]) -> str | None:
    if error.get("type") == "json_invalid":
        return None  # the location is a character offset, not a field
    return ".".join(str(part) for part in tuple(error.get("loc", ()))[1:]) or None


def _message_of(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return f"The body is not valid JSON: {error.get('ctx', {}).get('error', 'parse error')}"
    if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
        return "A JSON body is required"
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")


def validation_error_from(exc: RequestValidationError) -> ValidationFailed:
    """Translate FastAPI's validation error into the contract's 400."""
    details: list[dict[str, Any]] = [
        {"field": _field_of(err), "message": _message_of(err)} for err in exc.errors()
    ]
    if not details:
        return ValidationFailed("The request is not valid")
    field, message = details[0]["field"], str(details[0]["message"])
    return ValidationFailed(f"{field}: {message}" if field else message, details=details)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the contract's envelope."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, validation_error_from(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        cls = _BY_STATUS.get(exc.status_code, ValidationFailed)
        default = _DEFAULT_MESSAGES.get(exc.status_code, "The request could not be handled")
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else default
        return error_response(request, cls(message, headers=dict(exc.headers or {})))

    async def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        log.info("integrity error turned into 409: %s", type(exc).__name__)
        return error_response(request, Conflict("The change conflicts with existing data"))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in request %s", request_id_of(request), exc_info=exc)
        error = ApiError("An internal error occurred; quote the request id when reporting it")
        return error_response(request, error)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(Exception, on_unexpected)


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
}
