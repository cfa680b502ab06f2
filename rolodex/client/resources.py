"""The resources of a client (``client.contacts``, ``client.companies``…), written once
for both clients.

Each method says what its call is — method, path, query, body, how the answer is read,
whether it is a list walked page by page — and nothing about sending it: the resource's
transport does that (see :mod:`._endpoint`). ``Contacts[SyncTransport]`` is the
``client.contacts`` of :class:`Rolodex`, ``Contacts[AsyncTransport]`` that of
:class:`AsyncRolodex`.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from rolodex.client._core import Call, Listing, Operation
from rolodex.client._endpoint import Resource, TransportT, endpoint, paged
from rolodex.client.models import (
    ApiKey,
    Appointment,
    AuditEntry,
    BatchResult,
    Company,
    Contact,
    Note,
    Tag,
    Task,
    User,
)

M = TypeVar("M", bound=BaseModel)
DEFAULT_PER_PAGE = 100


def _body(data: dict[str, Any] | BaseModel | None, fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_unset=True)
    return {**(data or {}), **fields}


def _nothing(_: Any) -> None:
    return None


def _tag_names(body: Any) -> list[str]:
    names: list[str] = body["data"]
    return names


def list_params(
    per_page: int, sort: str | None, order: str | None, filters: dict[str, Any]
) -> dict[str, Any]:
    """A list's query: a sync by ``updated_after`` walks in ``updated_at`` order."""
    if sort is None and filters.get("updated_after") is not None:
        sort, order = "updated_at", order or "asc"
    return {"per_page": per_page, "sort": sort, "order": order, **filters}


