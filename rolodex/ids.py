"""Prefixed, time-sortable identifiers such as ``cnt_01jd6w3q…``."""

from __future__ import annotations

import re

from ulid import ULID

PREFIXES = {
    "account": "acc",
    "user": "usr",
    "api_key": "key",
    "company": "cmp",
    "contact": "cnt",
    "task": "tsk",
    "note": "nte",
    "appointment": "apt",
    "tag": "tag",
    "event": "evt",
    "webhook_endpoint": "whk",
    "webhook_delivery": "whd",
    "webhook_attempt": "wha",
    "request": "req",
    "audit_entry": "aud",
    "oauth_client": "ocl",
    "oauth_code": "ocd",
    "oauth_token": "otk",
    "connection": "con",
    "integration_job": "job",
    "connection_oauth_state": "cos",
    "remote_change": "rch",
    "run": "run",
    "flow": "flw",
    "sync": "syn",
    "link": "lnk",
    "sync_write": "swr",
    "flow_write": "fwr",
}

_BODY = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")


def new_id(prefix: str) -> str:
    """A new id: the prefix, an underscore and a lower-case ULID."""
    return f"{prefix}_{str(ULID()).lower()}"


def is_valid_id(prefix: str, value: str) -> bool:
    """Whether ``value`` has the given prefix and the shape of an id body."""
    head, sep, body = value.partition("_")
    return sep == "_" and head == prefix and bool(_BODY.match(body))


def id_pattern(prefix: str) -> str:
    """The regular expression of an id with this prefix, for the OpenAPI document."""
    return f"^{prefix}_[0-9a-hjkmnp-tv-z]{{26}}$"
