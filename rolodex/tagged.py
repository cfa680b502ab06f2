"""Contacts and companies — the records that carry tags — created and changed the same way.

Each kind keeps its own rules (what it references, how a new record is built and checked,
which fields may not be null); what is common lives here: the owner of a new record, the
one look-up of its references, its tags, and :func:`save`, the one place that adds such
records to the session, audits their tags and writes their tag links — for a single
write and for a batch alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.db import utcnow
from rolodex.records import Reference, References, apply, changes_of, owned_values
from rolodex.schemas import WriteModel
from rolodex.tags import service as tags

R = TypeVar("R")

Build = Callable[[Principal, dict[str, Any], References], R]
"""A new record of :func:`~rolodex.records.owned_values`, checked against its references
(loaded before), not added to the session."""
CheckedChanges = Callable[[R, dict[str, Any], References], dict[str, Any]]
"""The columns a write's values (tags aside) set on a loaded record, checked, not yet
set."""


@dataclass(frozen=True)
class Rules(Generic[R]):
    """What one kind of tagged record checks its own way."""

    owner: str
    """The resource type: ``"contact"`` or ``"company"``."""
    references: tuple[Reference, ...]
    """The body fields that name other records of the account."""
    build: Build[R]
    checked_changes: CheckedChanges[R]


async def create(
    session: AsyncSession,
    principal: Principal,
    body: WriteModel,
    rules: Rules[R],
) -> R:
    """A new record from ``body``, owned by the acting user unless ``owner_id`` says
    otherwise, with the body's tags; flushed."""
    values = owned_values(principal, body)
    checks = References(principal.account_id, rules.references)
    await checks.load(session, [values])
    record = rules.build(principal, values, checks)
    wanted = await tags.resolve_tags(session, principal.account_id, values.get("tags") or [])
    await save(session, rules.owner, created=[tags.plan_tags(record, wanted, new=True)])
    return record


async def update(
    session: AsyncSession,
    principal: Principal,
    record: R,
    body: WriteModel,
    rules: Rules[R],
    *,
    replace: bool,
) -> R:
    """Write ``body`` to a loaded (and locked) record: PUT (``replace``) sets every field,
    omitted ones to null; PATCH only those sent. ``updated_at`` moves only if something,
    its tags included, really changed; flushed."""
    values = changes_of(body, replace=replace)
    checks = References(principal.account_id, rules.references)
    await checks.load(session, [values])
    changed = apply(record, rules.checked_changes(record, values, checks))
    retagged: list[tags.TagChange] = []
    if "tags" in values:
        wanted = await tags.resolve_tags(session, principal.account_id, values["tags"] or [])
        retagged.append(tags.plan_tags(record, wanted, new=False))
    if changed or any(change.changed for change in retagged):
        stamped: Any = record
        stamped.updated_at = utcnow()
    await save(session, rules.owner, updated=retagged)
    return record


async def save(
    session: AsyncSession,
    owner: str,
    *,
    created: Sequence[tags.TagChange] = (),
    updated: Sequence[tags.TagChange] = (),
) -> None:
    """Add the ``created`` records (each with its tags, maybe none) to the session, audit
    every tag change, flush, then write all the tag links at once.

    The tags of new records are audited before the flush, so that each has one
    ``<owner>.created`` row that carries them from the start."""
    session.add_all([change.record for change in created])
    tags.audit_tag_changes(session, owner, created, created=True)
    tags.audit_tag_changes(session, owner, updated, created=False)
    await session.flush()
    await tags.write_tag_changes(session, owner, [*created, *updated])
