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
