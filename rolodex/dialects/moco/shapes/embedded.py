"""What MOCO embeds of related records: ``user`` and ``company``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.values import text_out

CompanyType = Literal["customer", "supplier", "organization"]
DEFAULT_COMPANY_TYPE: CompanyType = "organization"
"""What a company without a type is shown as (MOCO's companies always have one)."""


class UserRef(BaseModel):
    """A user as MOCO embeds one."""

    id: int
    firstname: str
    lastname: str


class CompanyRef(BaseModel):
    """A company as MOCO embeds one in a person."""

    id: int
    type: CompanyType
    name: str


def company_type(value: str | None) -> CompanyType:
    """A native company type as MOCO's (``organization`` when it has none)."""
    if value in ("customer", "supplier", "organization"):
        return value  # type: ignore[return-value]
    return DEFAULT_COMPANY_TYPE


def user_ref(user_id: str | None, refs: Refs) -> dict[str, Any] | None:
    """``{id, firstname, lastname}`` of a user, or None (no user, or one unknown)."""
    user = refs.users.get(user_id) if user_id else None
    number = refs.number(user_id)
    if user is None or number is None:
        return None
    return {
        "id": number,
        "firstname": text_out(user.get("first_name")),
        "lastname": text_out(user.get("last_name")),
    }


def company_ref(company_id: str | None, refs: Refs) -> dict[str, Any] | None:
    """``{id, type, name}`` of a live company, or None."""
    company = refs.companies.get(company_id) if company_id else None
    number = refs.number(company_id)
    if company is None or number is None:
        return None
    return {"id": number, "type": company_type(company.get("type")), "name": company["name"]}
