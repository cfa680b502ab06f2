"""Preconditions of a write: the version of a record the client last saw (RFC 9110 §13).

A record's version is its strong entity tag (:func:`etag_of`), derived from its type, id
and ``updated_at``. Every change to what the API shows of a record moves its
``updated_at`` (tag links and cascades included), so the tag changes exactly when the
representation does. A write that carries a :class:`Precondition` checks it on its
target right after loading it ``FOR UPDATE`` (``get_record(..., precondition=…)``), before
changing anything; the row lock makes a second writer holding the same tag wait for the
first to commit, read the new version and fail the check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from hashlib import sha256
from typing import Any

from rolodex.errors import PreconditionFailed


def etag_of(record: Any) -> str:
    """The strong ETag of a record: ``"<32 hex digits>"`` from its type, id and
    ``updated_at``. The same for the response of a GET and for the check of a write."""
    kind = getattr(record, "__tablename__", type(record).__name__)
    stamp = record.updated_at.astimezone(UTC).isoformat(timespec="microseconds")
    digest = sha256(f"{kind}|{record.id}|{stamp}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _opaque(tag: str) -> tuple[bool, str]:
    """(weak, opaque-tag) of one entity tag; an unquoted tag is taken as it is."""
    tag = tag.strip()
    weak = tag.startswith(("W/", "w/"))
    if weak:
        tag = tag[2:].strip()
    if len(tag) >= 2 and tag.startswith('"') and tag.endswith('"'):
        tag = tag[1:-1]
    return weak, tag


def matches(condition: str, current: str, *, weak: bool) -> bool:
    """Whether a list of entity tags (or ``*``) names ``current``.

    Strong comparison (``If-Match``) requires both tags to be strong and equal; weak
    comparison (``If-None-Match``) ignores the ``W/`` flags (RFC 9110 §8.8.3.2).
    """
    if condition.strip() == "*":
        return True
    current_weak, current_tag = _opaque(current)
    for item in condition.split(","):
        if not item.strip():
            continue
        item_weak, item_tag = _opaque(item)
        if item_tag != current_tag:
            continue
        if weak or not (item_weak or current_weak):
            return True
    return False


@dataclass(frozen=True)
class Precondition:
    """The versions a write may (``if_match``) or may not (``if_none_match``) apply to:
    lists of entity tags, or ``*``, as the client sent them."""

    if_match: str | None
    if_none_match: str | None

    def check(self, record: Any, label: str = "resource") -> None:
        """Refuse the write (:class:`~rolodex.errors.PreconditionFailed`) when ``if_match``
        does not name the record's current version, or ``if_none_match`` does."""
        current = etag_of(record)
        if self.if_match is not None:
            if not matches(self.if_match, current, weak=False):
                raise PreconditionFailed(
                    f"If-Match does not match the current ETag of this {label}: it has "
                    "changed since you read it. Fetch it again, reapply your change and retry"
                )
        elif self.if_none_match is not None and matches(self.if_none_match, current, weak=True):
            raise PreconditionFailed(f"If-None-Match matches the current ETag of this {label}")
