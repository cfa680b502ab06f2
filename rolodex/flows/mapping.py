"""Mapping values of a flow's actions, and what each evaluates to and from where.

A mapping value is one of:

- ``"data.email"`` — an expression (:mod:`rolodex.flows.expressions`) over the context;
- ``{"value": …}`` — a constant;
- ``{"link": "data.contact_id"}`` — the remote id, at the action's connection, of the
  Rolodex record the expression names (the link a sync made); with ``"from": "trigger"``
  the other way: the Rolodex record id linked to a remote id of the trigger's
  connection;
- ``{"expr": …, "fallback": …, "required": true, "type": …, "values": […]}`` — an
  expression with a ``fallback`` expression used when the first is null or empty,
  ``required`` (a null is an error), and a ``type`` the value is checked (and normalised)
  against before anything is sent: ``string``, ``email``, ``phone`` (E.164), ``date``,
  ``datetime``, ``boolean``, ``number``, ``enum`` (one of ``values``).

``link``, ``value`` and the expression form take ``required`` and ``type`` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from rolodex.flows.expressions import (
    ExpressionError,
    as_date,
    as_datetime,
    check_functions,
    evaluate,
    to_e164,
)

TYPES = ("string", "email", "phone", "date", "datetime", "boolean", "number", "enum")
KEYS = frozenset({"expr", "value", "link", "from", "fallback", "required", "type", "values"})


@dataclass(frozen=True)
class Mapped:
    """One mapped field: its value, where it came from, and what is wrong with it."""

    field: str
    value: Any
    source: dict[str, Any]
    error: str | None = None

    def shown(self) -> dict[str, Any]:
        """As a dry run shows it."""
        return {
            "field": self.field,
            "value": self.value,
            "source": self.source,
            "error": self.error,
        }


LinkLookup = Callable[[str, str], Awaitable[str | None]]
"""``(direction, id) -> linked id``: ``to_remote`` for a Rolodex record id at the action's
connection, ``to_record`` for a remote id of the trigger's connection."""


def problems_of(spec: Any) -> list[str]:
    """What is wrong with one mapping value, as written (empty when nothing)."""
    if isinstance(spec, str):
        return _expression_problems(spec)
    if not isinstance(spec, dict):
        return ["must be an expression (a string) or an object with expr, value or link"]
    unknown = sorted(set(spec) - KEYS)
    found = [f"has unknown keys: {', '.join(unknown)}"] if unknown else []
    forms = [key for key in ("expr", "value", "link") if key in spec]
    if len(forms) != 1:
        found.append("needs exactly one of expr, value or link")
    for key in ("expr", "link", "fallback"):
        if key in spec:
            found.extend(f"{key} {problem}" for problem in _expression_problems(spec[key]))
    if "from" in spec and spec.get("from") != "trigger":
        found.append('from may only be "trigger"')
    if "from" in spec and "link" not in spec:
        found.append("from goes with link")
    if "required" in spec and not isinstance(spec["required"], bool):
        found.append("required must be true or false")
    kind = spec.get("type")
    if kind is not None and kind not in TYPES:
        found.append(f"type must be one of {', '.join(TYPES)}")
    if kind == "enum":
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            found.append("an enum needs its values (a non-empty list)")
    elif "values" in spec:
        found.append("values go with type enum")
    if "value" in spec and kind is not None and not found:
        _, error = check_type(spec["value"], kind, spec.get("values"))
        if error:
            found.append(f"value {error}")
    return found


def _expression_problems(text: Any) -> list[str]:
    if not isinstance(text, str):
        return ["must be an expression (a string)"]
    try:
        unknown = check_functions(text)
    except ExpressionError as exc:
        return [f"does not parse: {exc}"]
    return [unknown] if unknown else []


def is_required(spec: Any) -> bool:
    """Whether a mapping value says it must not be null."""
    return isinstance(spec, dict) and spec.get("required") is True


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


async def map_value(field: str, spec: Any, context: Mapping[str, Any], links: LinkLookup) -> Mapped:
    """Evaluate one mapping value over ``context``; a failure is the result's ``error``."""
    if isinstance(spec, str):
        spec = {"expr": spec}
    try:
        if "value" in spec:
            value, source = spec["value"], {"from": "value"}
        elif "link" in spec:
            value, source = await _linked(spec, context, links)
        else:
            value = evaluate(spec["expr"], context)
            source = {"from": "expr", "expr": spec["expr"]}
            if _empty(value) and "fallback" in spec:
                value = evaluate(spec["fallback"], context)
                source = {"from": "fallback", "expr": spec["fallback"], "primary": spec["expr"]}
    except ExpressionError as exc:
        return Mapped(field, None, {"from": "expr"}, f"the expression failed: {exc}")
    if _empty(value):
        if spec.get("required"):
            return Mapped(field, None, source, "is required but came out empty")
        return Mapped(field, None, source)
    kind = spec.get("type")
    if kind is not None:
        value, error = check_type(value, kind, spec.get("values"))
        if error:
            return Mapped(field, value, source, error)
    return Mapped(field, value, source)


async def _linked(
    spec: Mapping[str, Any], context: Mapping[str, Any], links: LinkLookup
) -> tuple[Any, dict[str, Any]]:
    of = evaluate(spec["link"], context)
    direction = "to_record" if spec.get("from") == "trigger" else "to_remote"
    source: dict[str, Any] = {
        "from": "link",
        "expr": spec["link"],
        "of": of,
        "direction": direction,
    }
    if _empty(of):
        return None, source
    found = await links(direction, str(of))
    source["found"] = found is not None
    return found, source


def check_type(value: Any, kind: str, values: Any = None) -> tuple[Any, str | None]:
    """``value`` as ``kind`` (normalised: an email lower-cased, a phone in E.164, a date
    or date-time in ISO 8601), or the reason it is not one."""
    if kind == "string":
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value), None
        return value, "must be text"
    if kind == "email":
        if not isinstance(value, str):
            return value, "must be an email address"
        try:
            checked = validate_email(value.strip(), check_deliverability=False)
        except EmailNotValidError:
            return value, f"{value!r} is not an email address"
        return checked.normalized.lower(), None
    if kind == "phone":
        number = to_e164(value)
        return (number, None) if number else (value, f"{value!r} is not a phone number")
    if kind in ("date", "datetime"):
        shown = as_date(value) if kind == "date" else as_datetime(value)
        if shown is None:
            return value, f"{value!r} is not a {'date' if kind == 'date' else 'date-time'}"
        return shown, None
    if kind == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true", None
        return value, "must be true or false"
    if kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str):
            try:
                parsed = float(value)
            except ValueError:
                return value, f"{value!r} is not a number"
            return (int(parsed) if parsed.is_integer() else parsed), None
        return value, "must be a number"
    if kind == "enum":
        options = list(values or [])
        if value in options:
            return value, None
        return value, f"must be one of {', '.join(map(str, options))}"
    return value, f"has an unknown type {kind!r}"
