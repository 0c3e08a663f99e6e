"""The layers stay visible: imports go one way, experiments -> world.model -> agents -> world.

Read from the source (every ``import`` statement, also those inside functions), not from what
happens to be loaded, so a lazy import cannot hide a dependency:

- no module of `world/` imports `agents` or `experiments`, except the model itself
  (`world.model` builds the agents);
- `agents` never imports `experiments` nor `world.model` (the agents see the model they are
  given, duck-typed);
- there is no import cycle among the modules of the three packages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("world", "agents", "experiments")

MODEL_PACKAGE = {"world.model"}
"""The modules of `world/` that assemble the model and may therefore import `agents`."""

KNOWN_EXCEPTIONS = {
    # world.docking builds the agents of the textbook docking games (ChipVendor, CloudProvider,
    # the bargaining code); it is being rewritten to take them from world.model. Remove this
    # entry when it no longer imports agents: the test then guards the clean state.
    ("world.docking", "agents.cloud"),
    ("world.docking", "agents.negotiation"),
    ("world.docking", "agents.vendor"),
}
"""Imports against the direction that are known and allowed for now (module, imported)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module `name` refers to (a module, or a package's __init__), else None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def compute_imports(module: str) -> set[str]:
    """Project modules that `module` imports anywhere in its source."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from pkg import sub` imports the submodule `pkg.sub` when there is one
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                found.add(resolved)
    return found


GRAPH = nx.DiGraph([(m, t) for m in MODULES for t in compute_imports(m)])
GRAPH.add_nodes_from(MODULES)


def _edges(source_prefix: str) -> list[tuple[str, str]]:
    return [
        (m, t) for m, t in GRAPH.edges if m == source_prefix or m.startswith(source_prefix + ".")
    ]


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_world_imports_neither_agents_nor_experiments() -> None:
    wrong = sorted(
        (m, t)
        for m, t in _edges("world")
        if _layer(t) in ("agents", "experiments")
        and m not in MODEL_PACKAGE
        and (m, t) not in KNOWN_EXCEPTIONS
    )
    assert not wrong, f"world/ imports against the direction: {wrong}"


def test_known_exceptions_are_still_needed() -> None:
    """An allow-list entry whose import is gone must be removed (so it cannot hide a new one)."""
    stale = sorted(KNOWN_EXCEPTIONS - set(GRAPH.edges))
    assert not stale, f"remove these from KNOWN_EXCEPTIONS: {stale}"


def test_agents_import_neither_experiments_nor_the_model() -> None:
    wrong = sorted(
        (m, t) for m, t in _edges("agents") if _layer(t) == "experiments" or t in MODEL_PACKAGE
    )
    assert not wrong, f"agents/ imports against the direction: {wrong}"


def test_no_import_cycles() -> None:
    cycles = sorted(sorted(c) for c in nx.simple_cycles(GRAPH))
    assert not cycles, f"import cycles: {cycles[:5]}"


@pytest.mark.parametrize(
    ("source", "imported"),
    [
        ("world.model", "agents.firm"),
        ("agents.firm", "world.ledger"),
        ("experiments.cli.run", "experiments.run.runner"),
        ("experiments.validation.story", "world.contracts"),
    ],
)
def test_the_graph_sees_real_imports(source: str, imported: str) -> None:
    """Guard for the tests above: the parser finds imports that exist (top-level and
    `from package import module` forms), so an empty result means no bad import, not a blind
    parser."""
    assert imported in compute_imports(source)


def test_the_graph_sees_function_level_imports() -> None:
    """world.model imports world.docking inside a function; the graph must still see it."""
    assert "world.docking" in compute_imports("world.model")
