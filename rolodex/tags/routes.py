"""Routes of ``/tags``: the account's tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, QueryText, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.kinds import TAG
from rolodex.tags import service
from rolodex.tags.schemas import TagOut, TagPatch, TagWrite

router = api_router(TAG.scope, prefix=TAG.path, tags=["Tags"])

TagId = Annotated[str, Path(description="A tag id.", json_schema_extra={"pattern": TAG.id_pattern})]


@router.get("", response_model=ListEnvelope[TagOut], summary="List tags")
async def list_tags(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(TAG))],
    name: Annotated[
        QueryText | None, Query(max_length=64, description="Exact name, any case.")
    ] = None,
) -> JsonResponse:
    page = await paginate_kind(
        session,
        service.search(principal, name=name),
        TAG,
        params=params,
        secret=secret,
    )
    return list_response(request, page, TagOut)


@router.post("", status_code=201, response_model=DataEnvelope[TagOut], summary="Create a tag")
async def create_tag(body: TagWrite, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    tag = await service.create_tag(session, principal, body)
    return one(TagOut, tag, status_code=201, location=TAG.location(tag.id))


@router.get("/{tag_id}", response_model=DataEnvelope[TagOut], summary="Get a tag")
async def get_tag(tag_id: TagId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(TagOut, await service.get_tag(session, principal, tag_id))


@router.put("/{tag_id}", response_model=DataEnvelope[TagOut], summary="Replace a tag")
async def replace_tag(
    tag_id: TagId,
    body: TagWrite,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    return one(
        TagOut,
        await service.update_tag(
            session, principal, tag_id, body, replace=True, precondition=precondition
        ),
    )


@router.patch("/{tag_id}", response_model=DataEnvelope[TagOut], summary="Update a tag")
async def update_tag(
    tag_id: TagId,
    body: TagPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    return one(
        TagOut,
        await service.update_tag(
            session, principal, tag_id, body, replace=False, precondition=precondition
        ),
    )


@router.delete(
    "/{tag_id}",
    response_model=DeletedEnvelope,
    summary="Delete a tag",
    description="The tag disappears from every contact and company; their `updated_at` moves.",
)
async def delete_tag(
    tag_id: TagId, session: Session, principal: CurrentPrincipal, precondition: WritePrecondition
) -> JsonResponse:
    await service.delete_tag(session, principal, tag_id, precondition=precondition)
    return deleted()
