"""CSV cells that would run as spreadsheet formulas: quoted on export, and the quote
taken off exactly on import, for every value."""

from __future__ import annotations

import itertools

import pytest

from rolodex.dataio.formats import escape_formula, flatten, unescape_formula

STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+49 30 123456", "'+49 30 123456"),
        ("-10", "'-10"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+1", "''=1+1"),
        ("''+x", "'''+x"),
        ("'quoted", "'quoted"),
        ("'", "'"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_cells_are_quoted(value: str, written: str) -> None:
    assert escape_formula(value) == written
    assert unescape_formula(written) == value
    assert not escape_formula(value).startswith(STARTS)


def test_every_short_value_round_trips() -> None:
    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "a", " "]
    for size in range(5):
        for letters in itertools.product(alphabet, repeat=size):
            value = "".join(letters)
            written = escape_formula(value)
            assert unescape_formula(written) == value, repr(value)
            assert not written.startswith(STARTS), repr(value)


def test_flatten_quotes_every_kind_of_cell_unless_told_not_to() -> None:
    record = {"first_name": "=x", "tags": ["+vip", "b"], "custom_fields": {"k": "-1"}}
    columns = ["first_name", "tags", "custom_fields", "custom_fields.k"]
    assert flatten(record, columns)[:2] == ["'=x", "'+vip,b"]
    assert flatten(record, columns, formula_escape=False)[:2] == ["=x", "+vip,b"]
