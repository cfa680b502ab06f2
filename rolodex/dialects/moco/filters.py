"""MOCO's own list filters, added to the native services' ``search`` statements.

- ``term`` (people): each comma-separated term must match part of the last name, first
  name, work email or company name, in any case (``mario, volkswagen``).
- ``term`` (companies): part of the name, in any case.
- ``phone`` (people): a reverse look-up: the digits sent appear, in order, in the work
  or mobile phone (spaces, dashes, dots, slashes, brackets and ``+`` ignored).
- ``tags``: records that carry every one of the tags (any case).
- ``include_archived`` (companies): archived companies are left out unless it is true.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_
from sqlalchemy.orm import InstrumentedAttribute

from rolodex.companies.models import Company
from rolodex.contacts.models import Contact
from rolodex.records import like_pattern
from rolodex.tags.models import Tag
from rolodex.tags.service import links_of

PHONE_NOISE = (" ", "-", ".", "/", "(", ")", "+")


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).like(like_pattern(text), escape="\\")


def person_terms(stmt: Select[Any], terms: Sequence[str]) -> Select[Any]:
    """People matching every term by last name, first name, work email or company."""
    for term in terms:
        company = exists().where(
            Company.id == Contact.company_id,
            Company.deleted_at.is_(None),
            _contains(Company.name, term),
        )
        stmt = stmt.where(
            or_(
                _contains(Contact.last_name, term),
                _contains(Contact.first_name, term),
                _contains(Contact.email, term),
                company,
            )
        )
    return stmt


def _digits(column: InstrumentedAttribute[Any]) -> Any:
    expression: Any = column
    for noise in PHONE_NOISE:
        expression = func.replace(expression, noise, "")
    return expression


def person_phone(stmt: Select[Any], phone: str) -> Select[Any]:
    """People whose work or mobile phone holds the digits of ``phone``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return stmt.where(false())
    pattern = f"%{digits}%"
    return stmt.where(
        or_(_digits(Contact.phone).like(pattern), _digits(Contact.mobile_phone).like(pattern))
    )


def company_term(stmt: Select[Any], term: str) -> Select[Any]:
    """Companies whose name holds ``term``."""
    return stmt.where(_contains(Company.name, term))


def with_tags(stmt: Select[Any], owner: str, model: Any, names: Sequence[str]) -> Select[Any]:
    """Records (``owner`` ``contact`` or ``company``) carrying every tag named."""
    links, key = links_of(owner)
    for name in names:
        stmt = stmt.where(
            exists().where(
                and_(
                    links.c[key] == model.id,
                    links.c.tag_id == Tag.id,
                    func.lower(Tag.name) == name.lower(),
                    Tag.deleted_at.is_(None),
                )
            )
        )
    return stmt


def live_companies(stmt: Select[Any], include_archived: bool) -> Select[Any]:
    """Companies that are not archived, unless archived ones are wanted too."""
    return stmt if include_archived else stmt.where(Company.archived_at.is_(None))
