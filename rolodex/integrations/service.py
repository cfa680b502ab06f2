"""Connections: create, change, delete, and say what happened to them.

Only owners and admins manage connections: a connection acts on another system for the
whole account. Credentials are sealed (:mod:`rolodex.integrations.credentials`) before
anything is flushed; the audit log records that they were set or replaced (``"***"``),
never what to. Every change is announced with a ``connection.*`` event whose ``data`` is
the connection as the API shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.capture import context_of, json_safe, record
from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.errors import Forbidden, Unprocessable, ValidationFailed
from rolodex.events.outbox import NewEvent, origin_of
from rolodex.integrations import credentials as sealed
from rolodex.integrations.connector import Connector, OAuth2Auth
from rolodex.integrations.connectors_registry import connector_of
from rolodex.integrations.jobs import cancel_jobs, hold_jobs, resume_waiting
from rolodex.integrations.kinds import CONNECTION
from rolodex.integrations.models import (
    ACTIVE,
    DISABLED,
    FAILING,
    NEEDS_AUTH,
    Connection,
)
from rolodex.integrations.schemas import (
    CheckResult,
    ConnectionCreate,
    ConnectionOut,
    ConnectionPatch,
    Credentials,
    OAuthSettings,
)
from rolodex.keyring import KeyRing
from rolodex.net.addresses import literal_refusal
from rolodex.preconditions import Precondition
from rolodex.records import get_record, soft_delete
from rolodex.schemas import dump
from rolodex.webhooks.fanout import publish

MASK = "***"
SHOWN_FIELDS = (
    "name",
    "base_url",
    "status",
    "status_reason",
    "location_id",
    "auth",
    "oauth",
    "rate_limit",
)
"""The fields of a connection whose changes an update event lists."""


def require_manager(principal: Principal) -> None:
    """Connections act for the whole account: owners and admins only."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may manage connections")


def check_remote_url(field: str, url: str, settings: Settings) -> None:
    """The address rule of webhook URLs: no loopback or private host unless the
    deployment allows them (``ROLODEX_WEBHOOKS_ALLOW_PRIVATE``)."""
    if settings.webhooks_allow_private:
        return
    refusal = literal_refusal(url)
    if refusal:
        raise ValidationFailed.field(field, f"{refusal}; this deployment only calls public hosts")


def shown(connection: Connection) -> dict[str, Any]:
    """The connection as the API shows it."""
    return dump(ConnectionOut, connection)


