"""Request and response bodies of connections: what a client writes, what it is shown.

Credentials are write-only: :class:`Credentials` is accepted on create and update and
never shown; a connection shows the *names* of the credentials it holds
(``auth.credentials``) and nothing of their values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from rolodex.integrations.connectors_registry import KINDS
from rolodex.schemas import OutModel, WriteModel
from rolodex.secret_fields import register as register_secret_fields
from rolodex.secret_fields import secret_field
from rolodex.validation import Bool, UtcDatetime, clean_text, not_blank
from rolodex.webhooks.schemas import check_url

WRITE_ONLY: dict[str, Any] = {"writeOnly": True, "format": "password"}


def check_kind(value: str) -> str:
    """A connector kind Rolodex has."""
    if value not in KINDS:
        raise ValueError(f"must be one of {', '.join(KINDS)}")
    return value


RemoteUrl = Annotated[
    str, Field(min_length=1, max_length=2048), AfterValidator(clean_text), AfterValidator(check_url)
]
Name = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(clean_text), AfterValidator(not_blank)
]
SecretText = Annotated[
    str,
    Field(min_length=1, max_length=8192, json_schema_extra=WRITE_ONLY),
    AfterValidator(clean_text),
]
PlainText = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(clean_text)]
Kind = Annotated[str, AfterValidator(check_kind), Field(json_schema_extra={"enum": list(KINDS)})]


class Credentials(WriteModel):
    """What authenticates Rolodex at the remote; every field is write-only.

    An API key alone (``api_key``), or an OAuth token pair pasted from elsewhere
    (``access_token``, and for refreshing ``refresh_token``, ``client_id`` and
    ``client_secret``, with ``expires_at`` or ``expires_in``). ``webhook_secret`` verifies
    the remote's webhooks.
    """

    api_key: SecretText | None = None
    access_token: SecretText | None = None
    refresh_token: SecretText | None = None
    expires_at: UtcDatetime | None = Field(
        default=None, description="When the access token expires."
    )
    expires_in: Annotated[int, Field(ge=0, le=10 * 365 * 86400)] | None = Field(
        default=None, description="Seconds until the access token expires (instead of expires_at)."
    )
    client_id: PlainText | None = None
    client_secret: SecretText | None = None
    webhook_secret: SecretText | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Credentials:
        if self.api_key is not None and self.access_token is not None:
            raise ValueError("give an api_key or an access_token, not both")
        if self.expires_at is not None and self.expires_in is not None:
            raise ValueError("give expires_at or expires_in, not both")
        if self.refresh_token is not None and self.access_token is None:
            raise ValueError("a refresh_token needs its access_token")
        return self


class OAuthSettings(WriteModel):
    """An OAuth 2.0 client registered at the remote, for Rolodex to authorize with."""

    client_id: PlainText
    client_secret: SecretText | None = Field(
        default=None, description="Write-only. Absent for a public client (PKCE)."
    )
    authorize_url: RemoteUrl | None = Field(
        default=None, description="Default: the connector's (or derived from base_url)."
    )
    token_url: RemoteUrl | None = Field(
        default=None, description="Default: the connector's (or derived from base_url)."
    )
    scopes: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    pkce: Bool | None = Field(
        default=None, description="Send a PKCE challenge (S256); default: as the connector says."
    )


class RateLimitIn(WriteModel):
    """The remote's limit for this connection's credential."""

    requests: Annotated[int, Field(ge=1, le=1_000_000)]
    per_seconds: Annotated[int, Field(ge=1, le=86_400)]
    daily: Annotated[int, Field(ge=1, le=100_000_000)] | None = None


class ConnectionCreate(WriteModel):
    """A new connection."""

    kind: Kind = Field(examples=["rolodex"])
    name: Name | None = Field(default=None, description="Default: the connector's name.")
    base_url: RemoteUrl | None = Field(
        default=None,
        description="The remote's API root; default: the connector's (HighLevel's).",
        examples=["https://crm.example.com/api/v1"],
    )
    location_id: PlainText | None = Field(
        default=None, description="The remote's own account id, where it needs one (HighLevel)."
    )
    credentials: Credentials | None = None
    oauth: OAuthSettings | None = None
    rate_limit: RateLimitIn | None = Field(
        default=None, description="Default: the connector's (the remote's documented limits)."
    )


class ConnectionPatch(WriteModel):
    """Fields of a connection to change; only those sent apply.

    ``credentials`` and ``oauth`` replace what is stored, whole. Changing ``base_url``
    needs the credentials in the same request: they are never sent to a host they were
    not given for.
    """

    read_only = frozenset({"kind", "status_reason", "webhook_url", "auth", "checked_at"})

    name: Name | None = None
    base_url: RemoteUrl | None = None
    location_id: PlainText | None = None
    credentials: Credentials | None = None
    oauth: OAuthSettings | None = None
    rate_limit: RateLimitIn | None = None
    status: Literal["active", "disabled"] | None = Field(
        default=None, description="`disabled` stops all work; `active` resumes it."
    )


class RateLimitOut(BaseModel):
    """``requests`` per ``per_seconds``, and ``daily`` at most (null: no daily limit)."""

    requests: int
    per_seconds: int
    daily: int | None


class AuthOut(BaseModel):
    """How the connection authenticates, without any secret."""

    type: Literal["api_key", "oauth2"]
    credentials: list[str] = Field(
        description="The names of the credentials stored (never their values)."
    )
    expires_at: datetime | None = Field(description="When the OAuth access token expires.")


class OAuthOut(BaseModel):
    """The OAuth client's public settings."""

    client_id: str | None
    authorize_url: str | None
    token_url: str | None
    scopes: list[str]
    pkce: bool


