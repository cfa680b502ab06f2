"""Tags: their CRUD, and attaching them to contacts and companies by name.

Every change of a record's tags goes the same way: :func:`plan_tags` says what changes
(a :class:`TagChange`), :func:`audit_tag_changes` records it in the audit log and
:func:`write_tag_changes` writes the links. A renamed or deleted tag, which changes the
``tags`` of records that are not loaded, is audited through the same
:func:`~rolodex.audit.capture.record_tags`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from rolodex.accounts.principal import Principal
from rolodex.audit.capture import is_recording, record_created, record_tags, tag_list
from rolodex.db import insert_skipping_conflicts, utcnow
from rolodex.errors import Conflict
from rolodex.kinds import TAG
from rolodex.preconditions import Precondition
from rolodex.records import apply, changes_of, get_of_kind, require_present, soft_delete
from rolodex.tags.models import Tag, company_tags, contact_tags
from rolodex.tags.schemas import TagWrite

TAGS = cast(Table, Tag.__table__)
"""The tag table, for bulk statements."""


async def get_tag(session: AsyncSession, principal: Principal, tag_id: str, **kw: Any) -> Tag:
    """A tag of the principal's account."""
    tag: Tag = await get_of_kind(session, TAG, principal.account_id, tag_id, **kw)
    return tag


def search(principal: Principal, *, name: str | None = None) -> Select[Any]:
    """The account's tags; ``name`` keeps the one of that name, in any case."""
    stmt = select(Tag).where(Tag.account_id == principal.account_id)
    if name is not None:
        stmt = stmt.where(func.lower(Tag.name) == name.lower())
    return stmt


async def _name_taken(session: AsyncSession, account_id: str, name: str, but: str | None) -> bool:
    stmt = select(Tag.id).where(
        Tag.account_id == account_id,
        func.lower(Tag.name) == name.lower(),
        Tag.deleted_at.is_(None),
    )
    if but is not None:
        stmt = stmt.where(Tag.id != but)
    return await session.scalar(stmt) is not None


async def create_tag(session: AsyncSession, principal: Principal, body: TagWrite) -> Tag:
    """A new tag; a name already in use (any case) is a 409."""
    if await _name_taken(session, principal.account_id, body.name, None):
        raise Conflict(f"A tag named {body.name!r} already exists")
    tag = Tag(id=TAG.new_id(), account_id=principal.account_id, **body.model_dump())
    session.add(tag)
    await session.flush()
    return tag


