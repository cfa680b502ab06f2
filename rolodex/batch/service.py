"""Running a batch of contacts or companies.

Items are written together: one query matches every item to its record, one loads the
records to update, one checks the references of all items, one resolves every tag name;
then each item is checked and applied in memory through the same service functions as
the single-item routes (``new_contact``, ``checked_changes``…), and all of them are flushed
at once — multi-row inserts, one audit row and, at commit, one event per changed record.
An item that fails its checks gets its error and is left out; the others land.

When items depend on each other (two name the same record), or the database refuses the
combined write, the batch is run again one item at a time, each in a SAVEPOINT of the
request's transaction, through the single-item service code: slower, with the same
results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex import tagged
from rolodex.accounts.principal import Principal
from rolodex.audit.capture import discard_rolled_back
from rolodex.batch.schemas import BatchRequest
from rolodex.db import utcnow
from rolodex.errors import DomainError, NotFound, ValidationFailed, invalid
from rolodex.ids import is_valid_id
from rolodex.kinds import ResourceKind
from rolodex.records import References, apply, changes_of, owned_values
from rolodex.schemas import WriteModel, dump
from rolodex.tags import service as tags

Create = Callable[[AsyncSession, Principal, Any], Awaitable[Any]]
Update = Callable[[AsyncSession, Principal, str, Any], Awaitable[Any]]


@dataclass(frozen=True)
class BatchWriter:
    """The service functions a batch writes one kind of resource through."""

    kind: ResourceKind
    """What is written: its table, schemas, id prefix and how it is shown."""
    rules: tagged.Rules[Any]
    """The kind's own checks: its references, how a new record is built, what a write
    may set."""
    create: Create
    """A create, as the single-item route runs it."""
    update: Update
    """A PATCH of the record with this id (only the fields sent)."""

    @property
    def write(self) -> type[WriteModel]:
        """The body of a whole record."""
        assert self.kind.write is not None, f"{self.kind.name} has no write schema"
        return self.kind.write

    @property
    def patch(self) -> type[WriteModel]:
        """The body of a partial update."""
        assert self.kind.patch is not None, f"{self.kind.name} has no patch schema"
        return self.kind.patch


@dataclass
class _Item:
    """One item on its way through a batch written together."""

    index: int
    item: dict[str, Any]
    error: DomainError | None = None
    body: WriteModel | None = None
    """The validated body: a whole record to create, or the fields of an upsert."""
    match: str | None = None
    """What the item matches on, normalised (an id, or a lower-cased email)."""
    values: dict[str, Any] | None = None
    record: Any = None
    target: str | None = None
    status: str = "created"
    columns: dict[str, Any] | None = None
    """For an update: the checked columns it sets."""
    tag_names: list[str] | None = None
    tag_change: tags.TagChange | None = None


def _parse(writer: BatchWriter, batch: BatchRequest, index: int, item: dict[str, Any]) -> _Item:
    """Validate an item's body; an upsert item also gets what it matches on."""
    parsed = _Item(index, item)
    try:
        if batch.mode == "create":
            parsed.body = writer.write.model_validate(item)
            return parsed
        patch = writer.patch.model_validate(item)
        parsed.body = patch
        if batch.match_on == "id":
            record_id = item.get("id")
            if not isinstance(record_id, str) or not record_id:
                raise ValidationFailed.field("id", "is required to match on id")
            parsed.match = record_id
        else:
            email = getattr(patch, "email", None)
            if not email:
                raise ValidationFailed.field("email", "is required to match on email")
            parsed.match = email.lower()
    except ValidationError as exc:
        parsed.error = invalid(exc.errors())
    except DomainError as exc:
        parsed.error = exc
    return parsed


async def _matches(
    session: AsyncSession,
    writer: BatchWriter,
    principal: Principal,
    batch: BatchRequest,
    keys: set[str],
) -> dict[str, str]:
    """Each match key (id or lower-cased email) of the batch to the live record it names;
    for an email, the oldest. One query."""
    model = writer.kind.model
    live = (model.account_id == principal.account_id, model.deleted_at.is_(None))
    if batch.match_on == "id":
        ids = [key for key in keys if is_valid_id(writer.kind.prefix, key)]
        if not ids:
            return {}
        found = await session.scalars(select(model.id).where(model.id.in_(ids), *live))
        return {record_id: record_id for record_id in found}
    if not keys:
        return {}
    rows = await session.execute(
        select(func.lower(model.email), model.id)
        .where(func.lower(model.email).in_(keys), *live)
        .order_by(model.created_at, model.id)
    )
    matches: dict[str, str] = {}
    for email, record_id in rows:
        matches.setdefault(email, record_id)
    return matches


