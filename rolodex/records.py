"""Finding, checking and soft-deleting account-owned records, the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.base import ExecutableOption

from rolodex.accounts.principal import Principal
from rolodex.db import utcnow
from rolodex.errors import Detail, NotFound, Unprocessable, ValidationFailed
from rolodex.ids import is_valid_id
from rolodex.kinds import ResourceKind
from rolodex.preconditions import Precondition

M = TypeVar("M")


async def get_record(
    session: AsyncSession,
    model: type[M],
    account_id: str,
    record_id: str,
    *,
    prefix: str,
    label: str,
    include_deleted: bool = False,
    options: Sequence[ExecutableOption] = (),
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> M:
    """The record of this account with this id, or 404 (wrong prefix, other account,
    deleted) — never 403, so ids of other accounts reveal nothing.

    ``for_update``: the record is the target of a write. Its row is locked until the
    transaction ends (``SELECT … FOR UPDATE``; a concurrent writer waits, then reads the
    new version). ``precondition``: the version the write may apply to, checked on the
    record (with ``for_update``, so that no other writer changes it in between)."""
    if not is_valid_id(prefix, record_id):
        raise NotFound(f"No {label} with id {record_id!r}")
    cls: Any = model
    stmt = select(cls).where(cls.id == record_id, cls.account_id == account_id).options(*options)
    if not include_deleted and hasattr(cls, "deleted_at"):
        stmt = stmt.where(cls.deleted_at.is_(None))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    record = await session.scalar(stmt)
    if record is None:
        raise NotFound(f"No {label} with id {record_id!r}")
    if precondition is not None:
        precondition.check(record, label)
    return record  # type: ignore[no-any-return]


async def get_of_kind(
    session: AsyncSession, kind: ResourceKind, account_id: str, record_id: str, **options: Any
) -> Any:
    """:func:`get_record` of a kind: its table, id prefix and name come from it;
    ``options`` are those of :func:`get_record`."""
    return await get_record(
        session,
        kind.model,
        account_id,
        record_id,
        prefix=kind.prefix,
        label=kind.title,
        **options,
    )


@dataclass(frozen=True)
class Reference:
    """A body field that names another record of the account (``company_id``…)."""

    field: str
    model: Any
    prefix: str
    label: str

    @classmethod
    def to(cls, field: str, kind: ResourceKind, label: str | None = None) -> Reference:
        """A field naming a record of ``kind`` (``label`` says which, in messages)."""
        return cls(field, kind.model, kind.prefix, label or kind.title)


class References:
    """Checks a body's references against the account's live records.

    :meth:`load` asks the database once per referenced table for every id of many bodies
    (a batch writes 250 records with one look-up per table); :meth:`check` then answers
    from what was loaded, without I/O.
    """

    def __init__(self, account_id: str, references: Sequence[Reference]) -> None:
        self.account_id = account_id
        self.references = tuple(references)
        self._live: dict[str, set[str]] = {ref.field: set() for ref in self.references}

    async def load(self, session: AsyncSession, bodies: Iterable[dict[str, Any]]) -> None:
        """Look up every id the bodies name, one query per referenced table."""
        wanted: dict[str, set[str]] = {ref.field: set() for ref in self.references}
        for values in bodies:
            for ref in self.references:
                record_id = values.get(ref.field)
                if isinstance(record_id, str) and is_valid_id(ref.prefix, record_id):
                    wanted[ref.field].add(record_id)
        for ref in self.references:
            ids = wanted[ref.field] - self._live[ref.field]
            if not ids:
                continue
            model = ref.model
            stmt = select(model.id).where(model.id.in_(ids), model.account_id == self.account_id)
            if hasattr(model, "deleted_at"):
                stmt = stmt.where(model.deleted_at.is_(None))
            if hasattr(model, "active"):
                stmt = stmt.where(model.active.is_(True))
            self._live[ref.field].update(await session.scalars(stmt))

    def check(self, values: dict[str, Any]) -> None:
        """Every reference of ``values`` (loaded before) must name a live record of the
        account; otherwise the body is invalid (400), with a detail for each reference
        that does not (the first one worded as the message)."""
        details: list[Detail] = [
            {
                "field": ref.field,
                "message": f"does not name an existing {ref.label} of this account",
            }
            for ref in self.references
            if values.get(ref.field) is not None
            and values.get(ref.field) not in self._live[ref.field]
        ]
        if details:
            first = details[0]
            raise ValidationFailed(f"{first['field']} {first['message']}", details=details)


async def check_reference(
    session: AsyncSession,
    model: type[Any],
    account_id: str,
    record_id: str | None,
    *,
    field: str,
    prefix: str,
    label: str,
) -> None:
    """A body's reference (``company_id``, ``assignee_id``…) must name a live record of
    the same account; otherwise the body is invalid (400)."""
    if record_id is None:
        return
    references = References(account_id, [Reference(field, model, prefix, label)])
    await references.load(session, [{field: record_id}])
    references.check({field: record_id})


def owned_values(principal: Principal, body: BaseModel) -> dict[str, Any]:
    """A new record's values: the body's, owned by the acting user unless the body names
    an ``owner_id`` (an account-level key, acting as no user, leaves it null)."""
    values = dict(body)
    if "owner_id" not in body.model_fields_set:
        values["owner_id"] = principal.user_id
    return values


def changes_of(body: BaseModel, *, replace: bool) -> dict[str, Any]:
    """The fields a write applies: all of them for PUT, only those sent for PATCH."""
    if replace:
        return dict(body)
    return {name: getattr(body, name) for name in body.model_fields_set}


def require_present(values: dict[str, Any], required: Sequence[str]) -> None:
    """Fields a resource cannot be without may not be set to null."""
    for name in required:
        if name in values and values[name] is None:
            raise ValidationFailed.field(name, "is required and cannot be null")


def apply(record: Any, values: dict[str, Any]) -> bool:
    """Set changed attributes; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def to_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Body values as column values: nested objects (an address) as plain dicts, a null
    ``custom_fields`` as ``{}``, and ``tags`` left out (they live in a link table)."""
    out = {k: v for k, v in values.items() if k != "tags"}
    for name, value in out.items():
        if isinstance(value, BaseModel):
            out[name] = value.model_dump()
    if "custom_fields" in out and out["custom_fields"] is None:
        out["custom_fields"] = {}
    return out


def like_pattern(text: str) -> str:
    """A case-folded ``LIKE`` pattern matching ``text`` anywhere; use with ``escape="\\"``."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def soft_delete(record: Any) -> None:
    """Hide a record; it stays as a tombstone for sync and can be restored."""
    now = utcnow()
    record.deleted_at = now
    record.updated_at = now


def restore(record: Any, label: str) -> None:
    """Bring back a deleted record; restoring a live one is not allowed (422)."""
    if record.deleted_at is None:
        raise Unprocessable(f"The {label} is not deleted")
    record.deleted_at = None
    record.updated_at = utcnow()
