"""Finding the record linked to another, for ``{"link": …}`` mapping values.

Links are the syncs' table (one Rolodex record ↔ one remote record per connection,
``rolodex.syncs.models.Link``). Flows only read it, through :func:`find_link`; while a
deployment has no links table, nothing is linked and a ``link`` maps to null.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


def _link_model() -> Any:
    try:
        module = importlib.import_module("rolodex.syncs.models")
    except ImportError:
        return None
    return getattr(module, "Link", None)


async def find_link(
    session: AsyncSession, account_id: str, connection_id: str, direction: str, of: str
) -> str | None:
    """``to_remote``: the remote id of Rolodex record ``of`` at the connection;
    ``to_record``: the Rolodex record id of remote id ``of`` there. None when unlinked."""
    link = _link_model()
    if link is None:
        return None
    if direction == "to_remote":
        stmt = select(link.remote_id).where(link.record_id == of)
    else:
        stmt = select(link.record_id).where(link.remote_id == of)
    stmt = stmt.where(link.account_id == account_id, link.connection_id == connection_id)
    found = await session.scalar(stmt.limit(1))
    return str(found) if found is not None else None
