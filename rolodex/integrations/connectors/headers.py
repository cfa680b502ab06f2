"""Reading what remotes say in their headers: rate limits, ``Retry-After``, ``Link``."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping

from rolodex.integrations.connector import RemoteRate, RemoteRequest, RemoteResponse

_LINK = re.compile(r'<([^>]*)>\s*;[^,]*?rel="?([^",;]+)"?')


def _get(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = _get(headers, name)
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _int(headers: Mapping[str, str], name: str) -> int | None:
    value = _number(headers, name)
    return int(value) if value is not None else None


def x_ratelimit(headers: Mapping[str, str]) -> RemoteRate | None:
    """``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (seconds
    until the window resets), as Rolodex and many others send them."""
    remaining = _int(headers, "X-RateLimit-Remaining")
    if remaining is None:
        return None
    return RemoteRate(
        limit=_int(headers, "X-RateLimit-Limit"),
        remaining=remaining,
        reset_seconds=_number(headers, "X-RateLimit-Reset"),
    )


def highlevel_ratelimit(headers: Mapping[str, str]) -> RemoteRate | None:
    """HighLevel's ``X-RateLimit-Max``, ``-Remaining``, ``-Interval-Milliseconds`` and
    ``X-RateLimit-Daily-Remaining``. HighLevel says the interval, not when it ends: the
    whole interval is taken as the time until ``remaining`` is whole again (cautious)."""
    remaining = _int(headers, "X-RateLimit-Remaining")
    daily = _int(headers, "X-RateLimit-Daily-Remaining")
    if remaining is None and daily is None:
        return None
    interval = _number(headers, "X-RateLimit-Interval-Milliseconds")
    return RemoteRate(
        limit=_int(headers, "X-RateLimit-Max"),
        remaining=remaining,
        reset_seconds=interval / 1000 if interval is not None else None,
        daily_remaining=daily,
    )


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds or an HTTP date; None when absent
    or unreadable."""
    raw = _get(headers, "Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def links(headers: Mapping[str, str]) -> dict[str, str]:
    """RFC 8288 ``Link`` targets by ``rel``."""
    raw = _get(headers, "Link") or ""
    return {rel: url for url, rel in _LINK.findall(raw)}


def next_link(request: RemoteRequest, response: RemoteResponse) -> RemoteRequest | None:
    """The next page of a list whose responses carry ``Link: <…>; rel="next"``: that URL
    as it is (its query holds the page), or None on the last page."""
    url = links(response.headers).get("next")
    if not url:
        return None
    return RemoteRequest(request.method, url, headers=request.headers)
