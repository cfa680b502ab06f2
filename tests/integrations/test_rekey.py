"""Rotating the deployment key with connections stored: ``rolodex rekey`` moves their
credentials to the newest key, after which the old key can leave the ring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from rolodex.accounts.service import create_account
from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.integrations.credentials import unseal
from rolodex.integrations.models import Connection
from rolodex.keyring import KeyRing
from tests.conftest import PASSWORD, Tenant
from tests.webhooks.test_secret_rotation import NEW, OLD, own_settings, rekey  # noqa: F401

KEY = "remote-api-key-for-rekeying"


def test_rekey_moves_connection_credentials_to_the_newest_key(
    own_settings: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    email = "rekey-owner@example.com"
    with TestClient(create_app(own_settings), raise_server_exceptions=False) as client:
        tenant = Tenant(client, own_settings, "", "", email, "")
        created = tenant.run(
            lambda session: create_account(
                session, email=email, password=PASSWORD, account_name=None
            )
        )
        tenant.key = created.secret
        body = {
            "kind": "rolodex",
            "base_url": "https://crm.example.com/api/v1",
            "credentials": {"api_key": KEY},
        }
        made = tenant.post("/connections", json=body)
        assert made.status_code == 201, made.text
        before = tenant.get(f"/connections/{made.json()['data']['id']}").json()["data"]

        result = rekey(own_settings, f"{NEW},{OLD}", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Re-encrypted 1 connection credentials with the newest of 2 keys" in result.stdout

        async def stored(session: Any) -> str:
            found = await session.scalar(select(Connection.secret_ciphertext))
            return str(found)

        assert unseal(tenant.run(stored), KeyRing((NEW,))) == {"api_key": KEY}
        after = tenant.get(f"/connections/{made.json()['data']['id']}").json()["data"]
        assert after["updated_at"] == before["updated_at"]
