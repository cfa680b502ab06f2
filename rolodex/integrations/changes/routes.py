"""``GET /connections/{id}/changes``: a connection's stream of remote changes."""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from sqlalchemy import select

from rolodex.http.envelope import JsonResponse, ListEnvelope
from rolodex.http.pagination import ListParams, QueryText, list_params, list_response, paginate
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.integrations import service
from rolodex.integrations.changes.models import RemoteChange
from rolodex.integrations.changes.schemas import RemoteChangeOut
from rolodex.integrations.changes.store import ID_PREFIX
from rolodex.integrations.kinds import CONNECTION

router = api_router(CONNECTION.scope, prefix=CONNECTION.path, tags=["Connections"])

SORTS = MappingProxyType(
    {
        "created_at": RemoteChange.created_at,
        "sequence": RemoteChange.sequence,
        "remote_updated_at": RemoteChange.remote_updated_at,
    }
)
COLLECTION = "remote_changes"
ConnectionId = Annotated[
    str,
    Path(description="A connection id.", json_schema_extra={"pattern": CONNECTION.id_pattern}),
]
Params = Annotated[ListParams, Depends(list_params(list(SORTS), ID_PREFIX))]


@router.get(
    "/{connection_id}/changes",
    response_model=ListEnvelope[RemoteChangeOut],
    summary="A connection's remote changes",
    description="What the remote changed, as its webhooks and polling saw it, each change "
    "once. To follow the stream, walk it with `sort=sequence&order=asc` and `after`, or "
    "with `after_sequence`.",
)
async def list_changes(
    request: Request,
    connection_id: ConnectionId,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    after_sequence: Annotated[
        int | None, Query(ge=0, le=2**62, description="Only changes numbered after this.")
    ] = None,
    remote_type: Annotated[
        QueryText | None, Query(max_length=40, description="Only this remote type.")
    ] = None,
    remote_id: Annotated[
        QueryText | None, Query(max_length=100, description="Only this remote record.")
    ] = None,
    source: Annotated[
        Literal["webhook", "poll"] | None, Query(description="Only what this route saw first.")
    ] = None,
) -> JsonResponse:
    connection = await service.get_connection(session, principal, connection_id)
    stmt = select(RemoteChange).where(
        RemoteChange.account_id == principal.account_id,
        RemoteChange.connection_id == connection.id,
    )
    if after_sequence is not None:
        stmt = stmt.where(RemoteChange.sequence > after_sequence)
    if remote_type is not None:
        stmt = stmt.where(RemoteChange.remote_type == remote_type)
    if remote_id is not None:
        stmt = stmt.where(RemoteChange.remote_id == remote_id)
    if source is not None:
        stmt = stmt.where(RemoteChange.source == source)
    page = await paginate(
        session,
        stmt,
        model=RemoteChange,
        collection=COLLECTION,
        sortable=SORTS,
        params=params,
        secret=secret,
    )
    return list_response(request, page, RemoteChangeOut)
