"""``/tags``: the account's tags, through the native tag service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy import false
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.dialects.moco.fields import native_body
from rolodex.dialects.moco.listing import (
    LIST_HEADERS,
    ListQuery,
    list_query,
    list_response,
    moco_page,
)
from rolodex.dialects.moco.refs import refs_for
from rolodex.dialects.moco.routes.common import entity, found, missing_as, moco_router, no_content
from rolodex.dialects.moco.shapes import tags as shapes
from rolodex.dialects.moco.shapes.tags import TagCreate, TagOut, TagUpdate
from rolodex.dialects.moco.surface import MocoJson
from rolodex.errors import ValidationFailed
from rolodex.http.pagination import QueryText
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.kinds import TAG
from rolodex.schemas import dump
from rolodex.tags import service as tags
from rolodex.tags.models import Tag
from rolodex.tags.schemas import TagOut as NativeTagOut
from rolodex.tags.schemas import TagPatch, TagWrite

router = moco_router(TAG.scope, "/tags", "Tags")

LABEL = "tag"
SORTABLE = {moco: TAG.sorts[native] for moco, native in shapes.SORTS.items()}
TagId = Annotated[int, Path(description="A tag's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


async def shown(
    session: AsyncSession,
    principal: Principal,
    rows: list[Tag],
    context: shapes.Context = shapes.DEFAULT_CONTEXT,
) -> list[dict[str, Any]]:
    """Tags as MOCO shows them, in ``context``."""
    dumped = [dump(NativeTagOut, row) for row in rows]
    refs = await refs_for(session, principal.account_id, ids=[t["id"] for t in dumped])
    return [shapes.tag_of(t, refs, context) for t in dumped]


@router.get(
    "",
    response_model=list[TagOut],
    summary="List tags",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_tags(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
    context: Annotated[
        QueryText | None,
        Query(max_length=64, description="`Contact` or `Company`: every tag serves both."),
    ] = None,
) -> MocoJson:
    stmt = tags.search(principal)
    shown_in: shapes.Context = shapes.DEFAULT_CONTEXT
    if context in ("Contact", "Company"):
        shown_in = "Company" if context == "Company" else "Contact"
    elif context is not None:
        stmt = stmt.where(false())
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=Tag,
        prefix=TAG.prefix,
        sortable=SORTABLE,
        secret=secret,
    )
    return list_response(request, page, await shown(session, principal, page.rows, shown_in))


@router.get("/{tag_id}", response_model=TagOut, summary="Get a tag")
async def get_tag(tag_id: TagId, session: Session, principal: CurrentPrincipal) -> MocoJson:
    native_id = await found(session, principal, TAG.prefix, tag_id, LABEL)
    with missing_as(LABEL, tag_id):
        tag = await tags.get_tag(session, principal, native_id)
    [shown_tag] = await shown(session, principal, [tag])
    return entity(shown_tag)


@router.post("", response_model=TagOut, summary="Create a tag")
async def create_tag(body: TagCreate, session: Session, principal: CurrentPrincipal) -> MocoJson:
    write = native_body(TagWrite, shapes.tag_values(body.sent()), {})
    tag = await tags.create_tag(session, principal, write)
    [shown_tag] = await shown(session, principal, [tag], body.context)
    return entity(shown_tag)


@router.put(
    "/{tag_id}",
    response_model=TagOut,
    summary="Update a tag",
    description="Only `name` and `color` can change.",
)
async def update_tag(
    tag_id: TagId,
    body: TagUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    native_id = await found(session, principal, TAG.prefix, tag_id, LABEL)
    patch = native_body(TagPatch, shapes.tag_values(body.sent()), {})
    with missing_as(LABEL, tag_id):
        tag = await tags.update_tag(
            session, principal, native_id, patch, replace=False, precondition=precondition
        )
    [shown_tag] = await shown(session, principal, [tag])
    return entity(shown_tag)


@router.delete(
    "/{tag_id}",
    status_code=204,
    summary="Delete a tag",
    description="The tag disappears from every person and company that had it.",
)
async def delete_tag(
    tag_id: TagId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    merge_tag_id: Annotated[
        int | None, Query(description="Not supported: merging tags is refused (422).")
    ] = None,
) -> Response:
    if merge_tag_id is not None:
        raise ValidationFailed.field("merge_tag_id", "is not supported by Rolodex")
    native_id = await found(session, principal, TAG.prefix, tag_id, LABEL)
    with missing_as(LABEL, tag_id):
        await tags.delete_tag(session, principal, native_id, precondition=precondition)
    return no_content()
