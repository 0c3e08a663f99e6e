"""The market components and their small rules: fringe sizes and HHI, the lab's Cournot
compute, the AI-services demand draws, order cancellation, and history as an option."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.scenario.loader import load_scenario
from world.fringe import FringeMarket, build_fringe, compute_hhi_with_fringe, compute_zipf_sizes
from world.frontier import FrontierDemand, compute_cournot_compute_gw
from world.model import ComputeMarketModel
from world.params import DemandParams, FringeParams


# ------------------------------------------------------------------ fringe
def test_zipf_sizes_closed_form() -> None:
    """Sizes 1, 1/2, 1/3 normalised by 11/6."""
    np.testing.assert_allclose(compute_zipf_sizes(3, 1.0), [6 / 11, 3 / 11, 2 / 11])
    np.testing.assert_allclose(compute_zipf_sizes(4, 0.0), [0.25] * 4)


def test_hhi_counts_small_firms_as_firms() -> None:
    """Named firm 50%, the other 50% spread equally over 2 small firms: HHI = 2500 + 2 x 625
    = 3750, not the 5000 of a lumped fringe row."""
    fringe = FringeMarket({}, "Other", 2, float(np.sum(compute_zipf_sizes(2, 0.0) ** 2)))
    assert compute_hhi_with_fringe({"A": 0.5, "Other": 0.5}, fringe) == pytest.approx(3750.0)


@given(st.floats(0.0, 100.0), st.integers(1, 50), st.floats(0.0, 3.0))
def test_fringe_split_conserves_quantity(q: float, n: int, z: float) -> None:
    fringe = build_fringe(FringeParams(labs={"A": 0.3, "B": 0.2}, small_firms=n, zipf_exponent=z))
    split = fringe["frontier_ai"].compute_split(q)
    assert sum(split.values()) == pytest.approx(q)
    assert fringe["frontier_ai"].compute_firms_in_row("Other labs") == n
    assert 1.0 / n - 1e-12 <= fringe["frontier_ai"].small_hhi_frac <= 1.0 + 1e-12


@given(st.floats(0.0, 1.0), st.integers(1, 40), st.floats(0.0, 2.0))
def test_firm_shares_count_each_small_firm(rem: float, n: int, z: float) -> None:
    """Expanding the remainder row into its small firms keeps the total share, and the plain
    HHI of the firms equals the HHI that weights the row by the sum of squared Zipf sizes (the
    two ways of counting the same firms must agree)."""
    from world.metrics import compute_hhi

    fringe = build_fringe(FringeParams(labs={"A": 0.3}, small_firms=n, zipf_exponent=z))
    market = fringe["frontier_ai"]
    shares = {"OpenAI": 1.0 - rem, "Other labs": rem}
    firms = market.compute_firm_shares(shares)
    assert len(firms) == 1 + n and sum(firms.values()) == pytest.approx(1.0)
    assert compute_hhi(list(firms.values())) == pytest.approx(
        compute_hhi_with_fringe(shares, market), abs=1e-7)


def test_named_fringe_shares_over_one_are_rejected() -> None:
    with pytest.raises(ValueError):
        FringeParams(chips={"A": 0.7, "B": 0.4})


# ------------------------------------------------------------------ AI services
def test_cournot_compute_closed_form() -> None:
    """A monopolist (no rivals) facing Q = 10 (P / 10)^-2 at cost 5: P (1 - 1/e) = c gives
    P = 10, so q = A (P / P_ref)^-e = 10 GW."""
    q = compute_cournot_compute_gw(10.0, 0.0, 10.0, 2.0, 5.0, most_gw=100.0)
    assert q == pytest.approx(10.0, rel=1e-6)


def test_cournot_compute_falls_with_cost_and_rises_with_demand() -> None:
    """Dearer compute or weaker demand lowers the profit-maximising compute (the FOC
    P(K)(1 - s/e) = c shifts down)."""
    base = compute_cournot_compute_gw(20.0, 5.0, 10.0, 1.5, 6.0, 100.0)
    assert compute_cournot_compute_gw(20.0, 5.0, 10.0, 1.5, 8.0, 100.0) < base
    assert compute_cournot_compute_gw(12.0, 5.0, 10.0, 1.5, 6.0, 100.0) < base
    assert compute_cournot_compute_gw(20.0, 5.0, 10.0, 1.5, 6.0, 1.0) == 1.0  # capped


def test_demand_draws_come_from_the_seed() -> None:
    """Same generator seed, same path; the log shock has the stated monthly sd."""
    p = DemandParams(growth_sd_per_year=0.3, frontier_demand_gw=[("2025-01", 10.0)])
    runs = []
    for _ in range(2):
        d = FrontierDemand(p, np.random.default_rng(7))
        path = []
        for month in range(1200):
            d.update_demand(24300 + month)
            path.append(d.log_growth_shock)
        runs.append(np.array(path))
    np.testing.assert_array_equal(runs[0], runs[1])
    steps = np.diff(runs[0])
    assert np.std(steps) == pytest.approx(0.3 / np.sqrt(12.0), rel=0.1)


# ------------------------------------------------------------------ orders and history
def test_buyers_cancel_orders_their_plans_no_longer_need() -> None:
    """Open orders above a buyer's need are cancelled, pro rata over designers, so backlogs
    clear when plans shrink; orders within the need stay."""
    model = ComputeMarketModel(load_scenario("baseline", steps=2))
    chips = model.chips
    for d in chips.designers:  # backlog arrays are replaced, never written in place
        chips.backlog[d] = np.ones_like(chips.backlog[d])
    need = np.zeros(len(chips.buyers))
    need[0] = len(chips.designers) / 2  # the first buyer keeps half of its orders
    chips.update_cancel(need)
    held = sum(chips.backlog[d] for d in chips.designers)
    assert held[0] == pytest.approx(len(chips.designers) / 2)
    assert np.all(held[1:] == 0.0)
    assert chips.cancelled_gw == pytest.approx(len(chips.designers) * (len(chips.buyers) - 0.5))


def test_history_cutoff_drops_later_announcements_and_lets_agents_decide() -> None:
    """With a cutoff at 2025-06 the dated deals of later months never enter the book, and the
    lab's own search starts after the cutoff instead of after the last announcement."""
    params = load_scenario("baseline", ['simulation.history_cutoff="2025-06"'], steps=24)
    model = ComputeMarketModel(params)
    assert model.last_event_idx == model.start_idx + 5
    model.run_steps()
    ids = {d.deal_id for d in model.deals}
    assert {"D0-equity", "D0-azure", "D8"} <= ids  # dated before the cutoff: replayed
    assert not ids & {"D4", "D1", "D2", "D3", "D5", "D6", "D7"}  # after it: dropped
    agents = [d for d in model.deals if d.origin != "event" and d.kind.value != "equity"]
    assert agents and min(d.step_proposed for d in agents) > 5  # contracts sought after it
    full = ComputeMarketModel(load_scenario("baseline"))
    assert full.last_event_idx == full.start_idx + 12  # default: the latest dated event


