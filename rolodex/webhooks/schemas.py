"""Request and response bodies of webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema

from rolodex.events.types import check_pattern
from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.secret_fields import secret_field
from rolodex.validation import Bool, UtcDatetime, clean_text


def check_url(value: str) -> str:
    """An absolute http(s) URL with a host and no credentials."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def check_patterns(value: list[str]) -> list[str]:
    """Known event types, families such as ``contact.*``, or ``*``; no duplicates."""
    for pattern in value:
        problem = check_pattern(pattern)
        if problem:
            raise ValueError(problem)
    return list(dict.fromkeys(value))


WebhookUrl = Annotated[
    str, Field(min_length=1, max_length=2048), AfterValidator(clean_text), AfterValidator(check_url)
]
EventPatterns = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(min_length=1, max_length=100),
    AfterValidator(check_patterns),
]


class WebhookEndpointWrite(WriteModel):
    """A webhook endpoint as a client writes it."""

    url: WebhookUrl = Field(examples=["https://example.com/hooks/rolodex"])
    events: EventPatterns = Field(
        description="Event types to receive; `contact.*` selects a family, `*` all.",
        examples=[["contact.*", "task.completed"]],
    )
    enabled: Bool = True
    description: Annotated[str, Field(max_length=500), AfterValidator(clean_text)] | None = None


SURFACE_FORMATS = frozenset({"moco"})
"""Formats whose endpoints only their own surface creates (a MOCO web hook is made at
``/moco/api/v1/account/web_hooks``), validating with ``context={"surface": <format>}``;
``POST /webhooks`` refuses them."""


def _made_by_its_surface(value: str, info: ValidationInfo) -> str:
    surface = (info.context or {}).get("surface")
    if value in SURFACE_FORMATS and surface != value:
        raise ValueError(f"{value} endpoints are created through the {value} API surface")
    return value


class WebhookEndpointCreate(WebhookEndpointWrite):
    """A new webhook endpoint: the fields of any write, and the format it is created in."""

    format: Annotated[
        Literal["native", "highlevel", "moco"],
        AfterValidator(_made_by_its_surface),
        WithJsonSchema({"type": "string", "enum": ["native", "highlevel"]}),
    ] = Field(
        default="native",
        description="How deliveries look: `native` (Rolodex's body, Standard Webhooks "
        "signatures) or a dialect's: `highlevel` (HighLevel's webhook bodies, signed in "
        "`x-wh-signature` with the key at `/highlevel/webhooks/public-key`). (`moco` "
        "endpoints are MOCO web hooks, made only at `/moco/api/v1/account/web_hooks`.) Set "
        "when the endpoint is created; it cannot change.",
    )


if TYPE_CHECKING:
    WebhookEndpointPatch = WebhookEndpointWrite
else:
    WebhookEndpointPatch = partial(WebhookEndpointWrite, "WebhookEndpointPatch")


class WebhookEndpointOut(OutModel):
    """A webhook endpoint as the API shows it (never its secret)."""

    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    enabled: bool
    description: str | None
    format: str = Field(description="How deliveries look: `native` or a dialect's.")
    disabled_reason: str | None = Field(
        description="Why Rolodex disabled the endpoint (410 Gone, repeated failures); "
        "null when enabled or disabled by a client."
    )


class WebhookEndpointWithSecret(WebhookEndpointOut):
    """An endpoint with its signing secret: only when created and when rotated."""

    secret: str | None = secret_field(
        "`whsec_…`; verify deliveries with it. Shown only now.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )


class RotateBody(WriteModel):
    """How long the old secret keeps signing deliveries next to the new one."""

    grace_seconds: Annotated[int, Field(ge=0, le=7 * 86400)] | None = Field(
        default=None, description="Default: the deployment's grace period (24 hours)."
    )


class ReplayBody(WriteModel):
    """Which failed deliveries of the endpoint to send again."""

    since: UtcDatetime = Field(description="Deliveries created at or after this time.")


class AttemptOut(BaseModel):
    """One HTTP request of a delivery."""

    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None = Field(description="The receiver's status; null if none came.")
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    """One event sent (or to be sent) to one endpoint, with its attempts, newest first."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    endpoint_id: str
    event_id: str = Field(description="Also the `webhook-id` header of every attempt.")
    event_type: str
    status: Literal["pending", "succeeded", "dead"]
    attempts: int = Field(description="Attempts made so far.")
    next_attempt_at: datetime | None = Field(description="When a pending delivery is tried next.")
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    attempt_log: list[AttemptOut] = Field(default_factory=list)


class ReplayResult(BaseModel):
    """How many deliveries were queued again."""

    replayed: int
