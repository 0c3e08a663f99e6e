"""Directions of the market core on paired seeds: each what-if is run with the same seeds as
the baseline, so the demand draws, roadmaps and build delays are the same in both arms and
the difference is the lever's. Each test states the sign theory predicts and why."""

from __future__ import annotations

from functools import cache

import polars as pl
import pytest

from experiments.scenario.loader import load_scenario
from world.model import ComputeMarketModel

SEEDS = (1, 2, 3)
PACKAGING_X1_5 = (
    'foundry.capacity_wafers_per_month=[["2024-12", 60000.0], ["2025-12", 115500.0], '
    '["2026-12", 150000.0], ["2027-12", 187500.0], ["2028-12", 225000.0], '
    '["2030-12", 285000.0]]'
)
"""The baseline's packaging path, 1.5 times larger at every point."""
FRINGE_CLOUD_HALF = (
    'demand.fringe_cloud_gw=[["2025-01", 2.5], ["2026-01", 3.75], ["2027-01", 5.25], '
    '["2028-01", 7.0], ["2030-12", 12.0]]'
)
"""The baseline's fringe-cloud capacity path, halved at every point."""
AI_DEMAND_X1_5 = (
    'demand.frontier_demand_gw=[["2025-01", 2.4], ["2026-01", 6.45], ["2027-01", 13.2], '
    '["2028-01", 24.0], ["2029-01", 37.5], ["2030-12", 73.5]]'
)
"""The baseline's reference demand for AI services, 1.5 times larger at every point."""
AMBITION_X1_5 = (
    'firms.OpenAI.compute_ambition_gw=[["2025-01", 0.8], ["2025-12", 1.9], ["2026-12", 6.0], '
    '["2027-12", 12.0], ["2028-12", 19.5], ["2029-12", 30.0], ["2030-12", 45.0]]'
)
"""OpenAI's stated compute ambition, 1.5 times the baseline's from 2026-12 on."""


@cache
def _outcomes(overrides: tuple[str, ...], seed: int) -> dict[str, float]:
    model = ComputeMarketModel(load_scenario("baseline", list(overrides), seed=seed))
    model.run_steps()
    tables = model.compute_tables()
    markets = pl.DataFrame(tables["markets"], strict=False)
    physical = pl.DataFrame(tables["physical"], strict=False)
    firms = pl.DataFrame(tables["firms"], strict=False)
    shares = pl.DataFrame(tables["shares"], strict=False).filter(
        pl.col("market") == "accelerators"
    )
    sold = {
        v: shares.filter(pl.col("firm") == v).sort("step")["quantity"].to_numpy()
        for v in ("Nvidia", "AMD")
    }
    paid = sum(
        (physical[f"{v.lower()}_price_usd_b_per_gw"].to_numpy() * sold[v]).sum() for v in sold
    )
    return {
        "lease": float(markets.filter(pl.col("market") == "cloud")["price"].mean()),
        # price per GW actually sold (a price posted while selling nothing is not a price paid)
        "chip_price": float(paid / sum(q.sum() for q in sold.values())),
        "nvidia_price": float(physical["nvidia_price_usd_b_per_gw"].mean()),
        "deployed_end": float(physical["deployed_gw"][-1]),
        "fringe_lab_gw": float(physical["fringe_lab_gw"].mean()),
        "openai_compute_gw": float(firms.filter(pl.col("firm") == "OpenAI")["compute_gw"].mean()),
    }


def _paired(lever: tuple[str, ...], key: str, seeds: tuple[int, ...] = SEEDS) -> list[float]:
    """Per seed: outcome with the lever minus outcome in the baseline."""
    return [_outcomes(lever, s)[key] - _outcomes((), s)[key] for s in seeds]


@pytest.mark.parametrize(
    "lever",
    [("sites.n_sites=150",), ("sites.grid_power_gw.mean=0.15", "sites.grid_power_gw.low=0.01")],
    ids=["fewer_sites", "less_grid_power"],
)
def test_scarcer_power_or_sites_raise_the_lease_price(lever: tuple[str, ...]) -> None:
    """Fewer sites or less grid power per site leave less powered capacity to lease, and the
    lease price is the one at which tenants' downward-sloping demand takes up the free
    capacity: less supply against the same demand means a higher price."""
    diffs = _paired(lever, "lease")
    assert sum(diffs) / len(diffs) > 0.0, diffs
    if lever == ("sites.n_sites=150",):
        assert all(d > 0.0 for d in diffs), diffs


def test_negative_demand_shock_lowers_deployment_and_chip_prices() -> None:
    """A 40% weaker demand for AI services lowers the price labs can charge and the lease
    price, so labs plan less compute and clouds build less (less deployed GW), and buyers
    value chips less and defer more, so the vendors' profit-maximising prices fall: the
    average price per GW the two vendors sell at (weighted by GW sold, so that a vendor
    posting its capped price while selling almost nothing does not count as a rise)."""
    lever = ("demand.revenue_multiplier=0.6",)
    assert all(d < 0.0 for d in _paired(lever, "deployed_end"))
    assert all(d < 0.0 for d in _paired(lever, "chip_price"))


def test_more_packaging_capacity_lowers_accelerator_prices() -> None:
    """More packaging capacity lets vendors accept more orders, so the capacity constraint
    binds less often and less tightly and the shadow price above the Bertrand-Nash price
    falls (Kreps and Scheinkman 1983: prices fall as capacity loosens)."""
    diffs = _paired((PACKAGING_X1_5,), "nvidia_price")
    assert all(d < 0.0 for d in diffs), diffs


def test_dearer_leases_shrink_the_fringe_labs() -> None:
    """Half the fringe clouds' capacity leaves less to lease against the same tenants, so the
    lease price rises; the fringe labs rent compute up to where the price of AI services meets
    the lease price, K_f* = g (A (r / P_ref)^-e - K_named), so a dearer lease means less
    fringe compute (the lease price is checked to rise, the channel)."""
    lever = (FRINGE_CLOUD_HALF,)
    assert all(d > 0.0 for d in _paired(lever, "lease"))
    diffs = _paired(lever, "fringe_lab_gw")
    assert all(d < 0.0 for d in diffs), diffs


def test_stronger_ai_demand_grows_the_fringe_labs() -> None:
    """A reference demand for AI services 1.5 times larger (users' demand only: the derived
    demand for leases and chips follows the demand index, not this path) raises A in
    K_f* = g (A (r / P_ref)^-e - K_named) at a lease price that barely moves: more fringe
    compute."""
    diffs = _paired((AI_DEMAND_X1_5,), "fringe_lab_gw")
    assert all(d > 0.0 for d in diffs), diffs


def test_more_openai_compute_crowds_out_the_fringe_labs() -> None:
    """A larger stated ambition lets OpenAI hold more compute where the ambition binds (where
    money binds instead, its compute barely moves; the ambition still sets its urgency in
    negotiations, so such runs differ a little). The labs sell at one price, so more named
    compute lowers the price and with it the fringe labs' quantity, K_f* = g (A (r / P_ref)^-e
    - K_named): in every seed where OpenAI's compute rises by more than 0.01 GW on average the
    fringe's falls (crowding out through the common price)."""
    seeds = (1, 2, 3, 4)
    lever = (AMBITION_X1_5,)
    openai = _paired(lever, "openai_compute_gw", seeds)
    fringe = _paired(lever, "fringe_lab_gw", seeds)
    assert sum(o > 0.01 for o in openai) >= 2, openai
    for o, f in zip(openai, fringe, strict=True):
        if o > 0.01:
            assert f < 0.0, (openai, fringe)
