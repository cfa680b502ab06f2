"""OAuth 2.0 tokens of connections, kept fresh with Rolodex as the client (Authlib's httpx
client, through the checked transport).

- **Before expiry.** A token that expires within :data:`REFRESH_SKEW_SECONDS` is refreshed
  before it is used; so is one the remote answered 401 for (``force``).
- **One refresh at a time, across every worker.** Whoever needs a refresh takes the
  connection's lease (:mod:`rolodex.integrations.leases`) and reads the connection again
  inside it; the others wait and take up the tokens the winner stored (they see its
  ``credentials_version`` change). A token the remote refused is refreshed only if no
  one refreshed it since, so twenty jobs with one expired token make one refresh request.
- **Stored before used.** The new tokens — the rotated refresh token with them — are
  committed before the new access token is handed out.
- **A refused refresh** (``invalid_grant`` and the like) makes the connection
  ``needs_auth`` with a ``connection.needs_auth`` event, and raises :class:`NeedsAuth`:
  its jobs wait, not fail, until it is authorized again. A refresh that got no usable
  answer (no connection, a 5xx) is a :class:`~rolodex.integrations.transport.RemoteFailure`,
  retried later.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import unit_of_work, utcnow
from rolodex.integrations import credentials as sealed
from rolodex.integrations import leases
from rolodex.integrations.budget import Deferred
from rolodex.integrations.connector import OAuth2Auth
from rolodex.integrations.models import NEEDS_AUTH, Connection
from rolodex.integrations.service import change_status
from rolodex.integrations.target import Target
from rolodex.integrations.transport import RemoteFailure
from rolodex.integrations.usage import record_usage
from rolodex.keyring import KeyRing
from rolodex.net.outbound import DestinationRefused, transport
from rolodex.observability.metrics import observe_token_refresh

log = logging.getLogger("rolodex.integrations")

REFRESH_SKEW_SECONDS = 60.0
"""A token expiring sooner than this is refreshed before it is used."""
LEASE_SECONDS = 30.0
"""How long one worker may hold a connection's refresh."""
REFUSALS = frozenset(
    {"invalid_grant", "invalid_client", "unauthorized_client", "unsupported_grant_type"}
)
"""Token endpoint errors that no retry mends: the connection must be authorized again."""
REFRESH_OPERATION = "oauth.refresh"
WAITING_REASON = "the connection needs to be authorized again"


class NeedsAuth(Exception):
    """The connection must be authorized again; its work waits until it is."""


