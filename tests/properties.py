"""What the property-based runs (schemathesis) against a live ``rolodex serve`` share: how a
document's cases are generated (both modes, a fixed seed, at most ``MAX_EXAMPLES`` fuzzed
examples an operation, no made-up credentials), the checks every response must pass, the
target the cases are sent to, and the server's output shown with a failing case."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25
SEED = 20_261_122


@schemathesis.check
def not_rate_limited(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 429 would stand in for the answer under test: the server's budget is generous."""
    assert response.status_code != 429, "rate limited: the case tested nothing"
    return None


CHECKS = [
    not_a_server_error,
    not_rate_limited,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


def configured(
    document: dict[str, Any], *, max_examples: int = MAX_EXAMPLES, seed: int = SEED
) -> Any:
    """The schemathesis schema of ``document``: positive and negative cases, deterministic,
    with a fixed seed; the key is sent with every call, so no security parameters."""
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=max_examples,
        deterministic=True,
        with_security_parameters=False,
    )
    schema.config.seed = seed
    return schema


@dataclass
class Target:
    """The live server (or surface) the cases go to, the key they carry, and the server's
    log file."""

    url: str
    key: str
    log: Path


@contextmanager
def server_output_on_failure(log: Path) -> Iterator[None]:
    """Add what the server wrote to ``log`` during the block to an exception leaving it."""
    offset = log.stat().st_size
    try:
        yield
    except BaseException as exc:
        with log.open() as written:
            written.seek(offset)
            server_output = written.read()[-4000:]
        if server_output:
            exc.add_note(f"rolodex serve said:\n{server_output}")
        raise
