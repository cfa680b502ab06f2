"""CSV and JSON Lines: reading rows (each one either an item or the reason it is
rejected) and writing records.

CSV conventions, the same for import and export:

- the first row names the columns; an empty cell is null, except in a list or object
  column (``tags``, ``custom_fields``, the address): there it leaves the field out, so
  a new record gets an empty one and an existing record keeps its own;
- ``address.line1`` … ``address.country`` hold the address;
- ``tags`` holds tag names separated by commas, or a JSON array when a name has a comma;
- ``custom_fields`` holds a JSON object; ``custom_fields.<key>`` columns add text values;
- booleans are ``true``/``false`` (``1``/``0``, ``yes``/``no`` accepted on import);
- a cell a spreadsheet would run as a formula (one that begins with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return) is written with a ``'`` in front, and so is a cell
  that begins with ``'`` followed by such a cell, so that reading strips exactly the
  quotes writing added (see :func:`escape_formula`). Both sides can turn it off.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rolodex.dataio.kinds import DataKind

Format = Literal["csv", "jsonl"]
BOOLEAN_FIELDS = frozenset({"do_not_contact", "completed", "pinned", "staff", "active"})
LIST_FIELDS = frozenset({"tags"})
OBJECT_FIELDS = frozenset({"custom_fields", "address"})
"""Lists and objects: an empty cell (or a null in JSON Lines) leaves them out of the row,
so a new record gets none and an existing one keeps its own."""
TRUE = frozenset({"true", "1", "yes", "y"})
FALSE = frozenset({"false", "0", "no", "n"})
IGNORE = "-"
EXTENSIONS: dict[str, Format] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_QUOTE = "'"


def _runs_as_formula(text: str) -> bool:
    """Whether a cell needs the quote: it starts a formula, or it is quoted already
    (``'`` followed by a cell that needs the quote) and must keep reading back as such."""
    while text.startswith(FORMULA_QUOTE):
        text = text[1:]
    return text.startswith(FORMULA_STARTS)


def escape_formula(text: str) -> str:
    """A cell that no spreadsheet runs as a formula: ``'`` in front of one that would.

    ``'=1+1`` is itself quoted again (``''=1+1``), so :func:`unescape_formula` can tell a
    quote it must strip from one that belongs to the value.
    """
    return FORMULA_QUOTE + text if _runs_as_formula(text) else text


def unescape_formula(text: str) -> str:
    """The value :func:`escape_formula` wrote ``text`` for."""
    if text.startswith(FORMULA_QUOTE) and _runs_as_formula(text[1:]):
        return text[1:]
    return text


class FormatError(Exception):
    """The file cannot be read at all (not a row-level problem)."""


class UsageError(FormatError):
    """The command was called wrongly (an argument that cannot be used): exit code 2."""


@dataclass
class Row:
    """One record of an input file: the values read from it, and why it is rejected if
    it is (every reason, not only the first)."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def item(self) -> dict[str, Any] | None:
        """The values to write, or None for a rejected row."""
        return None if self.problems else self.values

    def reject(self, message: str, field_name: str | None = None) -> None:
        """Add a reason to reject the row (it keeps every reason)."""
        problem = {"field": field_name, "message": message}
        if problem not in self.problems:
            self.problems.append(problem)


@dataclass
class Opened:
    """A file opened for import: its rows, read as they are iterated."""

    lines: int
    """The lines to read after the header (what progress counts to)."""
    header_lines: int
    """The lines before the first row (a CSV header; none in JSON Lines)."""
    rows: Iterator[Row]


def format_of(path: str, explicit: str | None) -> Format:
    """``csv`` or ``jsonl``: as given, else from the file's extension (``-``, standard
    output, is CSV); any other extension is a :class:`UsageError`."""
    if explicit is not None:
        if explicit not in ("csv", "jsonl"):
            raise UsageError(f"--format must be csv or jsonl, not {explicit!r}")
        return explicit  # type: ignore[return-value]
    if path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    shown = f"extension {suffix!r}" if suffix else "no extension"
    raise UsageError(
        f"{path} has {shown}: name it .csv, .jsonl or .ndjson, or give --format csv|jsonl"
    )


def _has_bad_bytes(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _boolean(value: str) -> bool | str:
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    return value  # left for the server to refuse, with its message


def _tags(value: str) -> Any:
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [name.strip() for name in text.split(",") if name.strip()]


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``--map column=field`` options as a dict; ``column=-`` ignores the column."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip():
            raise UsageError(f"--map {pair!r}: write it as COLUMN=FIELD (or COLUMN=- to skip)")
        mapping[column.strip()] = target.strip() or IGNORE
    return mapping


def resolve_columns(header: list[str], mapping: dict[str, str], kind: DataKind) -> list[str]:
    """Each column's target field, or an error naming every column that has none."""
    unknown = [c for c in mapping if c not in header]
    if unknown:
        raise UsageError(f"--map names columns the file does not have: {', '.join(unknown)}")
    targets = [mapping.get(column, column.strip()) for column in header]
    bad = [c for c, t in zip(header, targets, strict=True) if t != IGNORE and not kind.accepts(t)]
    if bad:
        raise FormatError(
            f"columns without a field of {kind.name}: {', '.join(bad)}; map them with "
            "--map COLUMN=FIELD (or COLUMN=- to skip them)"
        )
    return targets


