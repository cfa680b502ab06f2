"""Every write schema refuses text that no database can store, in any field and at any
depth, whether or not the field was typed as checked text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rolodex.schemas import WriteModel


class Inner(WriteModel):
    label: str


class Body(WriteModel):
    plain: str | None = None
    items: list[str] = []
    data: dict[str, Any] = {}
    inner: Inner | None = None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"plain": "a\x00b"}, ("plain",)),
        ({"plain": "lone \ud800"}, ("plain",)),
        ({"items": ["fine", "nul\x00"]}, ("items",)),
        ({"data": {"deep": [{"x": "nul\x00"}]}}, ("data",)),
        ({"data": {"key\x00": 1}}, ("data",)),
        ({"inner": {"label": "nul\x00"}}, ("inner", "label")),
    ],
)
def test_unstorable_text_is_a_field_error(body: dict[str, Any], field: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        Body.model_validate(body)
    assert [error["loc"] for error in raised.value.errors()] == [field]


def test_ordinary_text_passes_unchanged() -> None:
    body = {
        "plain": "Zoë 😀",
        "items": ["a"],
        "data": {"k": ["v", 1, None]},
        "inner": {"label": "x"},
    }
    assert Body.model_validate(body).model_dump() == body
