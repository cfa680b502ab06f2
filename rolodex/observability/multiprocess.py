"""Where the processes of ``rolodex serve --workers N`` keep their metrics.

``prometheus_client`` shares metrics between processes through files in
``PROMETHEUS_MULTIPROC_DIR``, read when the library is imported. This module imports no
part of it, so the server's parent process can set the variable before any worker starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_metrics(workers: int) -> Iterator[str | None]:
    """The directory the server's processes share for the block: the deployment's
    ``PROMETHEUS_MULTIPROC_DIR`` if it set one (left as it is: the deployment empties it
    before its processes start), else for several workers a fresh one, removed after the
    block; None for one process without one (it keeps its metrics in memory)."""
    given = os.environ.get(ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        yield given
        return
    if workers < 2:
        yield None
        return
    made = tempfile.mkdtemp(prefix="rolodex-metrics-")
    os.environ[ENV] = made
    try:
        yield made
    finally:
        os.environ.pop(ENV, None)
        shutil.rmtree(made, ignore_errors=True)
