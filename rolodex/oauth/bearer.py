"""OAuth access tokens as API credentials: from ``rdx_at_…`` to a :class:`Principal`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.secrets import hash_token, same_secret
from rolodex.db import utcnow
from rolodex.http.errors import Unauthorized
from rolodex.oauth.models import OAuthClient, OAuthToken

ACCESS_TOKEN_PREFIX = "rdx_at_"  # noqa: S105 - a prefix, not a secret
REFRESH_TOKEN_PREFIX = "rdx_rt_"  # noqa: S105 - a prefix, not a secret
CLIENT_SECRET_PREFIX = "rdx_cs_"  # noqa: S105 - a prefix, not a secret
CREDENTIAL_KIND = "oauth"


async def authenticate_access_token(session: AsyncSession, token: str) -> Principal:
    """The principal of a live access token: its user, acting through its client, limited
    to its scopes. Revoked, expired, of a deleted client or a deactivated user: 401."""
    digest = hash_token(token)
    row = (
        await session.execute(
            select(OAuthToken, OAuthClient, User)
            .join(OAuthClient, OAuthClient.id == OAuthToken.client_id)
            .join(User, User.id == OAuthToken.user_id)
            .where(OAuthToken.access_token_hash == digest)
        )
    ).first()
    if row is None or not same_secret(row.OAuthToken.access_token_hash, digest):
        raise Unauthorized("The credential is not valid")
    grant, client, user = row.OAuthToken, row.OAuthClient, row.User
    if grant.revoked_at is not None:
        raise Unauthorized("The access token has been revoked")
    if grant.access_expires_at <= utcnow():
        raise Unauthorized("The access token has expired")
    if client.deleted_at is not None:
        raise Unauthorized("The access token's client has been deleted")
    if not user.active:
        raise Unauthorized("The access token's user is deactivated")
    return Principal(
        account_id=grant.account_id,
        user=user,
        impersonator=None,
        credential_id=client.id,
        credential_kind=CREDENTIAL_KIND,
        key_scope=None,
        scopes=frozenset(grant.scopes()),
    )