async def _write_item(
    session: AsyncSession,
    writer: BatchWriter,
    principal: Principal,
    batch: BatchRequest,
    index: int,
    item: dict[str, Any],
) -> tuple[str, Any]:
    """Write one item; its status and record. Raises what the single-item route would."""
    parsed = _parse(writer, batch, index, item)
    if parsed.error is not None:
        raise parsed.error
    if parsed.match is not None:
        matches = await _matches(session, writer, principal, batch, {parsed.match})
        target = matches.get(parsed.match)
        if target is not None:
            patch = _matched_patch(batch, parsed)
            before = await session.scalar(
                select(writer.kind.model.updated_at).where(writer.kind.model.id == target)
            )
            record = await writer.update(session, principal, target, patch)
            return ("updated" if record.updated_at != before else "unchanged"), record
    body = _unmatched_body(writer, batch, parsed)
    return "created", await writer.create(session, principal, body)


def _matched_patch(batch: BatchRequest, parsed: _Item) -> WriteModel:
    """The fields an item that matched a record changes."""
    assert parsed.body is not None
    if batch.match_on == "email":
        # The match is case-insensitive: the stored spelling stays.
        parsed.body.model_fields_set.discard("email")
    return parsed.body


def _unmatched_body(writer: BatchWriter, batch: BatchRequest, parsed: _Item) -> WriteModel:
    """The record an item that matched nothing creates: in an upsert it must be a whole
    record, and an id that matches nothing is NOT_FOUND."""
    if batch.mode == "create":
        assert parsed.body is not None
        return parsed.body
    if batch.match_on == "id":
        raise NotFound(f"No {writer.kind.name} with id {parsed.match!r}")
    try:
        return writer.write.model_validate(parsed.item)
    except ValidationError as exc:
        raise invalid(exc.errors()) from None