def _set(item: dict[str, Any], target: str, value: str, row: Row, kind: DataKind) -> None:
    head, _, tail = target.partition(".")
    if target == IGNORE or target in kind.read_only:
        return
    if head == "address" and tail:
        if value:
            address = item.get("address")
            item["address"] = {**(address if isinstance(address, dict) else {}), tail: value}
        return
    if head == "custom_fields" and tail:
        if value:
            custom = item.get("custom_fields")
            item["custom_fields"] = {**(custom if isinstance(custom, dict) else {}), tail: value}
        return
    if value == "":
        if target not in LIST_FIELDS and target not in OBJECT_FIELDS:
            item[target] = None
        return
    try:
        if target in BOOLEAN_FIELDS:
            item[target] = _boolean(value)
        elif target in LIST_FIELDS:
            item[target] = _tags(value)
        elif target in OBJECT_FIELDS:
            parsed = json.loads(value)
            earlier = item.get(target)
            item[target] = (
                {**parsed, **earlier}
                if isinstance(parsed, dict) and isinstance(earlier, dict)
                else parsed
            )
        else:
            item[target] = value
    except ValueError:
        row.reject(f"is not valid JSON: {value[:40]!r}", target)


def read_csv(
    path: Path, mapping: dict[str, str], kind: DataKind, *, formula_escape: bool = True
) -> Opened:
    """The file's rows, one by one. A row that is not valid UTF-8, or has more or fewer
    cells than the header, is rejected with its line number; the others go on. With
    ``formula_escape`` the quote that :func:`escape_formula` put before a cell is taken
    off again."""
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError(f"{path} is empty") from None
    except csv.Error as exc:
        raise FormatError(f"{path}: the header row is not valid CSV ({exc})") from None
    if _has_bad_bytes("".join(header)):
        raise FormatError(f"{path}: the header row is not valid UTF-8")
    targets = resolve_columns(header, mapping, kind)
    after_header = reader.line_num

    def rows() -> Iterator[Row]:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                row = Row(line)
                row.reject(f"is not valid CSV ({exc})")
                yield row
                line = reader.line_num + 1
                continue
            row = Row(line)
            line = reader.line_num + 1
            if not cells or cells == [""]:
                continue  # a blank line
            if any(_has_bad_bytes(cell) for cell in cells):
                row.reject("is not valid UTF-8")
            elif len(cells) != len(header):
                row.reject(f"has {len(cells)} cells; the header has {len(header)}")
            else:
                for target, cell in zip(targets, cells, strict=True):
                    text = unescape_formula(cell) if formula_escape else cell
                    _set(row.values, target, text, row, kind)
                if not any(v not in (None, {}, []) for k, v in row.values.items() if k != "id"):
                    row.reject("is empty")
            yield row

    return Opened(max(lines - after_header, 0), after_header, rows())


def read_jsonl(path: Path, mapping: dict[str, str], kind: DataKind) -> Opened:
    """The rows of a JSON Lines file: one object per line; blank
    lines are skipped. A null list or object (``tags``, ``custom_fields``, ``address``)
    is left out, as an empty CSV cell is."""
    raw = path.read_bytes()
    physical = raw.splitlines()

    def rows() -> Iterator[Row]:
        for number, line_bytes in enumerate(physical, start=1):
            if not line_bytes.strip():
                continue
            row = Row(number)
            try:
                value = json.loads(line_bytes.decode("utf-8").removeprefix("\ufeff"))
            except UnicodeDecodeError:
                row.reject("is not valid UTF-8")
                yield row
                continue
            except ValueError as exc:
                row.reject(f"is not valid JSON ({exc})")
                yield row
                continue
            if not isinstance(value, dict):
                row.reject("is not a JSON object")
                yield row
                continue
            item = {mapping.get(str(k), str(k)): v for k, v in value.items()}
            item.pop(IGNORE, None)
            row.values = {
                k: v
                for k, v in item.items()
                if k not in kind.read_only
                and not (v is None and (k in LIST_FIELDS or k in OBJECT_FIELDS))
            }
            yield row

    return Opened(len(physical), 0, rows())


def flatten(
    record: dict[str, Any], columns: list[str], *, formula_escape: bool = True
) -> list[str]:
    """A record as CSV cells in ``columns`` order (see the module's conventions); with
    ``formula_escape``, no cell runs as a formula in a spreadsheet."""
    cells = []
    for column in columns:
        head, _, tail = column.partition(".")
        value = (
            (record.get(head) or {}).get(tail) if head == "address" and tail else record.get(column)
        )
        cell = _cell(column, value)
        cells.append(escape_formula(cell) if formula_escape else cell)
    return cells


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if column == "tags" and isinstance(value, list):
        if any("," in str(v) for v in value):
            return json.dumps(value, ensure_ascii=False)
        return ",".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)
