"""Request and response bodies of users and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from rolodex.config import format_rate_limits, parse_rate_limits
from rolodex.schemas import OutModel, WriteModel
from rolodex.secret_fields import secret_field
from rolodex.validation import Email, RequiredText, ShortText, UtcDatetime


def _rate_limit(value: str) -> str:
    return format_rate_limits(parse_rate_limits(value))


RateLimit = Annotated[
    str,
    Field(
        max_length=32,
        json_schema_extra={
            "pattern": r"^\s*[0-9]+\s*/\s*[0-9]+\s*(;\s*[0-9]+\s*/\s*[0-9]+\s*){0,3}$"
        },
        description="Requests per seconds for this key, e.g. `600/60`, or up to four "
        "windows that all apply, e.g. `100/10;200000/86400` (HighLevel's own limits); "
        "null: the deployment's limit (`ROLODEX_RATE_LIMIT`, 120/120 by default).",
        examples=["600/60"],
    ),
    AfterValidator(_rate_limit),
]


class UserOut(OutModel):
    """A user of the account."""

    object: Literal["user"] = "user"
    account_id: str
    email: str
    first_name: str | None
    last_name: str | None
    name: str | None
    role: Literal["owner", "admin", "member"]
    staff: bool
    active: bool


KeyKind = Literal["user", "account"]


class ApiKeyCreate(WriteModel):
    """A new API key. Without ``user_id`` a user key belongs to the acting user."""

    name: RequiredText = Field(examples=["Zapier sync"])
    scope: Literal["full", "read_only"] = "full"
    kind: KeyKind = Field(
        default="user",
        description="`user`: the key acts as its user. `account`: the key belongs to the "
        "account and acts as no user (owners and admins only; no `user_id`).",
    )
    user_id: str | None = Field(
        default=None, description="Only owners and admins may set another user."
    )
    expires_at: UtcDatetime | None = None
    rate_limit: RateLimit | None = None


class ApiKeyOut(OutModel):
    """An API key; its secret is never shown again after creation."""

    object: Literal["api_key"] = "api_key"
    name: str
    scope: Literal["full", "read_only"]
    kind: KeyKind
    user_id: str | None = Field(description="The key's user; null for an account key.")
    created_by_id: str | None = Field(
        description="The user who made the key; null when no user did (an account key "
        "made by an account key, or a key older than this field)."
    )
    prefix: str
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    rate_limit: str | None = Field(
        description="This key's own limit as requests/seconds; null: the deployment's."
    )


class ApiKeyCreated(ApiKeyOut):
    """The creation response: the only time ``key`` is shown."""

    key: str | None = secret_field("The secret. Store it now; Rolodex keeps only its hash.")


Password = Annotated[
    str,
    Field(
        min_length=8,
        max_length=1024,
        description="Write-only; stored as an Argon2id hash. Without one the user cannot "
        "sign in to the OAuth consent page (API keys still work).",
    ),
]


class UserCreate(WriteModel):
    """A new user of the account."""

    read_only: ClassVar[frozenset[str]] = frozenset({"name", "account_id", "active"})

    email: Email
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    role: Literal["owner", "admin", "member"] = "member"
    staff: bool = False
    password: Password | None = None


class UserUpdate(WriteModel):
    """Fields of a user to change; only those sent apply."""

    read_only: ClassVar[frozenset[str]] = frozenset({"name", "account_id"})

    email: Email | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    role: Literal["owner", "admin", "member"] | None = None
    staff: bool | None = None
    active: bool | None = None
    password: Password | None = None