class Collection(Resource[TransportT], Generic[M, TransportT]):
    """A collection at ``path`` whose rows are ``model``: list and get."""

    def __init__(self, transport: TransportT, path: str, model: type[M]) -> None:
        super().__init__(transport, path)
        self.model = model

    def _one(self, call: Call) -> Operation[M]:
        """A call answering one record."""
        return Operation(call, lambda body: self.model.model_validate(body["data"]))

    @paged
    def list(
        self,
        /,
        *,
        per_page: int = DEFAULT_PER_PAGE,
        sort: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **filters: Any,
    ) -> Listing[M]:
        """Every row matching the filters, fetched page by page while you iterate
        (``async for`` on the asynchronous client)."""

        def page(params: dict[str, Any]) -> Call:
            return self._call("GET", params=params, impersonate=impersonate, request_id=request_id)

        return Listing(page, list_params(per_page, sort, order, filters), self.model)

    @endpoint
    def get(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> Operation[M]:
        """One record by id."""
        call = self._call("GET", f"/{record_id}", impersonate=impersonate, request_id=request_id)
        return self._one(call)


class WritableCollection(Collection[M, TransportT]):
    """A collection that can be written to."""

    @endpoint
    def create(
        self,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> Operation[M]:
        """Create a record from ``data`` and/or keyword fields."""
        return self._one(
            self._call(
                "POST",
                body=_body(data, fields),
                idempotency_key=idempotency_key,
                impersonate=impersonate,
                request_id=request_id,
            )
        )

    @endpoint
    def update(
        self,
        record_id: str,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> Operation[M]:
        """Change only the fields sent (PATCH)."""
        return self._one(
            self._call(
                "PATCH",
                f"/{record_id}",
                body=_body(data, fields),
                idempotency_key=idempotency_key,
                impersonate=impersonate,
                request_id=request_id,
            )
        )

    @endpoint
    def replace(
        self,
        record_id: str,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> Operation[M]:
        """Replace the whole record (PUT); fields not sent become null."""
        return self._one(
            self._call(
                "PUT",
                f"/{record_id}",
                body=_body(data, fields),
                idempotency_key=idempotency_key,
                impersonate=impersonate,
                request_id=request_id,
            )
        )

    @endpoint
    def delete(
        self,
        record_id: str,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> Operation[None]:
        """Delete a record (soft: it stays as a tombstone)."""
        call = self._call(
            "DELETE",
            f"/{record_id}",
            idempotency_key=idempotency_key,
            impersonate=impersonate,
            request_id=request_id,
        )
        return Operation(call, _nothing)


class RestorableCollection(WritableCollection[M, TransportT]):
    """Contacts and companies: restore and batch writes too."""

    @endpoint
    def restore(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> Operation[M]:
        """Bring back a deleted record."""
        return self._one(
            self._call(
                "POST", f"/{record_id}/restore", impersonate=impersonate, request_id=request_id
            )
        )

    @endpoint
    def batch(
        self,
        items: list[dict[str, Any]],
        *,
        mode: Literal["create", "upsert"] = "create",
        match_on: Literal["email", "id"] = "email",
        dry_run: bool = False,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> Operation[BatchResult]:
        """Create or upsert up to 250 records in one request; a result per item."""
        call = self._call(
            "POST",
            "/batch",
            body={"mode": mode, "match_on": match_on, "dry_run": dry_run, "items": items},
            idempotency_key=idempotency_key,
            impersonate=impersonate,
            request_id=request_id,
        )
        return Operation(call, BatchResult.model_validate)


class Contacts(RestorableCollection[Contact, TransportT]):
    """``client.contacts``, their tags, and the records under one contact."""

    def __init__(self, transport: TransportT) -> None:
        super().__init__(transport, "/contacts", Contact)

    def tasks(self, contact_id: str) -> WritableCollection[Task, TransportT]:
        """The tasks of one contact."""
        return WritableCollection(self._transport, f"/contacts/{contact_id}/tasks", Task)

    def notes(self, contact_id: str) -> WritableCollection[Note, TransportT]:
        """The notes of one contact."""
        return WritableCollection(self._transport, f"/contacts/{contact_id}/notes", Note)

    def appointments(self, contact_id: str) -> WritableCollection[Appointment, TransportT]:
        """The appointments of one contact."""
        path = f"/contacts/{contact_id}/appointments"
        return WritableCollection(self._transport, path, Appointment)

    @endpoint
    def add_tags(self, contact_id: str, tags: list[str]) -> Operation[list[str]]:
        """Add tags by name (unknown ones are created); the contact's tags now."""
        return Operation(self._call("POST", f"/{contact_id}/tags", body={"tags": tags}), _tag_names)

    @endpoint
    def remove_tags(self, contact_id: str, tags: list[str]) -> Operation[list[str]]:
        """Remove tags by name; the contact's tags now."""
        call = self._call("DELETE", f"/{contact_id}/tags", body={"tags": tags})
        return Operation(call, _tag_names)


class Users(WritableCollection[User, TransportT]):
    """``client.users``: list, get, ``me()``, and for owners and admins create, update
    and delete (which deactivates the user)."""

    def __init__(self, transport: TransportT) -> None:
        super().__init__(transport, "/users", User)

    @endpoint
    def me(
        self, *, impersonate: str | None = None, request_id: str | None = None
    ) -> Operation[User]:
        """The user the credential acts as."""
        return self._one(self._call("GET", "/me", impersonate=impersonate, request_id=request_id))


class ApiKeys(WritableCollection[ApiKey, TransportT]):
    """``client.api_keys``: create (the key is shown once), list, get, ``revoke``."""

    def __init__(self, transport: TransportT) -> None:
        super().__init__(transport, "/api-keys", ApiKey)

    @endpoint
    def revoke(self, key_id: str) -> Operation[None]:
        """Revoke a key; it stays listed with ``revoked_at``."""
        return Operation(self._call("DELETE", f"/{key_id}"), _nothing)


class Resources(Generic[TransportT]):
    """Every resource of a client, over its transport: what both clients expose."""

    def __init__(self, transport: TransportT) -> None:
        self._attach(transport)

    def _attach(self, transport: TransportT) -> None:
        self._transport = transport
        self.contacts = Contacts(transport)
        self.companies: RestorableCollection[Company, TransportT] = RestorableCollection(
            transport, "/companies", Company
        )
        self.tasks: Collection[Task, TransportT] = Collection(transport, "/tasks", Task)
        self.notes: Collection[Note, TransportT] = Collection(transport, "/notes", Note)
        self.appointments: Collection[Appointment, TransportT] = Collection(
            transport, "/appointments", Appointment
        )
        self.tags: WritableCollection[Tag, TransportT] = WritableCollection(transport, "/tags", Tag)
        self.users = Users(transport)
        self.api_keys = ApiKeys(transport)
        self.audit_log: Collection[AuditEntry, TransportT] = Collection(
            transport, "/audit-log", AuditEntry
        )
