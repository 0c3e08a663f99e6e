"""Tests of `agents.lab`: the lab's cost of compute, forward capacity, urgency, opex, ambition.

Rules called on hand-built stand-ins carrying only what each rule reads.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from agents.lab import FUNDING_APPETITE_PER_YEAR, AILab
from world.contracts import DealStatus
from world.ledger import FlowKind
from world.params import DealKind, month_index


def _cost_lab(lease: float, nvidia: float, amd: float) -> SimpleNamespace:
    view = SimpleNamespace(
        lease_price_usd_b_per_gw_year=lease,
        compute_chip_price_usd_b_per_gw=lambda d: {"Nvidia": nvidia, "AMD": amd}[d],
    )
    view.p = SimpleNamespace(
        market=SimpleNamespace(chip_life_years=4.0, facility_cost_usd_b_per_gw_year=2.0))
    return SimpleNamespace(view=view)


def test_compute_cost_is_the_cheaper_of_leasing_and_owning() -> None:
    """Owning = cheapest chip / life + facility = 20/4 + 2 = 7 USD B/GW-yr; leasing at 9 is
    dearer, so 7; leasing at 6 is cheaper, so 6."""
    assert AILab.compute_compute_cost_usd_b_per_gw_year(_cost_lab(9.0, 24.0, 20.0)) == \
        pytest.approx(7.0)
    assert AILab.compute_compute_cost_usd_b_per_gw_year(_cost_lab(6.0, 24.0, 20.0)) == \
        pytest.approx(6.0)


def _deal(kind: DealKind, status: DealStatus, gw: float, start: int = 0, months: int = 24,
          target: str = "OpenAI") -> SimpleNamespace:
    return SimpleNamespace(kind=kind, status=status, gw=gw, start_step=start,
                           duration_months=months, target=target, undelivered=gw)


def _capacity_lab(deals: list, own: float, installed: float) -> SimpleNamespace:
    view = SimpleNamespace(
        compute_expected_powered_gw=lambda firm, step: own,
        live_deals=lambda: deals,
        compute_undelivered_gw=lambda d: d.undelivered,
    )
    return SimpleNamespace(name="OpenAI", view=view, installed_total_gw=installed)


def test_forward_capacity_counts_running_leases_and_contracted_chips() -> None:
    """Own expected power (2) is raised to installed + undelivered chips of a supply deal
    (1 + 3 = 4) when that is larger; leases running at the step add (1.5); stalled deals,
    expired leases and other labs' deals do not count."""
    deals = [
        _deal(DealKind.CLOUD_CAPACITY, DealStatus.ACTIVE, 1.5, start=0, months=24),
        _deal(DealKind.CLOUD_CAPACITY, DealStatus.ACTIVE, 7.0, start=0, months=6),  # ended
        _deal(DealKind.CLOUD_CAPACITY, DealStatus.STALLED, 9.0),
        _deal(DealKind.CLOUD_CAPACITY, DealStatus.ACTIVE, 11.0, target="Anthropic"),
        _deal(DealKind.SUPPLY, DealStatus.ACTIVE, 3.0),
    ]
    lab = _capacity_lab(deals, own=2.0, installed=1.0)
    assert AILab.compute_forward_capacity_gw(lab, 12) == pytest.approx(4.0 + 1.5)
    assert AILab.compute_forward_capacity_gw(_capacity_lab(deals[:1], 2.0, 1.0), 12) == \
        pytest.approx(3.5)


def _urgent_lab(want: float, have: float) -> SimpleNamespace:
    return SimpleNamespace(
        view=SimpleNamespace(t=0), p=SimpleNamespace(discount_factor=0.9),
        compute_ambition_gw=lambda step: want,
        compute_forward_capacity_gw=lambda step: have,
    )


def test_urgency_discount_closed_form_and_sign() -> None:
    """delta x exp(-0.1 x gap share): no gap keeps delta; a half-covered ambition gives
    0.9 exp(-0.05); a larger gap means a more impatient (lower-delta) lab, which in
    Rubinstein bargaining concedes more (Rubinstein 1982)."""
    assert AILab.compute_urgency_discount(_urgent_lab(4.0, 5.0)) == pytest.approx(0.9)
    assert AILab.compute_urgency_discount(_urgent_lab(4.0, 2.0)) == \
        pytest.approx(0.9 * math.exp(-0.05))
    assert AILab.compute_urgency_discount(_urgent_lab(4.0, 0.0)) < \
        AILab.compute_urgency_discount(_urgent_lab(4.0, 2.0))


def test_opex_grows_at_its_rate() -> None:
    """Monthly opex = opex x (1+g)^(t/12) / 12: 12 USD B/yr growing 50 %, two years in,
    is 12 x 2.25 / 12 = 2.25 USD B, paid to Suppliers as OPEX."""
    paid: list[tuple] = []
    lab = SimpleNamespace(
        view=SimpleNamespace(t=24),
        p=SimpleNamespace(opex_usd_b_per_year=12.0, opex_growth_per_year=0.5),
        update_pay=lambda *a: paid.append(a),
    )
    AILab.update_opex(lab)
    assert len(paid) == 1
    payee, amount, kind = paid[0]
    assert payee == "Suppliers" and kind is FlowKind.OPEX
    assert amount == pytest.approx(2.25)


def test_ambition_follows_its_path_and_funding_appetite_is_a_share_of_value() -> None:
    """The ambition is the dated path read at start + step (1 GW in 2025-01 to 3 GW in
    2026-01: 2 GW halfway); the funding expected is FUNDING_APPETITE_PER_YEAR x valuation."""
    lab = SimpleNamespace(
        p=SimpleNamespace(compute_ambition_gw=[["2025-01", 1.0], ["2026-01", 3.0]]),
        view=SimpleNamespace(start_idx=month_index("2025-01")),
        valuation_usd_b=300.0,
    )
    assert AILab.compute_ambition_gw(lab, 6) == pytest.approx(2.0)
    assert AILab.compute_expected_funding_usd_b(lab) == \
        pytest.approx(FUNDING_APPETITE_PER_YEAR * 300.0)


def test_a_funding_round_moves_outside_money_in_and_dilutes_holders_through_the_desk() -> None:
    """A lab short of cash raises a round through its desk in a real model: what outside
    investors put in leaves their pool and arrives in the lab's account (the same amount), and
    every existing holder keeps (1 - outside / post-money) of its stake (primary-round
    arithmetic); the lab is then marked at the round's post-money."""
    from experiments.scenario.loader import load_scenario
    from world.model import ComputeMarketModel

    model = ComputeMarketModel(load_scenario("baseline", steps=1), rng=3)
    model.t = 12  # a year in: past the minimum gap since the last round
    lab = model.firms["OpenAI"]
    lab.revenue_hist.extend([2.0] * 6)
    lab.cost_hist.extend([2.5] * 6)  # burns 6 a year, owes more: its 10 of cash is short
    model.capital.equity_pool_usd_b = 5.0  # outside money is scarce: the round closes short
    stake, cash = model.stakes.compute_stake("Microsoft", "OpenAI"), lab.cash_usd_b
    lab.update_funding()
    outside = 5.0 - model.capital.equity_pool_usd_b
    assert outside == pytest.approx(5.0)  # the round asks more than the pool holds
    assert lab.cash_usd_b == pytest.approx(cash + outside)
    assert model.capital.raised_usd_b["OpenAI"] == pytest.approx(outside)
    assert lab.last_round_step == 12
    assert model.stakes.compute_stake("Microsoft", "OpenAI") == \
        pytest.approx(stake * (1.0 - outside / lab.valuation_usd_b))
