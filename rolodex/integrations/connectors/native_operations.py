"""The operations of the ``rolodex`` connector: the native resources."""

from __future__ import annotations

from rolodex.integrations.connector import operations

NATIVE_OPERATIONS = operations()