async def get_connection(
    session: AsyncSession,
    principal: Principal,
    connection_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Connection:
    """A connection of the principal's account, or 404."""
    require_manager(principal)
    found: Connection = await get_record(
        session,
        Connection,
        principal.account_id,
        connection_id,
        prefix=CONNECTION.prefix,
        label=CONNECTION.title,
        for_update=for_update,
        precondition=precondition,
    )
    return found


def connections_of(
    principal: Principal, *, kind: str | None = None, status: str | None = None
) -> Select[Any]:
    """The account's connections, optionally of one kind or status."""
    require_manager(principal)
    stmt = select(Connection).where(Connection.account_id == principal.account_id)
    if kind is not None:
        stmt = stmt.where(Connection.kind == kind)
    if status is not None:
        stmt = stmt.where(Connection.status == status)
    return stmt


@dataclass(frozen=True)
class AuthPlan:
    """How a connection will authenticate, worked out from what a client sent."""

    auth_type: str
    secrets: dict[str, Any]
    oauth: dict[str, Any] | None
    expires_at: datetime | None

    @property
    def status(self) -> str:
        """``active`` with a credential to call with, ``needs_auth`` until authorized."""
        if self.auth_type == "api_key" or self.secrets.get("access_token"):
            return ACTIVE
        return NEEDS_AUTH


def _oauth_public(
    connector: Connector, base_url: str, oauth: OAuthSettings | None, client_id: str | None
) -> dict[str, Any]:
    auth = connector.auth_of("oauth2")
    assert isinstance(auth, OAuth2Auth)
    default_authorize, default_token = auth.urls_for(base_url)
    return {
        "client_id": oauth.client_id if oauth is not None else client_id,
        "authorize_url": (oauth.authorize_url if oauth else None) or default_authorize,
        "token_url": (oauth.token_url if oauth else None) or default_token,
        "scopes": list(oauth.scopes) if oauth is not None and oauth.scopes else list(auth.scopes),
        "pkce": oauth.pkce if oauth is not None and oauth.pkce is not None else auth.pkce,
    }


def _expiry(given: Credentials) -> datetime | None:
    if given.expires_at is not None:
        return given.expires_at
    if given.expires_in is not None:
        return utcnow() + timedelta(seconds=given.expires_in)
    return None


def plan_auth(
    connector: Connector,
    base_url: str,
    given: Credentials | None,
    oauth: OAuthSettings | None,
    *,
    kept_client_secret: str | None = None,
    kept_oauth: dict[str, Any] | None = None,
) -> AuthPlan:
    """The connection's authentication from the body's ``credentials`` and ``oauth``
    (400 with the field at fault when they do not fit the connector).

    ``kept_oauth`` and ``kept_client_secret``: an update's current OAuth client, kept when
    only new tokens are pasted."""
    if given is None and oauth is None:
        raise ValidationFailed.field("credentials", "is required (or oauth, to authorize)")
    if given is not None and given.api_key is not None:
        if "api_key" not in connector.auth_types:
            raise ValidationFailed.field(
                "credentials.api_key", f"is not how {connector.title} authenticates; use OAuth"
            )
        if oauth is not None:
            raise ValidationFailed.field("oauth", "cannot be given with an api_key")
        extra = sorted(
            name
            for name in ("client_id", "client_secret", "expires_at", "expires_in")
            if getattr(given, name) is not None
        )
        if extra:
            raise ValidationFailed.field(f"credentials.{extra[0]}", "is not used with an api_key")
        keys = {"api_key": given.api_key, "webhook_secret": given.webhook_secret}
        return AuthPlan("api_key", keys, None, None)
    if "oauth2" not in connector.auth_types:
        field = "oauth" if oauth is not None else "credentials"
        raise ValidationFailed.field(field, f"{connector.title} takes an api_key")
    if given is not None and given.access_token is None and oauth is None:
        raise ValidationFailed.field(
            "credentials", "needs an api_key or an access_token (or give oauth, to authorize)"
        )
    client_id = (given.client_id if given else None) or (kept_oauth or {}).get("client_id")
    public = _oauth_public(connector, base_url, oauth, client_id)
    if oauth is None and kept_oauth is not None:
        public = {**kept_oauth, "client_id": client_id}
    if given is not None and given.client_id and oauth and given.client_id != oauth.client_id:
        raise ValidationFailed.field("credentials.client_id", "differs from oauth.client_id")
    client_secret = (
        (oauth.client_secret if oauth else None)
        or (given.client_secret if given else None)
        or (kept_client_secret if oauth is None else None)
    )
    if given is not None and given.refresh_token is not None and not public["client_id"]:
        raise ValidationFailed.field("credentials.client_id", "is needed to refresh the token")
    secrets: dict[str, Any] = {"client_secret": client_secret}
    if given is not None:
        secrets.update(
            access_token=given.access_token,
            refresh_token=given.refresh_token,
            webhook_secret=given.webhook_secret,
        )
    return AuthPlan("oauth2", secrets, public, _expiry(given) if given else None)


def _check_oauth_urls(plan: AuthPlan, settings: Settings) -> None:
    for name in ("authorize_url", "token_url"):
        url = (plan.oauth or {}).get(name)
        if url:
            check_remote_url(f"oauth.{name}", url, settings)


def _apply_plan(connection: Connection, plan: AuthPlan, deployment_key: KeyRing) -> None:
    connection.auth_type = plan.auth_type
    connection.secret_ciphertext = sealed.seal(plan.secrets, deployment_key)
    connection.credential_fields = sealed.names_of(plan.secrets)
    connection.oauth = plan.oauth
    connection.access_expires_at = plan.expires_at
    connection.credentials_version = (connection.credentials_version or 0) + 1


async def announce(
    session: AsyncSession,
    connection: Connection,
    event_type: str,
    changes: Mapping[str, Any] | None = None,
) -> None:
    """Write a ``connection.*`` event (and queue its webhook deliveries), from the
    request that made the change or, outside one, from the system."""
    await session.flush()
    await publish(
        session,
        connection.account_id,
        origin_of(context_of(session)),
        [
            NewEvent(
                event_type,
                CONNECTION.name,
                connection.id,
                shown(connection),
                dict(changes) if changes is not None else None,
            )
        ],
    )


def _webhook_url(public_base: str, connection_id: str) -> str:
    return f"{public_base.rstrip('/')}/integrations/hooks/{connection_id}"


async def create_connection(
    session: AsyncSession,
    principal: Principal,
    body: ConnectionCreate,
    settings: Settings,
    deployment_key: KeyRing,
    public_base: str,
) -> Connection:
    """A new connection; its credentials sealed, nothing called yet."""
    require_manager(principal)
    connector = connector_of(body.kind)
    base_url = body.base_url or connector.default_base_url
    if not base_url:
        raise ValidationFailed.field("base_url", f"is required for a {connector.title} connection")
    check_remote_url("base_url", base_url, settings)
    if connector.needs_location and not body.location_id:
        raise ValidationFailed.field(
            "location_id", f"is required for a {connector.title} connection"
        )
    plan = plan_auth(connector, base_url, body.credentials, body.oauth)
    _check_oauth_urls(plan, settings)
    rate = body.rate_limit or connector.rate_limit
    connection = Connection(
        id=CONNECTION.new_id(),
        account_id=principal.account_id,
        kind=connector.kind,
        name=body.name or connector.title,
        base_url=base_url,
        location_id=body.location_id,
        rate_requests=rate.requests,
        rate_seconds=rate.per_seconds,
        rate_daily=rate.daily,
        credentials_version=0,
    )
    _apply_plan(connection, plan, deployment_key)
    connection.status = plan.status
    connection.status_reason = _reason_for(plan)
    connection.webhook_url = _webhook_url(public_base, connection.id)
    session.add(connection)
    await session.flush()
    record(
        session, "connection.created", CONNECTION.name, connection.id, {"credentials": [None, MASK]}
    )
    await announce(session, connection, "connection.created")
    return connection


def _reason_for(plan: AuthPlan) -> str | None:
    if plan.status == NEEDS_AUTH:
        return "Not authorized yet: POST /connections/{id}/authorize to connect"
    return None


def _public_state(connection: Connection) -> dict[str, Any]:
    return {name: json_safe(value) for name, value in shown(connection).items()}


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``[old, new]`` of each shown field that differs between two states."""
    return {
        name: [before.get(name), after.get(name)]
        for name in SHOWN_FIELDS
        if before.get(name) != after.get(name)
    }


def _only_webhook_secret(body: ConnectionPatch) -> bool:
    """Whether a patch's credentials are a ``webhook_secret`` alone (and no ``oauth``):
    that replaces the webhook secret and keeps every other credential."""
    given = body.credentials
    if given is None or body.oauth is not None:
        return False
    named = {name for name in given.model_fields_set if getattr(given, name) is not None}
    return named == {"webhook_secret"}


def _replace_webhook_secret(
    connection: Connection, secret: str | None, deployment_key: KeyRing
) -> None:
    try:
        kept = sealed.unseal(connection.secret_ciphertext, deployment_key)
    except InvalidToken:
        raise Unprocessable(
            "The connection's credentials cannot be decrypted with this deployment's key; "
            "send all of them again, the webhook secret with them"
        ) from None
    kept["webhook_secret"] = secret
    connection.secret_ciphertext = sealed.seal(kept, deployment_key)
    connection.credential_fields = sealed.names_of(kept)


async def update_connection(
    session: AsyncSession,
    principal: Principal,
    connection_id: str,
    body: ConnectionPatch,
    settings: Settings,
    deployment_key: KeyRing,
    *,
    precondition: Precondition | None,
) -> Connection:
    """Change a connection; new credentials or a new OAuth client replace the old ones."""
    connection = await get_connection(
        session, principal, connection_id, for_update=True, precondition=precondition
    )
    connector = connector_of(connection.kind)
    sent = body.model_fields_set
    for name in ("name", "base_url", "rate_limit", "status"):
        if name in sent and getattr(body, name) is None:
            raise ValidationFailed.field(name, "may not be null")
    before = _public_state(connection)
    base_url = body.base_url if "base_url" in sent and body.base_url else connection.base_url
    if base_url != connection.base_url:
        check_remote_url("base_url", base_url, settings)
        if body.credentials is None and body.oauth is None:
            raise ValidationFailed.field(
                "base_url",
                "can change only with the credentials sent again in the same request: "
                "stored credentials are never sent to a host they were not given for",
            )
    hook_secret = _only_webhook_secret(body) and base_url == connection.base_url
    replaced = (body.credentials is not None or body.oauth is not None) and not hook_secret
    if hook_secret and body.credentials is not None:
        _replace_webhook_secret(connection, body.credentials.webhook_secret, deployment_key)
    if replaced:
        kept = sealed.unseal(connection.secret_ciphertext, deployment_key)
        plan = plan_auth(
            connector,
            base_url,
            body.credentials,
            body.oauth,
            kept_client_secret=kept.get("client_secret")
            if connection.auth_type == "oauth2"
            else None,
            kept_oauth=connection.oauth if connection.auth_type == "oauth2" else None,
        )
        _check_oauth_urls(plan, settings)
        _apply_plan(connection, plan, deployment_key)
        if connection.status != DISABLED:
            connection.status = plan.status
            connection.status_reason = _reason_for(plan)
    connection.base_url = base_url
    if "name" in sent and body.name is not None:
        connection.name = body.name
    if "location_id" in sent:
        if connector.needs_location and not body.location_id:
            raise ValidationFailed.field("location_id", f"is required for {connector.title}")
        connection.location_id = body.location_id
    if body.rate_limit is not None:
        connection.rate_requests = body.rate_limit.requests
        connection.rate_seconds = body.rate_limit.per_seconds
        connection.rate_daily = body.rate_limit.daily
    if body.status == DISABLED and connection.status != DISABLED:
        connection.status, connection.status_reason = DISABLED, None
    elif body.status == ACTIVE and connection.status == DISABLED:
        resumed = AuthPlan(
            connection.auth_type,
            sealed.unseal(connection.secret_ciphertext, deployment_key),
            connection.oauth,
            connection.access_expires_at,
        )
        connection.status, connection.status_reason = resumed.status, _reason_for(resumed)
    await session.flush()
    changes = changes_between(before, _public_state(connection))
    if replaced and connection.status == ACTIVE:
        await resume_waiting(session, connection.id)
    if hook_secret:
        record(
            session,
            "connection.webhook_secret_replaced",
            CONNECTION.name,
            connection.id,
            {"webhook_secret": [MASK, MASK]},
        )
        changes["webhook_secret"] = [MASK, MASK]
    if replaced:
        record(
            session,
            "connection.credentials_replaced",
            CONNECTION.name,
            connection.id,
            {"credentials": [MASK, MASK]},
        )
        changes["credentials"] = [MASK, MASK]
    if changes:
        await announce(session, connection, "connection.updated", changes)
    return connection


async def delete_connection(
    session: AsyncSession,
    principal: Principal,
    connection_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Delete a connection: its credentials are erased and its work stops."""
    connection = await get_connection(
        session, principal, connection_id, for_update=True, precondition=precondition
    )
    soft_delete(connection)
    connection.status = DISABLED
    connection.secret_ciphertext = None
    await session.flush()
    await cancel_jobs(session, connection.id)
    await announce(session, connection, "connection.deleted")


async def record_check(
    session: AsyncSession, principal: Principal, connection_id: str, result: CheckResult
) -> Connection:
    """Keep what a check saw: a failed check makes the connection ``failing`` (with a
    ``connection.failing`` event), a passing one makes a failing connection ``active``
    again. A disabled connection stays disabled, and one waiting to be authorized stays
    ``needs_auth`` unless the check passed."""
    connection = await get_connection(session, principal, connection_id, for_update=True)
    before = _public_state(connection)
    connection.checked_at = utcnow()
    if result.ok and connection.status in (FAILING, NEEDS_AUTH):
        connection.status, connection.status_reason = ACTIVE, None
    elif not result.ok and connection.status == ACTIVE:
        connection.status = FAILING
        connection.status_reason = f"Check failed: {result.message}"[:500]
    await session.flush()
    changes = changes_between(before, _public_state(connection))
    if connection.status == FAILING and before["status"] != FAILING:
        await announce(session, connection, "connection.failing", changes)
    elif changes:
        await announce(session, connection, "connection.updated", changes)
    return connection


STATUS_EVENTS = {NEEDS_AUTH: "connection.needs_auth", FAILING: "connection.failing"}


async def change_status(
    session: AsyncSession, connection_id: str, status: str, reason: str | None
) -> Connection | None:
    """Rolodex's own change of a connection's status (a refused refresh, a refused
    credential), with its event — ``connection.needs_auth``, ``connection.failing``, or
    ``connection.updated``; None when nothing changed (a deleted or disabled connection,
    or the status it already has)."""
    connection = await session.get(
        Connection, connection_id, with_for_update=True, populate_existing=True
    )
    if connection is None or connection.deleted_at is not None or connection.status == DISABLED:
        return None
    if connection.status == status:
        return None
    before = _public_state(connection)
    connection.status = status
    connection.status_reason = reason[:500] if reason else None
    await session.flush()
    changes = changes_between(before, _public_state(connection))
    if status == NEEDS_AUTH:
        await hold_jobs(session, connection.id)
    await announce(session, connection, STATUS_EVENTS.get(status, "connection.updated"), changes)
    return connection
