"""Exporting a collection to CSV or JSON Lines, page by page as it is read, in
``updated_at`` order so that the newest ``updated_at`` written is where the next
incremental export (``--updated-after``) starts.

Each record also names what it refers to by a key another account can find it by
(``owner_email``, ``company_name``, ``contact_email``…; :mod:`rolodex.dataio.references`),
so that the file imports into another account. Those keys come from one walk of the
users, companies or contacts of the account, held in memory as ids and keys; nothing
else is held but one page."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any, Literal

from rolodex.client import Rolodex
from rolodex.client._transport import SyncTransport
from rolodex.client.resources import Collection
from rolodex.dataio.formats import flatten
from rolodex.dataio.kinds import DataKind
from rolodex.dataio.references import Directory, with_keys

PER_PAGE = 250


@dataclass
class ExportReport:
    """How many records were written, the newest ``updated_at`` among them, and what
    could not be written as it should (a collection the credential may not read)."""

    rows: int
    newest_updated_at: str | None
    notices: list[str] = field(default_factory=list)


def collection_of(client: Rolodex, kind: DataKind) -> Collection[Any, SyncTransport]:
    """The client's collection for an export kind."""
    collection: Collection[Any, SyncTransport] = getattr(client, kind.name)
    return collection


def export(
    client: Rolodex,
    kind: DataKind,
    out: IO[str],
    *,
    file_format: Literal["csv", "jsonl"],
    updated_after: str | None = None,
    include_deleted: bool = False,
    formula_escape: bool = True,
    on_start: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda rows: None,
) -> ExportReport:
    """Write every record of ``kind`` (changed after ``updated_after``) to ``out``.

    In CSV, ``formula_escape`` quotes cells a spreadsheet would run as formulas
    (:func:`~rolodex.dataio.formats.escape_formula`); JSON Lines is written as it is:
    each line the record as the API shows it, and its references' keys.
    """
    pager = collection_of(client, kind).list(
        per_page=PER_PAGE,
        sort="updated_at",
        order="asc",
        updated_after=updated_after,
        include_deleted=include_deleted or None,
    )
    directory = Directory(client)
    columns = kind.columns()
    writer = csv.writer(out, lineterminator="\n") if file_format == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    rows, newest, started = 0, None, False
    for page in pager.pages():
        if not started:
            on_start(page.total)
            started = True
        for record in page.data:
            data = with_keys(record.model_dump(mode="json"), kind, directory)
            if writer is not None:
                writer.writerow(flatten(data, columns, formula_escape=formula_escape))
            else:
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
            newest = data.get("updated_at") or newest
            rows += 1
        on_progress(rows)
    notices = [
        f"{ref.key} left empty: the {ref.target} cannot be read ({index.unreadable})"
        for ref in kind.references
        if (index := directory.loaded(ref.target)) is not None and index.unreadable
    ]
    return ExportReport(rows, newest, notices)
