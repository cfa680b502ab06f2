"""The `rolodex worker` command: webhook delivery and integration jobs outside the server."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from rolodex.cli_support import command_key_ring, command_settings, with_database
from rolodex.observability.logs import configure_logging


def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Workers in this process, each with its own batch.")
    ] = 1,
) -> None:
    """Deliver webhooks and run integration jobs until stopped (SIGINT or SIGTERM). Run
    as many as you like."""
    from rolodex.integrations.running import job_worker
    from rolodex.webhooks.running import run_standalone

    settings = command_settings()
    configure_logging(settings)
    if settings.is_sqlite and not settings.worker_in_process:
        logging.getLogger("rolodex.webhooks").warning(
            "On SQLite, `rolodex serve` already delivers webhooks; this worker shares the work."
        )
    key = command_key_ring(settings)
    with_database(
        settings,
        lambda: asyncio.run(run_standalone(settings, key, concurrency, others=(job_worker,))),
    )
