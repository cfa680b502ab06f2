"""The dashboard's Jinja2 environment: templates from the installed package, every
value escaped (autoescape is on for all of them)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _age(seconds: float | None) -> str:
    """A duration as a person reads it: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


def _local_input(value: datetime | None) -> str:
    """A time as ``<input type=datetime-local>`` shows it (UTC)."""
    return value.strftime("%Y-%m-%dT%H:%M") if value is not None else ""


def here(request: Any, **changes: Any) -> str:
    """This page's path and query, with ``changes`` (None drops a parameter); the
    one-off ``done`` note is never carried on."""
    params = {k: v for k, v in request.query_params.items() if k != "done"}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else str(request.url.path)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one environment (templates are compiled once per process)."""
    env = Environment(
        loader=PackageLoader("rolodex.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["age"] = _age
    env.filters["local_input"] = _local_input
    env.globals["here"] = here
    return env


def render_template(name: str, values: dict[str, Any]) -> str:
    """A template rendered with ``values``."""
    return environment().get_template(name).render(**values)
