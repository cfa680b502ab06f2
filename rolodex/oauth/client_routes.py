"""Routes of ``/api/v1/oauth-clients``: registering applications."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, list_params, list_response, paginate
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.ids import id_pattern
from rolodex.oauth import clients
from rolodex.oauth.models import OAuthClient
from rolodex.oauth.schemas import OAuthClientCreate, OAuthClientCreated, OAuthClientOut
from rolodex.schemas import dump

router = api_router("oauth_clients", prefix="/oauth-clients", tags=["OAuth clients"])
SORTS = {
    "created_at": OAuthClient.created_at,
    "updated_at": OAuthClient.updated_at,
    "name": OAuthClient.name,
}
ClientId = Annotated[
    str, Path(description="An OAuth client id.", json_schema_extra={"pattern": id_pattern("ocl")})
]


@router.post(
    "",
    status_code=201,
    response_model=DataEnvelope[OAuthClientCreated],
    summary="Register an OAuth client",
    description="Owners and admins may. `client_secret` (confidential clients) is in this "
    "response only.",
)
async def create_oauth_client(
    body: OAuthClientCreate, request: Request, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    client, secret = await clients.create_client(
        session, principal, body, request.app.state.oauth_scopes
    )
    data = dump(OAuthClientOut, client) | {"client_secret": secret}
    return JsonResponse(
        {"data": data}, status_code=201, headers={"Location": f"/api/v1/oauth-clients/{client.id}"}
    )


@router.get("", response_model=ListEnvelope[OAuthClientOut], summary="List OAuth clients")
async def list_oauth_clients(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(list_params(list(SORTS), "ocl"))],
) -> JsonResponse:
    page = await paginate(
        session,
        clients.visible_clients(principal),
        model=OAuthClient,
        collection="oauth_clients",
        sortable=SORTS,
        params=params,
        secret=secret,
    )
    return list_response(request, page, OAuthClientOut)


@router.get(
    "/{client_id}", response_model=DataEnvelope[OAuthClientOut], summary="Get an OAuth client"
)
async def get_oauth_client(
    client_id: ClientId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(OAuthClientOut, await clients.get_client(session, principal, client_id))


@router.delete(
    "/{client_id}",
    response_model=DeletedEnvelope,
    summary="Delete an OAuth client",
    description="Every token the client holds is revoked at once.",
)
async def delete_oauth_client(
    client_id: ClientId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await clients.delete_client(session, principal, client_id, precondition=precondition)
    return deleted()