def oauth_client(
    target: Target, *, allow_private: bool, timeout: float, redirect_uri: str | None = None
) -> Any:
    """Authlib's client (``AsyncOAuth2Client``) for a connection's OAuth client: the
    connector's way of authenticating at the token endpoint, PKCE when the connection
    takes it, and only checked addresses (unless private ones are allowed); no redirects.
    Authlib's httpx integration is imported here, when OAuth is first used (quietly: it
    warns that it will move to the ``httpx2`` package, which changes nothing here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import AsyncOAuth2Client

    oauth = target.oauth or {}
    declared = target.connector.auth_of("oauth2")
    assert isinstance(declared, OAuth2Auth)
    secret = target.credentials.get("client_secret")
    limits = httpx.Limits(max_connections=4)
    client = AsyncOAuth2Client(
        client_id=oauth.get("client_id"),
        client_secret=secret,
        token_endpoint_auth_method=declared.client_auth if secret else "none",
        scope=" ".join(oauth.get("scopes") or []) or None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256" if oauth.get("pkce") else None,
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        transport=transport(limits, allow_private),
    )
    if declared.token_error is not None:
        hook = standard_error(declared.token_error)
        client.register_compliance_hook("access_token_response", hook)
        client.register_compliance_hook("refresh_token_response", hook)
    return client


def standard_error(
    token_error: Callable[[int, Any], str | None],
) -> Callable[[httpx.Response], httpx.Response]:
    """A hook that gives a token endpoint's error answer in the remote's own form the
    body RFC 6749 prescribes (``{"error": code}``), so that Authlib raises the OAuth error
    it means; an answer whose code cannot be told is left as it is. The remote's message
    is not carried over (it is the remote's text, not needed to decide)."""

    def hook(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400 or response.status_code >= 500:
            return response
        try:
            body = response.json()
        except ValueError:
            return response
        code = token_error(response.status_code, body)
        if code is None:
            return response
        return httpx.Response(
            response.status_code,
            json={"error": code},
            headers={"Cache-Control": "no-store"},
            request=response.request,
        )

    return hook


def expiry_of(token: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When a token endpoint's answer expires (``expires_in`` seconds, or ``expires_at``)."""
    moment = now or utcnow()
    expires_in = token.get("expires_in")
    if isinstance(expires_in, int | float) and expires_in > 0:
        return moment + timedelta(seconds=float(expires_in))
    expires_at = token.get("expires_at")
    if isinstance(expires_at, int | float) and expires_at > 0:
        return datetime.fromtimestamp(float(expires_at), moment.tzinfo)
    return None


async def store_tokens(
    session: AsyncSession,
    connection_id: str,
    values: dict[str, Any],
    expires_at: datetime | None,
    deployment_key: KeyRing,
    *,
    expected_version: int | None = None,
) -> int | None:
    """Seal new credentials of a connection; its new ``credentials_version``, or None when
    ``expected_version`` was not the stored one (someone else changed them first)."""
    conditions: list[Any] = [Connection.id == connection_id, Connection.deleted_at.is_(None)]
    if expected_version is not None:
        conditions.append(Connection.credentials_version == expected_version)
    version = await session.scalar(
        update(Connection)
        .where(*conditions)
        .values(
            secret_ciphertext=sealed.seal(values, deployment_key),
            credential_fields=sealed.names_of(values),
            access_expires_at=expires_at,
            credentials_version=Connection.credentials_version + 1,
            updated_at=utcnow(),
        )
        .returning(Connection.credentials_version)
        .execution_options(synchronize_session=False)
    )
    return int(version) if version is not None else None


class TokenKeeper:
    """Fresh access tokens for the connections of one process."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        deployment_key: KeyRing,
        *,
        allow_private: bool,
        timeout: float,
        owner: str,
    ) -> None:
        self.sessions = sessions
        self.deployment_key = deployment_key
        self.allow_private = allow_private
        self.timeout = timeout
        self.owner = owner

    @staticmethod
    def expiring(target: Target) -> bool:
        """Whether the target's access token expires within the skew (or has no token)."""
        if not target.credentials.get("access_token"):
            return True
        expires = target.access_expires_at
        return expires is not None and expires - utcnow() <= timedelta(seconds=REFRESH_SKEW_SECONDS)

    async def load(self, connection_id: str) -> Target:
        """The connection as stored now."""
        async with unit_of_work(self.sessions) as session:
            connection = await session.get(Connection, connection_id, populate_existing=True)
            if connection is None or connection.deleted_at is not None:
                raise RemoteFailure("the connection was deleted")
            return Target.of(connection, self.deployment_key)

    async def fresh(self, target: Target, *, force: bool) -> Target:
        """The target with an access token fit to use: as it is, the one another worker
        refreshed meanwhile, or a new one this worker refreshed."""
        if target.auth_type != "oauth2" or (not force and not self.expiring(target)):
            return target
        used = target.credentials_version
        deadline = time.monotonic() + LEASE_SECONDS
        name = f"refresh:{target.connection_id}"
        while True:
            current = await self.load(target.connection_id)
            if current.status == NEEDS_AUTH:
                raise NeedsAuth(WAITING_REASON)
            if current.credentials_version != used and not self.expiring(current):
                return current
            if await leases.acquire(self.sessions, name, self.owner, LEASE_SECONDS):
                try:
                    current = await self.load(target.connection_id)
                    if current.status == NEEDS_AUTH:
                        raise NeedsAuth(WAITING_REASON)
                    if current.credentials_version != used and not self.expiring(current):
                        return current
                    return await self._refresh(current)
                finally:
                    await leases.release(self.sessions, name, self.owner)
            if time.monotonic() > deadline:
                raise Deferred(1.0, "another worker is refreshing the connection's tokens")
            await asyncio.sleep(0.05 + random.uniform(0, 0.1))  # noqa: S311 - not crypto

    async def _refresh(self, current: Target) -> Target:
        refresh_token = current.credentials.get("refresh_token")
        token_url = (current.oauth or {}).get("token_url")
        if not refresh_token or not token_url:
            await self.needs_auth(
                current.connection_id,
                "The access token expired and there is no refresh token: authorize again",
            )
            raise NeedsAuth("the access token expired and cannot be refreshed")
        declared = current.connector.auth_of("oauth2")
        assert isinstance(declared, OAuth2Auth)
        failed = False
        try:
            async with oauth_client(
                current, allow_private=self.allow_private, timeout=self.timeout
            ) as client:
                token: dict[str, Any] = await client.refresh_token(
                    token_url, refresh_token=refresh_token, **dict(declared.token_params)
                )
        except OAuthError as exc:
            failed = True
            if exc.error in REFUSALS:
                await self.needs_auth(
                    current.connection_id,
                    f"The remote refused to refresh the token ({exc.error}): authorize again",
                )
                raise NeedsAuth(f"the remote refused the refresh ({exc.error})") from None
            raise RemoteFailure(f"refreshing the token failed ({exc.error})") from None
        except (httpx.HTTPError, DestinationRefused, ValueError) as exc:
            failed = True
            raise RemoteFailure(f"refreshing the token failed ({type(exc).__name__})") from None
        finally:
            await self._count(current, failed)
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise RemoteFailure("the token endpoint answered no access token")
        values = {
            **current.credentials,
            "access_token": access,
            "refresh_token": token.get("refresh_token") or refresh_token,
        }
        expires_at = expiry_of(token)
        async with unit_of_work(self.sessions) as session:
            version = await store_tokens(
                session,
                current.connection_id,
                values,
                expires_at,
                self.deployment_key,
                expected_version=current.credentials_version,
            )
        if version is None:  # new credentials were given meanwhile: those win
            log.warning(
                "connection %s: credentials changed during a refresh", current.connection_id
            )
            return await self.load(current.connection_id)
        log.info("connection %s: access token refreshed", current.connection_id)
        return current.with_credentials(values, version, expires_at)

    async def _count(self, target: Target, failed: bool) -> None:
        observe_token_refresh(target.connection_id, failed=failed)
        try:
            await record_usage(
                self.sessions,
                target.connection_id,
                target.account_id,
                REFRESH_OPERATION,
                failed=failed,
            )
        except Exception:
            log.exception("connection %s: counting a refresh failed", target.connection_id)

    async def needs_auth(self, connection_id: str, reason: str) -> None:
        """Mark the connection ``needs_auth`` (with its event), in a transaction of its own."""
        async with unit_of_work(self.sessions) as session:
            await change_status(session, connection_id, NEEDS_AUTH, reason)
