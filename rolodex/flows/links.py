"""Finding the record linked to another, for ``{"link": …}`` mapping values.

Links are the syncs' table (one Rolodex record ↔ one remote record per connection,
:class:`rolodex.syncs.models.Link`); flows only read it. A record that is not linked maps
to null: flows never guess a match by name or email.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.syncs.models import Link


async def find_link(
    session: AsyncSession, account_id: str, connection_id: str, direction: str, of: str
) -> str | None:
    """``to_remote``: the remote id of Rolodex record ``of`` at the connection;
    ``to_record``: the Rolodex record id of remote id ``of`` there. None when unlinked."""
    if direction == "to_remote":
        stmt = select(Link.remote_id).where(Link.record_id == of)
    else:
        stmt = select(Link.record_id).where(Link.remote_id == of)
    stmt = stmt.where(Link.account_id == account_id, Link.connection_id == connection_id)
    found = await session.scalar(stmt.order_by(Link.created_at).limit(1))
    return str(found) if found is not None else None
