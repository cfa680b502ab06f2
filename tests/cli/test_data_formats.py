"""Reading and naming data files, without a server: how a format is chosen, what an
empty cell means in each kind of column, blank lines, the export's columns and the
import summary's wording."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rolodex.dataio.formats import UsageError, format_of, read_csv, read_jsonl
from rolodex.dataio.kinds import CONTACTS, KINDS, NOTES, TASKS
from rolodex.dataio.report import ImportReport


@pytest.mark.parametrize(
    ("path", "explicit", "chosen"),
    [
        ("a.csv", None, "csv"),
        ("A.CSV", None, "csv"),
        ("a.jsonl", None, "jsonl"),
        ("dir.v2/a.ndjson", None, "jsonl"),
        ("-", None, "csv"),
        ("-", "jsonl", "jsonl"),
        ("out.xml", "csv", "csv"),
        ("out", "jsonl", "jsonl"),
    ],
)
def test_the_format_is_the_one_given_else_the_extensions(
    path: str, explicit: str | None, chosen: str
) -> None:
    assert format_of(path, explicit) == chosen


@pytest.mark.parametrize("path", ["out.xml", "out.txt", "out", "contacts.csv.bak"])
def test_an_unknown_extension_is_refused_naming_the_way_out(path: str) -> None:
    with pytest.raises(UsageError) as refused:
        format_of(path, None)
    assert path in str(refused.value) and "--format" in str(refused.value)
    with pytest.raises(UsageError):
        format_of(path, "xml")


def rows_of(path: Path, text: str) -> list[dict[str, object]]:
    path.write_text(text, encoding="utf-8")
    opened = (
        read_csv(path, {}, CONTACTS) if path.suffix == ".csv" else read_jsonl(path, {}, CONTACTS)
    )
    rows = list(opened.rows)
    assert all(not row.problems for row in rows), [row.problems for row in rows]
    return [row.values for row in rows]


def test_an_empty_list_or_object_cell_leaves_the_field_out_and_an_empty_text_cell_is_null(
    tmp_path: Path,
) -> None:
    [values] = rows_of(
        tmp_path / "a.csv",
        "first_name,email,tags,custom_fields,address.city,address.country,custom_fields.k\n"
        "Ada,,,,,,\n",
    )
    assert values == {"first_name": "Ada", "email": None}


def test_json_in_a_list_or_object_cell_is_the_value_even_when_empty(tmp_path: Path) -> None:
    [values] = rows_of(
        tmp_path / "a.csv",
        "first_name,tags,custom_fields,address.city,custom_fields.k\nAda,[],{},Bonn,v\n",
    )
    assert values == {
        "first_name": "Ada",
        "tags": [],
        "custom_fields": {"k": "v"},
        "address": {"city": "Bonn"},
    }


def test_a_null_list_or_object_in_json_lines_is_left_out_like_an_empty_cell(
    tmp_path: Path,
) -> None:
    line = {
        "first_name": "Ada",
        "email": None,
        "tags": None,
        "custom_fields": None,
        "address": None,
        "name": "Ada",
        "object": "contact",
    }
    [values] = rows_of(tmp_path / "a.jsonl", json.dumps(line) + "\n")
    assert values == {"first_name": "Ada", "email": None}


def test_blank_lines_are_skipped_and_counted_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"first_name": "A"}\n\n{"first_name": "B"}\n\n', encoding="utf-8")
    opened = read_jsonl(path, {}, CONTACTS)
    assert opened.lines == 4 and opened.header_lines == 0
    assert [row.line for row in opened.rows] == [1, 3]
    path = tmp_path / "a.csv"
    path.write_text("first_name\nA\n\nB\n\n", encoding="utf-8")
    opened = read_csv(path, {}, CONTACTS)
    assert (opened.lines, opened.header_lines) == (4, 1)
    assert [row.line for row in opened.rows] == [2, 4]


def test_exports_keep_their_columns_and_add_the_reference_keys_at_the_end() -> None:
    columns = CONTACTS.columns()
    assert columns[0] == "id" and columns[-4:] == [
        "created_at",
        "updated_at",
        "owner_email",
        "company_name",
    ]
    assert TASKS.columns()[-2:] == ["contact_email", "assignee_email"]
    assert NOTES.columns()[-2:] == ["contact_email", "author_email"]
    for kind in KINDS.values():
        # every column an export writes is one its import reads
        assert all(kind.accepts(column) for column in kind.columns()), kind.name


@pytest.mark.parametrize(
    ("counts", "dry_run", "summary"),
    [
        ({"created": 1}, False, "1 row: 1 was created, 0 updated, 0 unchanged, 0 rejected"),
        ({"created": 2}, False, "2 rows: 2 were created, 0 updated, 0 unchanged, 0 rejected"),
        ({"updated": 1}, False, "1 row: 0 were created, 1 updated, 0 unchanged, 0 rejected"),
        ({"created": 1}, True, "1 row: 1 would be created, 0 updated, 0 unchanged, 0 rejected"),
    ],
)
def test_the_summary_agrees_in_number(counts: dict[str, int], dry_run: bool, summary: str) -> None:
    assert ImportReport(dry_run, Counter(counts)).summary() == summary
