"""Invariants of the whole model, checked after every step of every run.

Each run here is driven month by month (`ComputeMarketModel.step`) so the model's state can be
checked between steps, not only at the end; the output tables of the same run are then
checked row by row. Runs: the shipped baseline over several seeds, and randomised scenarios
(hypothesis draws a seed and perturbs the key parameters within their valid ranges).

What must hold (docs/odd.md):

- market shares sum to 1 in every market at every step; HHI = sum of squared percent shares;
- money is conserved: the ledger total stays 0; every flow is > 0 between two different
  accounts; each firm's cash (`firms.cash_usd_b`) changes by exactly its net flows;
- chips: cumulative deliveries <= cumulative production, inventory = the difference >= 0,
  no supply deal delivers more than its GW;
- power: deployed <= powered <= grid power of the acquired sites (in total and per firm);
  no site carries more datacenter GW than its grid power;
- deals: statuses only move along `world.contracts.TRANSITIONS`, history never rewritten;
- equity: no tranche paid before the investee has deployed its milestone GW of the investor's
  chips, and every tranche payment appears in the ledger at its step, for its amount;
- stakes: every holding in [0, 1], no firm more than 100% owned by the others.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.run.results import Results
from experiments.run.runner import make_run_id
from experiments.scenario.loader import list_scenarios, load_scenario
from experiments.validation.docking_model import build_docking_model
from world.contracts import TRANSITIONS, DealStatus
from world.fringe import compute_zipf_sizes
from world.ledger import FlowKind
from world.model import ComputeMarketModel
from world.params import MARKETS, DealKind, ScenarioParams

TOL = 1e-9
"""Absolute tolerance for sums of floats that should be equal."""
FLOW_COLUMNS = ("step", "source", "target", "kind", "amount_usd_b", "deal_id")


def _rel(scale: float) -> float:
    """Tolerance for money/GW totals of size `scale` (float rounding of running sums)."""
    return TOL + 1e-9 * abs(scale)


# --------------------------------------------------------------------------- model state


@dataclass
class Watch:
    """What the checker remembers between steps."""

    histories: dict[str, list[tuple[int, DealStatus]]] = field(default_factory=dict)
    max_progress: dict[str, float] = field(default_factory=dict)
    tranche_paid: dict[str, list[int | None]] = field(default_factory=dict)


def check_model_state(model: ComputeMarketModel, watch: Watch) -> None:
    """Assert every state invariant after `model.step()`; `model.t` is one past the step."""
    step = model.t - 1
    ledger = model.ledger
    # money: the ledger total is conserved (all accounts start at 0)
    flows = ledger.flows_columns()
    gross = math.fsum(flows["amount_usd_b"])
    assert abs(ledger.total()) <= _rel(gross), f"step {step}: ledger total {ledger.total()}"

    # stakes: fractions in [0, 1], each firm owned at most 100% by the others
    owned = model.stakes.owned
    assert owned.min() >= -TOL and owned.max() <= 1.0 + TOL, f"step {step}: stake out of [0,1]"
    assert (owned.sum(axis=0) <= 1.0 + TOL).all(), f"step {step}: column sums {owned.sum(0)}"

    # chips: nothing negative, no supply deal over-delivered
    for d, inv in model.chips.inventory.items():
        assert inv >= -TOL, f"step {step}: inventory of {d} is {inv}"
    for d, b in model.chips.backlog.items():
        assert (b >= -1e-6).all(), f"step {step}: backlog of {d} is {b}"
    for deal in model.deals:
        delivered = model.delivered_by_deal.get(deal.deal_id, 0.0)
        if deal.kind is DealKind.SUPPLY:
            assert delivered <= deal.gw + 1e-6, f"step {step}: {deal.deal_id} over-delivered"
        else:
            assert delivered == 0.0

    # power: deployed <= powered <= acquired site power, per firm
    powered = model.fleet.powered_gw(model.n_firms)
    acquired = model.sites.acquired_power_gw(model.n_firms)
    assert (powered <= acquired + 1e-6).all(), f"step {step}: powered {powered} > {acquired}"
    sites = model.sites
    assert (sites.used_gw <= sites.grid_power_gw + 1e-6).all(), f"step {step}: site overfull"
    for name, firm in model.firms.items():
        i = model.firm_index[name]
        assert firm.compute_deployed_gw() <= powered[i] + TOL
        assert all(v >= -TOL for v in firm.installed_gw.values()), f"{name}: negative chips"

    # deals: lifecycle moves only along TRANSITIONS; the past is never rewritten
    for deal in model.deals:
        hist = deal.history
        assert hist[-1][1] is deal.status, f"{deal.deal_id}: status set without history"
        for (s0, a), (s1, b) in itertools.pairwise(hist):
            assert b in TRANSITIONS[a], f"{deal.deal_id}: {a} -> {b} at step {s1}"
            assert s1 >= s0, f"{deal.deal_id}: history goes back in time"
        assert hist[-1][0] <= step, f"{deal.deal_id}: status change dated in the future"
        before = watch.histories.get(deal.deal_id, [])
        assert hist[: len(before)] == before, f"{deal.deal_id}: history rewritten"
        watch.histories[deal.deal_id] = list(hist)

    _check_tranches(model, watch, step)


def _check_tranches(model: ComputeMarketModel, watch: Watch, step: int) -> None:
    """No tranche paid before its milestone; each payment booked once, when it is made."""
    flows = model.ledger.flows_columns()
    new_flows = [
        (src, tgt, amt, did)
        for s, src, tgt, k, amt, did in zip(*(flows[c] for c in FLOW_COLUMNS), strict=True)
        if k == FlowKind.EQUITY_INVESTMENT.value and s == step
    ]
    for deal in model.deals:
        if not deal.tranches:
            continue
        before = watch.tranche_paid.get(deal.deal_id, [None] * len(deal.tranches))
        now = [t.paid_step for t in deal.tranches]
        for b, n in zip(before, now, strict=True):
            assert b is None or b == n, f"{deal.deal_id}: a paid tranche changed its step"
            assert n is None or n <= step
        watch.tranche_paid[deal.deal_id] = now
        paid_now = [t for t in deal.tranches if t.paid_step == step]
        baseline = model.closing.deploy_baseline
        if deal.deal_id in baseline:
            holder = model.firms[deal.target]
            progress = holder.compute_deployed_gw_of(deal.source) - baseline[deal.deal_id]
            best = max(watch.max_progress.get(deal.deal_id, -math.inf), progress)
            watch.max_progress[deal.deal_id] = best
            for t in deal.tranches:
                if t.paid_step is not None:
                    assert t.milestone_gw <= best + 1e-6, (
                        f"step {step}: {deal.deal_id} tranche at {t.milestone_gw} GW paid with "
                        f"only {best:.4f} GW of {deal.source} chips deployed at {deal.target}"
                    )
            for t in paid_now:
                assert t.milestone_gw <= progress + 1e-6, f"{deal.deal_id}: paid early"
        else:
            assert not paid_now and all(t.paid_step is None for t in deal.tranches)
        if deal.kind is DealKind.EQUITY:
            booked = [f for f in new_flows if f[3] == deal.deal_id]
            due = math.fsum(t.amount_usd_b for t in paid_now)
            got = math.fsum(f[2] for f in booked)
            assert abs(got - due) <= _rel(due), f"{deal.deal_id}: paid {got}, tranches {due}"
            assert all((f[0], f[1]) == (deal.source, deal.target) for f in booked)


# --------------------------------------------------------------------------- tables


def check_tables(results: Results, model: ComputeMarketModel) -> None:
    """Assert the invariants that the output tables must show on their own."""
    t = results.tables
    steps = model.t

    shares = t["shares"]
    sums = shares.group_by("step", "market").agg(pl.col("share").sum(), pl.len())
    assert sums.height == steps * len(MARKETS)
    assert (sums["share"] - 1.0).abs().max() < TOL
    assert shares["share"].min() >= 0.0 and shares["quantity"].min() >= 0.0

    # a row standing for several small fringe firms adds s^2 x sum of their squared shares
    fringe = model.p.fringe
    small = compute_zipf_sizes(fringe.small_firms, fringe.zipf_exponent)
    weight = pl.when(pl.col("firms_in_row") > 1).then(float(small @ small)).otherwise(1.0)
    assert (shares.filter(pl.col("firms_in_row") > 1)["firms_in_row"] == fringe.small_firms).all()
    hhi = shares.group_by("step", "market").agg(
        ((pl.col("share") * 100.0) ** 2 * weight).sum().alias("hhi_from_shares")
    )
    joined = t["markets"].join(hhi, on=["step", "market"], how="inner")
    assert joined.height == t["markets"].height == steps * len(MARKETS)
    assert (joined["hhi"] - joined["hhi_from_shares"]).abs().max() < 1e-6
    assert joined["hhi"].min() > 0.0 and joined["hhi"].max() <= 10_000.0 + 1e-6

    flows = t["flows"]
    if flows.height:
        amounts = flows["amount_usd_b"].to_numpy()
        assert np.isfinite(amounts).all() and (amounts > 0).all()
        assert (flows["source"] != flows["target"]).all()
        assert flows["step"].min() >= 0 and flows["step"].max() < steps
        known = {k.value for k in FlowKind}
        assert set(flows["kind"].unique()) <= known
    # each firm's cash moves by exactly its net flows of the month
    inflow = flows.group_by("step", pl.col("target").alias("firm")).agg(
        pl.col("amount_usd_b").sum().alias("inn")
    )
    outflow = flows.group_by("step", pl.col("source").alias("firm")).agg(
        pl.col("amount_usd_b").sum().alias("out")
    )
    firms = (
        t["firms"]
        .select("step", "firm", "cash_usd_b")
        .join(inflow, on=["step", "firm"], how="left")
        .join(outflow, on=["step", "firm"], how="left")
        .fill_null(0.0)
        .sort("firm", "step")
        .with_columns(
            (pl.col("inn") - pl.col("out")).cum_sum().over("firm").alias("net_cum"),
            pl.col("inn").cum_sum().over("firm").alias("gross"),
        )
    )
    err = (firms["cash_usd_b"] - firms["net_cum"]).abs() - 1e-9 * (firms["gross"] + 1.0)
    assert err.max() <= 0.0, firms.filter(err > 0).head()

    phys = t["physical"].sort("step")
    assert phys.height == steps
    cp = phys["cum_produced_gw"].to_numpy()
    cd = phys["cum_delivered_gw"].to_numpy()
    assert np.allclose(cp, np.cumsum(phys["produced_gw"].to_numpy()))
    assert np.allclose(cd, np.cumsum(phys["delivered_gw"].to_numpy()))
    assert (cd <= cp + 1e-6).all(), "delivered more chips than were produced"
    inv = phys["inventory_gw"].to_numpy()
    assert (inv >= -TOL).all()
    assert np.allclose(inv, cp - cd, atol=1e-6), "inventory != produced - delivered"
    dep, pwr = phys["deployed_gw"].to_numpy(), phys["powered_gw"].to_numpy()
    acq = phys["acquired_site_gw"].to_numpy()
    assert (dep <= pwr + 1e-9).all() and (pwr <= acq + 1e-6).all()
    assert (phys["installed_gw"].to_numpy() >= dep - 1e-9).all()

    fr = t["firms"]
    assert (fr["deployed_gw"] <= fr["powered_gw"] + 1e-9).all()
    assert (fr["deployed_gw"] <= fr["installed_gw"] + 1e-9).all()
    per_step = fr.group_by("step").agg(pl.col("powered_gw").sum()).sort("step")
    assert np.allclose(per_step["powered_gw"].to_numpy(), pwr)

    deals = t["deals"]
    assert deals["deal_id"].n_unique() == deals.height
    for row in deals.iter_rows(named=True):
        assert row["tranches_paid"] <= row["tranches"]
        if row["step_closed"] is not None:
            assert (
                DealStatus(row["status"]) not in TRANSITIONS
                or not TRANSITIONS[DealStatus(row["status"])]
            ), f"{row['deal_id']}: closed but not terminal"


# --------------------------------------------------------------------------- driver


def run_checked(params: ScenarioParams, seed: int) -> tuple[Results, ComputeMarketModel]:
    """Run `params` with `seed` step by step, checking the state after every step."""
    model = ComputeMarketModel(params, rng=seed)
    watch = Watch()
    assert abs(model.ledger.total()) < TOL
    for _ in range(params.simulation.steps):
        model.step()
        check_model_state(model, watch)
    now = dt.datetime.now(dt.UTC)
    results = Results.from_tables(
        model.compute_tables(), params, seed, make_run_id(params, seed), now, now
    )
    check_tables(results, model)
    return results, model


@pytest.fixture(scope="module")
def baseline() -> ScenarioParams:
    """The shipped baseline scenario."""
    return load_scenario("baseline")


@pytest.mark.parametrize("seed", [0, 1, 42, 2025])
def test_invariants_hold_over_the_whole_baseline(baseline: ScenarioParams, seed: int) -> None:
    results, model = run_checked(baseline, seed)
    assert results.tables["physical"].height == baseline.simulation.steps
    assert model.t == baseline.simulation.steps


def test_baseline_pays_milestone_tranches_only_after_deployment(baseline: ScenarioParams) -> None:
    """The checker is not vacuous: the baseline has a tranche deal that does pay."""
    results, model = run_checked(baseline, 42)
    tranche_deals = [d for d in model.deals if d.tranches]
    assert tranche_deals, "baseline has no deal with tranches any more"
    paid = [t for d in tranche_deals for t in d.tranches if t.paid_step is not None]
    assert paid, "no tranche was ever paid in the baseline: the tranche check proves nothing"
    assert results.tables["flows"].filter(pl.col("kind") == "equity_investment").height > 0


@pytest.mark.parametrize("seed", list(range(3, 15)))
def test_invariants_hold_over_many_seeds_short(baseline: ScenarioParams, seed: int) -> None:
    params = baseline.model_copy(deep=True)
    params.simulation.steps = 30
    run_checked(params, seed)


# --------------------------------------------------------------------------- randomised

CAPACITY_PATH = "foundry.capacity_wafers_per_month"
INTERVENTIONS = {
    "none": "",
    "no_vendor_financing": '{kind = "no_vendor_financing"}',
    "ban_exclusivity": '{kind = "ban_exclusivity"}',
    "cap_equity": '{kind = "cap_equity", max_equity_pct = 5.0}',
    "interoperability": '{kind = "interoperability", lockin_factor = 0.3}',
    "block_equity": '{kind = "block_deal", deal_kind = "equity", parties = ["Nvidia", "OpenAI"]}',
    "divestiture": ('{kind = "divestiture", date = "2025-07", parties = ["Microsoft", "OpenAI"]}'),
    "allocation_rule": '{kind = "allocation_rule", date = "2025-06", allocation_rule = "uniform"}',
    "nonvoting_reportable": '{kind = "nonvoting_reportable"}',
    "block_d1": '{kind = "block_deal", deal_id = "D1"}',
}


@st.composite
def scenarios(draw: st.DrawFn, base: ScenarioParams) -> tuple[list[str], int, int]:
    """Overrides of the key baseline parameters within valid ranges, a step count, a seed."""
    scale = draw(st.floats(0.2, 4.0))
    path = [[m, v * scale] for m, v in base.foundry.capacity_wafers_per_month]
    cash = draw(st.floats(0.0, 3.0))
    sets = [
        f"market.cuda_lockin={draw(st.floats(0.0, 8.0))!r}",
        f"market.price_sensitivity={draw(st.floats(0.5, 8.0))!r}",
        f"{CAPACITY_PATH}={path!r}".replace("'", '"'),
        f"sites.n_sites={draw(st.integers(20, 2000))}",
        f"foundry.allocation_rule={draw(st.sampled_from(['pro_rata', 'priority', 'uniform']))}",
        f"negotiation.min_financing_ratio={draw(st.floats(0.0, 2.0))!r}",
        f"negotiation.max_burn_to_revenue={draw(st.floats(0.2, 4.0))!r}",
        f"negotiation.min_frontier_share={draw(st.floats(0.0, 0.6))!r}",
        f"negotiation.diligence_months={draw(st.integers(0, 6))}",
        f"negotiation.stall_months_to_abandon={draw(st.integers(1, 12))}",
        f"negotiation.estimate_noise_sd={draw(st.floats(0.0, 0.5))!r}",
        f"regulator.regime={draw(st.sampled_from(['none', 'hsr_2010', 'guidelines_2023', 'strict']))}",  # noqa: E501
        f"regulator.review_months={draw(st.integers(0, 4))}",
        f"regulator.phase2_months={draw(st.integers(0, 8))}",
        f"negotiation.investor_exclusivity={str(draw(st.booleans())).lower()}",
    ]
    for name, firm in sorted(base.firms.items()):
        sets.append(f"firms.{name}.cash_usd_b={firm.cash_usd_b * cash!r}")
    levers = draw(st.lists(st.sampled_from(sorted(INTERVENTIONS)), max_size=3, unique=True))
    chosen = [INTERVENTIONS[k] for k in levers if INTERVENTIONS[k]]
    if chosen:
        sets.append(f"interventions=[{', '.join(chosen)}]")
    steps = draw(st.integers(12, 36))
    seed = draw(st.integers(0, 2**32 - 1))
    return sets, steps, seed


BASE = load_scenario("baseline")


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=scenarios(BASE))
def test_invariants_hold_in_randomised_scenarios(case: tuple[list[str], int, int]) -> None:
    sets, steps, seed = case
    params = load_scenario("baseline", sets, steps=steps)
    run_checked(params, seed)


def test_checker_catches_a_broken_ledger(baseline: ScenarioParams) -> None:
    """A flow booked outside the ledger's double entry is caught (the check is not vacuous)."""
    params = baseline.model_copy(deep=True)
    params.simulation.steps = 2
    model = ComputeMarketModel(params, rng=0)
    model.step()
    model.ledger._balances["Nvidia"] += 1.0  # money from nowhere
    with pytest.raises(AssertionError, match="ledger total"):
        check_model_state(model, Watch())


def test_checker_catches_a_status_jump(baseline: ScenarioParams) -> None:
    """A deal moved outside TRANSITIONS is caught."""
    params = baseline.model_copy(deep=True)
    params.simulation.steps = 2
    model = ComputeMarketModel(params, rng=0)
    model.step()
    deal = next(d for d in model.deals if d.status is DealStatus.COMPLETED)
    deal.history.append((model.t - 1, DealStatus.ACTIVE))
    deal.status = DealStatus.ACTIVE
    with pytest.raises(AssertionError, match="completed -> active"):
        check_model_state(model, Watch())


@pytest.mark.parametrize("name", [n for n, _ in list_scenarios()])
def test_the_model_never_changes_its_parameters(name: str) -> None:
    """Batch workers share one loaded scenario between seeds through a shallow copy; that is
    only safe if a run leaves every parameter as it found it."""
    params = load_scenario(name, [], steps=36)
    before = params.model_dump(mode="json")
    model_class = (ComputeMarketModel if params.simulation.mode.value == "market"
                   else build_docking_model)  # what `experiments.run.runner.run` builds
    model = model_class(params.model_copy(update={"seed": 5}), rng=5)
    model.run_steps()
    model.compute_tables()
    assert params.model_dump(mode="json") == before
