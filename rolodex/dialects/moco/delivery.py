"""Web-hook deliveries in MOCO's form: the ``moco`` delivery format.

A delivery is a ``POST`` of the entity as the MOCO surface shows it (a person, a company,
a comment; a deleted one as it was when deleted), with MOCO's headers:

- ``X-Moco-Target``: ``Contact``, ``Company`` or ``Comment``;
- ``X-Moco-Event``: ``create``, ``update`` or ``delete``;
- ``X-Moco-Timestamp``: when the change happened, in milliseconds since the epoch;
- ``X-Moco-User-Id``: the number of the user who made it (absent when no user did);
- ``X-Moco-Account-Url``: the account's id (``acc_…``): Rolodex serves every account from
  one URL, so the account is what tells them apart;
- ``X-Moco-Signature``: the hex HMAC-SHA256 of the raw body, keyed with the hook's key.

Only event types a MOCO hook can subscribe to are queued for these endpoints
(:data:`~rolodex.dialects.moco.shapes.web_hooks.BY_EVENT_TYPE`). The body is rendered at
each attempt, in the worker's session (which may give a record its number on the way).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.dialects.moco.refs import Refs, refs_for
from rolodex.dialects.moco.shapes.comments import comment_of
from rolodex.dialects.moco.shapes.companies import company_of
from rolodex.dialects.moco.shapes.people import person_of
from rolodex.dialects.moco.shapes.web_hooks import BY_EVENT_TYPE
from rolodex.webhooks.delivery_format import Delivery, DeliveryFormat, Rendered


def signature(key: str, body: bytes) -> str:
    """MOCO's ``X-Moco-Signature``: the hex HMAC-SHA256 of ``body`` keyed with ``key``."""
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def entity_of(resource_type: str, data: dict[str, Any], refs: Refs) -> dict[str, Any]:
    """A native resource (an event's ``data``) as the MOCO surface shows it."""
    if resource_type == "contact":
        return person_of(data, refs)
    if resource_type == "company":
        return company_of(data, refs)
    return comment_of(data, refs)


async def _refs(
    session: AsyncSession, account_id: str, data: dict[str, Any], actor: str | None
) -> Refs:
    """The numbers and embedded records the entity needs, and the acting user's number."""
    return await refs_for(
        session,
        account_id,
        ids=[data.get("id"), data.get("contact_id")],
        company_ids=[data.get("company_id")],
        user_ids=[data.get("owner_id"), data.get("author_id"), actor],
    )


async def render(session: AsyncSession, delivery: Delivery) -> Rendered:
    """One attempt's body and headers."""
    event, account_id = delivery.event, delivery.endpoint.account_id
    target, action = BY_EVENT_TYPE[event.type]
    user_id = (event.origin or {}).get("user_id")
    data = event.data or {"id": event.resource_id}
    refs = await _refs(session, account_id, data, user_id)
    shown = (
        entity_of(event.resource_type, data, refs)
        if event.data
        else {"id": refs.number(event.resource_id)}
    )
    body = json.dumps(shown, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "X-Moco-Target": target,
        "X-Moco-Event": action,
        "X-Moco-Timestamp": str(int(event.created_at.timestamp() * 1000)),
        "X-Moco-Account-Url": account_id,
        "X-Moco-Signature": signature(delivery.secrets[0], body),
    }
    user_number = refs.number(user_id)
    if user_number is not None:
        headers["X-Moco-User-Id"] = str(user_number)
    return Rendered(body, headers)


MOCO_FORMAT = DeliveryFormat(name="moco", accepts=lambda kind: kind in BY_EVENT_TYPE, render=render)
"""Deliveries of MOCO web hooks."""