async def _plan(
    session: AsyncSession, writer: BatchWriter, principal: Principal, batch: BatchRequest
) -> list[_Item] | None:
    """Every item matched and checked; nothing is written or changed yet. None when two
    items name the same record, which only the one-by-one path answers exactly."""
    items = [_parse(writer, batch, index, item) for index, item in enumerate(batch.items)]
    keys = [item.match for item in items if item.error is None and item.match is not None]
    if len(keys) != len(set(keys)):
        return None
    matches = await _matches(session, writer, principal, batch, set(keys))
    targets = sorted({matches[key] for key in keys if key in matches})
    records = {}
    if targets:
        found = await session.scalars(
            select(writer.kind.model)
            .where(writer.kind.model.id.in_(targets))
            .options(*writer.kind.load)
            .order_by(writer.kind.model.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        records = {record.id: record for record in found}
    for item in items:
        if item.error is not None or item.body is None:
            continue
        item.target = matches.get(item.match) if item.match is not None else None
        try:
            if item.target is not None:
                item.values = changes_of(_matched_patch(batch, item), replace=False)
            else:
                item.values = owned_values(principal, _unmatched_body(writer, batch, item))
        except DomainError as exc:
            item.error = exc
    references = References(principal.account_id, writer.rules.references)
    await references.load(session, [i.values for i in items if i.values is not None])
    for item in items:
        if item.values is None or item.error is not None:
            continue
        try:
            if item.target is None:
                item.record = writer.rules.build(principal, item.values, references)
                item.tag_names = item.values.get("tags") or []
            else:
                item.record = records[item.target]
                item.columns = writer.rules.checked_changes(item.record, item.values, references)
                if "tags" in item.values:
                    item.tag_names = item.values["tags"] or []
        except DomainError as exc:
            item.error = exc
    return items


async def _write_together(
    session: AsyncSession, writer: BatchWriter, principal: Principal, items: list[_Item]
) -> None:
    """Apply, tag, audit and flush every checked item at once. Tags are resolved first,
    while no record is changed, so that creating a new tag flushes nothing else."""
    owner = writer.rules.owner
    live = [item for item in items if item.error is None and item.record is not None]
    names = [name for item in live for name in item.tag_names or ()]
    found = await tags.tags_by_name(session, principal.account_id, names)
    for item in live:
        if item.columns is not None and apply(item.record, item.columns):
            item.status = "updated"
        elif item.target is not None:
            item.status = "unchanged"
    for item in live:
        if item.tag_names is None:
            continue
        wanted = [found[name.lower()] for name in item.tag_names]
        item.tag_change = tags.plan_tags(item.record, wanted, new=item.target is None)
        if item.target is not None and item.tag_change.changed:
            item.status = "updated"
    now = utcnow()
    for item in live:
        if item.status == "updated":
            item.record.updated_at = now
    created = [item.tag_change for item in live if item.target is None and item.tag_change]
    retagged = [item.tag_change for item in live if item.target is not None and item.tag_change]
    await tagged.save(session, owner, created=created, updated=retagged)


async def _run_together(
    session: AsyncSession, writer: BatchWriter, principal: Principal, batch: BatchRequest
) -> list[dict[str, Any]] | None:
    """The results of writing every item together; None (nothing written) when the batch
    must go one item at a time instead."""
    savepoint = await session.begin_nested()
    try:
        items = await _plan(session, writer, principal, batch)
        if items is None:
            await savepoint.rollback()
            return None
        await _write_together(session, writer, principal, items)
    except IntegrityError:
        await savepoint.rollback()
        discard_rolled_back(session)
        return None
    results = []
    for item in items:
        if item.error is not None:
            results.append(_error_result(item.index, item.error))
            continue
        data = dump(writer.kind.out, item.record)
        if batch.dry_run and item.target is None:
            data["id"] = None
        results.append({"index": item.index, "status": item.status, "id": data["id"], "data": data})
    if batch.dry_run:
        await savepoint.rollback()
        discard_rolled_back(session)
    else:
        await savepoint.commit()
    return results


def _error_result(index: int, error: DomainError) -> dict[str, Any]:
    return {
        "index": index,
        "status": "error",
        "id": None,
        "data": None,
        "error": error,  # drawn by the surface: see run_batch
    }


async def _run_one_by_one(
    session: AsyncSession, writer: BatchWriter, principal: Principal, batch: BatchRequest
) -> list[dict[str, Any]]:
    """Write every item in its own SAVEPOINT, in order, through the single-item service
    code. A dry run rolls back every savepoint, so it checks everything and writes
    nothing."""
    results: list[dict[str, Any]] = []
    for index, item in enumerate(batch.items):
        savepoint = await session.begin_nested()
        try:
            status, record = await _write_item(session, writer, principal, batch, index, item)
            await session.flush()
            data = dump(writer.kind.out, record)
            if batch.dry_run:
                await savepoint.rollback()
                discard_rolled_back(session)
                if status == "created":
                    data["id"] = None
            else:
                await savepoint.commit()
        except (DomainError, IntegrityError) as exc:
            await savepoint.rollback()
            discard_rolled_back(session)
            error = (
                exc
                if isinstance(exc, DomainError)
                else ValidationFailed(f"The {writer.kind.name} conflicts with existing data")
            )
            results.append(_error_result(index, error))
            continue
        results.append({"index": index, "status": status, "id": data["id"], "data": data})
    return results


async def run_batch(
    session: AsyncSession,
    writer: BatchWriter,
    principal: Principal,
    batch: BatchRequest,
    *,
    describe_error: Callable[[DomainError], dict[str, Any]],
) -> dict[str, Any]:
    """Write the batch (see the module's description); the response body, results and
    counts. ``describe_error`` draws a failed item's error in the surface's shape."""
    results = await _run_together(session, writer, principal, batch)
    if results is None:
        results = await _run_one_by_one(session, writer, principal, batch)
    for result in results:
        if result["status"] == "error":
            result["error"] = describe_error(result["error"])
    counts = Counter(r["status"] for r in results)
    summary = {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
        "failed": counts["error"],
    }
    return {"data": results, "meta": summary}
