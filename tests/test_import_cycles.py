"""No import cycles inside the ``rolodex`` package.

Every import counts, wherever it is written: at module level, under
``if TYPE_CHECKING:``, and inside a function. An import moved into a function or behind
``TYPE_CHECKING`` to dodge a cycle still ties the two modules to each other in design, so
it is still a cycle here. The graph is built by grimp (the library behind import-linter)
from the source, without importing it.
"""

from __future__ import annotations

from itertools import pairwise

import grimp
import pytest

PACKAGE = "rolodex"

# Packages the review found importing each other, each now allowed one direction only:
# (the package that may import, the package it may import).
ONE_WAY = [
    ("rolodex.oauth", "rolodex.http"),
    ("rolodex.webhooks", "rolodex.events"),
]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # cache_dir=None: always read the source as it is now.
    return grimp.build_graph(PACKAGE, cache_dir=None)


def _where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    lines = graph.get_import_details(importer=importer, imported=imported)
    return "; ".join(f"line {d['line_number']}: {d['line_contents']}" for d in lines)


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    """For every direct import A → B, no chain of imports leads from B back to A."""
    cycles: set[tuple[str, ...]] = set()
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycle = (importer, *back)
                # One report per cycle, however many of its imports found it.
                start = cycle.index(min(cycle[:-1]))
                cycles.add(cycle[start:-1] + cycle[:start] + (cycle[start],))
    report = [
        " → ".join(cycle)
        + "\n    "
        + "\n    ".join(f"{a} → {b}: {_where(graph, a, b)}" for a, b in pairwise(cycle))
        for cycle in sorted(cycles)
    ]
    assert not report, "import cycles:\n" + "\n".join(report)


@pytest.mark.parametrize(("upper", "lower"), ONE_WAY)
def test_package_pairs_import_one_way(graph: grimp.ImportGraph, upper: str, lower: str) -> None:
    """``lower`` imports nothing of ``upper``: the two no longer lean on each other."""
    back = graph.find_matching_direct_imports(import_expression=f"{lower}.** -> {upper}.**")
    found = [f"{i['importer']} → {i['imported']}" for i in back]
    assert not found, f"{lower} must not import {upper}: " + ", ".join(found)
