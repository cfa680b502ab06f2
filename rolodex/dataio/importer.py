"""Importing contacts from a file: rows are read and checked locally (encoding, shape,
duplicates), then written in batches of up to 250 through ``POST /contacts/batch``,
which validates each item as the single-item route would. Every row ends created,
updated, unchanged or rejected with its reasons."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rolodex.client import Rolodex
from rolodex.dataio.formats import CONTACT_FIELDS, Row, read_csv, read_jsonl

BATCH_SIZE = 250
CONCURRENCY = 4


@dataclass
class Rejected:
    """A row that was not written, and why."""

    line: int
    problems: list[dict[str, Any]]

    def reason(self) -> str:
        """The reasons as one line."""
        return "; ".join(
            f"{p['field']}: {p['message']}" if p.get("field") else str(p["message"])
            for p in self.problems
        )


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    counts: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows read (blank lines excluded)."""
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.counts["created"],
            "updated": self.counts["updated"],
            "unchanged": self.counts["unchanged"],
            "rejected": [{"line": r.line, "reason": r.reason()} for r in self.rejected],
        }


def _deduplicated(rows: Iterator[Row]) -> Iterator[Row]:
    """Rows with an email already seen in the file are rejected, naming the first one."""
    first_line: dict[str, int] = {}
    for row in rows:
        email = row.item.get("email") if row.item else None
        if isinstance(email, str) and email.strip():
            key = email.strip().lower()
            if key in first_line:
                row.reject(f"repeats the email of line {first_line[key]}", "email")
            else:
                first_line[key] = row.line
        yield row


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def open_rows(
    path: Path,
    file_format: Literal["csv", "jsonl"],
    mapping: dict[str, str],
    *,
    formula_escape: bool = True,
) -> tuple[int, Iterator[Row]]:
    """The file's number of lines and its rows; a file that cannot be read at all (no
    header, unmapped columns) raises :class:`~rolodex.dataio.formats.FormatError` here.
    ``formula_escape`` (CSV only): strip the quotes an export put before formula-like
    cells."""
    if file_format == "csv":
        return read_csv(path, mapping, CONTACT_FIELDS, formula_escape=formula_escape)
    return read_jsonl(path, mapping, CONTACT_FIELDS)


def import_contacts(
    client: Rolodex,
    opened: tuple[int, Iterator[Row]],
    *,
    mode: Literal["create", "upsert"] = "upsert",
    match_on: Literal["email", "id"] = "email",
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    concurrency: int = CONCURRENCY,
    on_start: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda lines: None,
) -> ImportReport:
    """Import every row of a file opened by :func:`open_rows`; ``on_start(lines)`` and
    ``on_progress(lines done)`` report progress."""
    total, rows = opened
    on_start(total)
    report = ImportReport(dry_run=dry_run)

    def send(chunk: list[Row]) -> list[tuple[Row, Any]]:
        valid = [row for row in chunk if row.item is not None]
        if not valid:
            return []
        result = client.contacts.batch(
            [row.item for row in valid if row.item is not None],
            mode=mode,
            match_on=match_on,
            dry_run=dry_run,
        )
        return list(zip(valid, result.data, strict=True))

    def record(chunk: list[Row], outcomes: list[tuple[Row, Any]]) -> None:
        for row in chunk:
            if row.item is None:
                report.counts["rejected"] += 1
                report.rejected.append(Rejected(row.line, row.problems))
        for row, outcome in outcomes:
            if outcome.status == "error" and outcome.error is not None:
                report.counts["rejected"] += 1
                problems = outcome.error.details or [
                    {"field": None, "message": outcome.error.message}
                ]
                report.rejected.append(Rejected(row.line, problems))
            else:
                report.counts[outcome.status] += 1
        on_progress(chunk[-1].line)

    # Batches go out ``concurrency`` at a time; rows never share an email across batches
    # (de-duplication rejects repeats first), so their order between batches is free.
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        pending: deque[tuple[list[Row], Future[list[tuple[Row, Any]]]]] = deque()
        for chunk in _chunks(_deduplicated(rows), batch_size):
            pending.append((chunk, pool.submit(send, chunk)))
            if len(pending) >= concurrency:
                done, future = pending.popleft()
                record(done, future.result())
        while pending:
            done, future = pending.popleft()
            record(done, future.result())
    report.rejected.sort(key=lambda r: r.line)
    return report
