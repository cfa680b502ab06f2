"""A second API surface draws errors its own way, from the same services and pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from starlette.responses import JSONResponse, Response

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.contacts import service as contacts
from rolodex.errors import details_of, invalid
from rolodex.http.errors import Failure, register_error_renderer
from rolodex.http.pipeline import CurrentPrincipal, Session, api_router
from tests.conftest import Tenant

PREFIX = "/surface"


def render_plain(failure: Failure, request_id: str | None) -> Response:
    """A vendor-like body: the message and the kind, no envelope."""
    return JSONResponse({"message": failure.message, "kind": failure.code}, failure.status)


@pytest.fixture
def surface(settings: Settings) -> Iterator[TestClient]:
    router = api_router("contacts", prefix=f"{PREFIX}/people", render_error=render_plain)

    @router.get("/{contact_id}")
    async def get_person(contact_id: str, session: Session, principal: CurrentPrincipal) -> dict:
        contact = await contacts.get_contact(session, principal, contact_id)
        return {"id": contact.id}

    app = create_app(settings)
    app.include_router(router)
    register_error_renderer(app, PREFIX, render_plain)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_surface_router_draws_domain_and_transport_errors(
    surface: TestClient, tenant: Tenant
) -> None:
    missing = surface.get(f"{PREFIX}/people/cnt_nope", headers={"X-API-Key": tenant.key})
    assert missing.status_code == 404
    assert missing.json() == {"message": "No contact with id 'cnt_nope'", "kind": "NOT_FOUND"}
    assert "X-RateLimit-Limit" in missing.headers  # the pipeline's headers still come along
    assert missing.headers["X-Request-Id"]

    anonymous = surface.get(f"{PREFIX}/people/cnt_nope")
    assert anonymous.status_code == 401
    assert anonymous.json()["kind"] == "UNAUTHORIZED"
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="rolodex"'


def test_errors_outside_routes_follow_the_prefix(surface: TestClient) -> None:
    unknown = surface.get(f"{PREFIX}/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "No such resource", "kind": "NOT_FOUND"}
    native = surface.get("/api/v1/nothing-here")
    assert native.status_code == 404
    assert native.json()["error"]["code"] == "NOT_FOUND"


class _Body(BaseModel):
    name: str
    size: int


def test_one_translation_of_pydantic_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate({"size": "big"})
    errors = caught.value.errors()
    assert [d["field"] for d in details_of(errors)] == ["name", "size"]
    error = invalid([{**e, "loc": ("body", *e["loc"])} for e in errors], skip=1)
    assert error.message == "name: Field required"
    assert error.details == details_of(errors)
