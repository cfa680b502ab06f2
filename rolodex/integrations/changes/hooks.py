"""Receiving a remote's webhook for a connection: verify it, read it, store its changes.

Knows no HTTP: :func:`find_connection` says whether a connection may receive webhooks
(``NotFound`` otherwise); :func:`receive` checks the signature with the connector's
declaration and the secret the connection holds, reads the body with the connector's
reader (:mod:`.inbound`) and stores the changes (:mod:`.store`) in one transaction.

Every reason a webhook is refused — no secret stored, a signature that does not match
or does not parse, credentials this deployment's key cannot open, a HighLevel webhook
for another location or older than five minutes — is the same :class:`HookRefused`,
with the same message, so a refusal tells a sender nothing about which it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import unit_of_work, utcnow
from rolodex.errors import NotFound, ValidationFailed
from rolodex.ids import PREFIXES, is_valid_id
from rolodex.integrations import credentials as sealed
from rolodex.integrations.changes.highlevel_key import HIGHLEVEL_PUBLIC_KEY
from rolodex.integrations.changes.inbound import (
    READERS,
    NotForThisConnection,
    Unreadable,
    parse_time,
)
from rolodex.integrations.changes.store import record_changes
from rolodex.integrations.connectors_registry import connector_of
from rolodex.integrations.models import Connection
from rolodex.keyring import KeyRing

log = logging.getLogger("rolodex.integrations")

MAX_HOOK_BYTES = 256 * 1024
"""The largest webhook body accepted (a record with its fields is a few kilobytes)."""
REPLAY_WINDOW = timedelta(minutes=5)
"""How old (or how far ahead) a HighLevel webhook's ``timestamp`` may be."""
REFUSED = "The webhook's signature does not verify for this connection"


class HookRefused(Exception):
    """The webhook does not verify for the connection."""


@dataclass(frozen=True)
class Receipt:
    """What came of one webhook: the changes it reported and how many were new."""

    received: int
    stored: int


def _not_found(connection_id: str) -> NotFound:
    return NotFound(f"No connection with id {connection_id[:60]}")


async def _connection(session: AsyncSession, connection_id: str) -> Connection:
    if not is_valid_id(PREFIXES["connection"], connection_id):
        raise _not_found(connection_id)
    connection = await session.get(Connection, connection_id)
    if connection is None or connection.deleted_at is not None:
        raise _not_found(connection_id)
    return connection


async def find_connection(sessions: async_sessionmaker[AsyncSession], connection_id: str) -> None:
    """Whether ``connection_id`` names a connection that takes webhooks (``NotFound``
    when it does not: unknown, or deleted)."""
    async with unit_of_work(sessions) as session:
        await _connection(session, connection_id)


def secrets_of(kind: str, credentials: Mapping[str, object]) -> list[str]:
    """What a connection's webhooks are verified with: the keys of its
    ``webhook_secret``, separated by white space (MOCO gives every web hook a key of its
    own) — for HighLevel, one public key (PEM), HighLevel's own when it holds none."""
    secret = credentials.get("webhook_secret")
    if kind == "highlevel":
        if isinstance(secret, str) and "PUBLIC KEY" in secret:
            return [secret]
        return [HIGHLEVEL_PUBLIC_KEY]
    return secret.split() if isinstance(secret, str) else []


def _recent(body: bytes, now: datetime) -> bool:
    """A HighLevel webhook's ``timestamp`` is within the replay window (one without it
    passes: its signature and the stream's de-duplication still hold)."""
    try:
        found = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return True
    moment = parse_time(found.get("timestamp")) if isinstance(found, dict) else None
    return moment is None or abs(now - moment) <= REPLAY_WINDOW


async def receive(
    sessions: async_sessionmaker[AsyncSession],
    deployment_key: KeyRing,
    connection_id: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Receipt:
    """Verify, read and store one webhook of a connection (``NotFound``,
    :class:`HookRefused`, or ``ValidationFailed`` for a verified body that is not the
    remote's webhook)."""
    async with unit_of_work(sessions) as session:
        connection = await _connection(session, connection_id)
        try:
            credentials = sealed.unseal(connection.secret_ciphertext, deployment_key)
        except InvalidToken:
            log.warning("connection %s: its credentials cannot be opened", connection.id)
            raise HookRefused(REFUSED) from None
        connector = connector_of(connection.kind)
        verify = connector.verify_webhook
        keys = secrets_of(connection.kind, credentials)
        if verify is None or not any(verify(headers, body, key) for key in keys):
            raise HookRefused(REFUSED)
        if connection.kind == "highlevel" and not _recent(body, utcnow()):
            raise HookRefused(REFUSED)
        reader = READERS.get(connection.kind)
        if reader is None:
            raise HookRefused(REFUSED)
        try:
            changes = reader(headers, body, {"location_id": connection.location_id})
        except NotForThisConnection:
            raise HookRefused(REFUSED) from None
        except Unreadable as exc:
            raise ValidationFailed(f"The webhook cannot be read: {exc}") from None
        stored = await record_changes(session, connection.account_id, connection.id, changes)
        return Receipt(received=len(changes), stored=len(stored))
