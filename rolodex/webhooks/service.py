"""Webhook endpoints: create, change, rotate the secret, ping, and replay deliveries.

Only owners and admins manage webhooks: an endpoint receives every change of the
account, whoever made it. Whoever sets an endpoint's URL or events must also be allowed to
read every event type it subscribes to (:func:`rolodex.events.access.check_subscription`);
deliveries then follow the endpoint, which belongs to the account, not to a credential.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.capture import context_of, record
from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from rolodex.events.access import check_subscription
from rolodex.events.models import Event
from rolodex.events.outbox import NewEvent, origin_of
from rolodex.ids import is_valid_id
from rolodex.keyring import KeyRing
from rolodex.net.addresses import literal_refusal
from rolodex.preconditions import Precondition
from rolodex.records import get_record, soft_delete
from rolodex.schemas import dump
from rolodex.webhooks import secrets
from rolodex.webhooks.fanout import publish
from rolodex.webhooks.kinds import WEBHOOK_DELIVERY, WEBHOOK_ENDPOINT
from rolodex.webhooks.models import DEAD, PENDING, WebhookDelivery, WebhookEndpoint
from rolodex.webhooks.schemas import (
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointWrite,
)


def require_manager(principal: Principal) -> None:
    """Webhooks see every change of the account: owners and admins only."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may manage webhooks")


def _check_url(url: str, settings: Settings) -> None:
    if settings.webhooks_allow_private:
        return
    refusal = literal_refusal(url)
    if refusal:
        raise ValidationFailed.field("url", f"{refusal}; this deployment only calls public hosts")


async def get_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> WebhookEndpoint:
    """An endpoint of the principal's account, or 404."""
    require_manager(principal)
    return await get_record(
        session,
        WebhookEndpoint,
        principal.account_id,
        endpoint_id,
        prefix=WEBHOOK_ENDPOINT.prefix,
        label=WEBHOOK_ENDPOINT.title,
        for_update=for_update,
        precondition=precondition,
    )


