"""The resources of a client (``client.contacts``, ``client.companies``…).

Each resource builds its calls once, in a shared base (:class:`_Calls`); the synchronous
and asynchronous classes only send them, through their client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from rolodex.client._core import Call, Options
from rolodex.client.models import (
    ApiKey,
    Appointment,
    BatchResult,
    Contact,
    Note,
    Task,
    User,
)
from rolodex.client.pagination import AsyncPager, Pager

if TYPE_CHECKING:
    from rolodex.client._client import AsyncRolodex, Rolodex

M = TypeVar("M", bound=BaseModel)
DEFAULT_PER_PAGE = 100


def _body(data: dict[str, Any] | BaseModel | None, fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json", exclude_unset=True)
    return {**(data or {}), **fields}


def list_params(
    per_page: int, sort: str | None, order: str | None, filters: dict[str, Any]
) -> dict[str, Any]:
    """A list's query: a sync by ``updated_after`` walks in ``updated_at`` order."""
    if sort is None and filters.get("updated_after") is not None:
        sort, order = "updated_at", order or "asc"
    return {"per_page": per_page, "sort": sort, "order": order, **filters}


class _Calls(Generic[M]):
    """The calls of a collection at ``path`` whose rows are ``model``."""

    def __init__(self, path: str, model: type[M], options: Options) -> None:
        self.path = path
        self.model = model
        self.options = options

    def _opts(self, impersonate: str | None, request_id: str | None) -> Options:
        return self.options.merged(impersonate, request_id)

    def _list(self, params: dict[str, Any], impersonate: str | None, rid: str | None) -> Call:
        return Call("GET", self.path, params=params, options=self._opts(impersonate, rid))

    def _get(self, record_id: str, impersonate: str | None, rid: str | None) -> Call:
        return Call("GET", f"{self.path}/{record_id}", options=self._opts(impersonate, rid))

    def _write(
        self,
        method: str,
        path: str,
        body: Any,
        idempotency_key: str | None,
        impersonate: str | None,
        rid: str | None,
    ) -> Call:
        return Call(
            method,
            path,
            body=body,
            idempotency_key=idempotency_key,
            options=self._opts(impersonate, rid),
        )


