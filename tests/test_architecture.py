"""The layers stay visible: imports go one way, experiments -> world.model -> agents -> world.

Read from the source (every ``import`` statement, also those inside functions), not from what
happens to be loaded, so a lazy import cannot hide a dependency:

- no module of `world/` imports `agents` or `experiments`, except the model itself
  (`world.model` builds the agents);
- `agents` never imports `experiments` nor `world.model`;
- firms read the world through `world.view.MarketView` and act only by submitting decisions to
  `world.desk.Desk` (the deal pipeline and the regulator: to `world.closing.DealClosing`): no
  agent rule takes the model, reads `.model`, or writes to a component;
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

KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()
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
    """experiments.run.runner imports the docking model inside a function; the graph must
    still see it."""
    assert "experiments.validation.docking_model" in compute_imports("experiments.run.runner")


# ----- firms see the view and act through the desk ----------------------------------------------
WRITES = (".ledger.transfer", ".sites.acquire", ".fleet.plan", ".stakes.update_",
          ".capital.update_", ".policy.update_", ".deals.add", ".deals.next_id", ".network.update_",
          ".update_status(", ".negotiation_rounds[", ".update_quantity(", ".update_wholesale(",
          ".update_retail(", ".update_contract(")
"""Writes to a component's state: only the desk (`world.desk`) makes them for a firm."""


def _agent_modules() -> list[str]:
    return sorted(m for m in MODULES if _layer(m) == "agents")


def _model_parameters(module: str) -> set[tuple[str, str]]:
    """(module, function) of functions with a parameter named `model` that is unannotated or
    annotated `Any` (a duck-typed model handed to an agent rule)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            for arg in args:
                note = ast.unparse(arg.annotation) if arg.annotation is not None else "Any"
                if arg.arg == "model" and note in ("Any", "typing.Any", "'Any'"):
                    found.add((module, node.name))
    return found


def _model_reads(module: str) -> list[int]:
    """Lines where `module` reads an attribute named `model` (`self.model`, `firm.model`)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return sorted(n.lineno for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and n.attr == "model")


def _writes(module: str) -> list[str]:
    source = MODULES[module].read_text(encoding="utf-8")
    return [w for w in WRITES if w in source]


def test_agent_rules_take_the_view_not_the_model() -> None:
    """No agent function takes a duck-typed `model: Any` (they take `view: MarketView` and,
    if they act, `desk: Desk`, or the deal closing)."""
    wrong = sorted(
        found for m in _agent_modules() for found in _model_parameters(m)
    )
    assert not wrong, f"agent functions taking the model: {wrong}"


def test_agents_do_not_reach_through_the_model() -> None:
    """Firms get `view` and `desk` at construction; `self.model` exists only because Mesa
    registers agents with their model, and no agent module reads it."""
    wrong = {m: _model_reads(m) for m in _agent_modules() if _model_reads(m)}
    assert not wrong, f".model read in agents (module: lines): {wrong}"


def test_agents_never_write_to_a_component() -> None:
    """Ledger transfers, site and datacenter plans, stakes, capital-market takes, deals in the
    book, network edges and deal statuses change only through the desk."""
    wrong = {m: _writes(m) for m in _agent_modules() if _writes(m)}
    assert not wrong, f"agents writing to components: {wrong}"


def test_the_scanners_see_a_planted_breach(tmp_path, monkeypatch) -> None:
    """Guard for the three tests above: a module that takes the model, reads it and writes to
    components is caught by each scanner (so their passing means the agents are clean)."""
    bad = tmp_path / "bad.py"
    bad.write_text("from typing import Any\n\n"
                   "def rule(model: Any) -> None:\n"
                   "    model.ledger.transfer(0, 'a', 'b', 1.0, 'x')\n"
                   "    return self.model\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "agents.bad", bad)
    assert _model_parameters("agents.bad") == {("agents.bad", "rule")}
    assert _model_reads("agents.bad") == [5]  # `self.model`; `model.ledger` is a parameter
    assert _writes("agents.bad") == [".ledger.transfer"]


def test_the_desk_is_the_only_world_module_firms_act_through() -> None:
    """Agents import the desk and the decisions, and world.desk imports no agent."""
    assert "world.desk" in compute_imports("agents.firm")
    assert "world.decisions" in compute_imports("agents.builder")
    assert not any(_layer(t) == "agents" for t in compute_imports("world.desk"))


def _update_calls(module: str, own: tuple[str, ...] = ()) -> list[str]:
    """Names of `.update_*` methods `module` calls, except on its own parts `self.<own>`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))

    def on_own(func: ast.Attribute) -> bool:
        value = func.value
        return (isinstance(value, ast.Attribute) and value.attr in own
                and isinstance(value.value, ast.Name) and value.value.id == "self")

    return sorted({n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)
                   and isinstance(n.func, ast.Attribute) and n.func.attr.startswith("update_")
                   and not on_own(n.func)})


VIEW_PARTS = {"world.view": ("_shares",)}
"""The view's own parts (`self._shares`: `world.market_shares.MarketShares`, checked here as
well), whose `update_*` methods change only what the view keeps of its readings."""


def test_the_view_only_reads() -> None:
    """What firms see cannot change the world: `world.view`, its share reader
    `world.market_shares` and `world.exposure` call no component's writing method (no
    `update_*` but on the view's own parts, no transfer, plan or deal entry)."""
    checked = ("world.view", "world.market_shares", "world.exposure")
    calls = {m: _update_calls(m, VIEW_PARTS.get(m, ())) for m in checked}
    wrong = {m: _writes(m) + calls[m] for m in checked if _writes(m) or calls[m]}
    assert not wrong, f"the view writes: {wrong}"
    assert "update_add_deal" in _update_calls("world.desk")  # the scanner sees real calls
    assert _update_calls("world.view") == ["update_hold_shares"]  # and the exemption is real
