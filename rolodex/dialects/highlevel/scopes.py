"""HighLevel's OAuth scope names and the Rolodex scopes they stand for.

A HighLevel app asks for ``contacts.readonly contacts.write …``; Rolodex grants its own
scopes (:mod:`rolodex.oauth.scopes`). Names that are the same in both stay as they are;
the others are translated on the way in (the authorization URL, a refresh's ``scope``)
and, where the translation is one to one, back on the way out (the token response's
``scope``). A name that is neither a HighLevel scope of this table nor a Rolodex scope is
passed on unchanged, so that the authorization server refuses it (``invalid_scope``)
rather than the grant silently shrinking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

TO_ROLODEX: Mapping[str, str] = MappingProxyType(
    {
        "contacts.readonly": "contacts.readonly",
        "contacts.write": "contacts.write",
        "businesses.readonly": "companies.readonly",
        "businesses.write": "companies.write",
        "locations/tags.readonly": "tags.readonly",
        "locations/tags.write": "tags.write",
        "users.readonly": "users.readonly",
        "users.write": "users.write",
        # Custom fields are fields of contacts in Rolodex.
        "locations/customFields.readonly": "contacts.readonly",
        "locations/customFields.write": "contacts.write",
    }
)
"""HighLevel scope → the Rolodex scope that grants what it grants on this surface."""

TO_HIGHLEVEL: Mapping[str, str] = MappingProxyType(
    {
        "contacts.readonly": "contacts.readonly",
        "contacts.write": "contacts.write",
        "companies.readonly": "businesses.readonly",
        "companies.write": "businesses.write",
        "tags.readonly": "locations/tags.readonly",
        "tags.write": "locations/tags.write",
        "users.readonly": "users.readonly",
        "users.write": "users.write",
    }
)
"""Rolodex scope → the HighLevel name a token response shows it by (the canonical one of
:data:`TO_ROLODEX`); Rolodex scopes without a HighLevel name keep their own."""


def to_rolodex(scope: str) -> str:
    """A space-separated HighLevel scope as Rolodex scopes, in order, without repeats."""
    names = (TO_ROLODEX.get(name, name) for name in scope.split())
    return " ".join(dict.fromkeys(names))


def to_highlevel(scope: str) -> str:
    """Granted Rolodex scopes as a token response on this surface names them."""
    return " ".join(dict.fromkeys(TO_HIGHLEVEL.get(name, name) for name in scope.split()))


def untranslated(grantable: Iterable[str]) -> list[str]:
    """Rolodex scopes of the table that the server cannot grant (a test keeps it empty)."""
    known = set(grantable)
    return sorted({*TO_ROLODEX.values(), *TO_HIGHLEVEL} - known)
