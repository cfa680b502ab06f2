"""The OAuth 2.0 authorization code flow with Rolodex as the client.

1. ``POST /connections/{id}/authorize`` (:func:`start_authorization`) makes a ``state``
   — 256 random bits, stored only as its SHA-256, bound to the connection, to the user
   who asked and to the connection's OAuth client, usable once within
   :data:`STATE_SECONDS` — and, where the connection takes PKCE, a code verifier (stored
   encrypted with the deployment's key); it answers the remote's authorization URL.
2. The user signs in at the remote and allows; the remote redirects the browser to
   ``GET /integrations/oauth/callback?code=…&state=…`` (:func:`complete_authorization`).
   The state is spent first, whatever comes next; the user it names must still be an
   active owner or admin of the account, and the connection's client still the one the
   flow began with. The code is exchanged (with the verifier) outside any transaction,
   then the tokens are sealed, the connection becomes ``active``, and its waiting jobs
   are queued again — audited and announced as the user's change.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.service import MANAGERS
from rolodex.audit.capture import AuditContext, bind_audit, record
from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.errors import Unprocessable
from rolodex.ids import PREFIXES, new_id
from rolodex.integrations import credentials as sealed
from rolodex.integrations.connector import OAuth2Auth
from rolodex.integrations.jobs import resume_waiting
from rolodex.integrations.kinds import CONNECTION
from rolodex.integrations.models import ACTIVE, DISABLED, Connection, ConnectionOAuthState
from rolodex.integrations.service import MASK, announce, changes_between, get_connection, shown
from rolodex.integrations.target import Target
from rolodex.integrations.tokens import expiry_of, oauth_client
from rolodex.keyring import KeyRing
from rolodex.net.outbound import DestinationRefused
from rolodex.webhooks import secrets as encryption

STATE_SECONDS = 600
CALLBACK_PATH = "/integrations/oauth/callback"


def state_hash(state: str) -> str:
    """How a state is kept: its SHA-256, hex."""
    return hashlib.sha256(state.encode()).hexdigest()


async def start_authorization(
    session: AsyncSession,
    principal: Principal,
    connection_id: str,
    settings: Settings,
    deployment_key: KeyRing,
    public_base: str,
) -> tuple[str, datetime]:
    """The remote's authorization URL for this connection, and when its state expires."""
    connection = await get_connection(session, principal, connection_id)
    if connection.auth_type != "oauth2":
        raise Unprocessable("The connection uses an API key; only OAuth connections are authorized")
    if connection.status == DISABLED:
        raise Unprocessable("The connection is disabled; enable it before authorizing it")
    oauth = connection.oauth or {}
    missing = [name for name in ("client_id", "authorize_url", "token_url") if not oauth.get(name)]
    if missing:
        raise Unprocessable(
            f"The connection's OAuth client has no {', '.join(missing)}: set it with PATCH oauth"
        )
    try:
        target = Target.of(connection, deployment_key)
    except InvalidToken:
        raise Unprocessable(
            "The connection's credentials cannot be decrypted with this deployment's key; "
            "send its oauth settings again with PATCH"
        ) from None
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48) if oauth.get("pkce") else None
    redirect_uri = f"{public_base.rstrip('/')}{CALLBACK_PATH}"
    async with oauth_client(
        target,
        allow_private=settings.webhooks_allow_private,
        timeout=settings.integrations_timeout_seconds,
        redirect_uri=redirect_uri,
    ) as client:
        url, _ = client.create_authorization_url(
            oauth["authorize_url"], state=state, code_verifier=verifier
        )
    expires = utcnow() + timedelta(seconds=STATE_SECONDS)
    session.add(
        ConnectionOAuthState(
            id=new_id(PREFIXES["connection_oauth_state"]),
            account_id=connection.account_id,
            connection_id=connection.id,
            user_id=principal.user_id,
            state_hash=state_hash(state),
            verifier_secret=encryption.encrypt(verifier, deployment_key) if verifier else None,
            redirect_uri=redirect_uri,
            client_id=oauth["client_id"],
            expires_at=expires,
        )
    )
    await session.flush()
    record(
        session,
        "connection.authorization_started",
        CONNECTION.name,
        connection.id,
        {"state_expires_at": [None, expires]},
    )
    return str(url), expires


@dataclass(frozen=True)
class Completed:
    """What the callback achieved, for the page the user sees."""

    ok: bool
    message: str
    connection_name: str | None = None


@dataclass(frozen=True)
class _Flow:
    state_id: str
    account_id: str
    user_id: str | None
    connection_id: str
    connection_name: str
    redirect_uri: str
    verifier: str | None
    target: Target


