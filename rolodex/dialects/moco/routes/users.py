"""``/users`` and ``/session``: the account's users, through the native user service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy import false
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts import service as accounts
from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.schemas import UserOut as NativeUserOut
from rolodex.dialects.moco.listing import (
    LIST_HEADERS,
    ListQuery,
    list_query,
    list_response,
    moco_page,
    split_list,
)
from rolodex.dialects.moco.refs import refs_for
from rolodex.dialects.moco.routes.common import entity, found, missing_as, moco_router
from rolodex.dialects.moco.shapes import users as shapes
from rolodex.dialects.moco.shapes.users import SessionOut, UserOut
from rolodex.dialects.moco.surface import MocoJson
from rolodex.http.errors import Unauthorized
from rolodex.http.pagination import QueryText
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session
from rolodex.kinds import USER
from rolodex.schemas import dump
from rolodex.validation import Email

router = moco_router(USER.scope, "/users", "Users")
session_router = moco_router(USER.scope, "/session", "Session")

LABEL = "user"
SORTABLE = {moco: getattr(User, native) for moco, native in shapes.SORTS.items()}
UserId = Annotated[int, Path(description="A user's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


async def shown(
    session: AsyncSession, principal: Principal, rows: list[User]
) -> list[dict[str, Any]]:
    """Users as MOCO shows them."""
    dumped = [dump(NativeUserOut, row) for row in rows]
    refs = await refs_for(session, principal.account_id, ids=[u["id"] for u in dumped])
    return [shapes.user_of(u, refs) for u in dumped]


@router.get(
    "",
    response_model=list[UserOut],
    summary="List users",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_users(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
    include_archived: Annotated[bool, Query(description="Deactivated users too.")] = False,
    email: Annotated[Email | None, Query(description="Exact address, any case.")] = None,
    tags: Annotated[
        list[QueryText] | None, Query(description="Rolodex users carry no tags: no match.")
    ] = None,
) -> MocoJson:
    stmt = accounts.search_users(principal, active=None if include_archived else True, email=email)
    if split_list(tags):
        stmt = stmt.where(false())
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=User,
        prefix=USER.prefix,
        sortable=SORTABLE,
        secret=secret,
    )
    return list_response(request, page, await shown(session, principal, page.rows))


@router.get("/{user_id}", response_model=UserOut, summary="Get a user")
async def get_user(user_id: UserId, session: Session, principal: CurrentPrincipal) -> MocoJson:
    native_id = await found(session, principal, USER.prefix, user_id, LABEL)
    with missing_as(LABEL, user_id):
        user = await accounts.get_user(session, principal, native_id)
    [shown_user] = await shown(session, principal, [user])
    return entity(shown_user)


@session_router.get(
    "",
    response_model=SessionOut,
    summary="Check the key",
    description="The key's user: `{id, uuid}`. A key that acts as no user (an account "
    "key) is 401, as an invalid one is.",
)
async def get_session(session: Session, principal: CurrentPrincipal) -> MocoJson:
    if principal.user_id is None:
        raise Unauthorized("This key acts as no user; /session needs a user's key")
    refs = await refs_for(session, principal.account_id, ids=[principal.user_id])
    return entity(shapes.session_of(principal.user_id, refs))
