"""What the commands that talk to a Rolodex server share: ``--url``/``--api-key`` (or
``ROLODEX_URL``/``ROLODEX_API_KEY``), a client that gives up quickly on a server that is
not there, one ``error: …`` line for any failure (exit code 2 for a wrong argument, 1
otherwise), and records printed as a table or JSON. Imported only by those commands
(never by ``rolodex --help``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rolodex.client import RetryPolicy, Rolodex, RolodexError
from rolodex.dataio.formats import UsageError

Url = Annotated[
    str,
    typer.Option("--url", envvar="ROLODEX_URL", help="The server's base URL."),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="ROLODEX_API_KEY", help="An API key (rdx_k_…)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DEFAULT_URL = "http://127.0.0.1:8000"
# One record per call: answers come quickly, a server that is not there is reported after
# one more connection attempt, and a busy one is retried a few times.
RETRY = RetryPolicy(max_retries=3, connect_retries=1)
TIMEOUT = 60.0


@contextmanager
def failures() -> Iterator[None]:
    """Any failure of the block as one ``error:`` line: exit code 2 for a wrong argument
    (:class:`UsageError`), 1 for anything else."""
    try:
        yield
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except (RolodexError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


def connect(url: str, api_key: str | None) -> Rolodex:
    """A client of the server at ``url``; a missing key or a URL that is not http(s)
    raises :class:`UsageError`, naming the option to set."""
    if not api_key:
        raise UsageError("an API key is needed: --api-key or ROLODEX_API_KEY")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://, not {url!r}")
    return Rolodex(api_key, base_url=url, timeout=TIMEOUT, retry=RETRY)


def text_of(value: Any) -> str:
    """A field's value as a table cell."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def show(data: dict[str, Any], as_json: bool) -> None:
    """One record: JSON, or a table of its fields on standard output."""
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("field", "value", show_header=False)
    for name, value in data.items():
        table.add_row(name, text_of(value))
    Console(width=None if sys.stdout.isatty() else 240).print(table)


def fields_of(pairs: list[str] | None) -> dict[str, Any]:
    """``--field NAME=VALUE`` options as a body: VALUE read as JSON when it is JSON
    (``null``, numbers, lists, objects), else as text."""
    body: dict[str, Any] = {}
    for pair in pairs or []:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--field {pair!r}: write it as NAME=VALUE")
        try:
            body[name] = json.loads(raw)
        except ValueError:
            body[name] = raw
    return body
