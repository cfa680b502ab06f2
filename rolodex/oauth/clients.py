"""Registering and deleting OAuth clients."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.secrets import hash_token, new_token
from rolodex.accounts.service import is_manager
from rolodex.db import utcnow
from rolodex.errors import Forbidden, Unprocessable, ValidationFailed
from rolodex.kinds import OAUTH_CLIENT
from rolodex.oauth.bearer import CLIENT_SECRET_PREFIX
from rolodex.oauth.models import OAuthClient, OAuthToken
from rolodex.oauth.schemas import OAuthClientCreate
from rolodex.preconditions import Precondition
from rolodex.records import get_of_kind, soft_delete


def check_scopes(scopes: list[str], supported: frozenset[str]) -> None:
    """Every scope must be one the API's routes require (400 otherwise)."""
    unknown = [scope for scope in scopes if scope not in supported]
    if unknown:
        raise ValidationFailed.field(
            "scopes", f"unknown scopes {unknown}; supported: {sorted(supported)}"
        )


async def register_client(
    session: AsyncSession, user: User, body: OAuthClientCreate, supported: frozenset[str]
) -> tuple[OAuthClient, str | None]:
    """A new client registered by ``user``; returns it and its secret (confidential only)."""
    check_scopes(body.scopes, supported)
    if not user.active:
        raise Unprocessable("A deactivated user cannot register a client")
    secret = new_token(CLIENT_SECRET_PREFIX) if body.client_type == "confidential" else None
    client = OAuthClient(
        id=OAUTH_CLIENT.new_id(),
        account_id=user.account_id,
        user_id=user.id,
        name=body.name,
        client_type=body.client_type,
        secret_hash=hash_token(secret) if secret else None,
        redirect_uris=body.redirect_uris,
        scopes=body.scopes,
        grant_types=body.grant_types or [],
    )
    session.add(client)
    await session.flush()
    return client, secret


async def create_client(
    session: AsyncSession, principal: Principal, body: OAuthClientCreate, supported: frozenset[str]
) -> tuple[OAuthClient, str | None]:
    """Owners and admins register clients for their account."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may register OAuth clients")
    if principal.user is None:
        # a client's tokens act as the user who registered it
        raise Forbidden(
            "An account-level API key cannot register OAuth clients: a client acts as the "
            "user who registers it; use an owner's or admin's own key"
        )
    return await register_client(session, principal.user, body, supported)


def visible_clients(principal: Principal) -> Any:
    """The account's live clients."""
    return select(OAuthClient).where(
        OAuthClient.account_id == principal.account_id, OAuthClient.deleted_at.is_(None)
    )


async def get_client(session: AsyncSession, principal: Principal, client_id: str) -> OAuthClient:
    """A live client of the account, or 404."""
    client: OAuthClient = await get_of_kind(session, OAUTH_CLIENT, principal.account_id, client_id)
    return client


async def delete_client(
    session: AsyncSession,
    principal: Principal,
    client_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Delete a client and revoke every token it holds."""
    client = await get_of_kind(
        session,
        OAUTH_CLIENT,
        principal.account_id,
        client_id,
        for_update=True,
        precondition=precondition,
    )
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may delete OAuth clients")
    await retire_client(session, client)


async def retire_client(session: AsyncSession, client: OAuthClient) -> int:
    """Delete a client (soft) and revoke every token it holds; how many were revoked."""
    soft_delete(client)
    now = utcnow()
    revoked = await session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_id == client.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return int(getattr(revoked, "rowcount", 0) or 0)
