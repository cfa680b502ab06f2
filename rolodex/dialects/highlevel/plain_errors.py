"""HighLevel's error body for the routes that answer outside the surface's request
pipeline (OAuth's, the webhook public key): the same ``{"statusCode", "message",
"error"}`` as :func:`rolodex.dialects.highlevel.surface.render_error`, never cached."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def highlevel_error(
    status: int, message: str | list[str], headers: dict[str, str] | None = None
) -> JSONResponse:
    """``{"statusCode", "message", "error"}``, ``error`` the status's reason phrase."""
    return JSONResponse(
        {"statusCode": status, "message": message, "error": HTTPStatus(status).phrase},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )
