"""``/comments``: MOCO's comments, as notes on contacts, through the native service of
records under a contact."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from sqlalchemy import false
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.contacts import children
from rolodex.dialects.moco.fields import moco_fields, native_body
from rolodex.dialects.moco.listing import (
    LIST_HEADERS,
    ListQuery,
    list_query,
    list_response,
    moco_page,
)
from rolodex.dialects.moco.refs import refs_for, resolve
from rolodex.dialects.moco.routes.common import entity, found, missing_as, moco_router, no_content
from rolodex.dialects.moco.shapes import comments as shapes
from rolodex.dialects.moco.shapes.comments import (
    CommentBulkCreate,
    CommentCreate,
    CommentOut,
    CommentUpdate,
)
from rolodex.dialects.moco.surface import MocoJson
from rolodex.errors import NotFound, ValidationFailed
from rolodex.http.pagination import QueryText
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.kinds import CONTACT, NOTE, USER
from rolodex.notes import service as notes
from rolodex.notes.models import Note
from rolodex.notes.schemas import NoteOut, NotePatch, NoteWrite
from rolodex.schemas import dump

router = moco_router(NOTE.scope, "/comments", "Comments")

LABEL = "comment"
SORTABLE = {moco: NOTE.sorts[native] for moco, native in shapes.SORTS.items()}
CommentId = Annotated[int, Path(description="A comment's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


async def shown(
    session: AsyncSession, principal: Principal, rows: list[Note]
) -> list[dict[str, Any]]:
    """Notes as MOCO comments."""
    dumped = [dump(NoteOut, row) for row in rows]
    refs = await refs_for(
        session,
        principal.account_id,
        ids=[n["id"] for n in dumped] + [n["contact_id"] for n in dumped],
        user_ids=[n["author_id"] for n in dumped],
    )
    return [shapes.comment_of(n, refs) for n in dumped]


async def _note(session: AsyncSession, principal: Principal, number: int) -> Note:
    """The live note a comment number names, or 404."""
    note_id = await found(session, principal, NOTE.prefix, number, LABEL)
    note = await session.scalar(
        notes.search(principal).where(Note.id == note_id, Note.deleted_at.is_(None))
    )
    if not isinstance(note, Note):
        raise NotFound(f"No {LABEL} with id {number}")
    return note


async def _create(
    session: AsyncSession, principal: Principal, number: int, text: str, field: str
) -> Note:
    """A note on the person ``number``; a number that names no live person is 422."""
    contact_id = await resolve(session, principal.account_id, CONTACT.prefix, number)
    write = native_body(NoteWrite, {"body": text}, shapes.NAMES)
    try:
        if contact_id is None:
            raise NotFound(f"No person with id {number}")
        with moco_fields(shapes.NAMES):
            note: Note = await children.create_child(
                session, principal, NOTE, notes.RULES, contact_id, write
            )
    except NotFound:
        raise ValidationFailed.field(field, f"names no person of this account ({number})") from None
    return note


@router.get(
    "",
    response_model=list[CommentOut],
    summary="List comments",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_comments(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
    commentable_type: Annotated[
        QueryText | None,
        Query(max_length=64, description="Only `Contact` has comments in Rolodex."),
    ] = None,
    commentable_id: Annotated[int | None, Query(description="A person's id.")] = None,
    user_id: Annotated[int | None, Query(description="The author's id.")] = None,
    manual: Annotated[bool | None, Query(description="Every comment is manual.")] = None,
) -> MocoJson:
    stmt = notes.search(principal)
    if commentable_type is not None and commentable_type != shapes.COMMENTABLE:
        stmt = stmt.where(false())
    if commentable_id is not None:
        contact_id = await resolve(session, principal.account_id, CONTACT.prefix, commentable_id)
        stmt = stmt.where(Note.contact_id == contact_id) if contact_id else stmt.where(false())
    if user_id is not None:
        author_id = await resolve(session, principal.account_id, USER.prefix, user_id)
        stmt = stmt.where(Note.author_id == author_id) if author_id else stmt.where(false())
    if manual is False:
        stmt = stmt.where(false())
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=Note,
        prefix=NOTE.prefix,
        sortable=SORTABLE,
        secret=secret,
    )
    return list_response(request, page, await shown(session, principal, page.rows))


@router.post(
    "/bulk",
    response_model=list[CommentOut],
    summary="Create the same comment on several people",
)
async def create_comments(
    body: CommentBulkCreate, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    made = [
        await _create(session, principal, number, body.text, f"commentable_ids.{index}")
        for index, number in enumerate(body.commentable_ids)
    ]
    return entity(await shown(session, principal, made))


@router.get("/{comment_id}", response_model=CommentOut, summary="Get a comment")
async def get_comment(
    comment_id: CommentId, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    [comment] = await shown(session, principal, [await _note(session, principal, comment_id)])
    return entity(comment)


@router.post("", response_model=CommentOut, summary="Create a comment")
async def create_comment(
    body: CommentCreate, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    note = await _create(session, principal, body.commentable_id, body.text, "commentable_id")
    [comment] = await shown(session, principal, [note])
    return entity(comment)


@router.put("/{comment_id}", response_model=CommentOut, summary="Update a comment")
async def update_comment(
    comment_id: CommentId,
    body: CommentUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> MocoJson:
    note = await _note(session, principal, comment_id)
    patch = native_body(NotePatch, shapes.note_values(body.sent()), shapes.NAMES)
    with missing_as(LABEL, comment_id), moco_fields(shapes.NAMES):
        changed: Note = await children.update_child(
            session,
            principal,
            NOTE,
            notes.RULES,
            note.contact_id,
            note.id,
            patch,
            replace=False,
            precondition=precondition,
        )
    [comment] = await shown(session, principal, [changed])
    return entity(comment)


@router.delete("/{comment_id}", status_code=204, summary="Delete a comment")
async def delete_comment(
    comment_id: CommentId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> Response:
    note = await _note(session, principal, comment_id)
    with missing_as(LABEL, comment_id):
        await children.delete_child(
            session, principal, NOTE, note.contact_id, note.id, precondition=precondition
        )
    return no_content()