class Collection(_Calls[M]):
    """A collection of a synchronous client."""

    def __init__(self, client: Rolodex, path: str, model: type[M]) -> None:
        super().__init__(path, model, client.options)
        self._client = client

    def _one(self, call: Call) -> M:
        return self.model.model_validate(self._client.request(call)["data"])

    def list(
        self,
        *,
        per_page: int = DEFAULT_PER_PAGE,
        sort: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **filters: Any,
    ) -> Pager[M]:
        """Every row matching the filters, fetched page by page while you iterate."""
        params = list_params(per_page, sort, order, filters)
        return Pager(
            lambda p: self._client.request(self._list(p, impersonate, request_id)),
            params,
            self.model,
        )

    def get(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> M:
        """One record by id."""
        return self._one(self._get(record_id, impersonate, request_id))


class WritableCollection(Collection[M]):
    """A collection that can be written to."""

    def create(
        self,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> M:
        """Create a record from ``data`` and/or keyword fields."""
        body = _body(data, fields)
        call = self._write("POST", self.path, body, idempotency_key, impersonate, request_id)
        return self._one(call)

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
    ) -> M:
        """Change only the fields sent (PATCH)."""
        path = f"{self.path}/{record_id}"
        body = _body(data, fields)
        return self._one(self._write("PATCH", path, body, idempotency_key, impersonate, request_id))

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
    ) -> M:
        """Replace the whole record (PUT); fields not sent become null."""
        path = f"{self.path}/{record_id}"
        body = _body(data, fields)
        return self._one(self._write("PUT", path, body, idempotency_key, impersonate, request_id))

    def delete(
        self,
        record_id: str,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Delete a record (soft: it stays as a tombstone)."""
        path = f"{self.path}/{record_id}"
        self._client.request(
            self._write("DELETE", path, None, idempotency_key, impersonate, request_id)
        )


class RestorableCollection(WritableCollection[M]):
    """Contacts and companies: restore and batch writes too."""

    def restore(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> M:
        """Bring back a deleted record."""
        path = f"{self.path}/{record_id}/restore"
        return self._one(self._write("POST", path, None, None, impersonate, request_id))

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
    ) -> BatchResult:
        """Create or upsert up to 250 records in one request; a result per item."""
        body = {"mode": mode, "match_on": match_on, "dry_run": dry_run, "items": items}
        path = f"{self.path}/batch"
        call = self._write("POST", path, body, idempotency_key, impersonate, request_id)
        return BatchResult.model_validate(self._client.request(call))


class Contacts(RestorableCollection[Contact]):
    """``client.contacts``, and the records under one contact."""

    def __init__(self, client: Rolodex) -> None:
        super().__init__(client, "/contacts", Contact)

    def tasks(self, contact_id: str) -> WritableCollection[Task]:
        """The tasks of one contact."""
        return WritableCollection(self._client, f"/contacts/{contact_id}/tasks", Task)

    def notes(self, contact_id: str) -> WritableCollection[Note]:
        """The notes of one contact."""
        return WritableCollection(self._client, f"/contacts/{contact_id}/notes", Note)

    def appointments(self, contact_id: str) -> WritableCollection[Appointment]:
        """The appointments of one contact."""
        path = f"/contacts/{contact_id}/appointments"
        return WritableCollection(self._client, path, Appointment)

    def add_tags(self, contact_id: str, tags: list[str]) -> list[str]:
        """Add tags by name (unknown ones are created); the contact's tags now."""
        call = self._write("POST", f"/contacts/{contact_id}/tags", {"tags": tags}, None, None, None)
        result: list[str] = self._client.request(call)["data"]
        return result

    def remove_tags(self, contact_id: str, tags: list[str]) -> list[str]:
        """Remove tags by name; the contact's tags now."""
        path = f"/contacts/{contact_id}/tags"
        result: list[str] = self._client.request(
            self._write("DELETE", path, {"tags": tags}, None, None, None)
        )["data"]
        return result


class Users(Collection[User]):
    """``client.users``: list, get and ``me()``."""

    def __init__(self, client: Rolodex) -> None:
        super().__init__(client, "/users", User)

    def me(self, *, impersonate: str | None = None, request_id: str | None = None) -> User:
        """The user the credential acts as."""
        return self.get("me", impersonate=impersonate, request_id=request_id)


class ApiKeys(WritableCollection[ApiKey]):
    """``client.api_keys``: create (the key is shown once), list, get, ``revoke``."""

    def __init__(self, client: Rolodex) -> None:
        super().__init__(client, "/api-keys", ApiKey)

    def revoke(self, key_id: str) -> None:
        """Revoke a key; it stays listed with ``revoked_at``."""
        self.delete(key_id)


# -- asynchronous ------------------------------------------------------------------------


class AsyncCollection(_Calls[M]):
    """A collection of an asynchronous client."""

    def __init__(self, client: AsyncRolodex, path: str, model: type[M]) -> None:
        super().__init__(path, model, client.options)
        self._client = client

    async def _one(self, call: Call) -> M:
        return self.model.model_validate((await self._client.request(call))["data"])

    def list(
        self,
        *,
        per_page: int = DEFAULT_PER_PAGE,
        sort: str | None = None,
        order: Literal["asc", "desc"] | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **filters: Any,
    ) -> AsyncPager[M]:
        """Every row matching the filters: ``async for row in …``."""
        params = list_params(per_page, sort, order, filters)

        async def fetch(p: dict[str, Any]) -> Any:
            return await self._client.request(self._list(p, impersonate, request_id))

        return AsyncPager(fetch, params, self.model)

    async def get(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> M:
        """One record by id."""
        return await self._one(self._get(record_id, impersonate, request_id))


class AsyncWritableCollection(AsyncCollection[M]):
    """A collection that can be written to."""

    async def create(
        self,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> M:
        """Create a record from ``data`` and/or keyword fields."""
        body = _body(data, fields)
        call = self._write("POST", self.path, body, idempotency_key, impersonate, request_id)
        return await self._one(call)

    async def update(
        self,
        record_id: str,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> M:
        """Change only the fields sent (PATCH)."""
        path = f"{self.path}/{record_id}"
        call = self._write(
            "PATCH", path, _body(data, fields), idempotency_key, impersonate, request_id
        )
        return await self._one(call)

    async def replace(
        self,
        record_id: str,
        data: dict[str, Any] | BaseModel | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
        **fields: Any,
    ) -> M:
        """Replace the whole record (PUT); fields not sent become null."""
        path = f"{self.path}/{record_id}"
        call = self._write(
            "PUT", path, _body(data, fields), idempotency_key, impersonate, request_id
        )
        return await self._one(call)

    async def delete(
        self,
        record_id: str,
        *,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Delete a record (soft: it stays as a tombstone)."""
        path = f"{self.path}/{record_id}"
        await self._client.request(
            self._write("DELETE", path, None, idempotency_key, impersonate, request_id)
        )


class AsyncRestorableCollection(AsyncWritableCollection[M]):
    """Contacts and companies: restore and batch writes too."""

    async def restore(
        self, record_id: str, *, impersonate: str | None = None, request_id: str | None = None
    ) -> M:
        """Bring back a deleted record."""
        path = f"{self.path}/{record_id}/restore"
        return await self._one(self._write("POST", path, None, None, impersonate, request_id))

    async def batch(
        self,
        items: list[dict[str, Any]],
        *,
        mode: Literal["create", "upsert"] = "create",
        match_on: Literal["email", "id"] = "email",
        dry_run: bool = False,
        idempotency_key: str | None = None,
        impersonate: str | None = None,
        request_id: str | None = None,
    ) -> BatchResult:
        """Create or upsert up to 250 records in one request; a result per item."""
        body = {"mode": mode, "match_on": match_on, "dry_run": dry_run, "items": items}
        path = f"{self.path}/batch"
        call = self._write("POST", path, body, idempotency_key, impersonate, request_id)
        return BatchResult.model_validate(await self._client.request(call))


class AsyncContacts(AsyncRestorableCollection[Contact]):
    """``client.contacts``, and the records under one contact."""

    def __init__(self, client: AsyncRolodex) -> None:
        super().__init__(client, "/contacts", Contact)

    def tasks(self, contact_id: str) -> AsyncWritableCollection[Task]:
        """The tasks of one contact."""
        return AsyncWritableCollection(self._client, f"/contacts/{contact_id}/tasks", Task)

    def notes(self, contact_id: str) -> AsyncWritableCollection[Note]:
        """The notes of one contact."""
        return AsyncWritableCollection(self._client, f"/contacts/{contact_id}/notes", Note)

    def appointments(self, contact_id: str) -> AsyncWritableCollection[Appointment]:
        """The appointments of one contact."""
        path = f"/contacts/{contact_id}/appointments"
        return AsyncWritableCollection(self._client, path, Appointment)


class AsyncUsers(AsyncCollection[User]):
    """``client.users``: list, get and ``me()``."""

    def __init__(self, client: AsyncRolodex) -> None:
        super().__init__(client, "/users", User)

    async def me(self, *, impersonate: str | None = None, request_id: str | None = None) -> User:
        """The user the credential acts as."""
        return await self.get("me", impersonate=impersonate, request_id=request_id)