async def create_endpoint(
    session: AsyncSession,
    principal: Principal,
    body: WebhookEndpointCreate,
    settings: Settings,
    deployment_key: KeyRing,
    *,
    secret: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown to the client this once): a new
    ``whsec_…`` unless the endpoint's format makes its own ``secret``."""
    require_manager(principal)
    _check_url(body.url, settings)
    check_subscription(principal, body.events)
    secret = secret or secrets.new_secret()
    endpoint = WebhookEndpoint(
        id=WEBHOOK_ENDPOINT.new_id(),
        account_id=principal.account_id,
        url=body.url,
        events=list(body.events),
        enabled=body.enabled,
        description=body.description,
        format=body.format,
        secret_ciphertext=secrets.encrypt(secret, deployment_key),
        consecutive_failures=0,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: str,
    body: WebhookEndpointWrite,
    settings: Settings,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> WebhookEndpoint:
    """Change an endpoint; enabling it again clears its failure count."""
    endpoint = await get_endpoint(
        session, principal, endpoint_id, for_update=True, precondition=precondition
    )
    sent = set(WebhookEndpointWrite.model_fields) if replace else body.model_fields_set
    values = {name: getattr(body, name) for name in sent}
    for required in ("url", "events"):
        if required in values and values[required] is None:
            raise ValidationFailed.field(required, "may not be null")
    if "url" in values:
        _check_url(values["url"], settings)
    if "url" in values or "events" in values:
        # Pointing an endpoint elsewhere hands its events to the new URL: the same rule.
        check_subscription(principal, values.get("events") or endpoint.events)
    if values.get("enabled") is None:
        values.pop("enabled", None)
    if values.get("enabled") is True and not endpoint.enabled:
        endpoint.consecutive_failures = 0
    if "enabled" in values:
        endpoint.disabled_reason = None
    for name, value in values.items():
        setattr(endpoint, name, list(value) if name == "events" else value)
    await session.flush()
    return endpoint


async def delete_endpoint(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Delete an endpoint; its pending deliveries are no longer sent."""
    endpoint = await get_endpoint(
        session, principal, endpoint_id, for_update=True, precondition=precondition
    )
    soft_delete(endpoint)
    endpoint.enabled = False
    await session.flush()


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: str,
    grace_seconds: int | None,
    settings: Settings,
    deployment_key: KeyRing,
    *,
    precondition: Precondition | None,
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing deliveries for the grace period."""
    endpoint = await get_endpoint(
        session, principal, endpoint_id, for_update=True, precondition=precondition
    )
    grace = (
        grace_seconds
        if grace_seconds is not None
        else settings.webhooks_rotation_grace_hours * 3600
    )
    secret = secrets.new_secret()
    if grace > 0:
        endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
        endpoint.previous_secret_expires_at = utcnow() + timedelta(seconds=grace)
    else:
        endpoint.previous_secret_ciphertext = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret_ciphertext = secrets.encrypt(secret, deployment_key)
    await session.flush()
    # The secret columns are never audited: say that a rotation happened, not what to.
    record(
        session,
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint",
        endpoint.id,
        {"grace_seconds": [None, grace]},
    )
    return endpoint, secret


def signing_secrets(endpoint: WebhookEndpoint, deployment_key: KeyRing, now: datetime) -> list[str]:
    """The secrets deliveries are signed with now: the current one, and the previous
    one during its grace period."""
    found = [secrets.decrypt(endpoint.secret_ciphertext, deployment_key)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_ciphertext and expires is not None and expires > now:
        # A previous secret stored under another deployment key is simply not used.
        with suppress(InvalidToken):
            found.append(secrets.decrypt(endpoint.previous_secret_ciphertext, deployment_key))
    return found


def shown(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The endpoint as the API shows it."""
    return dump(WebhookEndpointOut, endpoint)


async def ping(session: AsyncSession, principal: Principal, endpoint_id: str) -> Event:
    """A ``webhook_endpoint.ping`` event delivered to this endpoint alone."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    if not endpoint.enabled:
        raise Unprocessable("The endpoint is disabled; enable it to ping it")
    [event] = await publish(
        session,
        principal.account_id,
        origin_of(context_of(session)),
        [NewEvent("webhook_endpoint.ping", "webhook_endpoint", endpoint.id, shown(endpoint))],
        only_endpoint=endpoint.id,
    )
    record(
        session,
        "webhook_endpoint.pinged",
        "webhook_endpoint",
        endpoint.id,
        {"event_id": [None, event.id]},
    )
    return event


def endpoints_of(principal: Principal) -> Select[Any]:
    """The account's endpoints."""
    return select(WebhookEndpoint).where(WebhookEndpoint.account_id == principal.account_id)


def deliveries_of(endpoint: WebhookEndpoint, status: str | None) -> Select[Any]:
    """The endpoint's deliveries, optionally of one status."""
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.account_id == endpoint.account_id,
        WebhookDelivery.endpoint_id == endpoint.id,
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


async def get_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: str
) -> WebhookDelivery:
    """A delivery of this endpoint, or 404."""
    if not is_valid_id(WEBHOOK_DELIVERY.prefix, delivery_id):
        raise NotFound(f"No delivery with id {delivery_id!r}")
    delivery = await session.scalar(
        deliveries_of(endpoint, None)
        .where(WebhookDelivery.id == delivery_id)
        .options(*WEBHOOK_DELIVERY.load)
        .execution_options(populate_existing=True)
    )
    if not isinstance(delivery, WebhookDelivery):
        raise NotFound(f"No delivery with id {delivery_id!r}")
    return delivery


def _requeue_values() -> dict[str, Any]:
    now = utcnow()
    return {
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "updated_at": now,
    }


async def replay_delivery(
    session: AsyncSession, principal: Principal, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a finished (delivered or dead) delivery again, with the same ``webhook-id``."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    if not endpoint.enabled:
        raise Unprocessable("The endpoint is disabled; enable it before replaying")
    delivery = await get_delivery(session, endpoint, delivery_id)
    if delivery.status == PENDING:
        raise Unprocessable("The delivery is still pending; it will be retried on schedule")
    await session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(_requeue_values())
    )
    record(
        session,
        "webhook_delivery.replayed",
        "webhook_delivery",
        delivery.id,
        {"status": [delivery.status, PENDING]},
    )
    return await get_delivery(session, endpoint, delivery_id)


async def replay_failures(
    session: AsyncSession, principal: Principal, endpoint_id: str, since: datetime
) -> int:
    """Queue again, now, every failed delivery of the endpoint created since ``since``:
    the dead ones and those waiting for a retry. How many."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    if not endpoint.enabled:
        raise Unprocessable("The endpoint is disabled; enable it before replaying")
    result: Any = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.account_id == endpoint.account_id,
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.created_at >= since,
            or_(
                WebhookDelivery.status == DEAD,
                (WebhookDelivery.status == PENDING) & (WebhookDelivery.attempts > 0),
            ),
        )
        .values(_requeue_values())
    )
    count = int(result.rowcount or 0)
    record(
        session,
        "webhook_endpoint.replayed",
        "webhook_endpoint",
        endpoint.id,
        {"since": [None, since], "replayed": [None, count]},
    )
    return count