async def update_tag(
    session: AsyncSession,
    principal: Principal,
    tag_id: str,
    body: TagWrite,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> Tag:
    """Rename or recolor a tag (PUT replaces, PATCH changes what is sent)."""
    tag = await get_tag(session, principal, tag_id, for_update=True, precondition=precondition)
    values = changes_of(body, replace=replace)
    require_present(values, ["name"])
    name = values.get("name")
    if name is not None and await _name_taken(session, principal.account_id, name, tag.id):
        raise Conflict(f"A tag named {name!r} already exists")
    old_name = tag.name
    if apply(tag, values):
        await _touch_tagged(session, tag.id, old_name, tag.name)
    await session.flush()
    return tag


async def delete_tag(
    session: AsyncSession,
    principal: Principal,
    tag_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Delete a tag: it disappears from every contact and company that had it."""
    tag = await get_tag(session, principal, tag_id, for_update=True, precondition=precondition)
    soft_delete(tag)
    await _touch_tagged(session, tag.id, tag.name, None)
    await session.flush()


async def _touch_tagged(
    session: AsyncSession, tag_id: str, old_name: str, new_name: str | None
) -> None:
    """Records whose tag list changed count as updated, so ``updated_after`` sync sees it.

    A renamed (``new_name``) or deleted (``None``) tag changes the ``tags`` of every
    record that has it: each gets a ``<type>.updated`` audit row with the old and new list.
    """
    from rolodex.companies.models import Company
    from rolodex.contacts.models import Contact

    now = utcnow()
    for model, links, key in (
        (Contact, contact_tags, "contact_id"),
        (Company, company_tags, "company_id"),
    ):
        tagged = select(links.c[key]).where(links.c.tag_id == tag_id)
        if old_name != new_name and is_recording(session):
            await _audit_tag_change(session, links, key, tagged, tag_id, old_name, new_name)
        await session.execute(
            update(model)
            .where(model.id.in_(tagged))
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )


async def _audit_tag_change(
    session: AsyncSession,
    links: Table,
    key: str,
    tagged: Any,
    tag_id: str,
    old_name: str,
    new_name: str | None,
) -> None:
    """Audit the ``tags`` change of every record linked to a renamed or deleted tag."""
    owners = list(await session.scalars(tagged))
    others: dict[str, list[str]] = {owner_id: [] for owner_id in owners}
    if owners:
        rows = await session.execute(
            select(links.c[key], Tag.name)
            .join(Tag, Tag.id == links.c.tag_id)
            .where(links.c[key].in_(owners), Tag.id != tag_id, Tag.deleted_at.is_(None))
        )
        for owner_id, name in rows:
            others[owner_id].append(name)
    resource_type = key.removesuffix("_id")
    for owner_id, names in others.items():
        after = [*names, new_name] if new_name is not None else names
        record_tags(session, resource_type, owner_id, [*names, old_name], after)


async def resolve_tags(session: AsyncSession, account_id: str, names: Sequence[str]) -> list[Tag]:
    """The account's tags with these names (any case), creating those that do not exist."""
    found = await tags_by_name(session, account_id, names)
    return [found[name.lower()] for name in dict.fromkeys(n.lower() for n in names)]


async def tags_by_name(
    session: AsyncSession, account_id: str, names: Iterable[str]
) -> dict[str, Tag]:
    """The account's tags with these names by lower-cased name, creating those that do not
    exist: one query for those that do, one multi-row insert for all that do not (each
    audited as ``tag.created``, as a tag made through ``POST /tags`` is), one query for
    what the insert made.

    The insert skips a name another request created meanwhile (``ON CONFLICT DO
    NOTHING``, on the unique index of lower-cased live names); the query after it finds
    that request's row, so both end with the one tag.
    """
    wanted = {name.lower(): name for name in names}
    if not wanted:
        return {}
    found = {tag.name.lower(): tag for tag in await _live_named(session, account_id, wanted)}
    missing = {lowered: name for lowered, name in wanted.items() if lowered not in found}
    if not missing:
        return found
    rows = [{"id": TAG.new_id(), "account_id": account_id, "name": n} for n in missing.values()]
    inserted = set(
        await session.scalars(insert_skipping_conflicts(session, TAGS).returning(TAGS.c.id), rows)
    )
    made = {tag.name.lower(): tag for tag in await _live_named(session, account_id, missing)}
    for lowered in missing:
        tag = made.get(lowered)
        if tag is None:
            raise Conflict(f"The tag {missing[lowered]!r} could not be created")
        if tag.id in inserted:
            record_created(session, tag)
        found[lowered] = tag
    return found


async def _live_named(
    session: AsyncSession, account_id: str, lowered: Iterable[str]
) -> Sequence[Tag]:
    """The account's live tags whose lower-cased name is one of ``lowered``."""
    result = await session.scalars(
        select(Tag).where(
            Tag.account_id == account_id,
            func.lower(Tag.name).in_(list(lowered)),
            Tag.deleted_at.is_(None),
        )
    )
    return result.all()


@dataclass
class TagChange:
    """A record's tags before and after a write that sets them."""

    record: Any
    before: list[Tag]
    after: list[Tag]

    @property
    def changed(self) -> bool:
        """Whether the set of tags differs."""
        return {t.id for t in self.before} != {t.id for t in self.after}

    def names(self) -> list[list[str]]:
        """The ``tags`` change as the audit log and events show it: ``[before, after]``."""
        return [tag_list([t.name for t in self.before]), tag_list([t.name for t in self.after])]


def plan_tags(record: Any, tags: Sequence[Tag], *, new: bool) -> TagChange:
    """What setting ``tags`` on ``record`` changes; ``record.tags`` must be loaded unless
    the record is ``new`` (it has none yet)."""
    unique = list({tag.id: tag for tag in tags}.values())
    return TagChange(record, [] if new else list(record.tags), unique)


def audit_tag_changes(
    session: AsyncSession, owner: str, changes: Sequence[TagChange], *, created: bool
) -> None:
    """Audit each record's ``tags`` change (links are not ORM objects, the capture does not
    see them). For records being ``created``, call this before they are flushed, so that
    their one ``<owner>.created`` row carries the tags from the start."""
    for change in changes:
        before, after = change.names()
        record_tags(session, owner, change.record.id, before, after, created=created)


async def write_tag_changes(
    session: AsyncSession, owner: str, changes: Sequence[TagChange]
) -> None:
    """Write the links of every change in at most two statements (one insert, one delete),
    and show each record its new tags. The records must be flushed."""
    links, key = links_of(owner)
    now = utcnow()
    added: list[dict[str, Any]] = []
    removed: list[tuple[str, str]] = []
    for change in changes:
        before = {t.id for t in change.before}
        after = {t.id for t in change.after}
        owner_id = change.record.id
        added.extend({key: owner_id, "tag_id": t, "created_at": now} for t in after - before)
        removed.extend((owner_id, t) for t in before - after)
        set_committed_value(
            change.record, "tags", sorted(change.after, key=lambda t: t.name.lower())
        )
    if removed:
        await session.execute(
            delete(links).where(tuple_(links.c[key], links.c.tag_id).in_(removed))
        )
    if added:
        await session.execute(insert(links), added)


def links_of(owner: str) -> tuple[Table, str]:
    """The link table and its owner column for ``"contact"`` or ``"company"``."""
    return (contact_tags, "contact_id") if owner == "contact" else (company_tags, "company_id")


async def attach(session: AsyncSession, owner: str, record: Any, tags: Sequence[Tag]) -> bool:
    """Link tags to a loaded record (``record.tags`` loaded); whether any link was new."""
    return await _relink(session, owner, record, [*record.tags, *tags])


async def detach(session: AsyncSession, owner: str, record: Any, tag_ids: Sequence[str]) -> bool:
    """Unlink tags from a loaded record (``record.tags`` loaded); whether any link was
    removed."""
    unlinked = set(tag_ids)
    return await _relink(session, owner, record, [t for t in record.tags if t.id not in unlinked])


async def _relink(session: AsyncSession, owner: str, record: Any, tags: Sequence[Tag]) -> bool:
    """Make a loaded record's tags ``tags``, audited; whether they changed."""
    change = plan_tags(record, tags, new=False)
    audit_tag_changes(session, owner, [change], created=False)
    await write_tag_changes(session, owner, [change])
    return change.changed


async def tag_ids_named(session: AsyncSession, account_id: str, names: Sequence[str]) -> list[str]:
    """Ids of the account's live tags with these names, any case."""
    if not names:
        return []
    rows = await session.scalars(
        select(Tag.id).where(
            Tag.account_id == account_id,
            func.lower(Tag.name).in_([n.lower() for n in names]),
            Tag.deleted_at.is_(None),
        )
    )
    return list(rows)
