"""The modules of the client library import one another in one direction only."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import rolodex.client

PACKAGE = Path(rolodex.client.__file__).parent


def module_name(path: Path) -> str:
    return "rolodex.client" if path.stem == "__init__" else f"rolodex.client.{path.stem}"


def import_graph() -> dict[str, set[str]]:
    """Each module of the client and the modules of the client it imports (those under
    ``TYPE_CHECKING`` too); ``from rolodex.client import _core`` imports ``_core``."""
    paths = {module_name(p): p for p in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                subs = {f"{node.module}.{a.name}" for a in node.names} & paths.keys()
                found |= subs or {node.module}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = (found & paths.keys()) - {name}
    return graph


def test_the_client_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "rolodex.client._endpoint" in graph["rolodex.client.resources"]
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle


def test_the_check_sees_a_cycle() -> None:
    graph = import_graph()
    graph["rolodex.client._core"].add("rolodex.client.resources")
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter(graph).prepare()
