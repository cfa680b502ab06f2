"""Running a batch: every item through the same service code as its single-item route,
each in a SAVEPOINT of the request's transaction, so that a failing item rolls back alone
while the valid ones land (with their audit rows) when the request commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.audit.capture import context_of
from rolodex.batch.schemas import BatchRequest
from rolodex.http.envelope import dump
from rolodex.http.errors import ApiError, NotFound, ValidationFailed
from rolodex.ids import is_valid_id
from rolodex.schemas import OutModel, WriteModel

Create = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
Update = Callable[[AsyncSession, Principal, str, Any], Awaitable[Any]]


@dataclass(frozen=True)
class BatchKind:
    """What a batch needs to know of one resource."""

    label: str
    prefix: str
    model: Any
    write: type[WriteModel]
    patch: type[WriteModel]
    out: type[OutModel]
    create: Create
    update: Update
    """A PATCH of the record with this id (only the fields sent)."""


def _item_error(error: ApiError) -> dict[str, Any]:
    out: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.details:
        out["details"] = error.details
    return out


def _validation_error(exc: ValidationError) -> ValidationFailed:
    details = [
        {
            "field": ".".join(str(p) for p in err.get("loc", ())) or None,
            "message": str(err.get("msg", "is not valid")).removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]
    first = details[0] if details else {"field": None, "message": "is not valid"}
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return ValidationFailed(str(message), details=details)


async def _match_by_email(
    session: AsyncSession, kind: BatchKind, principal: Principal, email: str
) -> str | None:
    model = kind.model
    found: str | None = await session.scalar(
        select(model.id)
        .where(
            model.account_id == principal.account_id,
            func.lower(model.email) == email.lower(),
            model.deleted_at.is_(None),
        )
        .order_by(model.created_at, model.id)
        .limit(1)
    )
    return found


async def _target_of(
    session: AsyncSession,
    kind: BatchKind,
    principal: Principal,
    batch: BatchRequest,
    item: dict[str, Any],
    patch: WriteModel,
) -> str | None:
    """The id of the record an upsert item updates, or None to create it."""
    if batch.match_on == "id":
        record_id = item.get("id")
        if not isinstance(record_id, str) or not record_id:
            raise ValidationFailed.field("id", "is required to match on id")
        exists = is_valid_id(kind.prefix, record_id) and await session.scalar(
            select(kind.model.id).where(
                kind.model.id == record_id,
                kind.model.account_id == principal.account_id,
                kind.model.deleted_at.is_(None),
            )
        )
        if not exists:
            raise NotFound(f"No {kind.label} with id {record_id!r}")
        return record_id
    email = getattr(patch, "email", None)
    if not email:
        raise ValidationFailed.field("email", "is required to match on email")
    return await _match_by_email(session, kind, principal, email)


async def _write_item(
    session: AsyncSession,
    kind: BatchKind,
    principal: Principal,
    batch: BatchRequest,
    item: dict[str, Any],
) -> tuple[str, Any]:
    """Write one item; its status and record. Raises what the single-item route would."""
    try:
        if batch.mode == "upsert":
            patch = kind.patch.model_validate(item)
            target = await _target_of(session, kind, principal, batch, item, patch)
            if target is not None:
                if batch.match_on == "email":
                    # The match is case-insensitive: the stored spelling stays.
                    patch.model_fields_set.discard("email")
                before = await session.scalar(
                    select(kind.model.updated_at).where(kind.model.id == target)
                )
                record = await kind.update(session, principal, target, patch)
                return ("updated" if record.updated_at != before else "unchanged"), record
        body = kind.write.model_validate(item)
    except ValidationError as exc:
        raise _validation_error(exc) from None
    return "created", await kind.create(session, principal, body)


def _forget_rolled_back_audit(session: AsyncSession) -> None:
    """Drop audit rows of a rolled-back item from the request's merge table, so that a
    later item of the same record starts a fresh row instead of merging into a lost one."""
    context = context_of(session)
    if context is None:
        return
    for key, entry in list(context.entries.items()):
        state = sa_inspect(entry)
        if state.transient or state.detached:
            del context.entries[key]


async def run_batch(
    session: AsyncSession, kind: BatchKind, principal: Principal, batch: BatchRequest
) -> dict[str, Any]:
    """Write every item in its own SAVEPOINT; the response body (results and counts).
    A dry run rolls back every savepoint, so it checks everything and writes nothing."""
    results: list[dict[str, Any]] = []
    for index, item in enumerate(batch.items):
        savepoint = await session.begin_nested()
        try:
            status, record = await _write_item(session, kind, principal, batch, item)
            await session.flush()
            data = dump(kind.out, record)
            if batch.dry_run:
                await savepoint.rollback()
                _forget_rolled_back_audit(session)
                if status == "created":
                    data["id"] = None
            else:
                await savepoint.commit()
        except (ApiError, IntegrityError) as exc:
            await savepoint.rollback()
            _forget_rolled_back_audit(session)
            error = (
                exc
                if isinstance(exc, ApiError)
                else ValidationFailed(f"The {kind.label} conflicts with existing data")
            )
            results.append(
                {
                    "index": index,
                    "status": "error",
                    "id": None,
                    "data": None,
                    "error": _item_error(error),
                }
            )
            continue
        results.append({"index": index, "status": status, "id": data["id"], "data": data})
    counts = Counter(r["status"] for r in results)
    summary = {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "failed": counts["error"],
    }
    return {"data": results, "meta": summary}
