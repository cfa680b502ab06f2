"""MOCO's web hooks as Rolodex webhook endpoints of format ``moco``.

A web hook has one ``target`` and one ``event``; an endpoint subscribes to event types.
The two correspond one to one (:data:`SUBSCRIPTIONS`): a ``Contact`` hook for ``update``
is an endpoint subscribed to ``contact.updated``, ``contact.tags_added`` and
``contact.tags_removed``; ``create`` also covers a record brought back (``restored``).
Which target and event an endpoint stands for is read back from its event types.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Body, Timestamp
from rolodex.dialects.moco.values import timestamp
from rolodex.secret_fields import secret_field

Target = Literal["Contact", "Company", "Comment"]
HookEvent = Literal["create", "update", "delete"]
NAMES: dict[str, str] = {"url": "hook", "events": "target"}
"""Native field → MOCO field, for errors."""
SORTS = {"created_at": "created_at", "updated_at": "updated_at"}

RESOURCES: dict[str, str] = {"Contact": "contact", "Company": "company", "Comment": "note"}
"""MOCO target → the native resource type its records are."""
ACTIONS: dict[str, tuple[str, ...]] = {
    "create": ("created", "restored"),
    "update": ("updated", "tags_added", "tags_removed"),
    "delete": ("deleted",),
}
"""MOCO event → the native actions it stands for."""
SUBSCRIPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    (target, event): tuple(
        f"{resource}.{action}"
        for action in actions
        if resource != "note" or action not in ("tags_added", "tags_removed")
    )
    for target, resource in RESOURCES.items()
    for event, actions in ACTIONS.items()
}
"""(target, event) → the native event types a hook subscribes to."""
BY_EVENT_TYPE: dict[str, tuple[str, str]] = {
    event_type: key for key, types in SUBSCRIPTIONS.items() for event_type in types
}
"""A native event type → the (target, event) of the hooks that receive it."""


class WebHookUpdate(Body):
    """A web hook's new URL (the only thing that can change)."""

    hook: str = Field(min_length=1, max_length=2048, examples=["https://example.org/v2"])


class WebHookCreate(WebHookUpdate):
    """A new web hook."""

    target: Target
    event: HookEvent


class WebHookOut(BaseModel):
    """A web hook as MOCO shows one."""

    id: int
    target: Target
    event: HookEvent
    hook: str
    disabled: bool
    disabled_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class WebHookCreated(WebHookOut):
    """A new web hook, with the key its deliveries are signed with."""

    signature_key: str | None = secret_field(
        "32 hexadecimal characters: `X-Moco-Signature` is the HMAC-SHA256 of each "
        "delivery's body with this key. Shown only now."
    )


def subscription_of(events: Sequence[str]) -> tuple[str, str] | None:
    """The (target, event) an endpoint's event types stand for, if any."""
    found = {BY_EVENT_TYPE.get(event_type) for event_type in events}
    if len(found) != 1 or None in found:
        return None
    return found.pop()


def is_moco_hook(endpoint: dict[str, Any]) -> bool:
    """Whether a native endpoint (``WebhookEndpointOut`` dump) is a MOCO web hook."""
    return endpoint.get("format") == "moco" and subscription_of(endpoint["events"]) is not None


def web_hook_of(endpoint: dict[str, Any], refs: Refs) -> dict[str, Any]:
    """A native endpoint of format ``moco`` as a MOCO web hook. A disabled hook's
    ``disabled_at`` is when the endpoint last changed (Rolodex keeps no other time)."""
    target, event = subscription_of(endpoint["events"]) or ("Contact", "create")
    disabled = not endpoint["enabled"]
    return {
        "id": refs.number(endpoint["id"]),
        "target": target,
        "event": event,
        "hook": endpoint["url"],
        "disabled": disabled,
        "disabled_at": timestamp(endpoint["updated_at"]) if disabled else None,
        "created_at": timestamp(endpoint["created_at"]),
        "updated_at": timestamp(endpoint["updated_at"]),
    }
