"""Docking checks: closed forms of the textbook special cases and the model's simulated values.

Each case runs a shipped scenario of `experiments/scenarios/docking/` with `--set`-style
overrides through `experiments.run.runner.run` (the same code path as any run), reads the final
step's tables, and compares with the closed form. `docs/validation.md` shows the table that
`compute_docking_table` returns; `tests/experiments/test_docking.py` checks the same cases.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world.params import Mode

__all__ = [
    "CASES",
    "DockingCase",
    "compute_docking_table",
    "cournot_closed_form",
    "double_marginalization_closed_form",
    "nash_closed_form",
    "rubinstein_closed_form",
    "simulate_case",
]

TOLERANCE = 0.005
"""Largest relative error allowed between a simulated value and its closed form."""


def cournot_closed_form(a: float, b: float, costs: Sequence[float]) -> dict[str, object]:
    """Cournot-Nash equilibrium with P = a - b Q and constant marginal costs.

    Interior rule: q_i = (a - (N+1) c_i + sum_j c_j) / ((N+1) b), P = (a + sum c) / (N+1).
    A firm whose interior quantity would be negative produces nothing; the rule is re-applied to
    the others until every active firm's quantity is positive (Tirole 1988, ch. 5).
    """
    active = list(range(len(costs)))
    while True:
        n, total_c = len(active), sum(costs[i] for i in active)
        q = {i: (a - (n + 1) * costs[i] + total_c) / ((n + 1) * b) for i in active}
        drop = [i for i, v in q.items() if v <= 0]
        if not drop:
            break
        active = [i for i in active if i not in drop]
    quantities = [q.get(i, 0.0) for i in range(len(costs))]
    total = sum(quantities)
    return {"price": a - b * total, "total_quantity": total, "quantities": quantities}


def double_marginalization_closed_form(
    a: float, b: float, c: float, integrated: bool
) -> dict[str, float]:
    """Spengler (1950): separate w = (a + c)/2, P = (3a + c)/4, Q = (a - c)/(4b); integrated
    P = (a + c)/2, Q = (a - c)/(2b)."""
    if integrated:
        return {"price": (a + c) / 2, "total_quantity": (a - c) / (2 * b), "wholesale": c}
    return {"price": (3 * a + c) / 4, "total_quantity": (a - c) / (4 * b), "wholesale": (a + c) / 2}


def rubinstein_closed_form(surplus: float, d_p: float, d_r: float) -> float:
    """Proposer's subgame-perfect payoff: S (1 - d_r) / (1 - d_p d_r) (Rubinstein 1982)."""
    return surplus * (1 - d_r) / (1 - d_p * d_r)


def nash_closed_form(
    surplus: float, weights: Sequence[float], disagreement: Sequence[float]
) -> float:
    """Seller's generalised Nash payoff: d_s + w_s / (w_s + w_b) (S - d_s - d_b) (Nash 1950)."""
    w_s, w_b = weights
    d_s, d_b = disagreement
    return d_s + w_s / (w_s + w_b) * (surplus - d_s - d_b)