async def _spend_state(
    session: AsyncSession, state: str, deployment_key: KeyRing
) -> _Flow | Completed:
    """Spend the state (once, whatever follows) and check what it is bound to."""
    found = await session.scalar(
        select(ConnectionOAuthState)
        .where(ConnectionOAuthState.state_hash == state_hash(state))
        .with_for_update()
    )
    if found is None:
        return Completed(False, "This authorization is unknown. Start again from Rolodex.")
    if found.used_at is not None:
        return Completed(False, "This authorization was used already. Start again from Rolodex.")
    found.used_at = utcnow()
    if found.expires_at <= found.used_at:
        return Completed(False, "This authorization expired. Start again from Rolodex.")
    connection = await session.get(Connection, found.connection_id, with_for_update=True)
    if connection is None or connection.deleted_at is not None:
        return Completed(False, "The connection was deleted.")
    if connection.auth_type != "oauth2" or (connection.oauth or {}).get("client_id") != (
        found.client_id
    ):
        return Completed(False, "The connection's OAuth client changed. Start again from Rolodex.")
    user = await session.get(User, found.user_id) if found.user_id else None
    if found.user_id is not None and (
        user is None
        or not user.active
        or user.account_id != found.account_id
        or user.role not in MANAGERS
    ):
        return Completed(False, "The user who started this authorization may no longer do so.")
    try:
        target = Target.of(connection, deployment_key)
        verifier = (
            encryption.decrypt(found.verifier_secret, deployment_key)
            if found.verifier_secret
            else None
        )
    except InvalidToken:
        return Completed(False, "The connection's secrets cannot be read by this deployment.")
    return _Flow(
        state_id=found.id,
        account_id=found.account_id,
        user_id=found.user_id,
        connection_id=connection.id,
        connection_name=connection.name,
        redirect_uri=found.redirect_uri,
        verifier=verifier,
        target=target,
    )


async def _exchange(flow: _Flow, code: str, settings: Settings) -> dict[str, Any] | Completed:
    oauth = flow.target.oauth or {}
    declared = flow.target.connector.auth_of("oauth2")
    assert isinstance(declared, OAuth2Auth)
    extra: dict[str, Any] = dict(declared.token_params)
    if flow.verifier:
        extra["code_verifier"] = flow.verifier
    try:
        async with oauth_client(
            flow.target,
            allow_private=settings.webhooks_allow_private,
            timeout=settings.integrations_timeout_seconds,
            redirect_uri=flow.redirect_uri,
        ) as client:
            token: dict[str, Any] = await client.fetch_token(oauth["token_url"], code=code, **extra)
    except OAuthError as exc:
        return Completed(False, f"The remote refused the authorization ({exc.error}).")
    except (httpx.HTTPError, DestinationRefused, ValueError) as exc:
        return Completed(
            False, f"The remote's token endpoint could not be used ({type(exc).__name__})."
        )
    if not isinstance(token.get("access_token"), str) or not token["access_token"]:
        return Completed(False, "The remote answered no access token.")
    return token


async def _store(
    session: AsyncSession,
    flow: _Flow,
    token: dict[str, Any],
    deployment_key: KeyRing,
    request_id: str | None,
) -> None:
    bind_audit(
        session,
        AuditContext(
            account_id=flow.account_id,
            request_id=request_id,
            user_id=flow.user_id,
            impersonator_id=None,
            credential_id=flow.state_id,
            credential_kind="oauth_state",
        ),
    )
    connection = await session.get(
        Connection, flow.connection_id, with_for_update=True, populate_existing=True
    )
    if connection is None or connection.deleted_at is not None:
        return
    before = {name: value for name, value in shown(connection).items()}
    values = {
        **sealed.unseal(connection.secret_ciphertext, deployment_key),
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
    }
    connection.secret_ciphertext = sealed.seal(values, deployment_key)
    connection.credential_fields = sealed.names_of(values)
    connection.access_expires_at = expiry_of(token)
    connection.credentials_version += 1
    if connection.status != DISABLED:
        connection.status, connection.status_reason = ACTIVE, None
    await session.flush()
    record(
        session,
        "connection.credentials_replaced",
        CONNECTION.name,
        connection.id,
        {"credentials": [MASK, MASK]},
    )
    await resume_waiting(session, connection.id)
    changes = changes_between(before, shown(connection))
    changes["credentials"] = [MASK, MASK]
    await announce(session, connection, "connection.updated", changes)


async def complete_authorization(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    deployment_key: KeyRing,
    *,
    state: str,
    code: str | None,
    error: str | None,
    request_id: str | None = None,
) -> Completed:
    """Finish an authorization from the remote's redirect (three short steps, the code
    exchange between them holding no transaction)."""
    async with unit_of_work(sessions) as session:
        flow = await _spend_state(session, state, deployment_key)
    if isinstance(flow, Completed):
        return flow
    if error or not code:
        reason = error or "no code"
        return Completed(
            False, f"The remote did not authorize Rolodex ({reason}).", flow.connection_name
        )
    token = await _exchange(flow, code, settings)
    if isinstance(token, Completed):
        return Completed(token.ok, token.message, flow.connection_name)
    async with unit_of_work(sessions) as session:
        await _store(session, flow, token, deployment_key, request_id)
    return Completed(True, "Connected.", flow.connection_name)
