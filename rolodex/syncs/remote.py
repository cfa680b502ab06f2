"""The remote side of a sync: what the engine asks of a connection, per connector.

A :class:`Remote` lists the records changed since a moment (deleted ones too), reads
one, finds one by its natural key, and creates, updates, deletes and restores one. Every
request goes through the shared transport (budget, retries, 429 holds, usage), and each
is reported to the run (:class:`Seen`), so a run shows every request it made.

The ``rolodex`` connector's remote is another Rolodex's native API (``updated_after``,
``include_deleted``, ``Idempotency-Key`` on every write); HighLevel's is made of its
connector's contact operations (:mod:`rolodex.syncs.remote_operations`); MOCO's of its
connector's people and company operations (:mod:`rolodex.syncs.remote_moco`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from rolodex.audit.capture import json_safe
from rolodex.integrations.connector import RemoteRequest, RemoteResponse
from rolodex.integrations.target import Target
from rolodex.integrations.transport import Caller

PER_PAGE = 100


class RemoteError(Exception):
    """The remote refused a request for one record (a 4xx): that record fails, the run
    goes on."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Seen:
    """One request a run made: what its log shows of it (no header, ever)."""

    operation: str
    method: str
    url: str
    status: int
    duration_ms: int
    writes: bool


Report = Callable[[Seen], Awaitable[None]]


class Remote(Protocol):
    """What a sync asks of the remote side."""

    async def changed(self, since: datetime | None) -> list[dict[str, Any]]:
        """Records changed after ``since`` (every one without), deleted ones included,
        oldest change first."""

    async def get(self, remote_id: str) -> dict[str, Any] | None:
        """One record (deleted too), or None when the remote has none."""

    async def find(self, remote_field: str, value: Any) -> dict[str, Any] | None:
        """A live record whose ``remote_field`` is ``value`` (any case)."""

    async def create(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """A new record; ``key`` makes a retried create one create."""

    async def update(self, remote_id: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        """Change the fields of ``body``; the record now."""

    async def delete(self, remote_id: str, key: str) -> None:
        """Delete a record (gone already is fine)."""

    async def restore(self, remote_id: str, key: str) -> dict[str, Any]:
        """Bring back a deleted record; the record now."""


def remote_id_of(record: dict[str, Any]) -> str:
    """A remote record's id."""
    return str(record["id"])


def updated_at_of(record: dict[str, Any]) -> str | None:
    """A remote record's last change, as the remote says it."""
    value = record.get("updated_at") or record.get("dateUpdated")
    return str(value) if value is not None else None


def is_deleted(record: dict[str, Any]) -> bool:
    """Whether a remote record is a tombstone."""
    return record.get("deleted_at") is not None


class NativeRemote:
    """Another Rolodex's records of one kind, through its native API."""

    def __init__(self, caller: Caller, target: Target, collection: str, report: Report) -> None:
        self.caller = caller
        self.target = target
        self.collection = collection
        self.report = report

    async def _send(
        self,
        operation: str,
        request: RemoteRequest,
        *,
        writes: bool = False,
        key: str | None = None,
    ) -> RemoteResponse:
        sent = await self.caller.send(
            self.target, request, operation, writes=writes, idempotency_key=key
        )
        self.target = sent.target
        response = sent.response
        await self.report(
            Seen(
                operation,
                request.method,
                self.target.mask(f"{self.target.base_url.rstrip('/')}{request.path}"),
                response.status,
                response.elapsed_ms,
                writes,
            )
        )
        return response

    def _fail(self, response: RemoteResponse) -> RemoteError:
        message = self.target.mask(self.target.connector.error_message(response))
        return RemoteError(f"the remote answered {response.status}: {message}", response.status)

    def _data(self, response: RemoteResponse) -> dict[str, Any]:
        if not response.ok:
            raise self._fail(response)
        body = response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise RemoteError("the remote answered no record", response.status)
        return data

    async def changed(self, since: datetime | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, Any] = {
                "page": page,
                "per_page": PER_PAGE,
                "sort": "updated_at",
                "order": "asc",
                "include_deleted": "true",
            }
            if since is not None:
                params["updated_after"] = json_safe(since)
            response = await self._send(
                f"{self.collection}.list", RemoteRequest("GET", f"/{self.collection}", params)
            )
            if not response.ok:
                raise self._fail(response)
            body = response.json()
            rows = body.get("data") if isinstance(body, dict) else None
            if not isinstance(rows, list):
                raise RemoteError("the remote answered no list", response.status)
            found.extend(row for row in rows if isinstance(row, dict))
            if len(rows) < PER_PAGE:
                return found
            page += 1

    async def get(self, remote_id: str) -> dict[str, Any] | None:
        response = await self._send(
            f"{self.collection}.get",
            RemoteRequest("GET", f"/{self.collection}/{remote_id}", {"include_deleted": "true"}),
        )
        if response.status == 404:
            return None
        return self._data(response)

    async def find(self, remote_field: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, str) or not value:
            return None
        params = {"email": value} if remote_field == "email" else {"q": value}
        params["per_page"] = "50"
        response = await self._send(
            f"{self.collection}.list", RemoteRequest("GET", f"/{self.collection}", params)
        )
        if not response.ok:
            raise self._fail(response)
        body = response.json()
        rows = body.get("data") if isinstance(body, dict) else []
        for row in rows or []:
            if isinstance(row, dict) and str(row.get(remote_field) or "").lower() == value.lower():
                return row
        return None

    async def create(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        response = await self._send(
            f"{self.collection}.create",
            RemoteRequest("POST", f"/{self.collection}", json=body),
            writes=True,
            key=key,
        )
        return self._data(response)

    async def update(self, remote_id: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        response = await self._send(
            f"{self.collection}.update",
            RemoteRequest("PATCH", f"/{self.collection}/{remote_id}", json=body),
            writes=True,
            key=key,
        )
        return self._data(response)

    async def delete(self, remote_id: str, key: str) -> None:
        response = await self._send(
            f"{self.collection}.delete",
            RemoteRequest("DELETE", f"/{self.collection}/{remote_id}"),
            writes=True,
            key=key,
        )
        if not response.ok and response.status != 404:
            raise self._fail(response)

    async def restore(self, remote_id: str, key: str) -> dict[str, Any]:
        response = await self._send(
            f"{self.collection}.restore",
            RemoteRequest("POST", f"/{self.collection}/{remote_id}/restore"),
            writes=True,
            key=key,
        )
        return self._data(response)


def remote_for(caller: Caller, target: Target, remote_type: str, report: Report) -> Remote | None:
    """The remote side of a sync of ``remote_type`` at ``target``; None when its
    connector cannot sync yet."""
    from rolodex.syncs.remote_moco import MocoRecords
    from rolodex.syncs.remote_operations import HighLevelContacts

    kind = target.connector.kind
    if kind == "rolodex" and remote_type in ("contacts", "companies"):
        return NativeRemote(caller, target, remote_type, report)
    if kind == "highlevel" and remote_type == "contacts":
        return HighLevelContacts(caller, target, report)
    if kind == "moco" and remote_type in ("people", "companies"):
        return MocoRecords(caller, target, remote_type, report)
    return None
