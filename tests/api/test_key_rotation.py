"""Rotating the deployment's secret key with a ring (``ROLODEX_SECRET_KEYS``, newest
first): what the old key signed is still accepted, what is new is signed with the new key.

Each app below runs on the suite's database with another ring; the suite's own app
(``client``) has the ring of one ``test-secret-key``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.keyring import KeyRing, KeyRingError
from tests.conftest import API, Tenant
from tests.oauth.helpers import BASE, consent_form, pkce_pair, redirect_params, register

OLD = "test-secret-key"
NEW = "a-newer-secret-key"


@contextmanager
def app_with(settings: Settings, ring: str) -> Iterator[TestClient]:
    """The app on the suite's database, with ``ROLODEX_SECRET_KEYS=ring``."""
    rotated = settings.model_copy(update={"secret_key": None, "secret_keys": ring})
    with TestClient(create_app(rotated), raise_server_exceptions=False) as client:
        yield client


def list_page(http: TestClient, tenant: Tenant, after: str | None = None):
    params = {"per_page": 1, "sort": "created_at", "order": "asc"}
    if after:
        params["after"] = after
    return http.get(f"{API}/contacts", params=params, headers={"X-API-Key": tenant.key})


def test_a_cursor_outlives_the_rotation_and_new_cursors_use_the_new_key(
    tenant: Tenant, client: TestClient, settings: Settings
) -> None:
    for name in ("Ada", "Grace", "Edsger"):
        assert tenant.post("/contacts", json={"first_name": name}).status_code == 201
    first = list_page(client, tenant)
    old_cursor = first.json()["meta"]["next_cursor"]
    expected = list_page(client, tenant, old_cursor).json()["data"]

    with app_with(settings, f"{NEW},{OLD}") as rotated:
        carried = list_page(rotated, tenant, old_cursor)
        assert carried.status_code == 200, carried.text
        assert carried.json()["data"] == expected
        new_cursor = carried.json()["meta"]["next_cursor"]
        assert new_cursor

    with app_with(settings, NEW) as only_new:
        assert list_page(only_new, tenant, new_cursor).status_code == 200
        refused = list_page(only_new, tenant, old_cursor)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["details"][0]["field"] == "after"
    # The old ring alone never learnt the new key.
    assert list_page(client, tenant, new_cursor).status_code == 400


def test_a_consent_form_shown_before_the_rotation_can_still_be_sent(
    tenant: Tenant, client: TestClient, settings: Settings
) -> None:
    registered = register(tenant)
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": registered.data["redirect_uris"][0],
        "scope": "contacts.readonly",
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page, csrf = consent_form(client, BASE, params)
    assert page.status_code == 200 and csrf
    form = {"csrf_token": csrf, "email": tenant.email, "decision": "deny"}

    with app_with(settings, NEW) as only_new:
        only_new.cookies.update(client.cookies)
        expired = only_new.post(
            f"{BASE}/oauth/authorize", params=params, data=form, follow_redirects=False
        )
        assert expired.status_code == 403, expired.text
    with app_with(settings, f"{NEW},{OLD}") as rotated:
        rotated.cookies.update(client.cookies)
        sent = rotated.post(
            f"{BASE}/oauth/authorize", params=params, data=form, follow_redirects=False
        )
        assert redirect_params(sent)["error"] == "access_denied"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"secret_keys": "new,,old"}, "must not hold an empty key"),
        ({"secret_keys": " , "}, "must hold at least one key"),
        ({"secret_keys": "new,old", "secret_key": "old"}, "not both"),
    ],
)
def test_a_ring_that_cannot_be_used_is_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**env)


def test_the_ring_is_read_newest_first_and_one_key_is_a_ring_of_one() -> None:
    assert Settings(secret_keys=" new , old ").resolved_key_ring() == KeyRing(("new", "old"))
    assert Settings(secret_key="only").resolved_key_ring() == KeyRing(("only",))
    assert Settings(secret_keys="").secret_keys is None
    assert "new" not in repr(KeyRing(("new", "old")))
    with pytest.raises(KeyRingError):
        KeyRing(())
