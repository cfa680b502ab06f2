"""Records that live under a contact (tasks, notes, appointments), written once.

Each kind declares a :class:`SubresourceSpec`: its table, schemas, the references its
body may hold and a hook for its own rules. From that come the service functions and
the nested routes ``/contacts/{id}/<plural>[/{child_id}]``, identical for every kind.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.contacts.models import Contact
from rolodex.db import utcnow
from rolodex.errors import NotFound
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, list_params, list_response, paginate
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.ids import id_pattern, is_valid_id, new_id
from rolodex.preconditions import Precondition
from rolodex.records import (
    apply,
    changes_of,
    check_reference,
    get_record,
    require_present,
    soft_delete,
)
from rolodex.schemas import OutModel, WriteModel

# (values, record or None for a creation, principal, fields the client sent) → None
Hook = Callable[[dict[str, Any], Any, Principal, set[str]], Awaitable[None] | None]


@dataclass(frozen=True)
class SubresourceSpec:
    """What differs between the kinds of records under a contact."""

    label: str
    plural: str
    prefix: str
    model: Any
    write: type[WriteModel]
    patch: type[WriteModel]
    out: type[OutModel]
    sorts: dict[str, Any]
    required: tuple[str, ...] = ()
    user_fields: tuple[str, ...] = ()
    prepare: Hook | None = None


async def live_contact(session: AsyncSession, principal: Principal, contact_id: str) -> Contact:
    """The contact a nested route names; deleted or foreign contacts are 404."""
    return await get_record(
        session, Contact, principal.account_id, contact_id, prefix="cnt", label="contact"
    )


async def get_child(
    session: AsyncSession,
    principal: Principal,
    spec: SubresourceSpec,
    contact_id: str,
    child_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Any:
    """One record under a live contact of the principal's account; ``for_update`` when
    it is the target of a write (row locked, ``precondition`` checked, as in
    ``get_record``)."""
    await live_contact(session, principal, contact_id)
    model = spec.model
    record = None
    if is_valid_id(spec.prefix, child_id):
        stmt = select(model).where(
            model.id == child_id,
            model.contact_id == contact_id,
            model.account_id == principal.account_id,
            model.deleted_at.is_(None),
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        record = await session.scalar(stmt)
    if record is None:
        raise NotFound(f"No {spec.label} with id {child_id!r} on this contact")
    if precondition is not None:
        precondition.check(record, spec.label)
    return record


async def _prepare(
    session: AsyncSession,
    principal: Principal,
    spec: SubresourceSpec,
    values: dict[str, Any],
    record: Any,
    sent: set[str],
) -> None:
    require_present(values, spec.required)
    for name in spec.user_fields:
        await check_reference(
            session,
            User,
            principal.account_id,
            values.get(name),
            field=name,
            prefix="usr",
            label="active user",
        )
    if spec.prepare is not None:
        outcome = spec.prepare(values, record, principal, sent)
        if outcome is not None:
            await outcome


async def create_child(
    session: AsyncSession,
    principal: Principal,
    spec: SubresourceSpec,
    contact_id: str,
    body: WriteModel,
) -> Any:
    """A new record under the contact."""
    await live_contact(session, principal, contact_id)
    values = dict(body)
    await _prepare(session, principal, spec, values, None, set(body.model_fields_set))
    record = spec.model(
        id=new_id(spec.prefix), account_id=principal.account_id, contact_id=contact_id, **values
    )
    session.add(record)
    await session.flush()
    return record


async def update_child(
    session: AsyncSession,
    principal: Principal,
    spec: SubresourceSpec,
    contact_id: str,
    child_id: str,
    body: WriteModel,
    *,
    replace: bool,
    precondition: Precondition | None,
) -> Any:
    """PUT (``replace``) sets every field, omitted ones to null; PATCH only those sent."""
    record = await get_child(
        session, principal, spec, contact_id, child_id, for_update=True, precondition=precondition
    )
    values = changes_of(body, replace=replace)
    await _prepare(session, principal, spec, values, record, set(body.model_fields_set))
    if apply(record, values):
        record.updated_at = utcnow()
    await session.flush()
    return record


async def delete_child(
    session: AsyncSession,
    principal: Principal,
    spec: SubresourceSpec,
    contact_id: str,
    child_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Soft-delete a record under the contact."""
    soft_delete(
        await get_child(
            session,
            principal,
            spec,
            contact_id,
            child_id,
            for_update=True,
            precondition=precondition,
        )
    )
    await session.flush()


def account_wide(spec: SubresourceSpec, principal: Principal) -> Select[Any]:
    """Every record of this kind in the account. Those of a deleted contact were
    deleted with it, so the usual tombstone filter hides them too."""
    model = spec.model
    return select(model).where(model.account_id == principal.account_id)


def nested_routes(spec: SubresourceSpec, router: APIRouter) -> None:
    """Add ``/contacts/{contact_id}/<plural>`` list/create/get/put/patch/delete to ``router``."""
    label, out, write, patch = spec.label, spec.out, spec.write, spec.patch
    base = f"/contacts/{{contact_id}}/{spec.plural}"
    ContactId = Annotated[
        str, Path(description="A contact id.", json_schema_extra={"pattern": id_pattern("cnt")})
    ]
    ChildId = Annotated[
        str,
        Path(
            alias=f"{label}_id",
            description=f"A {label} id.",
            json_schema_extra={"pattern": id_pattern(spec.prefix)},
        ),
    ]
    Params = Annotated[ListParams, Depends(list_params(list(spec.sorts), spec.prefix))]

    async def list_children(
        contact_id: ContactId,
        request: Request,
        session: Session,
        principal: CurrentPrincipal,
        secret: Secret,
        params: Params,
    ) -> JsonResponse:
        await live_contact(session, principal, contact_id)
        stmt = account_wide(spec, principal).where(spec.model.contact_id == contact_id)
        page = await paginate(
            session,
            stmt,
            model=spec.model,
            collection=spec.plural,
            sortable=spec.sorts,
            params=params,
            secret=secret,
        )
        return list_response(request, page, out)

    async def create(
        contact_id: ContactId,
        session: Session,
        principal: CurrentPrincipal,
        body: Annotated[write, Body()],  # type: ignore[valid-type]
    ) -> JsonResponse:
        record = await create_child(session, principal, spec, contact_id, body)
        return one(
            out,
            record,
            status_code=201,
            location=f"/api/v1/contacts/{contact_id}/{spec.plural}/{record.id}",
        )

    async def get(
        contact_id: ContactId, child_id: ChildId, session: Session, principal: CurrentPrincipal
    ) -> JsonResponse:
        return one(out, await get_child(session, principal, spec, contact_id, child_id))

    async def replace(
        contact_id: ContactId,
        child_id: ChildId,
        session: Session,
        principal: CurrentPrincipal,
        precondition: WritePrecondition,
        body: Annotated[write, Body()],  # type: ignore[valid-type]
    ) -> JsonResponse:
        record = await update_child(
            session,
            principal,
            spec,
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
        record = await update_child(
            session,
            principal,
            spec,
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
        await delete_child(
            session, principal, spec, contact_id, child_id, precondition=precondition
        )
        return deleted()

    item = f"{base}/{{{label}_id}}"
    plural = spec.plural
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
