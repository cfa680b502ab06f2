"""Routes of ``/users`` and ``/api-keys``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request

from rolodex.accounts import service
from rolodex.accounts import users as user_admin
from rolodex.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    KeyKind,
    UserCreate,
    UserOut,
    UserUpdate,
)
from rolodex.errors import NotFound
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
from rolodex.kinds import API_KEY, USER
from rolodex.schemas import dump
from rolodex.validation import Email

users = api_router(USER.scope, prefix=USER.path, tags=["Users"])
api_keys = api_router(API_KEY.scope, prefix=API_KEY.path, tags=["API keys"])

UserId = Annotated[
    str, Path(description="A user id.", json_schema_extra={"pattern": USER.id_pattern})
]
KeyId = Annotated[
    str, Path(description="An API key id.", json_schema_extra={"pattern": API_KEY.id_pattern})
]


@users.get("", response_model=ListEnvelope[UserOut], summary="List the account's users")
async def list_users(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(USER))],
    role: Annotated[Literal["owner", "admin", "member"] | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    email: Annotated[Email | None, Query(description="Exact address, any case.")] = None,
) -> JsonResponse:
    page = await paginate_kind(
        session,
        service.search_users(principal, role=role, active=active, email=email),
        USER,
        params=params,
        secret=secret,
    )
    return list_response(request, page, UserOut)


@users.get(
    "/me",
    response_model=DataEnvelope[UserOut],
    summary="The user the request acts as",
    description="An account-level API key acts as no user: `404` for it.",
)
async def get_me(principal: CurrentPrincipal) -> JsonResponse:
    if principal.user is None:
        raise NotFound("This credential is an account-level API key: it acts as no user")
    return one(UserOut, principal.user)


@users.get("/{user_id}", response_model=DataEnvelope[UserOut], summary="Get a user")
async def get_user(user_id: UserId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(UserOut, await service.get_user(session, principal, user_id))


@users.post(
    "",
    status_code=201,
    response_model=DataEnvelope[UserOut],
    summary="Create a user",
    description="Owners and admins may; only an owner may create an owner or a staff user.",
)
async def create_user(
    body: UserCreate, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    user = await user_admin.create_user(session, principal, body)
    return one(UserOut, user, status_code=201, location=USER.location(user.id))


@users.patch(
    "/{user_id}",
    response_model=DataEnvelope[UserOut],
    summary="Change a user",
    description="See the permission matrix: members change only their own name, email "
    "and password; only owners change owners, roles to owner, or staff.",
)
async def update_user(
    user_id: UserId,
    body: UserUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    return one(
        UserOut,
        await user_admin.update_user(session, principal, user_id, body, precondition=precondition),
    )


@users.delete(
    "/{user_id}",
    response_model=DeletedEnvelope,
    summary="Deactivate a user",
    description="The user is kept (inactive) and every credential of theirs stops working.",
)
async def deactivate_user(
    user_id: UserId, session: Session, principal: CurrentPrincipal, precondition: WritePrecondition
) -> JsonResponse:
    await user_admin.deactivate_user(session, principal, user_id, precondition=precondition)
    return deleted()


@api_keys.post(
    "",
    status_code=201,
    response_model=DataEnvelope[ApiKeyCreated],
    summary="Create an API key",
    description="The secret `key` is in this response only; Rolodex stores its hash. "
    "`kind: account` makes a key of the account that acts as no user (owners and admins).",
)
async def create_api_key(
    body: ApiKeyCreate, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    key, secret = await service.create_key_for(session, principal, body)
    data = dump(ApiKeyOut, key) | {"key": secret}
    return JsonResponse(
        {"data": data}, status_code=201, headers={"Location": API_KEY.location(key.id)}
    )


@api_keys.get("", response_model=ListEnvelope[ApiKeyOut], summary="List API keys")
async def list_api_keys(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(API_KEY))],
    kind: Annotated[KeyKind | None, Query(description="Only keys of this kind.")] = None,
) -> JsonResponse:
    page = await paginate_kind(
        session,
        service.visible_keys(principal, kind),
        API_KEY,
        params=params,
        secret=secret,
    )
    return list_response(request, page, ApiKeyOut)


@api_keys.get("/{key_id}", response_model=DataEnvelope[ApiKeyOut], summary="Get an API key")
async def get_api_key(key_id: KeyId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(ApiKeyOut, await service.get_key(session, principal, key_id))


@api_keys.delete("/{key_id}", response_model=DeletedEnvelope, summary="Revoke an API key")
async def revoke_api_key(
    key_id: KeyId, session: Session, principal: CurrentPrincipal, precondition: WritePrecondition
) -> JsonResponse:
    await service.revoke_key(session, principal, key_id, precondition=precondition)
    return deleted()
