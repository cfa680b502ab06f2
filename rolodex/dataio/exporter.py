"""Exporting a collection to CSV or JSON Lines, page by page as it is read (nothing is
held in memory but one page), in ``updated_at`` order so that the newest ``updated_at``
written is where the next incremental export (``--updated-after``) starts."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Literal

from pydantic import BaseModel

from rolodex.client import Rolodex
from rolodex.client._transport import SyncTransport
from rolodex.client.models import Company, Contact, Note, Task
from rolodex.client.resources import Collection
from rolodex.dataio.formats import csv_columns, flatten

Kind = Literal["contacts", "companies", "tasks", "notes"]
MODELS: dict[str, type[BaseModel]] = {
    "contacts": Contact,
    "companies": Company,
    "tasks": Task,
    "notes": Note,
}
PER_PAGE = 250


@dataclass
class ExportReport:
    """How many records were written, and the newest ``updated_at`` among them."""

    rows: int
    newest_updated_at: str | None


def collection_of(client: Rolodex, kind: str) -> Collection[Any, SyncTransport]:
    """The client's collection for an export kind."""
    collection: Collection[Any, SyncTransport] = getattr(client, kind)
    return collection


def columns_of(kind: str) -> list[str]:
    """The CSV columns of a kind: id, every field of its model, the timestamps."""
    names = [
        n
        for n in MODELS[kind].model_fields
        if n not in ("id", "object", "created_at", "updated_at")
    ]
    return ["id", *csv_columns(names), "created_at", "updated_at"]


def export(
    client: Rolodex,
    kind: str,
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
    (:func:`~rolodex.dataio.formats.escape_formula`); JSON Lines is written as it is.
    """
    pager = collection_of(client, kind).list(
        per_page=PER_PAGE,
        sort="updated_at",
        order="asc",
        updated_after=updated_after,
        include_deleted=include_deleted or None,
    )
    columns = columns_of(kind)
    writer = csv.writer(out, lineterminator="\n") if file_format == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    rows, newest, started = 0, None, False
    for page in pager.pages():
        if not started:
            on_start(page.total)
            started = True
        for record in page.data:
            data = record.model_dump(mode="json")
            if writer is not None:
                writer.writerow(flatten(data, columns, formula_escape=formula_escape))
            else:
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
            newest = data.get("updated_at") or newest
            rows += 1
        on_progress(rows)
    return ExportReport(rows, newest)
