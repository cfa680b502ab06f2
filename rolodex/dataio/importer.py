"""Importing records from a file: rows are read and checked locally (encoding, shape,
references, duplicates), then written a chunk at a time, several chunks in flight
(:mod:`rolodex.dataio.writers`). Every row ends created, updated, unchanged or
rejected with its reasons; what the import did differently from the file (a reference
it could not keep) is said once, as a notice."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from rolodex.client import Rolodex
from rolodex.dataio.formats import Opened, Row, read_csv, read_jsonl
from rolodex.dataio.kinds import DataKind
from rolodex.dataio.references import Directory, Notices, Resolver
from rolodex.dataio.report import ImportReport, Rejected
from rolodex.dataio.writers import (
    BatchWriter,
    ChildWriter,
    MatchOn,
    Mode,
    Outcome,
    match_key,
)

BATCH_SIZE = 250
ROWS_A_WORKER = 25
"""Rows of a kind without a batch route that one worker writes before reporting back."""
CONCURRENCY = 4


def _deduplicated(rows: Iterator[Row], match_on: MatchOn) -> Iterator[Row]:
    """Rows matching on what an earlier row of the file matches on (its email, or its
    id) are rejected, naming that row's line."""
    first_line: dict[str, int] = {}
    for row in rows:
        key = match_key(row, match_on)
        if key is not None:
            if key in first_line:
                row.reject(f"repeats the {match_on} of line {first_line[key]}", match_on)
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
    kind: DataKind,
    *,
    formula_escape: bool = True,
) -> Opened:
    """The file's rows, read as they are iterated; a file that cannot be read at all (no
    header, unmapped columns) raises :class:`~rolodex.dataio.formats.FormatError` here.
    ``formula_escape`` (CSV only): strip the quotes an export put before formula-like
    cells."""
    if file_format == "csv":
        return read_csv(path, mapping, kind, formula_escape=formula_escape)
    return read_jsonl(path, mapping, kind)


def import_rows(
    client: Rolodex,
    kind: DataKind,
    opened: Opened,
    *,
    mode: Mode = "upsert",
    match_on: MatchOn | None = None,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    concurrency: int = CONCURRENCY,
    on_start: Callable[[int], None] = lambda total: None,
    on_progress: Callable[[int], None] = lambda lines: None,
) -> ImportReport:
    """Import every row of a file opened by :func:`open_rows`; ``on_start(lines)`` and
    ``on_progress(lines done)`` report progress (lines after a CSV header). ``match_on``
    defaults to the kind's first (``email``, or ``id`` for tasks and notes)."""
    matching: MatchOn = match_on or kind.match_on[0]  # type: ignore[assignment]
    if matching not in kind.match_on:
        raise ValueError(f"{kind.name} can be matched on {' or '.join(kind.match_on)} only")
    on_start(opened.lines)
    report = ImportReport(dry_run=dry_run)
    notices = Notices()
    resolver = Resolver(kind, Directory(client), notices)
    write: Callable[[list[Row]], list[tuple[Row, Outcome]]]
    if kind.batch:
        write = BatchWriter(client, kind, mode=mode, match_on=matching, dry_run=dry_run)
    else:
        write = ChildWriter(client, kind, mode=mode, dry_run=dry_run, notices=notices)
        batch_size = min(batch_size, ROWS_A_WORKER)
    resolved = (resolver.resolve(row) for row in opened.rows)
    checked = _deduplicated(resolved, matching) if mode == "upsert" else resolved

    def record(chunk: list[Row], outcomes: list[tuple[Row, Outcome]]) -> None:
        for row in chunk:
            if row.item is None:
                report.counts["rejected"] += 1
                report.rejected.append(Rejected(row.line, row.problems))
        for row, outcome in outcomes:
            if outcome.status == "error":
                report.counts["rejected"] += 1
                report.rejected.append(Rejected(row.line, outcome.problems))
            else:
                report.counts[outcome.status] += 1
        on_progress(chunk[-1].line - opened.header_lines)

    # Chunks go out ``concurrency`` at a time; rows never share what they match on
    # across chunks (de-duplication rejects repeats first), so their order is free.
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        pending: deque[tuple[list[Row], Future[list[tuple[Row, Outcome]]]]] = deque()
        for chunk in _chunks(checked, batch_size):
            pending.append((chunk, pool.submit(write, chunk)))
            if len(pending) >= concurrency:
                done, future = pending.popleft()
                record(done, future.result())
        while pending:
            done, future = pending.popleft()
            record(done, future.result())
    on_progress(opened.lines)  # blank lines at the end are read too
    report.rejected.sort(key=lambda r: r.line)
    report.notices = notices.lines()
    return report
