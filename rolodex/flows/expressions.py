"""Expressions of flows: JMESPath (the ``jmespath`` package), with Rolodex's own functions
added through its custom-functions hook — never Python ``eval``.

The functions, besides JMESPath's own (``join``, ``contains``, ``starts_with``, ``length``,
``to_string``, ``not_null`` …):

- ``now()`` — the moment, ISO 8601 UTC (``2026-12-03T10:00:00Z``); ``today()`` — the date.
- ``lower(s)``, ``upper(s)``, ``trim(s)`` — text; null stays null.
- ``e164(s)`` / ``e164(s, country_code)`` — a phone number as ``+4930123456`` (a leading
  ``00`` or a national ``0`` with the calling code given); null when it is not one.
- ``split_name(s)`` — ``{"first_name": …, "last_name": …}`` of a full name (the last word
  is the last name).
- ``date(s)`` — the date of a date or date-time (``2026-12-03``); ``datetime(s)`` — a date
  or date-time as ISO 8601 UTC; null when it is neither.
- ``concat(a, b, …)`` — the texts joined, nulls left out; ``coalesce(a, b, …)`` — the first
  that is neither null nor empty.
- ``difference(a, b)`` — the items of list ``a`` not in ``b`` (case-insensitive for text:
  the tags added are ``difference(changes.tags[1], changes.tags[0])``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions, functions
from jmespath.parser import ParsedResult

MAX_LENGTH = 2000


class ExpressionError(ValueError):
    """An expression that does not parse, or fails on its data."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_moment(value: Any) -> datetime | date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_date(value: Any) -> str | None:
    """The date (``2026-12-03``) of a date or date-time (its UTC day), or None."""
    moment = _parse_moment(value)
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).date().isoformat()
    return moment.isoformat() if moment is not None else None


def as_datetime(value: Any) -> str | None:
    """A date or date-time as ISO 8601 UTC (a date at midnight), or None."""
    moment = _parse_moment(value)
    if isinstance(moment, datetime):
        return _iso(moment)
    return f"{moment.isoformat()}T00:00:00Z" if moment is not None else None


_DIGITS = re.compile(r"\d+")


def to_e164(value: Any, country_code: str | None = None) -> str | None:
    """A phone number in E.164 form, or None when ``value`` is not one."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    digits = "".join(_DIGITS.findall(text))
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("0") and country_code:
        number = country_code.lstrip("+") + digits[1:]
    elif country_code and not digits.startswith(country_code.lstrip("+")):
        number = country_code.lstrip("+") + digits
    else:
        number = digits
    if not 7 <= len(number) <= 15 or number.startswith("0"):
        return None
    return f"+{number}"


class RolodexFunctions(functions.Functions):
    """Rolodex's functions for flow expressions."""

    @functions.signature()
    def _func_now(self) -> str:
        return _iso(datetime.now(UTC).replace(microsecond=0))

    @functions.signature()
    def _func_today(self) -> str:
        return datetime.now(UTC).date().isoformat()

    @functions.signature({"types": ["string", "null"]})
    def _func_lower(self, value: str | None) -> str | None:
        return value.lower() if value is not None else None

    @functions.signature({"types": ["string", "null"]})
    def _func_upper(self, value: str | None) -> str | None:
        return value.upper() if value is not None else None

    @functions.signature({"types": ["string", "null"]})
    def _func_trim(self, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @functions.signature(
        {"types": ["string", "number", "null"]}, {"types": ["string"], "variadic": True}
    )
    def _func_e164(self, value: Any, *country: str) -> str | None:
        return to_e164(value, country[0] if country else None)

    @functions.signature({"types": ["string", "null"]})
    def _func_split_name(self, value: str | None) -> dict[str, str | None]:
        words = (value or "").split()
        if not words:
            return {"first_name": None, "last_name": None}
        if len(words) == 1:
            return {"first_name": words[0], "last_name": None}
        return {"first_name": " ".join(words[:-1]), "last_name": words[-1]}

    @functions.signature({"types": ["string", "null"]})
    def _func_date(self, value: str | None) -> str | None:
        return as_date(value)

    @functions.signature({"types": ["string", "null"]})
    def _func_datetime(self, value: str | None) -> str | None:
        return as_datetime(value)

    @functions.signature({"types": [], "variadic": True})
    def _func_concat(self, *values: Any) -> str:
        return "".join(str(value) for value in values if value is not None)

    @functions.signature({"types": [], "variadic": True})
    def _func_coalesce(self, *values: Any) -> Any:
        for value in values:
            if value is not None and value != "" and value != [] and value != {}:
                return value
        return None

    @functions.signature({"types": ["array", "null"]}, {"types": ["array", "null"]})
    def _func_difference(self, left: list[Any] | None, right: list[Any] | None) -> list[Any]:
        def key(item: Any) -> Any:
            return item.lower() if isinstance(item, str) else repr(item)

        gone = {key(item) for item in right or []}
        return [item for item in left or [] if key(item) not in gone]


FUNCTIONS = tuple(
    sorted(
        name.removeprefix("_func_") for name in vars(RolodexFunctions) if name.startswith("_func_")
    )
)
"""The names of Rolodex's own functions."""
_OPTIONS = jmespath.Options(custom_functions=RolodexFunctions())


@lru_cache(maxsize=2048)
def compile_expression(text: str) -> ParsedResult:
    """A parsed expression; :class:`ExpressionError` when it does not parse."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"is longer than {MAX_LENGTH} characters")
    try:
        return jmespath.compile(text)
    except exceptions.JMESPathError as exc:
        raise ExpressionError(_message(exc)) from None


def evaluate(text: str, data: Any) -> Any:
    """The value of an expression over ``data``; :class:`ExpressionError` when it fails
    (an unknown function, a wrong argument type)."""
    parsed = compile_expression(text)
    try:
        return parsed.search(data, options=_OPTIONS)
    except exceptions.JMESPathError as exc:
        raise ExpressionError(_message(exc)) from None


def check_functions(text: str) -> str | None:
    """Why an expression that parses would fail on any data (it calls a function nobody
    has), or None."""
    parsed = compile_expression(text)
    known = set(FUNCTIONS) | set(_builtin_names())
    for name in _called(parsed.parsed):
        if name not in known:
            return f"calls an unknown function {name}()"
    return None


def _builtin_names() -> list[str]:
    return [
        name.removeprefix("_func_")
        for name in dir(functions.Functions)
        if name.startswith("_func_")
    ]


def _called(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "function_expression":
            found.append(str(node.get("value")))
        for child in node.get("children", []):
            found.extend(_called(child))
    return found


def _message(exc: Exception) -> str:
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    return (text or type(exc).__name__).removeprefix("Invalid jmespath expression: ")[:300]
