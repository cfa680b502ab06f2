"""The kinds of webhooks: endpoints and their deliveries.

They sit apart from :mod:`rolodex.kinds` because their schemas check event types, which
are read from the kinds there; :mod:`rolodex.registry` holds both.
"""

from __future__ import annotations

from types import MappingProxyType

from sqlalchemy.orm import selectinload

from rolodex.kinds import ResourceKind
from rolodex.webhooks.models import WebhookDelivery, WebhookEndpoint
from rolodex.webhooks.schemas import DeliveryOut, WebhookEndpointWithSecret

WEBHOOK_ENDPOINT = ResourceKind(
    name="webhook_endpoint",
    plural="webhooks",
    model=WebhookEndpoint,
    out=WebhookEndpointWithSecret,
    managers_only=True,
    sorts=MappingProxyType(
        {"created_at": WebhookEndpoint.created_at, "updated_at": WebhookEndpoint.updated_at}
    ),
)
WEBHOOK_DELIVERY = ResourceKind(
    name="webhook_delivery",
    plural="deliveries",
    model=WebhookDelivery,
    out=DeliveryOut,
    parent=WEBHOOK_ENDPOINT,
    load=(selectinload(WebhookDelivery.attempt_log),),
    sorts=MappingProxyType({"created_at": WebhookDelivery.created_at}),
)

WEBHOOK_KINDS: tuple[ResourceKind, ...] = (WEBHOOK_ENDPOINT, WEBHOOK_DELIVERY)
