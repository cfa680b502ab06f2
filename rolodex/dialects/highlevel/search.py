"""HighLevel's contact search (``POST /contacts/search``) as SQL over the native contacts.

Filters are HighLevel's ``{"field", "operator", "value"}``, joined by AND, or grouped
``{"group": "AND" | "OR", "filters": […]}``. Operators: ``eq``, ``not_eq``, ``contains``,
``not_contains``, ``exists``, ``not_exists`` on the text fields (any case), ``eq`` /
``not_eq`` on ``dnd``, ``tags`` (a name or a list of names: every one / none of them),
``businessId`` and ``assignedTo``, and ``range`` (``gt``, ``gte``, ``lt``, ``lte``:
ISO timestamps or epoch milliseconds) on ``dateAdded``, ``dateUpdated`` and
``dateOfBirth`` (``YYYY-MM-DD``), which also take ``exists`` / ``not_exists``. A
timestamp to the millisecond (as this surface shows them) stands for its whole
millisecond, so ``gt`` a contact's ``dateAdded`` leaves that contact out.

Sorting is by up to two of ``dateAdded``, ``dateUpdated``, ``email``, ``firstName`` and
``lastName`` (HighLevel's ``…LowerCase`` spellings too), then by id; the default is
``dateAdded`` descending. Every contact found carries ``searchAfter``: its sort values
and id, which a client sends back to continue after it (timestamps are epoch
milliseconds with a fraction for the microseconds Rolodex keeps, so that walking never
skips or repeats a contact).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from rolodex.companies.models import Company
from rolodex.contacts.models import Contact
from rolodex.errors import ValidationFailed
from rolodex.records import like_pattern
from rolodex.tags.models import Tag, contact_tags

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Column = Callable[[], Any]
"""Makes the SQL expression a field stands for (a column, or an expression over some)."""
MAX_PAGED_ROWS = 10_000
"""How deep ``page`` may reach (page times pageLimit); beyond it, walk with ``searchAfter``."""


def epoch_ms(moment: datetime) -> float:
    """A timestamp as epoch milliseconds, exact to the microsecond (an integer when it
    falls on a millisecond)."""
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    whole, fraction = divmod(micros, 1000)
    return float(whole) if fraction == 0 else micros / 1000


def from_epoch_ms(value: float) -> datetime:
    """Epoch milliseconds (with a fraction) as a timestamp, to the microsecond."""
    return EPOCH + timedelta(microseconds=round(value * 1000))


def _address(part: str) -> Any:
    return Contact.address[part].as_string()


def _company_name() -> ColumnElement[Any]:
    return (
        select(Company.name)
        .where(Company.id == Contact.company_id, Company.deleted_at.is_(None))
        .scalar_subquery()
    )


TEXT_FIELDS: dict[str, Column] = {
    "firstName": lambda: Contact.first_name,
    "firstNameLowerCase": lambda: Contact.first_name,
    "lastName": lambda: Contact.last_name,
    "lastNameLowerCase": lambda: Contact.last_name,
    "email": lambda: Contact.email,
    "phone": lambda: func.coalesce(Contact.phone, Contact.mobile_phone),
    "address": lambda: _address("line1"),
    "address1": lambda: _address("line1"),
    "city": lambda: _address("city"),
    "state": lambda: _address("state"),
    "postalCode": lambda: _address("postal_code"),
    "country": lambda: _address("country"),
    "website": lambda: Contact.website,
    "timezone": lambda: Contact.timezone,
    "source": lambda: Contact.source,
    "companyName": _company_name,
}
"""The text fields a filter may name, and the value each is."""
ID_FIELDS: dict[str, Column] = {
    "id": lambda: Contact.id,
    "businessId": lambda: Contact.company_id,
    "assignedTo": lambda: Contact.owner_id,
}
DATE_FIELDS: dict[str, Column] = {
    "dateAdded": lambda: Contact.created_at,
    "dateUpdated": lambda: Contact.updated_at,
}
RANGE_BOUNDS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed.field(field, message)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail("filters", f"{field} takes a non-empty string value")
    if "\x00" in value or len(value) > 320:
        raise _fail("filters", f"{field} takes a string of at most 320 characters")
    return value


def _moment(value: Any, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail("filters", f"{field} range bounds are ISO timestamps or epoch milliseconds")
    if isinstance(value, int | float):
        if not -1e15 < value < 1e15:
            raise _fail("filters", f"{field} range bound is out of range")
        return from_epoch_ms(float(value))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _fail("filters", f"{field} range bound {value[:40]!r} is not a timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: Any, field: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail("filters", f"{field} range bounds are dates such as 1990-09-25")


def _presence(column: Any, operator: str, text: bool) -> ColumnElement[bool]:
    present: ColumnElement[bool] = column.is_not(None)
    if text:
        present = and_(present, column != "")
    return present if operator == "exists" else not_(present)


def _has_tag(name: str) -> ColumnElement[bool]:
    return exists().where(
        contact_tags.c.contact_id == Contact.id,
        contact_tags.c.tag_id == Tag.id,
        func.lower(Tag.name) == name.lower(),
        Tag.deleted_at.is_(None),
    )


def _tags_condition(operator: str, value: Any) -> ColumnElement[bool]:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise _fail("filters", "tags takes a tag name or a list of tag names")
    if operator == "eq":
        return and_(*(_has_tag(n) for n in names))
    if operator == "not_eq":
        return and_(*(not_(_has_tag(n)) for n in names))
    if operator in ("exists", "not_exists"):
        any_tag = exists().where(
            contact_tags.c.contact_id == Contact.id,
            contact_tags.c.tag_id == Tag.id,
            Tag.deleted_at.is_(None),
        )
        return any_tag if operator == "exists" else not_(any_tag)
    raise _fail("filters", f"tags does not take the operator {operator}")


def _range(
    column: Any, value: Any, field: str, parse: Callable[[Any, str], Any]
) -> ColumnElement[bool]:
    if not isinstance(value, Mapping) or not value or not set(value) <= set(RANGE_BOUNDS):
        raise _fail("filters", f"{field} range takes an object of gt, gte, lt and lte")
    conditions = []
    for bound, raw in value.items():
        limit = parse(raw, field)
        if isinstance(limit, datetime) and limit.microsecond % 1000 == 0 and bound in ("gt", "lte"):
            # A bound to the millisecond, as HighLevel shows timestamps, stands for its
            # whole millisecond: after 10:00:00.123 means from 10:00:00.124 on.
            limit += timedelta(milliseconds=1)
            bound = "gte" if bound == "gt" else "lt"
        conditions.append(getattr(column, RANGE_BOUNDS[bound])(limit))
    return and_(*conditions)


def condition(item: Mapping[str, Any]) -> ColumnElement[bool]:
    """One filter or group (as sent) as a condition on contacts."""
    if "group" in item:
        parts = [condition(inner) for inner in item.get("filters") or []]
        if not parts:
            return true()
        return and_(*parts) if item["group"] == "AND" else or_(*parts)
    field, operator, value = item["field"], item["operator"], item.get("value")
    if field == "tags":
        return _tags_condition(operator, value)
    if field in TEXT_FIELDS or field in ID_FIELDS:
        text = field in TEXT_FIELDS
        column = (TEXT_FIELDS if text else ID_FIELDS)[field]()
        if operator in ("exists", "not_exists"):
            return _presence(column, operator, text)
        folded = func.lower(column) if text else column
        if operator in ("eq", "not_eq"):
            wanted = _text(value, field)
            match = folded == (wanted.lower() if text else wanted)
            return match if operator == "eq" else or_(not_(match), column.is_(None))
        if operator in ("contains", "not_contains") and text:
            match = folded.like(like_pattern(_text(value, field)), escape="\\")
            return match if operator == "contains" else or_(not_(match), column.is_(None))
    elif field == "dnd":
        if operator in ("eq", "not_eq") and isinstance(value, bool):
            wanted_dnd = value if operator == "eq" else not value
            return Contact.do_not_contact.is_(true() if wanted_dnd else false())
        raise _fail("filters", "dnd takes eq or not_eq with true or false")
    elif field in DATE_FIELDS or field == "dateOfBirth":
        birthday = field == "dateOfBirth"
        moment: Any = Contact.birthday if birthday else DATE_FIELDS[field]()
        if operator in ("exists", "not_exists"):
            return _presence(moment, operator, False)
        if operator == "range":
            return _range(moment, value, field, _day if birthday else _moment)
    else:
        raise _fail("filters", f"{str(field)[:60]!r} is not a field contacts can be filtered on")
    raise _fail("filters", f"{field} does not take the operator {operator}")


@dataclass(frozen=True)
class SortKey:
    """A sort key: the expression sorted on and how its values travel in ``searchAfter``."""

    name: str
    column: Column
    timestamp: bool


def _folded(column: Any) -> Column:
    return lambda: func.coalesce(func.lower(column), "")


SORT_KEYS: dict[str, SortKey] = {
    "dateAdded": SortKey("dateAdded", lambda: Contact.created_at, True),
    "dateUpdated": SortKey("dateUpdated", lambda: Contact.updated_at, True),
    "email": SortKey("email", _folded(Contact.email), False),
    "firstName": SortKey("firstName", _folded(Contact.first_name), False),
    "firstNameLowerCase": SortKey("firstName", _folded(Contact.first_name), False),
    "lastName": SortKey("lastName", _folded(Contact.last_name), False),
    "lastNameLowerCase": SortKey("lastName", _folded(Contact.last_name), False),
}
DEFAULT_SORT: tuple[tuple[SortKey, bool], ...] = ((SORT_KEYS["dateAdded"], True),)


def sort_of(sort: Sequence[Mapping[str, Any]]) -> tuple[tuple[SortKey, bool], ...]:
    """The sort keys of a search body (``descending`` with each); the default when none."""
    keys = []
    for item in sort:
        key = SORT_KEYS.get(item["field"])
        if key is None:
            raise _fail(
                "sort", f"must sort on one of {', '.join(sorted(SORT_KEYS))}; not {item['field']!r}"
            )
        keys.append((key, item.get("direction", "asc") == "desc"))
    return tuple(keys) or DEFAULT_SORT


def order_by(keys: Sequence[tuple[SortKey, bool]]) -> list[Any]:
    """The ORDER BY of the sort keys, the id last in the first key's direction."""
    columns = [key.column().desc() if desc else key.column().asc() for key, desc in keys]
    last_desc = keys[0][1]
    columns.append(Contact.id.desc() if last_desc else Contact.id.asc())
    return columns


