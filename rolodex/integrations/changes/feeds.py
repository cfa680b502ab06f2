"""What each connector's remote is polled with: its lists of records changed since a
moment, oldest first, and how to walk them.

A :class:`Feed` is one remote type of one connector kind: the first request for the
records changed after a moment (or all, the first time), the records of a response, when
each record changed (and whether it is deleted), and the request for the page after.

- ``moco``: ``GET /contacts/people``, ``/companies``, ``/comments`` with
  ``updated_after`` and ``sort_by=updated_at asc``, 100 a page. A full page is followed
  by the same list ``updated_after`` its newest record (less a second: MOCO shows whole
  seconds), not by page numbers, so records that change while the list is walked cannot
  shift one out of sight; only a page of records all changed in one second is followed
  by its page number. MOCO lists do not show deleted records: deletions reach Rolodex
  by web hook only.
- ``highlevel``: ``POST /contacts/search`` filtered by ``dateUpdated`` from the moment,
  sorted by ``dateUpdated`` ascending, walked with ``searchAfter`` (100 a page). Its
  tasks and notes are listed per contact and carry no ``dateUpdated``: webhooks only.
- ``rolodex``: ``GET /contacts`` and ``/companies`` with ``updated_after``,
  ``sort=updated_at&order=asc``, ``include_deleted=true`` (deletions are tombstones),
  walked with the list's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from rolodex.integrations.changes.inbound import parse_time
from rolodex.integrations.connector import RemoteRequest, RemoteResponse

PAGE = 100
MOCO_PRECISION = timedelta(seconds=1)
CREATED_WITHIN = timedelta(seconds=1)
"""A polled record that last changed this soon after it was made is reported created
(a remote stamps both times apart by a few microseconds)."""


def iso(moment: datetime) -> str:
    """A moment as the remotes read it: ISO 8601 with microseconds and ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Feed:
    """One remote type's list of changed records."""

    remote_type: str
    first: Callable[[datetime | None, Mapping[str, Any]], RemoteRequest]
    records: Callable[[RemoteResponse], list[dict[str, Any]]]
    after: Callable[[RemoteRequest, RemoteResponse, list[dict[str, Any]]], RemoteRequest | None]
    updated_field: str = "updated_at"
    created_field: str = "created_at"
    deleted_field: str | None = None

    def updated_at(self, record: Mapping[str, Any]) -> datetime | None:
        """When a record changed last, as the remote says."""
        return parse_time(record.get(self.updated_field))

    def action_of(self, record: Mapping[str, Any]) -> str:
        """``deleted`` for a tombstone, ``created`` when it last changed within
        :data:`CREATED_WITHIN` of being made, else ``updated``."""
        if self.deleted_field and record.get(self.deleted_field):
            return "deleted"
        made, changed = parse_time(record.get(self.created_field)), self.updated_at(record)
        if made is not None and changed is not None and changed - made < CREATED_WITHIN:
            return "created"
        return "updated"


def _list_of(response: RemoteResponse) -> list[dict[str, Any]]:
    body = response.json()
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _moco_first(path: str) -> Callable[[datetime | None, Mapping[str, Any]], RemoteRequest]:
    def first(since: datetime | None, _context: Mapping[str, Any]) -> RemoteRequest:
        params: dict[str, Any] = {"sort_by": "updated_at asc", "page": 1}
        if since is not None:
            params["updated_after"] = iso(since)
        return RemoteRequest("GET", path, params=params)

    return first


def _moco_after(
    request: RemoteRequest, _response: RemoteResponse, records: list[dict[str, Any]]
) -> RemoteRequest | None:
    if len(records) < PAGE:
        return None
    times = [t for t in (parse_time(r.get("updated_at")) for r in records) if t is not None]
    params = dict(request.params)
    current = parse_time(params.get("updated_after"))
    if times:
        restart = max(times) - MOCO_PRECISION
        if current is None or restart > current:
            return replace(request, params={**params, "updated_after": iso(restart), "page": 1})
    return replace(request, params={**params, "page": int(params.get("page", 1)) + 1})


def moco_feed(remote_type: str, path: str) -> Feed:
    """A MOCO list as a feed."""
    return Feed(remote_type, _moco_first(path), _list_of, _moco_after)


def _highlevel_first(since: datetime | None, context: Mapping[str, Any]) -> RemoteRequest:
    body: dict[str, Any] = {
        "locationId": context.get("location_id") or "",
        "pageLimit": PAGE,
        "sort": [{"field": "dateUpdated", "direction": "asc"}],
    }
    if since is not None:
        body["filters"] = [
            {"field": "dateUpdated", "operator": "range", "value": {"gte": iso(since)}}
        ]
    return RemoteRequest("POST", "/contacts/search", json=body)


def _highlevel_contacts(response: RemoteResponse) -> list[dict[str, Any]]:
    body = response.json()
    found = body.get("contacts") if isinstance(body, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _highlevel_after(
    request: RemoteRequest, _response: RemoteResponse, records: list[dict[str, Any]]
) -> RemoteRequest | None:
    if len(records) < PAGE or not isinstance(records[-1].get("searchAfter"), list):
        return None
    return replace(request, json={**request.json, "searchAfter": records[-1]["searchAfter"]})


def _native_first(path: str) -> Callable[[datetime | None, Mapping[str, Any]], RemoteRequest]:
    def first(since: datetime | None, _context: Mapping[str, Any]) -> RemoteRequest:
        params: dict[str, Any] = {
            "sort": "updated_at",
            "order": "asc",
            "per_page": PAGE,
            "include_deleted": "true",
        }
        if since is not None:
            params["updated_after"] = iso(since)
        return RemoteRequest("GET", path, params=params)

    return first


def _native_records(response: RemoteResponse) -> list[dict[str, Any]]:
    body = response.json()
    found = body.get("data") if isinstance(body, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _native_after(
    request: RemoteRequest, response: RemoteResponse, _records: list[dict[str, Any]]
) -> RemoteRequest | None:
    body = response.json()
    meta = body.get("meta") if isinstance(body, dict) else None
    cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
    if not isinstance(cursor, str) or not cursor:
        return None
    params = {k: v for k, v in request.params.items() if k != "page"}
    return replace(request, params={**params, "after": cursor})


def native_feed(remote_type: str, path: str) -> Feed:
    """A native Rolodex list as a feed."""
    return Feed(
        remote_type,
        _native_first(path),
        _native_records,
        _native_after,
        deleted_field="deleted_at",
    )


FEEDS: Mapping[str, tuple[Feed, ...]] = MappingProxyType(
    {
        "moco": (
            moco_feed("contact", "/contacts/people"),
            moco_feed("company", "/companies"),
            moco_feed("note", "/comments"),
        ),
        "highlevel": (
            Feed(
                "contact",
                _highlevel_first,
                _highlevel_contacts,
                _highlevel_after,
                updated_field="dateUpdated",
                created_field="dateAdded",
            ),
        ),
        "rolodex": (native_feed("contact", "/contacts"), native_feed("company", "/companies")),
    }
)
"""The feeds each connector kind is polled with."""
