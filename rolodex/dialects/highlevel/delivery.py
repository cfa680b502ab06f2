"""Webhook deliveries in HighLevel's form: the ``highlevel`` delivery format.

A delivery is a ``POST`` of the body HighLevel sends for the event: ``type``
(``ContactCreate``…), ``locationId`` (the account id), the record's fields as the
HighLevel surface shows them (:mod:`rolodex.dialects.highlevel.shapes`), and, for replay
defence, ``timestamp`` (when this attempt was made, so a retry is not taken for a replay)
and ``webhookId`` (the event id, the same on every retry: a receiver that drops ids it
has seen drops repeats). It is signed in ``x-wh-signature``
(:mod:`rolodex.dialects.highlevel.signing`).

Only the native event types of :data:`EVENT_TYPES` are queued for these endpoints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.companies.models import Company
from rolodex.deployment_keys.store import key_pair
from rolodex.dialects.highlevel.shapes import contact_of, note_of, task_of, timestamp
from rolodex.dialects.highlevel.signing import SIGNATURE_HEADER, WEBHOOK_KEY, signature
from rolodex.webhooks.delivery_format import Delivery, DeliveryFormat, Rendered

EVENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "contact.created": "ContactCreate",
        "contact.restored": "ContactCreate",
        "contact.updated": "ContactUpdate",
        "contact.deleted": "ContactDelete",
        "contact.tags_added": "ContactTagUpdate",
        "contact.tags_removed": "ContactTagUpdate",
        "task.created": "TaskCreate",
        "task.restored": "TaskCreate",
        "task.completed": "TaskComplete",
        "task.deleted": "TaskDelete",
        "note.created": "NoteCreate",
        "note.restored": "NoteCreate",
        "note.updated": "NoteUpdate",
        "note.deleted": "NoteDelete",
    }
)
"""Native event type → HighLevel's webhook ``type``. A restored record comes back as
created; HighLevel has no event for a task changed other than by completing it, and
none for companies or appointments in this form."""


def moment(value: datetime) -> str:
    """``2025-01-28T14:35:00Z``, the form of HighLevel's ``timestamp``."""
    return f"{value:%Y-%m-%dT%H:%M:%S}Z"


async def _company_name(session: AsyncSession, account_id: str, company_id: Any) -> str | None:
    if not isinstance(company_id, str):
        return None
    name: str | None = await session.scalar(
        select(Company.name).where(Company.id == company_id, Company.account_id == account_id)
    )
    return name


async def record_of(
    session: AsyncSession, resource_type: str, data: Mapping[str, Any], location_id: str
) -> dict[str, Any]:
    """The record's fields as a HighLevel webhook carries them."""
    if resource_type == "contact":
        company = await _company_name(session, location_id, data.get("company_id"))
        shown = contact_of(data, location_id=location_id, company_name=company)
        return {**shown, "attachments": []}  # Rolodex keeps no attachments
    record = task_of(data) if resource_type == "task" else note_of(data)
    added = timestamp(data.get("created_at"))
    return {**record, **({"dateAdded": added} if added else {})}


def body_of(
    kind: str, location_id: str, record: Mapping[str, Any], *, at: str, webhook_id: str
) -> dict[str, Any]:
    """The whole body: ``type`` and ``locationId`` first, the record, then the replay
    defence fields."""
    return {
        "type": kind,
        "locationId": location_id,
        **record,
        "timestamp": at,
        "webhookId": webhook_id,
    }


MAX_SAFE_INTEGER = 2**53 - 1


def _as_javascript_reads_it(value: Any) -> Any:
    """``value`` with each integral float an int (``1200.0`` → ``1200``), as JavaScript
    writes such a number; everything else as it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {key: _as_javascript_reads_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_javascript_reads_it(item) for item in value]
    return value


def serialized(body: Mapping[str, Any]) -> bytes:
    """The raw body: compact JSON in UTF-8, written as ``JSON.stringify`` writes it.

    HighLevel's example receiver verifies ``JSON.stringify`` of the parsed body rather
    than the bytes received, so the bytes are made to be what that gives back: no spaces,
    non-ASCII characters as they are, integral numbers without ``.0``. (Floats beyond
    ±1e16 or below 1e-4 and objects with integer-like keys may still differ; verifying
    the raw bytes, as Rolodex's docs advise, always works.)"""
    return json.dumps(
        _as_javascript_reads_it(dict(body)), separators=(",", ":"), ensure_ascii=False
    ).encode()


async def render(session: AsyncSession, delivery: Delivery) -> Rendered:
    """One attempt's body, signed."""
    event = delivery.event
    location_id = delivery.endpoint.account_id
    data = event.data or {"id": event.resource_id}
    record = await record_of(session, event.resource_type, data, location_id)
    body = body_of(
        EVENT_TYPES[event.type],
        location_id,
        record,
        at=moment(delivery.now),
        webhook_id=event.id,
    )
    raw = serialized(body)
    keys = await key_pair(session, WEBHOOK_KEY, delivery.key_ring)
    return Rendered(raw, {SIGNATURE_HEADER: signature(keys.private_key, raw)})


HIGHLEVEL_FORMAT = DeliveryFormat(
    name="highlevel", accepts=lambda kind: kind in EVENT_TYPES, render=render
)
"""Deliveries of HighLevel-format webhook endpoints."""
