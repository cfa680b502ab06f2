"""Remote sides made of a connector's own operations: HighLevel contacts.

Each request is the connector's operation (its input checked by the operation's own
schema, its request built by the operation), sent through the shared transport and
reported to the run like every other.

HighLevel keeps no tombstones: a contact deleted there is not listed as deleted, so a
remote delete reaches Rolodex only when a linked contact is read and found gone (404).
It has no restore: a Rolodex restore of a contact deleted at HighLevel creates it again
there, and the link follows the new id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from rolodex.audit.capture import json_safe
from rolodex.integrations.connector import RemoteResponse
from rolodex.integrations.target import Target
from rolodex.integrations.transport import Caller
from rolodex.syncs.remote import RemoteError, Report, Seen

PAGE = 100
EPOCH = "2000-01-01T00:00:00Z"


class OperationRemote:
    """Sends a connector's operations for a sync."""

    def __init__(self, caller: Caller, target: Target, report: Report) -> None:
        self.caller = caller
        self.target = target
        self.report = report

    async def call(self, key: str, values: dict[str, Any]) -> RemoteResponse:
        """Run one operation with ``values``; its answer (4xx and 5xx included)."""
        operation = self.target.connector.operation(key)
        try:
            given = operation.input.model_validate(values).model_dump(
                mode="json", exclude_unset=True
            )
        except ValidationError as exc:
            raise RemoteError(f"{key}: the remote would refuse it: {exc}", 400) from None
        request = operation.request(given, self.target.context)
        sent = await self.caller.send(self.target, request, operation.key, writes=operation.writes)
        self.target = sent.target
        response = sent.response
        await self.report(
            Seen(
                key,
                request.method,
                self.target.mask(f"{self.target.base_url.rstrip('/')}{request.path}"),
                response.status,
                response.elapsed_ms,
                operation.writes,
            )
        )
        return response

    def fail(self, response: RemoteResponse) -> RemoteError:
        """The error of a refused request."""
        message = self.target.mask(self.target.connector.error_message(response))
        return RemoteError(f"the remote answered {response.status}: {message}", response.status)

    def body(self, response: RemoteResponse, name: str) -> Any:
        """``name`` of a successful answer's JSON body."""
        if not response.ok:
            raise self.fail(response)
        found = response.json()
        return found.get(name) if isinstance(found, dict) else None


def _contact(found: Any) -> dict[str, Any]:
    if not isinstance(found, dict) or "id" not in found:
        raise RemoteError("the remote answered no contact", 200)
    return {**found, "updated_at": found.get("dateUpdated") or found.get("updated_at")}


class HighLevelContacts(OperationRemote):
    """A HighLevel location's contacts."""

    async def changed(self, since: datetime | None) -> list[dict[str, Any]]:
        after: list[Any] | None = None
        found: list[dict[str, Any]] = []
        while True:
            values: dict[str, Any] = {
                "updated_after": json_safe(since) if since is not None else EPOCH,
                "pageLimit": PAGE,
            }
            if after:
                values["searchAfter"] = after
            rows = self.body(await self.call("contacts.new_or_updated", values), "contacts")
            page = [_contact(row) for row in rows or [] if isinstance(row, dict)]
            found.extend(page)
            after = page[-1].get("searchAfter") if page else None
            if len(page) < PAGE or not after:
                return found

    async def get(self, remote_id: str) -> dict[str, Any] | None:
        response = await self.call("contacts.get", {"contactId": remote_id})
        if response.status in (400, 404):
            return None
        return _contact(self.body(response, "contact"))

    async def find(self, remote_field: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, str) or not value:
            return None
        rows = self.body(
            await self.call("contacts.search", {"query": value, "pageLimit": 20}), "contacts"
        )
        for row in rows or []:
            if isinstance(row, dict) and str(row.get(remote_field) or "").lower() == value.lower():
                return _contact(row)
        return None

    async def create(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        return _contact(self.body(await self.call("contacts.create", body), "contact"))

    async def update(self, remote_id: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        response = await self.call("contacts.update", {"contactId": remote_id, **body})
        return _contact(self.body(response, "contact"))

    async def delete(self, remote_id: str, key: str) -> None:
        response = await self.call("contacts.delete", {"contactId": remote_id})
        if not response.ok and response.status not in (400, 404):
            raise self.fail(response)

    async def restore(self, remote_id: str, key: str) -> dict[str, Any]:
        raise RemoteError("HighLevel cannot restore a deleted contact", 422)
