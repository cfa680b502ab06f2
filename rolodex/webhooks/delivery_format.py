"""What a delivery format is, and the native one.

A :class:`DeliveryFormat` says which event types it can show and renders one attempt's
body and headers. ``native`` is Rolodex's own: ``{"id", "type", "timestamp", "data"}``
signed with the Standard Webhooks headers. The registry of every format is
:mod:`rolodex.webhooks.formats`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.audit.capture import json_safe
from rolodex.events.models import Event
from rolodex.keyring import KeyRing
from rolodex.webhooks import signing
from rolodex.webhooks.models import WebhookEndpoint


@dataclass(frozen=True)
class Rendered:
    """A delivery's body and the headers that go with it (signatures included)."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Delivery:
    """What a format renders: the event, the endpoint it goes to, the endpoint's signing
    secrets (newest first), the moment of the attempt and the deployment's key ring (for
    a format that signs with a key of the deployment rather than of the endpoint)."""

    event: Event
    endpoint: WebhookEndpoint
    secrets: Sequence[str]
    now: datetime
    key_ring: KeyRing


@dataclass(frozen=True)
class DeliveryFormat:
    """How one kind of receiver is spoken to."""

    name: str
    accepts: Callable[[str], bool]
    """Whether an event of this type can be shown in the format at all; events it cannot
    show are not queued for its endpoints."""
    render: Callable[[AsyncSession, Delivery], Awaitable[Rendered]]
    """The body and headers of one attempt (read in the worker's session)."""


def payload_of(event: Event) -> bytes:
    """The native body of a delivery: ``{"id", "type", "timestamp", "data"}``."""
    body = {
        "id": event.id,
        "type": event.type,
        "timestamp": json_safe(event.created_at),
        "data": event.data,
    }
    return json.dumps(body, separators=(",", ":")).encode()


async def _render_native(session: AsyncSession, delivery: Delivery) -> Rendered:
    body = payload_of(delivery.event)
    timestamp = int(delivery.now.timestamp())
    return Rendered(body, signing.headers(delivery.secrets, delivery.event.id, timestamp, body))


NATIVE_FORMAT = DeliveryFormat(name="native", accepts=lambda _type: True, render=_render_native)
