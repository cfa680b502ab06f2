"""Reading the audit log: who changed what in the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from rolodex.access import readable
from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.capture import RESOURCE_TYPES
from rolodex.audit.models import AuditEntry
from rolodex.errors import Forbidden
from rolodex.registry import BY_NAME

AUDITED_KINDS = tuple(BY_NAME[name] for name in sorted(set(RESOURCE_TYPES.values()) & set(BY_NAME)))
"""The kinds the audit log records changes of."""
ALWAYS_SHOWN = frozenset(set(RESOURCE_TYPES.values()) - set(BY_NAME))
"""Audited types that are no resource kind (the account itself): shown to whoever may
read the audit log."""
ALL_TYPES = frozenset(RESOURCE_TYPES.values())


def visible_types(principal: Principal) -> frozenset[str]:
    """The ``resource_type`` of every entry ``principal`` may see: an entry's ``changes``
    hold the resource's values, so it is shown only where the resource could be read
    (:func:`rolodex.access.may_read`)."""
    return readable(principal, AUDITED_KINDS) | ALWAYS_SHOWN


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
    times are strict; entries never change, so ``updated_after`` means ``created_after``.
    A credential narrower than the full scopes sees only the entries of kinds it may read
    (:func:`visible_types`)."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may read the audit log")
    stmt = select(AuditEntry).where(AuditEntry.account_id == principal.account_id)
    visible = visible_types(principal)
    if visible != ALL_TYPES:  # a narrow credential: only the kinds it may read
        stmt = stmt.where(AuditEntry.resource_type.in_(sorted(visible)))
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