def test_a_months_chip_market_can_be_resolved_without_a_link() -> None:
    """Re-solving the month at its prices reproduces the orders placed; removing the link of
    the largest order moves that buyer to other designers or to deferral, and the designer
    loses the order (the disagreement point of a bilateral contract)."""
    model = ComputeMarketModel(load_scenario("baseline", steps=6))
    model.run_steps()
    chips = model.chips
    full = chips.compute_clearing()
    want, *_ = chips.inputs
    np.testing.assert_allclose(full.orders_gw, want[:, None] * chips.solution.shares)
    b, k = np.unravel_index(np.argmax(full.orders_gw), full.orders_gw.shape)
    cut = chips.compute_clearing([(int(b), int(k))])
    assert cut.orders_gw[b, k] == 0.0
    assert cut.deferred_gw[b] + cut.orders_gw[b].sum() == pytest.approx(want[b])
    assert cut.seller_profit_usd_b[k] <= full.seller_profit_usd_b[k] + 1e-12


def test_price_taking_fringe_labs_grow_to_where_price_meets_cost() -> None:
    """A = 8 GW at P_ref = 10.5, e = 1.5. At a cost equal to P_ref users buy 8 GW, so with 3 GW
    of named labs the fringe wants 5; at 4^(2/3) x P_ref users buy only 8 / 4 = 2 GW, less
    than the named labs hold, so the fringe wants none. Each month it closes 1/12 of the gap."""
    p = DemandParams(frontier_demand_gw=[("2025-01", 8.0)], frontier_elasticity=1.5,
                     fringe_lab_revenue_usd_b_per_year=[("2025-01", 21.0)], growth_sd_per_year=0.0)
    d = FrontierDemand(p, np.random.default_rng(0))
    d.update_demand(24300)
    assert d.fringe_lab_gw == pytest.approx(2.0)  # the plan: 21 / 10.5
    assert d.compute_fringe_target_gw(3.0, 10.5) == pytest.approx(5.0)
    assert d.compute_fringe_target_gw(3.0, 10.5 * 4 ** (2 / 3)) == 0.0
    d.update_fringe_labs(3.0, 10.5)
    assert d.fringe_lab_gw == pytest.approx(2.0 + (5.0 - 2.0) / 12.0)


def test_the_recorder_only_reads_the_model() -> None:
    """Recording a month again changes none of the markets' state nor any firm's books: the
    recorder reads the components through the view and writes only its own columns."""
    import copy

    model = ComputeMarketModel(load_scenario("baseline", steps=12))
    model.run_steps()

    def state() -> tuple:
        c = model.chips
        return (
            copy.deepcopy(c.backlog), dict(c.inventory), dict(c.price_usd_b_per_gw),
            dict(c.delivered_by_deal), model.cloud.price_usd_b_per_gw_year,
            dict(model.cloud.tenant_gw), dict(model.frontier.revenue_usd_b_per_year),
            model.ledger.total(), len(model.ledger),
            {n: (f.cash_usd_b, f.valuation_usd_b, dict(f.installed_gw))
             for n, f in model.firms.items()},
        )

    before = state()
    model.recorder.update_record({}, {}, {})
    after = state()
    assert repr(before) == repr(after)
