"""The method table finds a path's template by its leading segments: the same template a
walk of every template in routing order finds, for every template and for paths that
match none."""

from __future__ import annotations

import re

from rolodex.app import create_app
from rolodex.http.methods import MethodMiddleware


def _sample(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x_1", template)


def test_the_indexed_look_up_finds_what_a_walk_of_every_template_finds() -> None:
    table = MethodMiddleware(lambda *_: None, create_app().routes)  # type: ignore[arg-type]
    paths = [_sample(t.template) for t in table.templates]
    paths += ["/", "/nothing", "/api", "/api/v1", "/api/v1/nothing/x", "/health/x"]
    paths += [p + "/more" for p in paths]
    assert len(paths) > 100
    for path in paths:
        walked = next((t for t in table.templates if t.pattern.match(path)), None)
        assert table.owner(path) is walked, path
    assert table.owner("/health") is not None
    assert table.owner("/nothing") is None
