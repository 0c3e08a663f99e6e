"""The deal pipeline and the regulator decide; `world.closing.DealClosing` carries out.

Read from the source (AST), for `agents/pipeline.py`, `agents/regulator.py`,
`agents/remedies.py` and `agents/diligence.py`:

- no function takes a parameter named `model` (they read a `world.view.MarketView`), and
  nothing reads `self.model`;
- nothing calls a component's writer directly: `.ledger.transfer`, `.stakes.update_*`,
  `.network.update_*`, `.capital.update_*`, `.policy.update_*`, nor a deal's
  `.update_status` (status changes go through `DealClosing.update_deal_status`).

A guard test runs the same checks on a snippet that breaks each rule, so a pass means the
modules obey them, not that the checker is blind.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("agents/pipeline.py", "agents/regulator.py", "agents/remedies.py",
           "agents/diligence.py")
WRITERS = {"ledger": ("transfer",), "stakes": ("update_",), "network": ("update_",),
           "capital": ("update_",), "policy": ("update_",)}
"""Component attribute -> method-name prefixes that write to it."""


def compute_violations(source: str) -> list[str]:
    """Every breach of the rules (module docstring) in `source`, as 'line: what'."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            found += [f"{node.lineno}: {node.name} takes `model`" for a in args
                      if a.arg == "model"]
        elif isinstance(node, ast.Attribute) and node.attr == "model" and isinstance(
                node.value, ast.Name) and node.value.id == "self":
            found.append(f"{node.lineno}: reads self.model")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else (
                owner.id if isinstance(owner, ast.Name) else "")
            if method == "update_status":
                found.append(f"{node.lineno}: calls .update_status directly")
            if any(method.startswith(p) for p in WRITERS.get(name, ())):
                found.append(f"{node.lineno}: calls .{name}.{method}")
    return found


@pytest.mark.parametrize("path", MODULES)
def test_deal_agents_read_a_view_and_leave_writing_to_closing(path: str) -> None:
    wrong = compute_violations((ROOT / path).read_text(encoding="utf-8"))
    assert not wrong, f"{path}: {wrong}"


def test_the_checker_sees_each_breach() -> None:
    """Guard: one snippet with every forbidden form; each is reported once."""
    snippet = (
        "def f(model, deal):\n"
        "    model.ledger.transfer(0, 'a', 'b', 1.0, 'x')\n"
        "    model.stakes.update_issue('a', 'b', 1.0, 2.0, True)\n"
        "    network.update_remove_deal('d')\n"
        "    self.capital.update_take_equity('l', 1.0)\n"
        "    x.policy.update_add_block(1, 'a', 'b')\n"
        "    deal.update_status('active', 0)\n"
        "    return self.model\n"
    )
    wrong = compute_violations(snippet)
    assert len(wrong) == 8, wrong
    allowed = ("def g(view, closing):\n    closing.update_deal_status(d, 1)\n"
               "    self.closing.update_block(d)\n")
    assert compute_violations(allowed) == []
