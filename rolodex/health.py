"""``GET /health``: is the server up and can it reach its database?"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from rolodex import __version__
from rolodex.http.envelope import JsonResponse

router = APIRouter(tags=["Health"])


class Health(BaseModel):
    """The server's state; 503 when the database does not answer."""

    status: str
    database: str
    version: str


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer."}},
    summary="Check the server and its database",
)
async def health(request: Request) -> JsonResponse:
    try:
        async with request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means "unavailable"
        return JsonResponse(
            {"status": "unavailable", "database": "unreachable", "version": __version__},
            status_code=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "version": __version__})
