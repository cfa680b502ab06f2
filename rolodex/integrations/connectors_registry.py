"""Every connector Rolodex has, by kind.

To add one: declare a :class:`~rolodex.integrations.connector.Connector` in a module of
:mod:`rolodex.integrations.connectors` and list it in :data:`CONNECTORS`; connections of
its kind can then be created, checked and used, and its operations are in the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rolodex.integrations.connector import Connector
from rolodex.integrations.connectors.highlevel import HIGHLEVEL
from rolodex.integrations.connectors.moco import MOCO
from rolodex.integrations.connectors.native import ROLODEX

CONNECTORS: Mapping[str, Connector] = MappingProxyType(
    {connector.kind: connector for connector in (ROLODEX, MOCO, HIGHLEVEL)}
)
"""Every connector by its kind."""
KINDS: tuple[str, ...] = tuple(CONNECTORS)


def connector_of(kind: str) -> Connector:
    """The connector of a connection's kind."""
    return CONNECTORS[kind]
