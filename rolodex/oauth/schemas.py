"""Request and response bodies of OAuth clients."""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from rolodex.schemas import OutModel, WriteModel
from rolodex.secret_fields import secret_field
from rolodex.validation import RequiredText

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]


def check_redirect_uri(value: str) -> str:
    """An absolute ``https`` URI without a fragment or credentials (``user:pass@``);
    ``http`` only on the loopback interface (RFC 8252), or a private-use scheme of a
    native app (``com.example.app:/cb``)."""
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        raise ValueError("is not a valid URI") from None
    if parts.fragment or "#" in value:
        raise ValueError("must not have a fragment")
    if "@" in parts.netloc:
        raise ValueError("must not carry credentials (user:password@)")
    if not parts.scheme:
        raise ValueError("must be an absolute URI")
    if parts.scheme == "http":
        if parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError("http is allowed only for the loopback interface; use https")
    elif parts.scheme == "https":
        if not parts.hostname:
            raise ValueError("must name a host")
    elif "." not in parts.scheme or parts.scheme in ("javascript", "data", "file"):
        raise ValueError("must use https, loopback http, or a reverse-domain app scheme")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    return value


RedirectUri = Annotated[
    str, Field(min_length=1, max_length=2048), AfterValidator(check_redirect_uri)
]
ScopeName = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+\.(readonly|write)$")
]


class OAuthClientCreate(WriteModel):
    """A new OAuth client. Confidential clients get a secret; public ones (browser and
    native apps) must use PKCE."""

    name: RequiredText = Field(examples=["Calendar sync"])
    client_type: Literal["confidential", "public"] = "confidential"
    redirect_uris: list[RedirectUri] = Field(default_factory=list, max_length=20)
    scopes: list[ScopeName] = Field(min_length=1, max_length=100, examples=[["contacts.readonly"]])
    grant_types: list[GrantType] | None = Field(
        default=None,
        description="Default: authorization_code and refresh_token. client_credentials "
        "is for confidential clients only.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> OAuthClientCreate:
        grants = self.grant_types or ["authorization_code", "refresh_token"]
        self.grant_types = list(dict.fromkeys(grants))
        if self.client_type == "public" and "client_credentials" in self.grant_types:
            raise ValueError("a public client cannot use client_credentials")
        if "authorization_code" in self.grant_types and not self.redirect_uris:
            raise ValueError("the authorization_code grant needs at least one redirect_uri")
        self.redirect_uris = list(dict.fromkeys(self.redirect_uris))
        self.scopes = list(dict.fromkeys(self.scopes))
        return self


class OAuthClientOut(OutModel):
    """An OAuth client; its secret is never shown again after creation."""

    object: Literal["oauth_client"] = "oauth_client"
    client_id: str = Field(description="The same as `id`: what the client sends as client_id.")
    name: str
    client_type: Literal["confidential", "public"]
    redirect_uris: list[str]
    scopes: list[str]
    grant_types: list[str]
    user_id: str = Field(description="Who registered it; client_credentials tokens act as them.")
    deleted_at: datetime | None


class OAuthClientCreated(OAuthClientOut):
    """The creation response: the only time ``client_secret`` is shown."""

    client_secret: str | None = secret_field(
        "Confidential clients only (null for public ones). Store it now; Rolodex keeps "
        "only its hash."
    )