class ConnectionOut(OutModel):
    """A connection as the API shows it: never a credential."""

    object: Literal["connection"] = "connection"
    kind: str
    name: str
    base_url: str
    status: Literal["active", "needs_auth", "failing", "disabled"]
    status_reason: str | None
    location_id: str | None
    auth: AuthOut
    oauth: OAuthOut | None
    rate_limit: RateLimitOut
    webhook_url: str | None = Field(
        description="Where the remote should send its webhooks for this connection."
    )
    checked_at: datetime | None = Field(description="When it was last checked.")

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, dict) or not hasattr(value, "rate_requests"):
            return value
        oauth = value.oauth
        return {
            "id": value.id,
            "created_at": value.created_at,
            "updated_at": value.updated_at,
            "kind": value.kind,
            "name": value.name,
            "base_url": value.base_url,
            "status": value.status,
            "status_reason": value.status_reason,
            "location_id": value.location_id,
            "auth": {
                "type": value.auth_type,
                "credentials": sorted(value.credential_fields or []),
                "expires_at": value.access_expires_at,
            },
            "oauth": dict(oauth) if oauth else None,
            "rate_limit": {
                "requests": value.rate_requests,
                "per_seconds": value.rate_seconds,
                "daily": value.rate_daily,
            },
            "webhook_url": value.webhook_url,
            "checked_at": value.checked_at,
        }


class AuthorizationOut(BaseModel):
    """Where to send the user to authorize the connection at the remote."""

    object: Literal["connection_authorization"] = "connection_authorization"
    authorize_url: str | None = secret_field(
        "The remote's authorization URL, with a state bound to this connection and user, "
        "usable once."
    )
    expires_at: datetime = Field(description="The authorization must be finished by then.")


register_secret_fields(AuthorizationOut)


class CheckResult(BaseModel):
    """What one cheap authenticated call to the remote showed."""

    ok: bool
    status: int | None = Field(description="The remote's HTTP status; null if none came.")
    message: str
    latency_ms: int


class UsageCounts(BaseModel):
    """Requests made, and of them those refused with 429 and those that failed."""

    requests: int
    throttled: int = Field(description="Answered 429 by the remote.")
    failed: int = Field(description="Answered 5xx, or no answer at all.")


class UsageHour(UsageCounts):
    """One hour's counts."""

    hour: datetime


class UsageOperation(UsageCounts):
    """One operation's counts over the period."""

    operation: str


class UsageRow(UsageCounts):
    """One operation in one hour."""

    hour: datetime
    operation: str


class BudgetOut(BaseModel):
    """Where the connection stands against its rate limit now."""

    requests: int
    per_seconds: int
    daily: int | None
    remaining: int | None = Field(description="Requests left in the current window.")
    reset_at: datetime | None = Field(description="When the current window ends.")
    daily_remaining: int | None
    source: Literal["remote", "rolodex"] = Field(
        description="`remote` when the figures are the remote's own rate-limit headers "
        "(from its last answer), `rolodex` when they are Rolodex's own count."
    )


class UsageOut(BaseModel):
    """The data behind the dashboard's quota charts."""

    object: Literal["connection_usage"] = "connection_usage"
    connection_id: str
    since: datetime
    until: datetime
    totals: UsageCounts
    budget: BudgetOut
    hours: list[UsageHour] = Field(description="Every hour of the period, oldest first.")
    operations: list[UsageOperation] = Field(description="Each operation's totals.")
    rows: list[UsageRow] = Field(description="Each operation's counts per hour it was used.")
