"""Routes of ``/connections``: create, list, read, change, delete, check, usage."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request

from rolodex.config import Settings
from rolodex.db import release
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition, api_router
from rolodex.integrations import checks, service
from rolodex.integrations.authorize import start_authorization
from rolodex.integrations.budget import Pace
from rolodex.integrations.connectors_registry import KINDS
from rolodex.integrations.kinds import CONNECTION
from rolodex.integrations.models import rate_of
from rolodex.integrations.runtime import runtime_of
from rolodex.integrations.schemas import (
    AuthorizationOut,
    CheckResult,
    ConnectionCreate,
    ConnectionOut,
    ConnectionPatch,
    UsageOut,
)
from rolodex.integrations.usage import DAYS, usage_of

router = api_router(CONNECTION.scope, prefix=CONNECTION.path, tags=["Connections"])

ConnectionId = Annotated[
    str,
    Path(description="A connection id.", json_schema_extra={"pattern": CONNECTION.id_pattern}),
]
Params = Annotated[ListParams, Depends(kind_params(CONNECTION))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


def public_base(request: Request) -> str:
    """The server's external URL: ``ROLODEX_PUBLIC_URL``, or the one the request came to."""
    configured = _settings(request).public_url
    return (configured or str(request.base_url)).rstrip("/")


@router.get("", response_model=ListEnvelope[ConnectionOut], summary="List connections")
async def list_connections(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    kind: Annotated[str | None, Query(description=f"Only this kind: {', '.join(KINDS)}.")] = None,
    status: Annotated[
        Literal["active", "needs_auth", "failing", "disabled"] | None,
        Query(description="Only this status."),
    ] = None,
) -> JsonResponse:
    stmt = service.connections_of(principal, kind=kind, status=status)
    page = await paginate_kind(session, stmt, CONNECTION, params=params, secret=secret)
    return list_response(request, page, ConnectionOut)


@router.post(
    "",
    status_code=201,
    response_model=DataEnvelope[ConnectionOut],
    summary="Create a connection",
    description="Credentials are write-only: stored encrypted, never shown again.",
)
async def create_connection(
    request: Request,
    body: ConnectionCreate,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    key: Secret,
) -> JsonResponse:
    connection = await service.create_connection(
        session, principal, body, settings, key, public_base(request)
    )
    return one(
        ConnectionOut, connection, status_code=201, location=CONNECTION.location(connection.id)
    )


@router.get(
    "/{connection_id}", response_model=DataEnvelope[ConnectionOut], summary="Get a connection"
)
async def get_connection(
    connection_id: ConnectionId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(ConnectionOut, await service.get_connection(session, principal, connection_id))


@router.patch(
    "/{connection_id}",
    response_model=DataEnvelope[ConnectionOut],
    summary="Update a connection",
    description="`credentials` and `oauth` replace what is stored. A new `base_url` needs "
    "the credentials in the same request.",
)
async def update_connection(
    connection_id: ConnectionId,
    body: ConnectionPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    settings: Config,
    key: Secret,
) -> JsonResponse:
    connection = await service.update_connection(
        session, principal, connection_id, body, settings, key, precondition=precondition
    )
    return one(ConnectionOut, connection)


@router.delete("/{connection_id}", response_model=DeletedEnvelope, summary="Delete a connection")
async def delete_connection(
    connection_id: ConnectionId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await service.delete_connection(session, principal, connection_id, precondition=precondition)
    return deleted()


@router.post(
    "/{connection_id}/check",
    response_model=DataEnvelope[CheckResult],
    summary="Check a connection",
    description="One cheap authenticated call to the remote. A refused credential is "
    "`ok: false` and makes the connection `failing`; a passing check makes it `active`.",
)
async def check_connection(
    request: Request,
    connection_id: ConnectionId,
    session: Session,
    principal: CurrentPrincipal,
    key: Secret,
) -> JsonResponse:
    result = await checks.check_connection(
        session, principal, connection_id, runtime_of(request.app.state), key
    )
    return JsonResponse({"data": result.model_dump(mode="json")})


@router.post(
    "/{connection_id}/authorize",
    response_model=DataEnvelope[AuthorizationOut],
    summary="Authorize an OAuth connection",
    description="Answers the remote's authorization URL; send the user there. The remote "
    "sends them back to `/integrations/oauth/callback`, which stores the tokens.",
)
async def authorize_connection(
    request: Request,
    connection_id: ConnectionId,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    key: Secret,
) -> JsonResponse:
    url, expires = await start_authorization(
        session, principal, connection_id, settings, key, public_base(request)
    )
    shown = AuthorizationOut(authorize_url=url, expires_at=expires)
    return JsonResponse({"data": shown.model_dump(mode="json")})


@router.get(
    "/{connection_id}/usage",
    response_model=DataEnvelope[UsageOut],
    summary="A connection's usage and budget",
    description="Requests made, 429s and failures, per hour and per operation over the "
    "last days, and the rate budget now.",
)
async def connection_usage(
    request: Request,
    connection_id: ConnectionId,
    session: Session,
    principal: CurrentPrincipal,
    days: Annotated[int, Query(ge=1, le=DAYS, description="Days back, 1 to 7.")] = DAYS,
) -> JsonResponse:
    connection = await service.get_connection(session, principal, connection_id)
    runtime = runtime_of(request.app.state)
    pace = Pace.of(rate_of(connection), runtime.policy.headroom)
    # The budget may live in another transaction (or in Redis): hold no lock meanwhile.
    await release(session)
    budget = await runtime.budget.state(connection.id, pace)
    body = await usage_of(session, connection, budget, days=days)
    return JsonResponse({"data": UsageOut.model_validate(body).model_dump(mode="json")})
