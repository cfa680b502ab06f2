"""Writing the rows of an import to the server, a chunk at a time.

Contacts and companies go through ``POST /<kind>/batch`` (:class:`BatchWriter`), up to
250 rows a request; tasks and notes, which have no batch route, one request a row
(:class:`ChildWriter`). Either way each row ends ``created``, ``updated``, ``unchanged``
or ``error`` with the server's reasons.

How an upsert treats a row (the same for every kind):

- a row with a value to match on (its email, or its id with ``--match-on id``) updates
  the record it matches; a row without one is created;
- with ``--match-on id``, a row whose id names no record of this account (an export of
  another account) is created, with a new id.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from rolodex.client import Rolodex
from rolodex.client.errors import APIError, NotFoundError, PermissionDeniedError
from rolodex.client.models import BatchItemResult
from rolodex.dataio.formats import Row
from rolodex.dataio.kinds import DataKind
from rolodex.dataio.references import Notices

Mode = Literal["create", "upsert"]
MatchOn = Literal["email", "id"]
ROW_ERRORS = frozenset({400, 403, 404, 409, 412, 422})
"""Answers that concern the row itself (anything else fails the import)."""
MISSING = object()


@dataclass
class Outcome:
    """What became of one row."""

    status: Literal["created", "updated", "unchanged", "error"]
    problems: list[dict[str, Any]] = field(default_factory=list)
    code: str | None = None


def match_key(row: Row, match_on: MatchOn) -> str | None:
    """What an upsert matches the row on (a lower-cased email, or an id), if it has it."""
    value = row.values.get(match_on)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower() if match_on == "email" else value.strip()


def _outcome(result: BatchItemResult) -> Outcome:
    if result.status != "error" or result.error is None:
        return Outcome(result.status)
    problems = result.error.details or [{"field": None, "message": result.error.message}]
    return Outcome("error", problems, result.error.code)


def _without_id(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "id"}


class BatchWriter:
    """Contacts or companies, through the batch route."""

    def __init__(
        self, client: Rolodex, kind: DataKind, *, mode: Mode, match_on: MatchOn, dry_run: bool
    ) -> None:
        self.collection = client.contacts if kind.name == "contacts" else client.companies
        self.mode, self.match_on, self.dry_run = mode, match_on, dry_run

    def _batch(self, rows: list[Row], mode: Mode, *, dry_run: bool) -> list[Outcome]:
        if not rows:
            return []
        items = [row.values if mode == "upsert" else _without_id(row.values) for row in rows]
        result = self.collection.batch(items, mode=mode, match_on=self.match_on, dry_run=dry_run)
        return [_outcome(item) for item in result.data]

    def __call__(self, chunk: list[Row]) -> list[tuple[Row, Outcome]]:
        """Write the chunk's valid rows; the server also checks the other fields of the
        rows rejected in the file, so that they are reported with every reason."""
        valid = [row for row in chunk if row.item is not None]
        if self.mode == "create":
            keyed, unkeyed = [], valid
        else:
            keyed = [row for row in valid if match_key(row, self.match_on) is not None]
            unkeyed = [row for row in valid if match_key(row, self.match_on) is None]
        done = list(zip(keyed, self._batch(keyed, "upsert", dry_run=self.dry_run), strict=True))
        if self.match_on == "id":
            unmatched = [row for row, outcome in done if outcome.code == "NOT_FOUND"]
            done = [(row, outcome) for row, outcome in done if outcome.code != "NOT_FOUND"]
            unkeyed = [*unkeyed, *unmatched]
        created = self._batch(unkeyed, "create", dry_run=self.dry_run)
        done.extend(zip(unkeyed, created, strict=True))
        self._check_rejected([row for row in chunk if row.item is None])
        return done

    def _check_rejected(self, rows: list[Row]) -> None:
        readable = [row for row in rows if any(v is not None for v in row.values.values())]
        for row, outcome in zip(
            readable, self._batch(readable, "create", dry_run=True), strict=True
        ):
            for problem in outcome.problems:
                row.reject(str(problem.get("message")), problem.get("field"))


class ChildWriter:
    """Tasks or notes, one request a row, under the contact the row names.

    An upsert looks the row's id up under its contact first: found, only the fields that
    differ are sent (none: ``unchanged``); not found, the row is created. A note is
    written as its author (impersonating them) when that is another user of the account
    and the credential may impersonate; otherwise as the importing user, with a notice.
    A dry run looks rows up but writes nothing, so the server checks their fields only
    when they are imported.
    """

    def __init__(
        self, client: Rolodex, kind: DataKind, *, mode: Mode, dry_run: bool, notices: Notices
    ) -> None:
        self.client, self.kind, self.mode, self.dry_run = client, kind, mode, dry_run
        self.notices = notices
        self._me: Any = MISSING
        self._lock = threading.Lock()

    def __call__(self, chunk: list[Row]) -> list[tuple[Row, Outcome]]:
        """Write each valid row of the chunk."""
        return [(row, self._write(row)) for row in chunk if row.item is not None]

    def _records(self, contact_id: str) -> Any:
        if self.kind.name == "tasks":
            return self.client.contacts.tasks(contact_id)
        return self.client.contacts.notes(contact_id)

    def _write(self, row: Row) -> Outcome:
        values = dict(row.values)
        record_id = values.pop("id", None)
        author = values.pop("author_id", MISSING)
        records = self._records(str(values.pop("contact_id")))
        try:
            if (
                self.mode == "upsert"
                and isinstance(record_id, str)
                and record_id.startswith(f"{self.kind.prefix}_")
            ):
                try:
                    existing = records.get(record_id)
                except NotFoundError:
                    existing = None
                if existing is not None:
                    return self._update(records, existing, values)
            if not self.dry_run:
                self._create(records, values, author, row.line)
            return Outcome("created")
        except APIError as exc:
            if exc.status not in ROW_ERRORS:
                raise
            return Outcome("error", exc.details or [{"field": None, "message": exc.message}])

    def _update(self, records: Any, existing: Any, values: dict[str, Any]) -> Outcome:
        current = existing.model_dump(mode="json")
        changes = {k: v for k, v in values.items() if current.get(k) != v}
        if not changes:
            return Outcome("unchanged")
        if self.dry_run:
            return Outcome("updated")
        updated = records.update(existing.id, changes)
        return Outcome("updated" if updated.updated_at != existing.updated_at else "unchanged")

    def _acting_user(self) -> str | None:
        with self._lock:
            if self._me is MISSING:
                try:
                    self._me = self.client.users.me().id
                except APIError:
                    self._me = None  # an account-level key acts as no user
            return self._me  # type: ignore[no-any-return]

    def _create(self, records: Any, values: dict[str, Any], author: Any, line: int) -> None:
        if author is MISSING:
            records.create(values)
            return
        me = self._acting_user()
        if author == me:
            records.create(values)
            return
        if author is None:
            self.notices.add(
                ("no author",),
                "notes without an author are written as the importing user",
                line,
            )
            records.create(values)
            return
        try:
            records.create(values, impersonate=author)
        except PermissionDeniedError as exc:
            self.notices.add(
                ("impersonate", str(author)),
                f"author {author} cannot be impersonated ({exc.message}): written as the "
                "importing user",
                line,
            )
            records.create(values)
