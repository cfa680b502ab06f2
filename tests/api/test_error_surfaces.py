"""A second API surface draws errors its own way, from the same services and pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.contacts import service as contacts
from rolodex.errors import ValidationFailed, details_of, invalid
from rolodex.http.errors import Failure
from rolodex.http.pipeline import CurrentPrincipal, Session, api_router
from rolodex.http.ratelimit import Usage
from rolodex.http.surface import Surface, mount
from tests.conftest import Tenant

PREFIX = "/surface"


def render_plain(failure: Failure, request_id: str | None) -> Response:
    """A vendor-like body: the message and the kind, no envelope."""
    return JSONResponse({"message": failure.message, "kind": failure.code}, failure.status)


def plain_rate_headers(usage: Usage) -> dict[str, str]:
    return {"X-Plain-Max": str(usage.quota.amount), "X-Plain-Left": str(usage.remaining)}


def needs_plain_header(request: Request) -> None:
    if request.headers.get("x-plain") != "1":
        raise ValidationFailed("Send X-Plain: 1")


PLAIN = Surface(
    name="plain",
    prefix=PREFIX,
    render_error=render_plain,
    rate_headers=plain_rate_headers,
    check_request=needs_plain_header,
    title="Plain",
)


@pytest.fixture
def surface(settings: Settings) -> Iterator[TestClient]:
    router = api_router("contacts", prefix="/people", surface=PLAIN)

    @router.get("/{contact_id}")
    async def get_person(contact_id: str, session: Session, principal: CurrentPrincipal) -> dict:
        contact = await contacts.get_contact(session, principal, contact_id)
        return {"id": contact.id}

    app = create_app(settings)
    mount(app, PLAIN, [router])
    with TestClient(app, raise_server_exceptions=False, headers={"X-Plain": "1"}) as client:
        yield client


def test_a_surface_router_draws_domain_and_transport_errors(
    surface: TestClient, tenant: Tenant
) -> None:
    missing = surface.get(f"{PREFIX}/people/cnt_nope", headers={"X-API-Key": tenant.key})
    assert missing.status_code == 404
    assert missing.json() == {"message": "No contact with id 'cnt_nope'", "kind": "NOT_FOUND"}
    # The pipeline's headers still come along, named as the surface names them.
    assert missing.headers["X-Plain-Max"] and "X-RateLimit-Limit" not in missing.headers
    assert missing.headers["X-Request-Id"]

    unchecked = surface.get(
        f"{PREFIX}/people/cnt_nope", headers={"X-API-Key": tenant.key, "X-Plain": "0"}
    )
    assert unchecked.status_code == 400
    assert unchecked.json() == {"message": "Send X-Plain: 1", "kind": "VALIDATION_ERROR"}

    anonymous = surface.get(f"{PREFIX}/people/cnt_nope")
    assert anonymous.status_code == 401
    assert anonymous.json()["kind"] == "UNAUTHORIZED"
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="rolodex"'


def test_a_surface_has_its_own_openapi_document(surface: TestClient) -> None:
    own = surface.get(f"{PREFIX}/openapi.json").json()
    assert own["info"]["title"] == "Plain"
    assert list(own["paths"]) == [f"{PREFIX}/people/{{contact_id}}"]
    native = surface.get("/openapi.json").json()
    assert not [path for path in native["paths"] if path.startswith(PREFIX)]
    assert "/api/v1/contacts" in native["paths"]


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
