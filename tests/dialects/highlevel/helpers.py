"""Calling the HighLevel surface as HighLevel's clients do: a Bearer token and the
``Version`` header."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Tenant

PREFIX = "/highlevel"
VERSION = "2021-07-28"


def hl(
    tenant: Tenant,
    method: str,
    path: str,
    *,
    key: str | None = None,
    version: str | None = VERSION,
    **kwargs: Any,
) -> httpx.Response:
    """``<method> /highlevel<path>`` with the tenant's key (or ``key``) as a Bearer token."""
    headers = {"Authorization": f"Bearer {key or tenant.key}", **kwargs.pop("headers", {})}
    if version is not None:
        headers["Version"] = version
    return tenant.client.request(method, PREFIX + path, headers=headers, **kwargs)


def new_contact(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    """A contact made through the HighLevel surface; its HighLevel shape."""
    body = {"locationId": tenant.account_id, "firstName": "Ada", **fields}
    response = hl(tenant, "POST", "/contacts/", json=body)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()["contact"]
    return contact


def aim_at_seeded(case: Any, records: dict[str, dict[str, str]], turns: dict[str, int]) -> None:
    """Point a positive schemathesis case at the seeded account: its ``locationId`` (query
    or body) becomes the account's id, an ``assignedTo`` in its body the account's owner
    and, every other time per operation, its path parameters the seeded records' ids (a
    DELETE's records of its own). ``records``: ``"account"``, ``"stable"`` and
    ``"disposable"``. Negative cases are sent as generated. Done on the case itself, for
    every phase (examples, coverage, fuzzing)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    account = records["account"]
    if isinstance(case.query, dict) and "locationId" in case.query:
        case.query["locationId"] = account["locationId"]
    if isinstance(case.body, dict):
        for name in ("locationId", "assignedTo"):
            if isinstance(case.body.get(name), str):
                case.body[name] = account[name]
    operation = case.operation
    names = [parameter.name for parameter in operation.path_parameters]
    seeded = records["disposable" if operation.method.upper() == "DELETE" else "stable"]
    label = operation.label
    turns[label] = turns.get(label, 0) + 1
    if names and all(name in seeded for name in names) and turns[label] % 2:
        case.path_parameters = {**(case.path_parameters or {}), **{n: seeded[n] for n in names}}
