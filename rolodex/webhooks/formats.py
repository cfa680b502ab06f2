"""Delivery formats: what a webhook delivery's body and headers look like.

Every endpoint has a ``format``. ``native`` is Rolodex's own; a dialect brings the form
its vendor's receivers expect (a MOCO web hook's entity with ``X-Moco-Signature``, a
HighLevel ``ContactCreate`` body with ``x-wh-signature``). Each is a
:class:`~rolodex.webhooks.delivery_format.DeliveryFormat`, listed here. The jobs,
leases, retries and their schedule are the same for every format: only the rendering
differs.
"""

from __future__ import annotations

from rolodex.dialects.highlevel.delivery import HIGHLEVEL_FORMAT
from rolodex.dialects.moco.delivery import MOCO_FORMAT
from rolodex.webhooks.delivery_format import NATIVE_FORMAT, DeliveryFormat
from rolodex.webhooks.models import WebhookEndpoint

FORMATS: dict[str, DeliveryFormat] = {
    fmt.name: fmt
    for fmt in (
        NATIVE_FORMAT,
        # Each dialect's format is listed here (rolodex/dialects/<name>/delivery.py).
        HIGHLEVEL_FORMAT,
        MOCO_FORMAT,
    )
}
"""Every delivery format by name."""


def format_of(endpoint: WebhookEndpoint) -> DeliveryFormat:
    """The format an endpoint is delivered in (native when its name is unknown)."""
    return FORMATS.get(endpoint.format, NATIVE_FORMAT)


def format_named(name: str) -> DeliveryFormat:
    """The format called ``name`` (native when there is none of that name)."""
    return FORMATS.get(name, NATIVE_FORMAT)
