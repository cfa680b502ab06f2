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
from rolodex.http.pagination import ListParams, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.kinds import OAUTH_CLIENT
from rolodex.oauth import clients
from rolodex.oauth.schemas import OAuthClientCreate, OAuthClientCreated, OAuthClientOut
from rolodex.schemas import dump

router = api_router(OAUTH_CLIENT.scope, prefix=OAUTH_CLIENT.path, tags=["OAuth clients"])
ClientId = Annotated[
    str,
    Path(description="An OAuth client id.", json_schema_extra={"pattern": OAUTH_CLIENT.id_pattern}),
]
Params = Annotated[ListParams, Depends(kind_params(OAUTH_CLIENT))]


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
        {"data": data}, status_code=201, headers={"Location": OAUTH_CLIENT.location(client.id)}
    )


@router.get("", response_model=ListEnvelope[OAuthClientOut], summary="List OAuth clients")
async def list_oauth_clients(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
) -> JsonResponse:
    page = await paginate_kind(
        session,
        clients.visible_clients(principal),
        OAUTH_CLIENT,
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
