"""References between records, across accounts.

An export names each referenced record twice, by id and by a key another account can
find it by (:class:`~rolodex.dataio.kinds.Reference`): the owner's email, the company's
name, the contact's email. An import keeps an id that names a live record of the account
it writes to; otherwise it looks the key up there. A reference found neither way is left
unset and reported once for all the rows that make it (:class:`Notices`), except one a
row cannot be without (the contact of a task or note), which rejects the row.

The account's users, companies and contacts are read once, when a row first needs them
(:class:`Directory`): one walk of that collection, held in memory as ids and keys.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rolodex.client import Rolodex
from rolodex.client.errors import PermissionDeniedError
from rolodex.dataio.formats import Row
from rolodex.dataio.kinds import DataKind, Reference, Target

PER_PAGE = 250
WHAT = {"users": "an active user", "companies": "a company", "contacts": "a contact"}


def _normal(key: str) -> str:
    return " ".join(key.split()).casefold()


@dataclass
class Index:
    """The records of one collection of the account, by id and by key."""

    keys: dict[str, str | None] = field(default_factory=dict)
    """Every record's key (email or name), deleted and inactive ones included."""
    live: set[str] = field(default_factory=set)
    """The ids a reference may name: live records, active users."""
    by_key: dict[str, str] = field(default_factory=dict)
    """A normalised key to the oldest live record with it."""
    unreadable: str | None = None
    """Why the collection could not be read (the credential may not), if it could not."""


def _records(client: Rolodex, target: Target) -> Iterator[tuple[str, str | None, bool]]:
    """Each record of ``target`` as (id, key, live), oldest first."""
    if target == "users":
        for user in client.users.list(per_page=PER_PAGE, sort="created_at", order="asc"):
            yield user.id, user.email, user.active
        return
    collection = client.companies if target == "companies" else client.contacts
    pager = collection.list(per_page=PER_PAGE, sort="created_at", order="asc", include_deleted=True)
    for record in pager:
        key = record.name if target == "companies" else record.email
        yield record.id, key, record.deleted_at is None


class Directory:
    """The users, companies and contacts of the client's account, each read once, when
    first asked for (safe to share between threads)."""

    def __init__(self, client: Rolodex) -> None:
        self._client = client
        self._indexes: dict[Target, Index] = {}
        self._lock = threading.Lock()

    def index(self, target: Target) -> Index:
        """The index of one collection, read now if it has not been."""
        with self._lock:
            if target not in self._indexes:
                self._indexes[target] = self._read(target)
            return self._indexes[target]

    def loaded(self, target: Target) -> Index | None:
        """The index of one collection if it has been read, without reading it."""
        with self._lock:
            return self._indexes.get(target)

    def _read(self, target: Target) -> Index:
        index = Index()
        try:
            for record_id, key, live in _records(self._client, target):
                index.keys[record_id] = key
                if live:
                    index.live.add(record_id)
                    if key:
                        index.by_key.setdefault(_normal(key), record_id)
        except PermissionDeniedError as exc:
            return Index(unreadable=str(exc))
        return index

    def key_of(self, target: Target, record_id: Any) -> str | None:
        """The email or name of a record, for an export (None when it has none)."""
        if not isinstance(record_id, str) or not record_id:
            return None
        return self.index(target).keys.get(record_id)


def with_keys(record: dict[str, Any], kind: DataKind, directory: Directory) -> dict[str, Any]:
    """An exported record with its references' keys (``owner_email``…) added."""
    for ref in kind.references:
        record[ref.key] = directory.key_of(ref.target, record.get(ref.field))
    return record


@dataclass
class _Notice:
    text: str
    rows: int = 0
    first_line: int = 0


class Notices:
    """What an import did differently from the file, said once for all the rows it
    concerns: ``owner ada@example.com (usr_…) is not an active user of this account:
    left unset on 3 rows (first line 2)``. Safe to share between threads."""

    def __init__(self) -> None:
        self._notices: dict[tuple[str, ...], _Notice] = {}
        self._lock = threading.Lock()

    def add(self, key: tuple[str, ...], text: str, line: int) -> None:
        """Count one row under the notice ``key`` (worded ``text`` the first time)."""
        with self._lock:
            notice = self._notices.setdefault(key, _Notice(text, first_line=line))
            notice.rows += 1
            notice.first_line = min(notice.first_line, line)

    def lines(self) -> list[str]:
        """Every notice, worded with its rows."""
        with self._lock:
            notices = sorted(self._notices.values(), key=lambda n: n.first_line)
        return [
            f"{n.text} on {n.rows} {'row' if n.rows == 1 else 'rows'} (first line {n.first_line})"
            for n in notices
        ]


def _described(record_id: str | None, key: str | None) -> str:
    if key and record_id:
        return f"{key} ({record_id})"
    return key or record_id or ""


class Resolver:
    """Makes the references of import rows name records of the account written to."""

    def __init__(self, kind: DataKind, directory: Directory, notices: Notices) -> None:
        self.kind = kind
        self.directory = directory
        self.notices = notices

    def resolve(self, row: Row) -> Row:
        """Each reference of the row as an id of this account, left out when it names
        none (and noticed), or the row rejected when it cannot be without it. A row with
        nothing in it (rejected already) is left as it is."""
        if not any(value is not None for value in row.values.values()):
            return row
        for ref in self.kind.references:
            self._one(row, ref)
        return row

    def _one(self, row: Row, ref: Reference) -> None:
        values = row.values
        if ref.field not in values and ref.key not in values:
            if ref.required:
                row.reject(f"is required (or {ref.key})", ref.field)
            return
        raw_id, raw_key = values.pop(ref.field, None), values.pop(ref.key, None)
        record_id = str(raw_id) if raw_id not in (None, "") else None
        key = str(raw_key).strip() if raw_key not in (None, "") else None
        if record_id is None and not key:
            if ref.required:
                row.reject(f"is required (or {ref.key})", ref.field)
            else:
                values[ref.field] = None  # empty: no owner, no company
            return
        index = self.directory.index(ref.target)
        if index.unreadable is not None:
            if record_id is not None:
                values[ref.field] = record_id  # the server will check it
                return
            self.notices.add(
                ("unreadable", ref.field),
                f"{ref.key} cannot be looked up ({index.unreadable}): {ref.label} left unset",
                row.line,
            )
            return
        if record_id is not None and record_id in index.live:
            values[ref.field] = record_id
            return
        found = index.by_key.get(_normal(key)) if key else None
        if found is not None:
            values[ref.field] = found
            return
        what = f"{ref.label} {_described(record_id, key)} is not {WHAT[ref.target]} of this account"
        if ref.required:
            row.reject(what.removeprefix(f"{ref.label} "), ref.field)
            return
        self.notices.add((ref.field, record_id or "", key or ""), f"{what}: left unset", row.line)
