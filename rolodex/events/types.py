"""Event type patterns: ``contact.created``, ``contact.*`` or ``*``."""

from __future__ import annotations

from collections.abc import Iterable

from rolodex.events.catalog import EVENT_TYPES

FAMILIES: frozenset[str] = frozenset(name.partition(".")[0] for name in EVENT_TYPES)
"""The kinds of resource events are about (``contact`` …): an event type's first part, and
its ``resource_type``."""


def check_pattern(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid event type pattern, or None if it is."""
    if pattern == "*":
        return None
    family, sep, rest = pattern.partition(".")
    if sep and rest == "*" and family in FAMILIES:
        return None
    if pattern in EVENT_TYPES:
        return None
    return f"{pattern!r} is not an event type, a family such as 'contact.*', or '*'"


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` is selected by ``pattern``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def matches_any(patterns: Iterable[str], event_type: str) -> bool:
    """Whether any of ``patterns`` selects ``event_type``."""
    return any(matches(pattern, event_type) for pattern in patterns)


def families_of(pattern: str) -> frozenset[str]:
    """The kinds of resource whose events a valid ``pattern`` selects: every one for ``*``."""
    if pattern == "*":
        return FAMILIES
    return frozenset({pattern.partition(".")[0]})
