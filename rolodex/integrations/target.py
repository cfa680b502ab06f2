"""A connection as the machinery calls it: what was read of its row, credentials opened.

A :class:`Target` is made in a short transaction and then used without one, so nothing
stays locked while the remote is called. It is never logged: its credentials are only
read by :meth:`Target.auth_headers` and :meth:`Target.mask`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cryptography.fernet import InvalidToken

from rolodex.errors import Unprocessable
from rolodex.integrations import credentials as sealed
from rolodex.integrations.connector import Connector, RateLimit
from rolodex.integrations.connectors_registry import connector_of
from rolodex.integrations.models import Connection, rate_of
from rolodex.keyring import KeyRing

MASK = "***"


@dataclass(frozen=True)
class Target:
    """One connection, ready to be called."""

    connection_id: str
    account_id: str
    connector: Connector
    base_url: str
    location_id: str | None
    status: str
    auth_type: str
    oauth: dict[str, Any] | None
    rate: RateLimit
    credentials_version: int
    access_expires_at: datetime | None
    credentials: dict[str, Any] = field(repr=False)

    @classmethod
    def of(cls, connection: Connection, deployment_key: KeyRing) -> Target:
        """The target of a connection row (its credentials decrypted with the
        deployment's key; ``InvalidToken`` under another key)."""
        return cls(
            connection_id=connection.id,
            account_id=connection.account_id,
            connector=connector_of(connection.kind),
            base_url=connection.base_url,
            location_id=connection.location_id,
            status=connection.status,
            auth_type=connection.auth_type,
            oauth=dict(connection.oauth) if connection.oauth else None,
            rate=rate_of(connection),
            credentials_version=connection.credentials_version,
            access_expires_at=connection.access_expires_at,
            credentials=sealed.unseal(connection.secret_ciphertext, deployment_key),
        )

    def __repr__(self) -> str:  # never show a credential
        return f"Target({self.connection_id}, {self.connector.kind}, {self.base_url})"

    @property
    def context(self) -> dict[str, Any]:
        """What an operation may need of the connection besides its input."""
        return {"location_id": self.location_id}

    def auth_headers(self) -> dict[str, str]:
        """The header that authenticates a request to the remote."""
        return self.connector.auth_of(self.auth_type).headers(self.credentials)

    def with_credentials(
        self, credentials: dict[str, Any], version: int, expires_at: datetime | None
    ) -> Target:
        """The same target with newer credentials (after a refresh)."""
        return replace(
            self,
            credentials=credentials,
            credentials_version=version,
            access_expires_at=expires_at,
        )

    def mask(self, text: str) -> str:
        """``text`` with every secret of the connection replaced by ``***``."""
        for secret in sorted(sealed.secret_values(self.credentials), key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


def open_target(connection: Connection, deployment_key: KeyRing) -> Target:
    """The connection ready to call, or 422 when its credentials cannot be opened."""
    try:
        return Target.of(connection, deployment_key)
    except InvalidToken:
        raise Unprocessable(
            "The connection's credentials cannot be decrypted with this deployment's "
            "ROLODEX_SECRET_KEY; send them again with PATCH"
        ) from None
