"""Capturing changes into the audit log, in the same transaction as the change.

The request pipeline builds an :class:`AuditContext` (who, through which credential,
which request) as part of the request context, and binds it to the unit of work's session
with :func:`bind_audit` before the route runs. From then on, every flush of that session
writes audit rows for the objects it inserts or changes (a ``before_flush`` listener,
registered once for every :class:`~sqlalchemy.orm.Session` and idle where no context is
bound).

Rows are merged per request, resource and action: a contact created and then given tags
in one request has one ``contact.created`` row whose ``changes`` hold the final values.

The public API, for code outside this module:

- :func:`record` — a change the ORM does not see (a rotated secret, a ping);
  :func:`record_tags` — a record's tag list changed (tag links live in link tables);
  :func:`record_created` — a row a bulk ``INSERT`` wrote, now loaded.
- :func:`take_changes` — what the request changed so far, one :class:`Change` per row,
  each handed out once (the outbox turns them into events).
- :func:`discard_rolled_back` — forget the rows a rolled-back SAVEPOINT wrote.
- :func:`context_of` / :func:`is_recording` — who the request acts as, and whether it is
  audited at all.

Secrets are never recorded: every column whose name says it holds one (``*_hash``,
``*secret*``, ``*password*``, ``*token*``) is left out, whatever its table.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from rolodex.accounts.principal import Principal
from rolodex.audit.models import AuditEntry
from rolodex.ids import PREFIXES, new_id

AUDIT_KEY = "rolodex.audit"

# Resource type by id prefix ("cnt" → "contact"). Types that are bookkeeping, not
# resources a client changes, are never audited.
_NOT_AUDITED = frozenset(
    {
        "audit_entry",
        "request",
        "event",
        "webhook_delivery",
        "webhook_attempt",
        "oauth_code",
        "oauth_token",
        "integration_job",
        "connection_oauth_state",
        "link",
        "sync_write",
        "flow_write",
        "run",
    }
)
RESOURCE_TYPES = {prefix: name for name, prefix in PREFIXES.items() if name not in _NOT_AUDITED}

# Columns that say nothing about the change itself.
_IGNORED_COLUMNS = frozenset({"id", "account_id", "created_at", "updated_at", "last_used_at"})
_SECRET_MARKERS = ("hash", "secret", "password", "token")


def is_secret_column(name: str) -> bool:
    """Whether a column may hold a secret (and so must never reach the audit log)."""
    lowered = name.lower()
    return any(marker in lowered for marker in _SECRET_MARKERS)


@dataclass
class AuditContext:
    """Who a request acts as and through what (its public fields); the rows it wrote so
    far (the capture's own bookkeeping)."""

    account_id: str
    request_id: str | None
    user_id: str | None  # None for an account-level API key, which acts as no user
    impersonator_id: str | None
    credential_id: str | None
    credential_kind: str | None
    origin_kind: str = "api"
    surface: str = "native"
    """The API the change was made through (``native``, ``moco``, ``highlevel``)."""
    connection_id: str | None = None
    """For a sync's writes (``origin_kind`` ``sync``): the connection it syncs with."""
    flow_id: str | None = None
    """For a flow's writes (``origin_kind`` ``flow``): the flow whose run made them."""
    run_id: str | None = None
    """For a flow's writes: that run."""
    # This request's rows by (resource type, resource id, action), for merging.
    _entries: dict[tuple[str, str, str], AuditEntry] = field(
        default_factory=dict, init=False, repr=False
    )
    # Ids of the rows :func:`take_changes` handed out already.
    _taken: set[str] = field(default_factory=set, init=False, repr=False)

    @classmethod
    def acting_as(
        cls, principal: Principal, request_id: str | None, *, surface: str = "native"
    ) -> AuditContext:
        """The context of a request made by ``principal`` through ``surface``."""
        return cls(
            surface=surface,
            account_id=principal.account_id,
            request_id=request_id,
            user_id=principal.user_id,
            impersonator_id=principal.impersonator.id if principal.impersonator else None,
            credential_id=principal.credential_id,
            credential_kind=principal.credential_kind,
        )


@dataclass(frozen=True)
class Change:
    """What one request did to one resource, as its (merged) audit row records it."""

    action: str
    """``<resource_type>.<verb>``: ``contact.created``, ``task.deleted``…"""
    resource_type: str
    resource_id: str
    changes: dict[str, list[Any]]
    """Each changed field as ``[old, new]``, JSON-safe."""

    @property
    def verb(self) -> str:
        """The action without its resource type: ``created``, ``updated``…"""
        return self.action.rpartition(".")[2]


def bind_audit(session: AsyncSession, context: AuditContext) -> None:
    """Make every change flushed in ``session`` write audit rows under ``context``.

    The context is kept in ``session.info``: a ``before_flush`` listener is handed only
    the session, and ``Session.info`` is SQLAlchemy's place for what belongs to one
    session. Nothing outside this module reads it there (:func:`context_of`)."""
    session.info[AUDIT_KEY] = context


def context_of(session: AsyncSession | Session) -> AuditContext | None:
    """The audit context bound to ``session``, if any."""
    found = session.info.get(AUDIT_KEY)
    return found if isinstance(found, AuditContext) else None


def is_recording(session: AsyncSession | Session) -> bool:
    """Whether changes in ``session`` are audited (it serves an API request)."""
    return context_of(session) is not None


def json_safe(value: Any) -> Any:
    """A value as JSON shows it: UTC timestamps with ``Z``, dates ``YYYY-MM-DD``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def record(
    session: AsyncSession | Session,
    action: str,
    resource_type: str,
    resource_id: str,
    changes: dict[str, list[Any]],
) -> None:
    """Write (or merge into this request's row for the same resource and action) an audit
    row for a change the ORM does not see. Without a bound context it does nothing."""
    context = context_of(session)
    if context is None:
        return
    _write(session, context, action, resource_type, resource_id, changes)


def tag_list(names: Sequence[str]) -> list[str]:
    """Tag names as the audit log and events show a ``tags`` field: alphabetical, in any
    case."""
    return sorted(names, key=str.lower)


def record_tags(
    session: AsyncSession | Session,
    resource_type: str,
    resource_id: str,
    before: Sequence[str],
    after: Sequence[str],
    *,
    created: bool = False,
) -> None:
    """Audit a record's ``tags`` change from the names ``before`` to those ``after`` (the
    links live in a link table, which the capture does not see); nothing if the set of
    names is the same.

    For a record being ``created``, call it before the record is flushed, so that its one
    ``<type>.created`` row carries the tags from the start; otherwise the change is part
    of the record's ``<type>.updated`` row."""
    old, new = tag_list(before), tag_list(after)
    if old == new:
        return
    verb = "created" if created else "updated"
    record(session, f"{resource_type}.{verb}", resource_type, resource_id, {"tags": [old, new]})


def record_created(session: AsyncSession | Session, obj: Any) -> None:
    """Audit ``obj``, loaded, as created: for rows a bulk ``INSERT`` wrote, which no flush
    shows the capture. The row is the one a flush of the new object would have written.
    Without a bound context it does nothing."""
    context = context_of(session)
    resource_type = resource_type_of(obj)
    if context is None or resource_type is None:
        return
    changes = _created_changes(obj)
    _write(session, context, f"{resource_type}.created", resource_type, obj.id, changes)


def take_changes(session: AsyncSession | Session) -> list[Change]:
    """The changes this request made that were not taken before, in the order they were
    first recorded; each row is handed out once. Flush first to see the latest changes.
    Empty when the session is not audited."""
    context = context_of(session)
    if context is None:
        return []
    taken: list[Change] = []
    for entry in list(context._entries.values()):
        if entry.id in context._taken:
            continue
        context._taken.add(entry.id)
        taken.append(
            Change(entry.action, entry.resource_type, entry.resource_id, dict(entry.changes or {}))
        )
    return taken


def discard_rolled_back(session: AsyncSession | Session) -> None:
    """Forget the audit rows a rolled-back SAVEPOINT had written, so that a later change
    of the same resource starts a fresh row instead of merging into a lost one."""
    context = context_of(session)
    if context is None:
        return
    for key, entry in list(context._entries.items()):
        state = sa_inspect(entry)
        if state.transient or state.detached:
            del context._entries[key]


def _write(
    session: AsyncSession | Session,
    context: AuditContext,
    action: str,
    resource_type: str,
    resource_id: str,
    changes: dict[str, list[Any]],
) -> None:
    safe = {name: [json_safe(old), json_safe(new)] for name, (old, new) in changes.items()}
    entry = context._entries.get((resource_type, resource_id, action))
    if action == f"{resource_type}.updated":
        # An update of something created in the same request completes its creation.
        entry = context._entries.get(
            (resource_type, resource_id, f"{resource_type}.created"), entry
        )
    if entry is not None:
        merged = dict(entry.changes or {})
        for name, (old, new) in safe.items():
            first = merged[name][0] if name in merged else old
            merged[name] = [first, new]
        if not entry.action.endswith(".created"):
            merged = {name: pair for name, pair in merged.items() if pair[0] != pair[1]}
        entry.changes = merged  # a new dict, so that the change is flushed
        return
    if not safe and action.endswith(".updated"):
        return
    entry = AuditEntry(
        id=new_id(PREFIXES["audit_entry"]),
        account_id=context.account_id,
        request_id=context.request_id,
        user_id=context.user_id,
        impersonator_id=context.impersonator_id,
        credential_id=context.credential_id,
        credential_kind=context.credential_kind,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        changes=safe,
    )
    session.add(entry)
    context._entries[(resource_type, resource_id, action)] = entry


def resource_type_of(obj: Any) -> str | None:
    """The API name of an ORM object's type, from its id prefix; None if not audited."""
    if isinstance(obj, AuditEntry):
        return None
    object_id = getattr(obj, "id", None)
    if not isinstance(object_id, str):
        return None
    prefix, sep, _ = object_id.partition("_")
    return RESOURCE_TYPES.get(prefix) if sep else None


def _audited_columns(obj: Any) -> list[Any]:
    return [
        attr
        for attr in sa_inspect(obj).mapper.column_attrs
        if attr.key not in _IGNORED_COLUMNS and not is_secret_column(attr.key)
    ]


def _created_changes(obj: Any) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for attr in _audited_columns(obj):
        value = getattr(obj, attr.key, None)
        if value is None:
            default = attr.columns[0].default
            if default is not None and default.is_scalar:
                value = default.arg
        if value is not None:
            changes[attr.key] = [None, value]
    return changes


def _updated_changes(obj: Any) -> dict[str, list[Any]]:
    state = sa_inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in _audited_columns(obj):
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if json_safe(old) != json_safe(new):
            changes[attr.key] = [old, new]
    return changes


def _update_action(resource_type: str, changes: dict[str, list[Any]]) -> str:
    if "deleted_at" in changes:
        old, new = changes["deleted_at"]
        if old is None and new is not None:
            return f"{resource_type}.deleted"
        if old is not None and new is None:
            return f"{resource_type}.restored"
    if "revoked_at" in changes and changes["revoked_at"][0] is None:
        return f"{resource_type}.revoked"
    return f"{resource_type}.updated"


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Turn the objects this flush writes into audit rows, in the same flush."""
    context = context_of(session)
    if context is None:
        return
    for obj in list(session.new):
        record_created(session, obj)
    for obj in list(session.dirty):
        resource_type = resource_type_of(obj)
        if resource_type is None or not session.is_modified(obj, include_collections=False):
            continue
        changes = _updated_changes(obj)
        if changes:
            action = _update_action(resource_type, changes)
            _write(session, context, action, resource_type, obj.id, changes)
    for obj in list(session.deleted):
        resource_type = resource_type_of(obj)
        if resource_type is not None:
            _write(session, context, f"{resource_type}.erased", resource_type, obj.id, {})


event.listen(Session, "before_flush", _before_flush)
