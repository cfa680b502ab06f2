"""The nested routes of records under a contact: ``/contacts/{contact_id}/<plural>[/{id}]``,
the same for every kind, read from its :class:`~rolodex.kinds.ResourceKind` and run
through :mod:`rolodex.contacts.children`.

No ``from __future__ import annotations`` here: the route functions' annotations name
types made inside :func:`nested_routes`, which FastAPI must see as objects."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request

from rolodex.contacts import children
from rolodex.contacts.children import ChildRules
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.kinds import CONTACT, ResourceKind


def nested_routes(kind: ResourceKind, rules: ChildRules, router: APIRouter) -> None:
    """Add ``/contacts/{contact_id}/<plural>`` list/create/get/put/patch/delete to ``router``."""
    label, out, write, patch = kind.name, kind.out, kind.write, kind.patch
    assert write is not None and patch is not None, f"{label} has no write schemas"
    base = kind.nested_path
    ContactId = Annotated[
        str, Path(description="A contact id.", json_schema_extra={"pattern": CONTACT.id_pattern})
    ]
    ChildId = Annotated[
        str,
        Path(
            alias=kind.id_param,
            description=f"A {label} id.",
            json_schema_extra={"pattern": kind.id_pattern},
        ),
    ]
    Params = Annotated[ListParams, Depends(kind_params(kind))]

    async def list_children(
        contact_id: ContactId,
        request: Request,
        session: Session,
        principal: CurrentPrincipal,
        secret: Secret,
        params: Params,
    ) -> JsonResponse:
        stmt = await children.of_contact(session, principal, kind, contact_id)
        page = await paginate_kind(session, stmt, kind, params=params, secret=secret)
        return list_response(request, page, out)

    async def create(
        contact_id: ContactId,
        session: Session,
        principal: CurrentPrincipal,
        body: Annotated[write, Body()],  # type: ignore[valid-type]
    ) -> JsonResponse:
        record = await children.create_child(session, principal, kind, rules, contact_id, body)
        return one(out, record, status_code=201, location=kind.location(record.id, contact_id))

    async def get(
        contact_id: ContactId, child_id: ChildId, session: Session, principal: CurrentPrincipal
    ) -> JsonResponse:
        return one(out, await children.get_child(session, principal, kind, contact_id, child_id))

    async def replace(
        contact_id: ContactId,
        child_id: ChildId,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
        body: Annotated[write, Body()],  # type: ignore[valid-type]
    ) -> JsonResponse:
        record = await children.update_child(
            session,
            principal,
            kind,
            rules,
            contact_id,
            child_id,
            body,
            replace=True,
            precondition=precondition,
        )
        return one(out, record)

    async def update(
        contact_id: ContactId,
        child_id: ChildId,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
        body: Annotated[patch, Body()],  # type: ignore[valid-type]
    ) -> JsonResponse:
        record = await children.update_child(
            session,
            principal,
            kind,
            rules,
            contact_id,
            child_id,
            body,
            replace=False,
            precondition=precondition,
        )
        return one(out, record)

    async def delete(
        contact_id: ContactId,
        child_id: ChildId,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
    ) -> JsonResponse:
        await children.delete_child(
            session, principal, kind, contact_id, child_id, precondition=precondition
        )
        return deleted()

    item = f"{base}/{{{kind.id_param}}}"
    plural = kind.plural
    router.add_api_route(
        base,
        list_children,
        methods=["GET"],
        response_model=ListEnvelope[out],  # type: ignore[valid-type]
        summary=f"List a contact's {plural}",
        operation_id=f"list_contact_{plural}",
    )
    router.add_api_route(
        base,
        create,
        methods=["POST"],
        status_code=201,
        response_model=DataEnvelope[out],  # type: ignore[valid-type]
        summary=f"Create a {label} for a contact",
        operation_id=f"create_contact_{label}",
    )
    router.add_api_route(
        item,
        get,
        methods=["GET"],
        response_model=DataEnvelope[out],  # type: ignore[valid-type]
        summary=f"Get a contact's {label}",
        operation_id=f"get_contact_{label}",
    )
    router.add_api_route(
        item,
        replace,
        methods=["PUT"],
        response_model=DataEnvelope[out],  # type: ignore[valid-type]
        summary=f"Replace a contact's {label}",
        operation_id=f"replace_contact_{label}",
    )
    router.add_api_route(
        item,
        update,
        methods=["PATCH"],
        response_model=DataEnvelope[out],  # type: ignore[valid-type]
        summary=f"Update a contact's {label}",
        operation_id=f"update_contact_{label}",
    )
    router.add_api_route(
        item,
        delete,
        methods=["DELETE"],
        response_model=DeletedEnvelope,
        summary=f"Delete a contact's {label}",
        operation_id=f"delete_contact_{label}",
    )
