"""Tables of OAuth clients, authorization codes and tokens.

Every secret (client secret, code, access and refresh token) is stored only as its
SHA-256: they are 256-bit random values, so a slow hash would add nothing. Column names
carry ``hash`` so that the audit log never records them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime
from rolodex.mixins import AccountOwned, SoftDeleted


class OAuthClient(SoftDeleted, AccountOwned, Base):
    """An application registered by an account to ask its users for access.

    ``user_id`` is who registered it; tokens of the client credentials grant act as them.
    Deleting a client revokes every token it holds.
    """

    __tablename__ = "oauth_clients"
    __table_args__ = (Index("ix_oauth_clients_account_id_created_at", "account_id", "created_at"),)

    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    client_type: Mapped[str] = mapped_column(String(16), nullable=False)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    grant_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)

    @property
    def client_id(self) -> str:
        """What the client sends as ``client_id``: its id."""
        return self.id


class OAuthCode(AccountOwned, Base):
    """An authorization code: single use, short-lived, bound to its PKCE challenge.

    A used code is kept until it expires, so that a replay is recognised and the tokens
    issued for it (``family_id``) are revoked.
    """

    __tablename__ = "oauth_codes"

    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oauth_clients.id"), nullable=False
    )
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    redirect_uri: Mapped[str | None] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(String(2048), nullable=False)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family_id: Mapped[str | None] = mapped_column(String(40))


class OAuthToken(AccountOwned, Base):
    """An access token and, for user grants, its refresh token.

    Refreshing marks this row's refresh token used and issues a new row of the same
    ``family_id``; presenting a used refresh token again revokes the whole family.
    """

    __tablename__ = "oauth_tokens"
    __table_args__ = (Index("ix_oauth_tokens_family_id", "family_id"),)

    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oauth_clients.id"), nullable=False
    )
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id"), nullable=False)
    family_id: Mapped[str] = mapped_column(String(40), nullable=False)
    grant_type: Mapped[str] = mapped_column(String(32), nullable=False)
    scope: Mapped[str] = mapped_column(String(2048), nullable=False)
    access_token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def scopes(self) -> list[str]:
        """The granted scopes as a list."""
        return self.scope.split()