def search_after_of(contact: Contact, keys: Sequence[tuple[SortKey, bool]]) -> list[Any]:
    """Where a contact stands in the sort, as a client sends it back in ``searchAfter``."""
    values: list[Any] = []
    for key, _ in keys:
        raw: Any = {
            "dateAdded": contact.created_at,
            "dateUpdated": contact.updated_at,
            "email": contact.email,
            "firstName": contact.first_name,
            "lastName": contact.last_name,
        }[key.name]
        if key.timestamp:
            values.append(epoch_ms(raw))
        else:
            values.append((raw or "").lower())
    values.append(contact.id)
    return values


def after(keys: Sequence[tuple[SortKey, bool]], search_after: Sequence[Any]) -> ColumnElement[bool]:
    """The contacts strictly after the position ``search_after`` names (the sort values
    and id a previous answer gave), in the order of ``keys``."""
    if len(search_after) != len(keys) + 1:
        raise _fail("searchAfter", f"must hold {len(keys) + 1} values: the sort values and an id")
    values: list[Any] = []
    for (key, _), value in zip(keys, search_after, strict=False):
        if key.timestamp:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _fail("searchAfter", f"{key.name} must be epoch milliseconds")
            if not 0 <= value < 1e15:
                raise _fail("searchAfter", f"{key.name} is out of range")
            values.append(from_epoch_ms(float(value)))
        else:
            if not isinstance(value, str):
                raise _fail("searchAfter", f"{key.name} must be a string")
            values.append(value)
    last_id = search_after[-1]
    if not isinstance(last_id, str):
        raise _fail("searchAfter", "must end with a contact id")
    columns: list[Any] = [key.column() for key, _ in keys]
    descending = [desc for _, desc in keys]
    columns.append(Contact.id)
    values.append(last_id)
    descending.append(keys[0][1])
    # (a, b, id) after (x, y, z): a beyond x, or a = x and b beyond y, or …
    clauses = []
    for index, column in enumerate(columns):
        beyond = column < values[index] if descending[index] else column > values[index]
        equal = [columns[i] == values[i] for i in range(index)]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
