"""The price-taking fringe labs' compute rule (`world.frontier`) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.frontier import FRINGE_ADJUST_MONTHS, FRINGE_LEAD_MONTHS, FrontierDemand
from world.params import DemandParams

START = 24300
"""2025-01 as a month index."""


def _month(idx: int) -> str:
    return f"{idx // 12}-{idx % 12 + 1:02d}"


def _demand(path: list[tuple[str, float]], plan_usd_b: float = 21.0) -> FrontierDemand:
    p = DemandParams(frontier_demand_gw=path, frontier_elasticity=1.5, growth_sd_per_year=0.0,
                     fringe_lab_revenue_usd_b_per_year=[("2025-01", plan_usd_b)])
    return FrontierDemand(p, np.random.default_rng(0))


def test_flat_demand_fringe_converges_to_price_equals_cost() -> None:
    """A = 8 GW at P_ref = 10.5, e = 1.5, named labs 3 GW, lease price c = 10.5 x 2^(-2/3).

    With a flat reference path the lead changes nothing (g = 1), so the fringe closes the gap
    to the static competitive quantity: users buy A (c / P_ref)^-e = 8 x 2 = 16 GW at the price
    c, the fringe holds 16 - 3 = 13 GW, and the clearing price P_ref (A / K)^(1/e) then equals
    c. The gap to it shrinks by the factor (1 - 1/12) a month."""
    d = _demand([("2025-01", 8.0)])
    cost = 10.5 * 2.0 ** (-2.0 / 3.0)
    d.update_demand(START)
    start_gw = d.fringe_lab_gw
    assert start_gw == pytest.approx(2.0)  # the plan: 21 / 10.5
    for k in range(1, 241):
        d.update_demand(START + k)
        d.update_fringe_labs(3.0, cost)
        if k == 12:
            gap = (13.0 - start_gw) * (1.0 - 1.0 / FRINGE_ADJUST_MONTHS) ** 12
            assert d.fringe_lab_gw == pytest.approx(13.0 - gap)
    assert d.fringe_lab_gw == pytest.approx(13.0, rel=1e-6)
    clearing = d.update_clear({"OpenAI": 3.0, "Fringe labs": d.fringe_lab_gw})
    assert clearing.price_usd_b_per_gw_year == pytest.approx(cost, rel=1e-6)


def test_growing_demand_fringe_tracks_the_competitive_quantity() -> None:
    """Reference demand growing at rate g a month, no named labs, lease price = P_ref, so the
    static competitive quantity is T_t = A_t. Aiming at A_{t+L} = G A_t (G = e^{gL},
    L = `FRINGE_LEAD_MONTHS`) and closing 1/n of the gap a month (n = `FRINGE_ADJUST_MONTHS`),
    the fringe settles on K_t = c A_t with c e^{-g} + (G - c e^{-g}) / n = c, i.e.
    c = G / (n (1 - e^{-g}) + e^{-g}) (a geometric distributed lag of an exponential path).
    At demand doubling yearly c = 2^(11/12) / 1.617 = 1.17: near the competitive quantity;
    without the lead (G = 1) it would be 1 / 1.617 = 0.62, the shortfall the lead removes."""
    g = math.log(2.0) / 12.0
    path = [(_month(START + k), 1e-3 * math.exp(g * k)) for k in range(0, 200)]
    d = _demand(path)
    for k in range(0, 185):
        d.update_demand(START + k)
        d.update_fringe_labs(0.0, 10.5)
    n, big_g = FRINGE_ADJUST_MONTHS, math.exp(g * FRINGE_LEAD_MONTHS)
    c = big_g / (n * (1.0 - math.exp(-g)) + math.exp(-g))
    assert d.fringe_lab_gw / d.compute_demand_gw() == pytest.approx(c, rel=1e-6)
    assert c == pytest.approx(1.17, abs=0.01)
    lagging = 1.0 / (n * (1.0 - math.exp(-g)) + math.exp(-g))
    assert lagging == pytest.approx(0.62, abs=0.01)


@settings(max_examples=60, deadline=None)
@given(  # demand x growth x bump stays within the schema's 500 GW bound on demand paths
    demand_gw=st.floats(0.5, 60.0), named_gw=st.floats(0.0, 50.0),
    cost=st.floats(2.0, 40.0), growth=st.floats(1.0, 4.0), bump=st.floats(1.01, 2.0),
)
def test_fringe_target_signs(
    demand_gw: float, named_gw: float, cost: float, growth: float, bump: float
) -> None:
    """Price-taking: the target is never negative, falls (weakly) with a dearer lease, rises
    with users' demand, falls with the named labs' compute (all through the price at which the
    last GW pays), and scales with the growth of the reference demand up to the lead month."""
    path = [("2025-01", demand_gw), ("2026-01", demand_gw * growth)]
    d = _demand(path)
    d.update_demand(START)
    then = START + 12
    base = d.compute_fringe_target_gw(named_gw, cost, then)
    assert base >= 0.0
    assert d.compute_fringe_target_gw(named_gw, cost * bump, then) <= base
    assert d.compute_fringe_target_gw(named_gw * bump + 0.1, cost, then) <= base
    assert d.compute_fringe_target_gw(named_gw, cost, then) == pytest.approx(
        growth * d.compute_fringe_target_gw(named_gw, cost), rel=1e-9, abs=1e-12
    )
    stronger = _demand([(m, v * bump) for m, v in path])
    stronger.update_demand(START)
    assert stronger.compute_fringe_target_gw(named_gw, cost, then) >= base
