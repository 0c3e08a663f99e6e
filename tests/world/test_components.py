"""The `[components]` switches: each part of the world that a switch turns off is really gone
from a run of the market model, and with every switch on nothing changes."""

from __future__ import annotations

import polars as pl
import pytest

from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world.chip_market import FRINGE_BUYERS, FRINGE_CHIPS
from world.cloud_market import FRINGE_CLOUDS
from world.components import compute_switched_params
from world.model import ComputeMarketModel

SHORT = "simulation.steps=18"
FRINGE_ROWS = {FRINGE_CHIPS, FRINGE_CLOUDS, "Other labs"}


def _tables(*overrides: str, scenario: str = "baseline", seed: int = 3) -> dict[str, pl.DataFrame]:
    return run(load_scenario(scenario, [SHORT, *overrides]), rng=seed).tables


def test_all_switches_on_leave_the_scenario_itself() -> None:
    """With every switch on the components are built from the very scenario object, so a
    market run cannot differ from a run without the switches."""
    params = load_scenario("baseline")
    assert compute_switched_params(params) is params


def test_switches_at_their_defaults_written_out_change_nothing() -> None:
    """Writing the defaults explicitly gives the same tables as leaving them out."""
    plain = _tables()
    explicit = _tables("components.fringe=true", "components.physical_layer=true",
                       "components.dated_events=true", "components.regulator=true")
    for name in ("shares", "markets", "firms", "deals", "flows", "physical"):
        assert plain[name].drop("run_id").equals(explicit[name].drop("run_id")), name


def test_fringe_off_removes_fringe_firms_demand_and_supply() -> None:
    """No fringe row in any market, no payment to or from a fringe account, no fringe
    compute; the baseline has all three, so the test can fail."""
    on, off = _tables(), _tables("components.fringe=false")
    assert set(on["shares"]["firm"].unique()) & FRINGE_ROWS
    assert not set(off["shares"]["firm"].unique()) & FRINGE_ROWS
    flows = off["flows"]
    fringe_accounts = [FRINGE_CHIPS, FRINGE_BUYERS]
    assert flows.filter(pl.col("source").is_in(fringe_accounts)
                        | pl.col("target").is_in(fringe_accounts)).height == 0
    params = load_scenario("baseline", [SHORT, "components.fringe=false"])
    model = ComputeMarketModel(params)
    model.run_steps()
    assert model.frontier.compute_fringe_lab_gw() == 0.0
    assert model.cloud.fringe_supply_gw == 0.0
    assert FRINGE_CHIPS not in model.designers


def test_physical_layer_off_means_unlimited_packaging_and_sites_without_build_time() -> None:
    """Packaging serves every request, sites have no power limit and take no months."""
    params = load_scenario("baseline", [SHORT, "components.physical_layer=false"])
    model = ComputeMarketModel(params)
    assert model.foundry.unlimited and model.sites.unlimited
    assert float(model.sites.compute_time_to_power_months().max()) == 0.0
    assert model.p.sites.build_overrun.cv == 0.0
    model.run_steps()
    assert model.foundry.capacity_wafers == float("inf")


def test_dated_events_off_ignores_every_event() -> None:
    """No deal comes from a dated announcement (the baseline replays many)."""
    on, off = _tables(), _tables("components.dated_events=false")
    assert (on["deals"]["origin"] == "event").any()
    assert off["deals"].height == 0 or not (off["deals"]["origin"] == "event").any()


def test_regulator_off_reviews_nothing() -> None:
    """Under the strict regime deals are reviewed; with the regulator off none is, and the
    deals that would have gone under review become active at once."""
    on = _tables("regulator.regime=strict", scenario="what_if/regime_strict")
    off = _tables("regulator.regime=strict", "components.regulator=false",
                  scenario="what_if/regime_strict")
    assert on["reviews"].height > 0
    assert off["reviews"].height == 0
    assert not off["deals"]["history"].str.contains("under_review").any()


@pytest.mark.parametrize("seed", [1, 7])
def test_all_off_is_deterministic(seed: int) -> None:
    """Same scenario, same seed, same tables with every switch off."""
    keys = ("components.fringe=false", "components.physical_layer=false",
            "components.dated_events=false", "components.regulator=false")
    first, second = _tables(*keys, seed=seed), _tables(*keys, seed=seed)
    for name in ("shares", "markets", "deals", "flows"):
        assert first[name].equals(second[name]), name
