"""CSV and JSON Lines: reading rows (each one either an item or the reason it is
rejected) and writing records.

CSV conventions, the same for import and export:

- the first row names the columns; an empty cell is null;
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

Format = Literal["csv", "jsonl"]
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")
BOOLEAN_FIELDS = frozenset({"do_not_contact", "completed", "pinned", "staff", "active"})
TRUE = frozenset({"true", "1", "yes", "y"})
FALSE = frozenset({"false", "0", "no", "n"})
IGNORE = "-"

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile_phone",
    "title",
    "job_title",
    "gender",
    "birthday",
    "website",
    "address",
    "company_id",
    "owner_id",
    "source",
    "timezone",
    "do_not_contact",
    "description",
    "tags",
    "custom_fields",
)
READ_ONLY = ("id", "object", "name", "created_at", "updated_at", "deleted_at")
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


@dataclass
class Row:
    """One record of an input file: the item to write, or why it is rejected."""

    line: int
    item: dict[str, Any] | None = None
    problems: list[dict[str, str | None]] = field(default_factory=list)

    def reject(self, message: str, field_name: str | None = None) -> None:
        """Mark the row rejected (it keeps every reason)."""
        self.problems.append({"field": field_name, "message": message})
        self.item = None


def format_of(path: str, explicit: str | None) -> Format:
    """``csv`` or ``jsonl``: as given, else from the file's extension."""
    chosen = explicit or ("jsonl" if path.lower().endswith((".jsonl", ".ndjson")) else "csv")
    if chosen not in ("csv", "jsonl"):
        raise FormatError(f"--format must be csv or jsonl, not {chosen!r}")
    return chosen  # type: ignore[return-value]


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
            raise FormatError(f"--map {pair!r}: write it as COLUMN=FIELD (or COLUMN=- to skip)")
        mapping[column.strip()] = target.strip() or IGNORE
    return mapping


def _target_ok(target: str, fields: tuple[str, ...]) -> bool:
    if target in fields or target in READ_ONLY or target == IGNORE:
        return True
    head, _, tail = target.partition(".")
    if head == "address" and "address" in fields:
        return tail in ADDRESS_PARTS
    return head == "custom_fields" and bool(tail) and "custom_fields" in fields


def resolve_columns(
    header: list[str], mapping: dict[str, str], fields: tuple[str, ...]
) -> list[str]:
    """Each column's target field, or an error naming every column that has none."""
    unknown = [c for c in mapping if c not in header]
    if unknown:
        raise FormatError(f"--map names columns the file does not have: {', '.join(unknown)}")
    targets = [mapping.get(column, column.strip()) for column in header]
    bad = [c for c, t in zip(header, targets, strict=True) if not _target_ok(t, fields)]
    if bad:
        raise FormatError(
            f"columns without a field: {', '.join(bad)}; map them with --map COLUMN=FIELD "
            "(or COLUMN=- to skip them)"
        )
    return targets


def _set(item: dict[str, Any], target: str, value: str, row: Row) -> None:
    head, _, tail = target.partition(".")
    if target == IGNORE or (target in READ_ONLY and target != "id"):
        return
    if head == "address" and tail:
        address = item.setdefault("address", {})
        if value:
            address[tail] = value
        return
    if head == "custom_fields" and tail:
        if value:
            item.setdefault("custom_fields", {})[tail] = value
        return
    if value == "":
        item[target] = None
        return
    try:
        if target in BOOLEAN_FIELDS:
            item[target] = _boolean(value)
        elif target == "tags":
            item[target] = _tags(value)
        elif target == "custom_fields":
            parsed = json.loads(value)
            item[target] = (
                {**parsed, **item.get(target, {})} if isinstance(parsed, dict) else parsed
            )
        else:
            item[target] = value
    except ValueError:
        row.reject(f"is not valid JSON: {value[:40]!r}", target)


def read_csv(
    path: Path, mapping: dict[str, str], fields: tuple[str, ...], *, formula_escape: bool = True
) -> tuple[int, Iterator[Row]]:
    """The number of physical lines (for progress) and the file's rows, one by one.
    A row that is not valid UTF-8, or has more or fewer cells than the header, is rejected
    with its line number; the others go on. With ``formula_escape`` the quote that
    :func:`escape_formula` put before a cell is taken off again."""
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
    targets = resolve_columns(header, mapping, fields)

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
                item: dict[str, Any] = {}
                row.item = item
                for target, cell in zip(targets, cells, strict=True):
                    _set(item, target, unescape_formula(cell) if formula_escape else cell, row)
                if item.get("address") == {}:
                    item["address"] = None  # every part empty: no address
                if row.item is not None and not any(v not in (None, {}) for v in item.values()):
                    row.reject("is empty")
            yield row

    return lines, rows()


def read_jsonl(
    path: Path, mapping: dict[str, str], fields: tuple[str, ...]
) -> tuple[int, Iterator[Row]]:
    """The number of lines and the rows of a JSON Lines file: one object per line."""
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
            row.item = {k: v for k, v in item.items() if k not in READ_ONLY or k == "id"}
            yield row

    return len(physical), rows()


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


def csv_columns(fields: list[str]) -> list[str]:
    """Export columns: every field, the address split into its parts."""
    columns: list[str] = []
    for name in fields:
        if name == "address":
            columns.extend(f"address.{part}" for part in ADDRESS_PARTS)
        else:
            columns.append(name)
    return columns
