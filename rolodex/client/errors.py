"""Exceptions of the client: one per error code of the API, all carrying the status, the
code, the message, the details and the request id of the failed request."""

from __future__ import annotations

from typing import Any


class RolodexError(Exception):
    """Any failure of a Rolodex call."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or []
        self.request_id = request_id
        self.headers = headers or {}

    def __str__(self) -> str:
        prefix = f"{self.status} {self.code}: " if self.status is not None else ""
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"{prefix}{self.message}{suffix}"


class ConfigurationError(RolodexError, ValueError):
    """The client cannot be made as asked: no API key, a key that cannot be sent in a
    header (a placeholder such as ``rdx_k_…`` pasted from the docs), a base URL that is
    not ``http://`` or ``https://``. Raised by the constructor, before any request; also a
    ``ValueError``."""


class APIConnectionError(RolodexError):
    """The server could not be reached, or the connection broke before an answer."""


class APIError(RolodexError):
    """The server answered with an error status."""


class ValidationError(APIError):
    """400 VALIDATION_ERROR: a body field or parameter is not valid; see ``details``."""


class AuthenticationError(APIError):
    """401 UNAUTHORIZED: missing, unknown, revoked or expired credential."""


class PermissionDeniedError(APIError):
    """403 FORBIDDEN: the credential's scope or the user's permission does not allow it."""


class NotFoundError(APIError):
    """404 NOT_FOUND: no such resource in this account."""


class MethodNotAllowedError(APIError):
    """405 METHOD_NOT_ALLOWED."""


class ConflictError(APIError):
    """409 CONFLICT: a duplicate, or the same Idempotency-Key still in flight."""


class PreconditionFailedError(APIError):
    """412 PRECONDITION_FAILED: the record changed since its ETag was read."""


class PayloadTooLargeError(APIError):
    """413 PAYLOAD_TOO_LARGE."""


class UnsupportedMediaTypeError(APIError):
    """415 UNSUPPORTED_MEDIA_TYPE."""


class UnprocessableError(APIError):
    """422 UNPROCESSABLE: not allowed now, or an Idempotency-Key reused for another request."""


class RateLimitError(APIError):
    """429 RATE_LIMITED, after the retries ran out; ``retry_after`` in seconds."""

    @property
    def retry_after(self) -> float | None:
        """The server's ``Retry-After``, in seconds."""
        raw = self.headers.get("retry-after")
        try:
            return float(raw) if raw is not None else None
        except ValueError:
            return None


class ServerError(APIError):
    """5xx: the server failed; quote ``request_id`` when reporting it."""


BY_CODE: dict[str, type[APIError]] = {
    "VALIDATION_ERROR": ValidationError,
    "UNAUTHORIZED": AuthenticationError,
    "FORBIDDEN": PermissionDeniedError,
    "NOT_FOUND": NotFoundError,
    "METHOD_NOT_ALLOWED": MethodNotAllowedError,
    "CONFLICT": ConflictError,
    "PRECONDITION_FAILED": PreconditionFailedError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaTypeError,
    "UNPROCESSABLE": UnprocessableError,
    "RATE_LIMITED": RateLimitError,
    "INTERNAL_ERROR": ServerError,
}
BY_STATUS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableError,
    429: RateLimitError,
}


def error_class(status: int, code: str | None) -> type[APIError]:
    """The exception for an error answer: by its code, else by its status."""
    if code in BY_CODE:
        return BY_CODE[code]
    if status >= 500:
        return ServerError
    return BY_STATUS.get(status, APIError)
