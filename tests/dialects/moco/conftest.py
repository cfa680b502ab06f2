"""Helpers of the MOCO surface's tests: a tenant's calls to ``/moco/api/v1``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Tenant

MOCO = "/moco/api/v1"


@dataclass
class Moco:
    """A tenant's client of the MOCO surface (``Authorization: Token token=KEY``)."""

    tenant: Tenant
    key: str

    def request(
        self, method: str, path: str, *, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Token token={key or self.key}", **kwargs.pop("headers", {})}
        return self.tenant.client.request(method, MOCO + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON of a call that must succeed with 200."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text)
        return response.json()


@pytest.fixture
def moco(tenant: Tenant) -> Moco:
    """The MOCO surface, as the tenant's owner."""
    return Moco(tenant, tenant.key)


@pytest.fixture
def make_moco(make_tenant: Any) -> Any:
    """A factory of MOCO clients of fresh accounts."""

    def make() -> Moco:
        tenant = make_tenant()
        return Moco(tenant, tenant.key)

    return make


# The webhook tests' worker, for the delivery of MOCO web hooks.
from tests.webhooks.conftest import run_worker  # noqa: E402, F401
