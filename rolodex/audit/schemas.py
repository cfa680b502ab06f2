"""The audit log as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AuditEntryOut(BaseModel):
    """One change of one resource, made by one request."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    object: Literal["audit_entry"] = "audit_entry"
    created_at: datetime
    request_id: str | None = Field(description="The `X-Request-Id` of the request.")
    user_id: str | None = Field(description="The user the request acted as.")
    impersonator_id: str | None = Field(
        description="The real actor, when a staff user impersonated `user_id`; else null."
    )
    credential_id: str | None = Field(description="The API key (or OAuth client) used.")
    credential_kind: str | None = Field(description="The kind of credential, e.g. `api_key`.")
    action: str = Field(examples=["contact.updated"])
    resource_type: str = Field(examples=["contact"])
    resource_id: str
    changes: dict[str, Any] = Field(
        description="Each changed field as `[old, new]`, the form an event's `changes` has too.",
        examples=[{"email": ["jane@old.example", "jane@example.com"]}],
    )
