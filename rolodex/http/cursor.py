"""Opaque, signed cursors for keyset pagination.

A cursor holds the collection, the sort, and the sort value and id of the last row a
client saw. It is signed, so a client cannot forge one or carry one from another list.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rolodex.errors import ValidationFailed
from rolodex.keyring import KeyRing

_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class Cursor:
    """The position after one row of one sorted collection."""

    collection: str
    sort: str
    descending: bool
    value: Any
    last_id: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, datetime):
        return ["dt", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return ["v", value]


def _decode_value(tagged: list[Any]) -> Any:
    kind, raw = tagged
    if kind == "dt":
        return datetime.fromisoformat(raw)
    if kind == "d":
        return date.fromisoformat(raw)
    if kind == "v" and (raw is None or isinstance(raw, str | int | float | bool)):
        return raw
    raise ValueError("unknown value kind")


def encode_cursor(cursor: Cursor, secret: KeyRing) -> str:
    """Sign (with the ring's newest key) and encode a cursor."""
    payload = json.dumps(
        [
            cursor.collection,
            cursor.sort,
            cursor.descending,
            _encode_value(cursor.value),
            cursor.last_id,
        ],
        separators=(",", ":"),
    ).encode()
    signature = secret.sign(payload)[:_SIGNATURE_BYTES]
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_cursor(text: str, secret: KeyRing, collection: str) -> Cursor:
    """Check (under any key of the ring) and decode a cursor of ``collection``, or raise
    a 400."""
    invalid = ValidationFailed.field("after", "is not a valid cursor for this list")
    try:
        body, signature = text.split(".", 1)
        payload = _unb64(body)
        if not secret.verify(payload, _unb64(signature), length=_SIGNATURE_BYTES):
            raise invalid
        name, sort, descending, value, last_id = json.loads(payload)
        cursor = Cursor(name, sort, bool(descending), _decode_value(value), str(last_id))
    except ValidationFailed:
        raise
    except (ValueError, TypeError, UnicodeDecodeError):
        raise invalid from None
    if cursor.collection != collection:
        raise invalid
    return cursor
