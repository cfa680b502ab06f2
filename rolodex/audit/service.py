"""Reading the audit log: who changed what in the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.models import AuditEntry
from rolodex.errors import Forbidden


def search(
    principal: Principal,
    *,
    request_id: str | None = None,
    resource_id: str | None = None,
    resource_type: str | None = None,
    user_id: str | None = None,
    action: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    updated_after: datetime | None = None,
) -> Select[Any]:
    """The account's audit entries matching the filters; all must hold. Only owners and
    admins may read them. ``user_id`` matches the acting user or the impersonator; the
    times are strict; entries never change, so ``updated_after`` means ``created_after``."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may read the audit log")
    stmt = select(AuditEntry).where(AuditEntry.account_id == principal.account_id)
    if request_id is not None:
        stmt = stmt.where(AuditEntry.request_id == request_id)
    if resource_id is not None:
        stmt = stmt.where(AuditEntry.resource_id == resource_id)
    if resource_type is not None:
        stmt = stmt.where(AuditEntry.resource_type == resource_type)
    if user_id is not None:
        stmt = stmt.where(or_(AuditEntry.user_id == user_id, AuditEntry.impersonator_id == user_id))
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    for after in (created_after, updated_after):
        if after is not None:
            stmt = stmt.where(AuditEntry.created_at > after)
    if created_before is not None:
        stmt = stmt.where(AuditEntry.created_at < created_before)
    return stmt
