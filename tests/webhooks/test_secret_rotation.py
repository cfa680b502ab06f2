"""Rotating the deployment key with webhooks stored: a new key in front of the ring loses
no endpoint secret, ``rolodex rekey`` moves every stored secret to the new key, and after
it the old key can leave the ring. Runs on a fresh database of each backend, since
``rekey`` works on every endpoint of the database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from rolodex.accounts.service import create_account
from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.keyring import KeyRing
from rolodex.migrate import upgrade
from rolodex.webhooks.models import WebhookEndpoint
from rolodex.webhooks.secrets import encrypt, new_secret
from tests.conftest import PASSWORD, Tenant
from tests.test_migrations import fresh_database
from tests.webhooks.conftest import FAST, _running, create_endpoint
from tests.webhooks.receiver import receiver, verify

OLD = "the-old-deployment-key"
NEW = "the-new-deployment-key"


@pytest.fixture
def own_settings(database_url: str, settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The suite's settings on a fresh, migrated database of the same backend, with the
    ring of one ``OLD``."""
    with fresh_database(database_url, tmp_path) as url:
        upgrade(url)
        yield settings.model_copy(update={"database_url": url, "secret_key": OLD, **FAST})


def ring_of(settings: Settings, ring: str) -> Settings:
    return settings.model_copy(update={"secret_key": None, "secret_keys": ring})


def rekey(settings: Settings, ring: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLODEX_")}
    env.update(ROLODEX_DATABASE_URL=settings.database_url, ROLODEX_SECRET_KEYS=ring)
    return subprocess.run(
        [sys.executable, "-m", "rolodex", "rekey"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deliver_one(tenant: Tenant, settings: Settings, hook: Any, secrets: list[str]) -> None:
    """A change, delivered by a worker with ``settings``' ring, verifiable with each of
    ``secrets``."""
    before = len(hook.received)
    with _running(settings):
        assert tenant.post("/contacts", json={"first_name": "Rotated"}).status_code == 201
        hook.wait_for(lambda got: len(got) > before)
    for secret in secrets:
        verify(secret, hook.received[-1])


def test_rotation_with_a_ring_then_rekey_loses_no_webhook_secret(
    own_settings: Settings, tmp_path: Path
) -> None:
    email = "rotation-owner@example.com"
    with TestClient(create_app(own_settings), raise_server_exceptions=False) as client:
        tenant = Tenant(client, own_settings, "", "", email, "")
        created = tenant.run(
            lambda session: create_account(
                session, email=email, password=PASSWORD, account_name=None
            )
        )
        tenant.key = created.secret
        with receiver() as hook:
            endpoint = create_endpoint(tenant, hook.url, ["contact.created"])
            rotated = tenant.post(
                f"/webhooks/{endpoint['id']}/rotate-secret", json={"grace_seconds": 3600}
            )
            assert rotated.status_code == 200, rotated.text
            both = [rotated.json()["data"]["secret"], endpoint["secret"]]

            # A new key in front: what the old key encrypted is still read.
            deliver_one(tenant, ring_of(own_settings, f"{NEW},{OLD}"), hook, both)

            shown = tenant.get(f"/webhooks/{endpoint['id']}")
            result = rekey(own_settings, f"{NEW},{OLD}", tmp_path)
            assert result.returncode == 0, result.stderr
            assert "Re-encrypted 2 webhook endpoint secrets with the newest of 2 keys" in (
                result.stdout
            )
            after = tenant.get(f"/webhooks/{endpoint['id']}")
            assert after.json()["data"]["updated_at"] == shown.json()["data"]["updated_at"]
            assert after.headers["etag"] == shown.headers["etag"]

            # The old key gone: both secrets still sign.
            deliver_one(tenant, ring_of(own_settings, NEW), hook, both)

            # A secret no key of the ring opens is named, left alone, and fails the run.
            async def foreign(session: Any) -> None:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id == endpoint["id"])
                    .values(secret_ciphertext=encrypt(new_secret(), KeyRing(("elsewhere",))))
                )

            tenant.run(foreign)
            broken = rekey(own_settings, NEW, tmp_path)
            assert broken.returncode == 1
            assert "Traceback" not in broken.stderr
            lines = broken.stderr.strip().splitlines()
            assert lines == [
                "error: 1 stored secrets open with no key of the ring and were left as they "
                f"are: {endpoint['id']} (secret_ciphertext)"
            ]
            assert "Re-encrypted 1 webhook endpoint secrets" in broken.stdout
