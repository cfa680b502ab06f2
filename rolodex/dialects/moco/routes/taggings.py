"""``/taggings/{Contact|Company}/{id}``: a record's tag names. ``GET`` lists them,
``PATCH`` adds, ``PUT`` replaces, ``DELETE`` removes (body ``{"tags": [...]}``); each
answers the resulting list.

The path names the kind, so each kind has its own router, and so its own scope
(``contacts.*`` or ``companies.*``). Other MOCO entities (Project, Deal…) do not exist in
Rolodex: their paths are 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.companies import service as companies
from rolodex.companies.schemas import CompanyPatch
from rolodex.contacts import service as contacts
from rolodex.contacts.schemas import ContactPatch
from rolodex.dialects.moco.fields import native_body
from rolodex.dialects.moco.routes.common import entity, found, missing_as, moco_router
from rolodex.dialects.moco.shapes.common import Body
from rolodex.dialects.moco.surface import MocoJson
from rolodex.http.pipeline import CurrentPrincipal, Session, WritePrecondition
from rolodex.kinds import COMPANY, CONTACT
from rolodex.preconditions import Precondition
from rolodex.validation import TagNames

contact_router = moco_router(CONTACT.scope, "/taggings/Contact", "Taggings")
company_router = moco_router(COMPANY.scope, "/taggings/Company", "Taggings")

How = Literal["get", "add", "remove", "replace"]
TagsOf = Callable[
    [AsyncSession, Principal, int, How, list[str], Precondition | None], Awaitable[MocoJson]
]
"""What one kind's tags are read and written through."""
EntityId = Annotated[int, Path(description="The id of the person or company.")]


class TagsBody(Body):
    """Tag names; unknown ones are created."""

    tags: TagNames


def _kept(current: list[str], removed: list[str]) -> list[str]:
    gone = {name.casefold() for name in removed}
    return [name for name in current if name.casefold() not in gone]


async def _contact_tags(
    session: AsyncSession,
    principal: Principal,
    number: int,
    how: How,
    names: list[str],
    precondition: Precondition | None,
) -> MocoJson:
    contact_id = await found(session, principal, CONTACT.prefix, number, "person")
    with missing_as("person", number):
        if how == "get":
            contact = await contacts.get_contact(session, principal, contact_id)
        elif how == "add":
            contact = await contacts.add_tags(session, principal, contact_id, names)
        elif how == "remove":
            contact = await contacts.remove_tags(
                session, principal, contact_id, names, precondition=precondition
            )
        else:
            contact = await contacts.update_contact(
                session,
                principal,
                contact_id,
                native_body(ContactPatch, {"tags": names}, {}),
                replace=False,
                precondition=precondition,
            )
    return entity(contact.tag_names)


async def _company_tags(
    session: AsyncSession,
    principal: Principal,
    number: int,
    how: How,
    names: list[str],
    precondition: Precondition | None,
) -> MocoJson:
    company_id = await found(session, principal, COMPANY.prefix, number, "company")
    with missing_as("company", number):
        company = await companies.get_company(
            session, principal, company_id, for_update=how != "get"
        )
        if how != "get":
            current = company.tag_names
            wanted = (
                [*current, *names]
                if how == "add"
                else _kept(current, names)
                if how == "remove"
                else names
            )
            company = await companies.update_company(
                session,
                principal,
                company_id,
                native_body(CompanyPatch, {"tags": wanted}, {}),
                replace=False,
                precondition=precondition,
            )
    return entity(company.tag_names)


def _routes(router: APIRouter, label: str, tags_of: TagsOf) -> None:
    """The four tagging routes of one kind of record."""

    @router.get("/{entity_id}", response_model=list[str], summary=f"List a {label}'s tags")
    async def get_tags(
        entity_id: EntityId, session: Session, principal: CurrentPrincipal
    ) -> MocoJson:
        return await tags_of(session, principal, entity_id, "get", [], None)

    @router.patch("/{entity_id}", response_model=list[str], summary=f"Add tags to a {label}")
    async def add_tags(
        entity_id: EntityId,
        body: TagsBody,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
    ) -> MocoJson:
        return await tags_of(session, principal, entity_id, "add", body.tags, precondition)

    @router.put("/{entity_id}", response_model=list[str], summary=f"Replace a {label}'s tags")
    async def replace_tags(
        entity_id: EntityId,
        body: TagsBody,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
    ) -> MocoJson:
        return await tags_of(session, principal, entity_id, "replace", body.tags, precondition)

    @router.delete("/{entity_id}", response_model=list[str], summary=f"Remove tags from a {label}")
    async def remove_tags(
        entity_id: EntityId,
        body: TagsBody,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
    ) -> MocoJson:
        return await tags_of(session, principal, entity_id, "remove", body.tags, precondition)


_routes(contact_router, "person", _contact_tags)
_routes(company_router, "company", _company_tags)
