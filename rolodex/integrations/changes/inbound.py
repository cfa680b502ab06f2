"""What a remote's webhook says changed, read from its headers and raw body.

One reader per connector kind, each answering the :class:`~.store.NewChange` s of one
delivery (none for an event that names no record), or raising :class:`Unreadable` for a
body that is not what the remote sends:

- ``moco``: the record as MOCO shows it; ``X-Moco-Target`` (``Contact``, ``Company``,
  ``Comment`` …) and ``X-Moco-Event`` (``create``, ``update``, ``delete``) say what it is
  and what happened; its ``updated_at`` (else ``X-Moco-Timestamp``) when.
- ``highlevel``: ``{"type": "ContactUpdate", "locationId", <the record's fields>,
  "timestamp", "webhookId"}``; ``dateUpdated`` (else ``dateAdded`` for a creation) is
  when. A record without either (a task completed, a note deleted) is identified by the
  ``webhookId``, which a redelivery repeats.
- ``rolodex``: a native event ``{"id", "type": "contact.updated", "timestamp", "data"}``;
  ``data.updated_at`` (else the event's timestamp) is when.

Remote types are said the same for every remote: ``contact``, ``company``, ``task``,
``note`` (MOCO's comments), ``appointment``, and the remote's own word, lower-cased,
for anything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from rolodex.integrations.changes.models import CREATED, DELETED, RESTORED, UPDATED, WEBHOOK
from rolodex.integrations.changes.store import NewChange

MOCO_TYPES = {"Contact": "contact", "Company": "company", "Comment": "note"}
MOCO_ACTIONS = {"create": CREATED, "update": UPDATED, "delete": DELETED}
HIGHLEVEL_WORD = re.compile(r"[A-Z][a-z0-9]*")
NATIVE_ACTIONS = {"created": CREATED, "updated": UPDATED, "deleted": DELETED, "restored": RESTORED}


class Unreadable(Exception):
    """The body is not a webhook of the remote's kind."""


class NotForThisConnection(Exception):
    """The webhook verifies but belongs to another account of the remote (a HighLevel
    location other than the connection's: HighLevel signs every location's webhooks with
    one key)."""


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), "").strip()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Unreadable("the body is not JSON") from None
    if not isinstance(found, dict):
        raise Unreadable("the body is not a JSON object")
    return found


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; none means UTC) or epoch milliseconds,
    as an aware datetime; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _remote_id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip():
        return str(value).strip()[:100]
    return None


def read_moco(
    headers: Mapping[str, str], body: bytes, connection: Mapping[str, Any]
) -> list[NewChange]:
    """A MOCO web hook's change."""
    record = _json_object(body)
    target, event = _header(headers, "X-Moco-Target"), _header(headers, "X-Moco-Event")
    action = MOCO_ACTIONS.get(event.lower())
    remote_id = _remote_id(record.get("id"))
    if not target or action is None or remote_id is None:
        raise Unreadable("a MOCO web hook names its target, event and record id")
    when = parse_time(record.get("updated_at")) or parse_time(_header(headers, "X-Moco-Timestamp"))
    if when is None:
        raise Unreadable("the MOCO web hook says nowhere when the change was made")
    remote_type = MOCO_TYPES.get(target, target.lower()[:40])
    return [
        NewChange(
            remote_type, remote_id, when, action, WEBHOOK, payload=record, event=f"{target}.{event}"
        )
    ]


def _highlevel_kind(kind: str) -> tuple[str, str] | None:
    words = HIGHLEVEL_WORD.findall(kind)
    if len(words) < 2:
        return None
    resource, rest = words[0].lower(), words[1:]
    if rest[-1] == "Create":
        return resource, CREATED
    if rest[-1] == "Delete":
        return resource, DELETED
    return resource, UPDATED


def read_highlevel(
    headers: Mapping[str, str], body: bytes, connection: Mapping[str, Any]
) -> list[NewChange]:
    """A HighLevel webhook's change."""
    record = _json_object(body)
    kind = record.get("type")
    if not isinstance(kind, str):
        raise Unreadable("a HighLevel webhook has a type")
    location = connection.get("location_id")
    if location and record.get("locationId") not in (None, location):
        raise NotForThisConnection("the webhook is for another HighLevel location")
    parsed = _highlevel_kind(kind)
    remote_id = _remote_id(record.get("id"))
    if parsed is None or remote_id is None:
        return []  # an event about no one record (an app installed …)
    remote_type, action = parsed
    when = parse_time(record.get("dateUpdated"))
    occurrence = None
    if when is None and action == CREATED:
        when = parse_time(record.get("dateAdded"))
    if when is None:
        webhook_id = _remote_id(record.get("webhookId"))
        when = parse_time(record.get("timestamp"))
        if webhook_id is None or when is None:
            raise Unreadable("the HighLevel webhook says nowhere when the change was made")
        occurrence = webhook_id
    shown = {k: v for k, v in record.items() if k not in ("timestamp", "webhookId")}
    return [
        NewChange(
            remote_type[:40],
            remote_id,
            when,
            action,
            WEBHOOK,
            payload=shown,
            event=kind[:100],
            occurrence=occurrence,
        )
    ]


def read_native(
    headers: Mapping[str, str], body: bytes, connection: Mapping[str, Any]
) -> list[NewChange]:
    """Another Rolodex's event."""
    event = _json_object(body)
    kind, data = event.get("type"), event.get("data")
    if not isinstance(kind, str) or "." not in kind:
        raise Unreadable("a Rolodex event has a type")
    resource, _, verb = kind.partition(".")
    if not isinstance(data, dict):
        return []  # a ping, or an event with nothing to show
    remote_id = _remote_id(data.get("id"))
    when = parse_time(data.get("updated_at")) or parse_time(event.get("timestamp"))
    if remote_id is None or when is None:
        return []
    action = NATIVE_ACTIONS.get(verb, UPDATED)
    return [
        NewChange(resource[:40], remote_id, when, action, WEBHOOK, payload=data, event=kind[:100])
    ]


Reader = Callable[[Mapping[str, str], bytes, Mapping[str, Any]], list[NewChange]]
READERS: Mapping[str, Reader] = {
    "moco": read_moco,
    "highlevel": read_highlevel,
    "rolodex": read_native,
}
"""The webhook reader of each connector kind."""
