"""Tests of `agents.builder.update_build_to_target` on a hand-built site pool and fleet.

The pool ranks sites itself (`best_free_sites`); the stand-in returns them in a fixed order so
the test checks the builder's own rule: cover the shortfall, site by site, while the firm can
fund the upfront share of each datacenter's capex.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from agents.builder import MIN_PLAN_GW, UPFRONT_CAPEX_FRAC, update_build_to_target
from world.desk import Desk
from world.view import MarketView


class _Pool:
    def __init__(self, power: list[float], capex: list[float]) -> None:
        self.grid_power_gw = np.array(power)
        self.capex_usd_b_per_gw = np.array(capex)
        self.used_gw = np.zeros(len(power))
        self.owner = np.full(len(power), -1)

    def best_free_sites(self, n: int, min_gw: float = 0.0) -> np.ndarray:
        free = [i for i in range(len(self.owner)) if self.owner[i] < 0
                and self.grid_power_gw[i] - self.used_gw[i] >= min_gw]
        return np.array(free[:n], dtype=int)

    def acquire(self, site: int, owner: int) -> None:
        self.owner[site] = owner


class _Fleet:
    def __init__(self, powered: float, pipeline: float) -> None:
        self.powered, self.pipeline = powered, pipeline
        self.planned: list[tuple[int, float]] = []

    def powered_gw(self, n: int) -> np.ndarray:
        return np.array([0.0, self.powered])

    def pipeline_gw(self, n: int) -> np.ndarray:
        return np.array([0.0, self.pipeline + sum(gw for _, gw in self.planned)])

    def compute_powered_and_pipeline_gw(self, n: int, owner: int) -> float:
        return float(self.powered_gw(n)[owner] + self.pipeline_gw(n)[owner])

    def plan(self, site: int, owner: int, gw: float, t: int, pool: _Pool) -> None:
        pool.used_gw[site] += gw
        self.planned.append((site, gw))


def _firm(pool: _Pool, fleet: _Fleet, spendable: float, outstanding: float = 0.0):
    """A builder whose view is a real `MarketView` and whose desk a real `Desk` over the
    stand-in pool and fleet: the plan goes through the desk's checks (a free site, power left)."""
    model = SimpleNamespace(
        firm_index={"Amazon": 1}, n_firms=2, t=0, sites=pool, fleet=fleet,
    )
    view = MarketView(model)
    view.compute_capex_outstanding_usd_b = lambda firm: outstanding  # no fleet columns here
    desk = Desk(ledger=None, capital=None, sites=pool, fleet=fleet, deals=None, network=None,
                stakes=None, firms={}, firm_index=model.firm_index, clock=model,
                negotiation_rounds={})
    return SimpleNamespace(name="Amazon", view=view, desk=desk,
                           compute_spendable_usd_b=lambda: spendable)


def test_builds_exactly_the_shortfall_across_sites() -> None:
    """Target 5 GW with 1 powered + 1 in the pipeline: a 3 GW shortfall, filled from the first
    site (2 GW) and then 1 GW of the second; the third site is not touched."""
    pool, fleet = _Pool([2.0, 4.0, 4.0], [10.0, 10.0, 10.0]), _Fleet(1.0, 1.0)
    planned = update_build_to_target(_firm(pool, fleet, spendable=1000.0), 5.0)
    assert planned == pytest.approx(3.0)
    assert fleet.planned == [(0, 2.0), (1, 1.0)]
    assert list(pool.owner) == [1, 1, -1]


def test_nothing_planned_when_target_is_met_or_shortfall_is_tiny() -> None:
    """No shortfall above MIN_PLAN_GW, no datacenter."""
    pool, fleet = _Pool([2.0], [10.0]), _Fleet(1.0, 1.0)
    assert update_build_to_target(_firm(pool, fleet, 1000.0), 2.0 + 0.5 * MIN_PLAN_GW) == 0.0
    assert fleet.planned == [] and list(pool.owner) == [-1]


def test_budget_limits_the_build_at_the_upfront_share() -> None:
    """A 2 GW site at 10 USD B/GW costs 20: it is built only if spendable money (less capex
    already outstanding) covers UPFRONT_CAPEX_FRAC x 20; the budget then falls by the full 20."""
    need = UPFRONT_CAPEX_FRAC * 20.0
    pool, fleet = _Pool([2.0, 2.0], [10.0, 10.0]), _Fleet(0.0, 0.0)
    assert update_build_to_target(_firm(pool, fleet, need + 1.0, outstanding=1.0), 4.0) == \
        pytest.approx(2.0)  # first site fits exactly, the second no longer does
    pool, fleet = _Pool([2.0], [10.0]), _Fleet(0.0, 0.0)
    assert update_build_to_target(_firm(pool, fleet, need + 1.0, outstanding=1.5), 4.0) == 0.0


def test_max_sites_bounds_the_search() -> None:
    """At most `max_sites` sites are considered in one month."""
    pool, fleet = _Pool([1.0] * 5, [1.0] * 5), _Fleet(0.0, 0.0)
    assert update_build_to_target(_firm(pool, fleet, 1000.0), 5.0, max_sites=2) == \
        pytest.approx(2.0)
