"""``GET /metrics``: every metric in the Prometheus text format, for a scraper that
presents ``ROLODEX_METRICS_TOKEN``.

Off until the deployment sets a token: without one, ``/metrics`` answers ``404`` saying
how to turn it on. With one, a request must send ``Authorization: Bearer <token>``
(compared in constant time), or is answered ``401``. The route is outside the API: no
API key, no rate limit, no account.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from rolodex.config import Settings
from rolodex.db import unit_of_work
from rolodex.errors import NotFound
from rolodex.http.errors import Unauthorized
from rolodex.observability.backlog import BacklogCollector, read_backlog
from rolodex.observability.metrics import CONTENT_TYPE, exposition

router = APIRouter()

OFF = (
    "Metrics are off on this server: set ROLODEX_METRICS_TOKEN to a secret and scrape "
    "/metrics with 'Authorization: Bearer <token>'"
)


def authorized(settings: Settings, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries the deployment's metrics token;
    raises :class:`NotFound` when metrics are off."""
    if settings.metrics_token is None or not settings.metrics_token.get_secret_value():
        raise NotFound(OFF)
    scheme, _, sent = (authorization or "").partition(" ")
    expected = settings.metrics_token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Every process's metrics and the queues' backlog, in the Prometheus text format."""
    if not authorized(request.app.state.settings, request.headers.get("authorization")):
        raise Unauthorized(
            "GET /metrics needs 'Authorization: Bearer <ROLODEX_METRICS_TOKEN>'",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    async with unit_of_work(request.app.state.sessions) as session:
        backlog = await read_backlog(session)
    return Response(exposition(BacklogCollector(backlog)), media_type=CONTENT_TYPE)
