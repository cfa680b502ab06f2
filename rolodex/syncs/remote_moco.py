"""The remote side of a sync with a MOCO account: its people and companies, through the
``moco`` connector's own operations (``people.*``, ``companies.*``).

What is MOCO's and not the engine's:

- **Changes since a cursor** are ``<resource>.list`` with ``updated_after`` and
  ``sort_by=updated_at``, page after page while MOCO's ``Link`` header names a next one
  (companies with ``include_archived=true``: an archived company is still a record).
- **Natural keys** are found with ``term`` (people: last name, first name, work email or
  company; companies: name), then compared exactly (any case) on the mapped field.
- **Unset text** is ``""`` at MOCO: read as ``null`` (as Rolodex keeps it), and a
  cleared text field is written as ``""`` (MOCO's "none").
- **Creates** need what MOCO requires: a person's ``gender`` (``U`` when the mapping
  gives none) and ``lastname``; a company's ``type`` (``organization`` when none). A
  Rolodex contact without a last name is refused by the operation's own input check,
  a failed step of that record.
- **Deletes**: MOCO lists no deleted records, so a delete there reaches Rolodex when a
  linked record is read and answers 404 (a run that reads it: its Rolodex side changed,
  or a full run). MOCO has no restore.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rolodex.audit.capture import json_safe
from rolodex.integrations.connectors.moco_operations import parse_page
from rolodex.integrations.target import Target
from rolodex.integrations.transport import Caller
from rolodex.syncs.remote import RemoteError, Report
from rolodex.syncs.remote_operations import OperationRemote

MAX_PAGES = 1000
"""A guard against a remote whose ``Link`` header never ends."""

PERSON_TEXT = frozenset(
    {
        "firstname",
        "title",
        "job_position",
        "mobile_phone",
        "work_fax",
        "work_phone",
        "work_email",
        "work_address",
        "home_email",
        "home_address",
        "info",
    }
)
COMPANY_TEXT = frozenset(
    {"website", "fax", "phone", "email", "billing_email_cc", "address", "info", "identifier"}
)


def _record(found: Any, noun: str) -> dict[str, Any]:
    """A MOCO record as the engine reads it: ``""`` is unset."""
    if not isinstance(found, dict) or "id" not in found:
        raise RemoteError(f"the remote answered no {noun}", 200)
    return {key: (None if value == "" else value) for key, value in found.items()}


class MocoRecords(OperationRemote):
    """One kind of a MOCO account's records: ``people`` or ``companies``."""

    def __init__(self, caller: Caller, target: Target, resource: str, report: Report) -> None:
        super().__init__(caller, target, report)
        self.resource = resource
        self.noun = "person" if resource == "people" else "company"
        self.texts = PERSON_TEXT if resource == "people" else COMPANY_TEXT

    def _outgoing(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            key: ("" if value is None and key in self.texts else value)
            for key, value in body.items()
        }

    async def changed(self, since: datetime | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        for _ in range(MAX_PAGES):
            values: dict[str, Any] = {"page": page, "sort_by": "updated_at"}
            if since is not None:
                values["updated_after"] = json_safe(since)
            if self.resource == "companies":
                values["include_archived"] = True
            response = await self.call(f"{self.resource}.list", values)
            if not response.ok:
                raise self.fail(response)
            listed = parse_page(response)
            found.extend(_record(row, self.noun) for row in listed["data"] if isinstance(row, dict))
            following = listed["meta"]["next_page"]
            if not following or following <= page:
                return found
            page = following
        return found

    async def get(self, remote_id: str) -> dict[str, Any] | None:
        response = await self.call(f"{self.resource}.get", {"id": remote_id})
        if response.status == 404:
            return None
        if not response.ok:
            raise self.fail(response)
        return _record(response.json(), self.noun)

    async def find(self, remote_field: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, str) or not value.strip():
            return None
        response = await self.call(f"{self.resource}.list", {"term": value})
        if not response.ok:
            raise self.fail(response)
        for row in parse_page(response)["data"]:
            if isinstance(row, dict) and str(row.get(remote_field) or "").lower() == value.lower():
                return _record(row, self.noun)
        return None

    async def create(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        given = self._outgoing(body)
        if self.resource == "people":
            given.setdefault("gender", "U")
        else:
            given.setdefault("type", "organization")
        response = await self.call(f"{self.resource}.create", given)
        if not response.ok:
            raise self.fail(response)
        return _record(response.json(), self.noun)

    async def update(self, remote_id: str, body: dict[str, Any], key: str) -> dict[str, Any]:
        response = await self.call(
            f"{self.resource}.update", {**self._outgoing(body), "id": remote_id}
        )
        if not response.ok:
            raise self.fail(response)
        return _record(response.json(), self.noun)

    async def delete(self, remote_id: str, key: str) -> None:
        response = await self.call(f"{self.resource}.delete", {"id": remote_id})
        if not response.ok and response.status != 404:
            raise self.fail(response)

    async def restore(self, remote_id: str, key: str) -> dict[str, Any]:
        raise RemoteError(f"MOCO cannot restore a deleted {self.noun}", 422)