@dataclass(frozen=True)
class DockingCase:
    """One docking case: a shipped docking scenario and its `--set` overrides."""

    scenario: str
    overrides: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Readable name: scenario and overrides."""
        return f"{self.scenario} " + " ".join(self.overrides) if self.overrides else self.scenario


CASES: tuple[DockingCase, ...] = (
    DockingCase("cournot", ("vendors.marginal_costs=[10,10]",)),
    DockingCase("cournot", ("vendors.marginal_costs=[10,20,30]",)),
    DockingCase("cournot", ("vendors.marginal_costs=[5,5,5,5,5]", "demand.slope=2")),
    DockingCase("cournot", ("vendors.marginal_costs=[12,20,35,60]", "demand.intercept=120")),
    DockingCase("rubinstein", ("negotiation.discount_factors=[0.9,0.9]",)),
    DockingCase("rubinstein", ("negotiation.discount_factors=[0.95,0.8]",)),
    DockingCase("rubinstein", ("negotiation.discount_factors=[0.6,0.99]",
                               "negotiation.surplus_usd_b=300")),
    DockingCase("nash", ("negotiation.bargaining_weights=[0.5,0.5]",)),
    DockingCase("nash", ("negotiation.bargaining_weights=[0.7,0.3]",
                         "negotiation.disagreement_usd_b=[10,20]")),
    DockingCase("nash", ("negotiation.bargaining_weights=[1,4]", "negotiation.surplus_usd_b=250",
                         "negotiation.disagreement_usd_b=[40,5]")),
    DockingCase("double_marginalization", ("vendors.integrated=false",)),
    DockingCase("double_marginalization", ("vendors.integrated=true",)),
    DockingCase("double_marginalization", ("vendors.marginal_costs=[35]", "demand.slope=0.5")),
)
"""The cases shown in docs/validation.md and checked by the tests."""


def _last(frame: pl.DataFrame, market: str) -> dict[str, object]:
    rows = frame.filter(pl.col("market") == market)
    return rows.filter(pl.col("step") == rows["step"].max()).row(0, named=True)


def simulate_case(case: DockingCase) -> list[dict[str, object]]:
    """Run one case and return rows (quantity, closed form, simulated, relative error)."""
    params = load_scenario(f"docking/{case.scenario}", list(case.overrides))
    tables = run(params).tables
    a, b = params.demand.intercept, params.demand.slope
    neg = params.negotiation
    pairs: list[tuple[str, float, float]] = []
    mode = params.simulation.mode
    if mode is Mode.COURNOT:
        costs = params.vendors.marginal_costs
        exact = cournot_closed_form(a, b, costs)
        market = _last(tables["markets"], "accelerators")
        pairs += [("price", exact["price"], market["price"]),
                  ("total_quantity", exact["total_quantity"], market["total_quantity"])]
        shares = tables["shares"].filter(
            (pl.col("market") == "accelerators") & (pl.col("step") == market["step"])
        )
        sim_q = sorted(shares["quantity"].to_list())
        for k, (want, got) in enumerate(zip(sorted(exact["quantities"]), sim_q, strict=True)):
            pairs.append((f"q[{k + 1}] (sorted)", want, got))
    elif mode is Mode.DOUBLE_MARGINALIZATION:
        exact = double_marginalization_closed_form(
            a, b, params.vendors.marginal_costs[0], params.vendors.integrated
        )
        cloud = _last(tables["markets"], "cloud")
        chips = _last(tables["markets"], "accelerators")
        pairs += [("cloud price", exact["price"], cloud["price"]),
                  ("cloud quantity", exact["total_quantity"], cloud["total_quantity"]),
                  ("wholesale price", exact["wholesale"], chips["price"])]
    else:
        deal = tables["deals"].row(0, named=True)
        if mode is Mode.RUBINSTEIN:
            want = rubinstein_closed_form(neg.surplus_usd_b, *neg.discount_factors)
            pairs.append(("proposer's share (value_usd_b)", want, deal["value_usd_b"]))
        else:
            want = nash_closed_form(neg.surplus_usd_b, neg.bargaining_weights,
                                    neg.disagreement_usd_b)
            pairs.append(("seller's payoff (value_usd_b)", want, deal["value_usd_b"]))
    rows = []
    for name, want, got in pairs:
        err = abs(got - want) / abs(want) if want else abs(got)
        rows.append({"case": case.label, "quantity": name, "closed_form": want,
                     "simulated": got, "rel_error": err, "ok": err <= TOLERANCE})
    return rows


def compute_docking_table(cases: Sequence[DockingCase] = CASES) -> pl.DataFrame:
    """Every case's rows as one frame (case, quantity, closed_form, simulated, rel_error, ok)."""
    return pl.DataFrame([row for case in cases for row in simulate_case(case)])


def scenario_keys(case: DockingCase) -> dict[str, object]:
    """The overrides of a case as a dict (values parsed as TOML), for display."""
    return {k: tomllib.loads(f"v = {v}")["v"] for k, v in (o.split("=", 1) for o in case.overrides)}
