"""Tests of `agents.pipeline`: the payer's acceptance rule, what a deal commits the target to,
restructured terms, and the month's decisions carried out by the closing component.

Deals are real `world.contracts.Deal`s; the market view is a hand-built stand-in giving what
the pipeline reads. The execution of terms is tested in tests/world/test_closing.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from agents.pipeline import (
    DealPipeline,
    compute_deal_due_usd_b,
    compute_scaled_terms,
    respond,
)
from world.contracts import Deal, DealStatus, Tranche
from world.params import DealKind, NegotiationParams


def _payer(spendable: float, expected: float = 0.0) -> tuple[float, float]:
    return spendable, expected


def _respond_model(payers: dict[str, tuple[float, float]], t: int = 0) -> SimpleNamespace:
    """A view giving each payer's (spendable, expected funding), USD B."""
    return SimpleNamespace(t=t,
                           compute_spendable_usd_b=lambda firm: payers[firm][0],
                           compute_expected_funding_usd_b=lambda firm: payers[firm][1])


def test_respond_lease_counts_the_months_due_within_a_year() -> None:
    """A 2 GW lease at 10 USD B/GW-yr starting in 6 months owes 6 months in the next 12:
    2 x 10 x 6/12 = 10 USD B; the buyer (target) accepts with 10 spendable, not with 9.9."""
    deal = Deal("c1", DealKind.CLOUD_CAPACITY, "Oracle", "OpenAI", gw=2.0,
                price_usd_b_per_gw=10.0, start_step=6, duration_months=60)
    assert respond(_respond_model({"OpenAI": _payer(10.0)}), deal)
    assert not respond(_respond_model({"OpenAI": _payer(9.9)}), deal)
    assert respond(_respond_model({"OpenAI": _payer(4.9, expected=5.1)}), deal)


def test_respond_equity_is_paid_by_the_investor() -> None:
    """For equity the paying side is the investor (source): a one-off 5 USD B stake needs 5;
    with tranches only the first tranche falls due."""
    one_off = Deal("e1", DealKind.EQUITY, "Nvidia", "OpenAI", value_usd_b=5.0)
    firms = {"Nvidia": _payer(4.0), "OpenAI": _payer(1000.0)}
    assert not respond(_respond_model(firms), one_off)
    staged = Deal("e2", DealKind.EQUITY, "Nvidia", "OpenAI", value_usd_b=40.0,
                  tranches=[Tranche(1.0, 4.0, None) for _ in range(10)])
    assert respond(_respond_model(firms), staged)


def test_respond_supply_counts_the_share_delivered_within_a_year() -> None:
    """A 24-month supply of 4 GW at 5 USD B/GW starting now owes half its value in a year: 10."""
    deal = Deal("s1", DealKind.SUPPLY, "AMD", "OpenAI", gw=4.0, price_usd_b_per_gw=5.0,
                duration_months=24, start_step=0)
    assert respond(_respond_model({"OpenAI": _payer(10.0)}), deal)
    assert not respond(_respond_model({"OpenAI": _payer(9.0)}), deal)


def test_deal_due_and_scaled_terms() -> None:
    """A lease commits price x GW x min(window, term)/12; a restructure to 30 % scales the
    bargaining record by 0.3 and leaves missing values missing."""
    lease = Deal("c1", DealKind.CLOUD_CAPACITY, "Oracle", "OpenAI", gw=2.0,
                 price_usd_b_per_gw=10.0, duration_months=12)
    assert compute_deal_due_usd_b(SimpleNamespace(), lease, 24) == pytest.approx(20.0)
    lease.surplus_usd_b = 10.0
    lease.disagreement_source_usd_b = 2.0
    scaled = compute_scaled_terms(lease, 0.3)
    assert scaled["surplus_usd_b"] == pytest.approx(3.0)
    assert scaled["disagreement_source_usd_b"] == pytest.approx(0.6)
    assert scaled["disagreement_target_usd_b"] is None



def test_milestone_equity_commits_the_investee_to_the_linked_supply() -> None:
    """A 10 GW milestone investment commits the investee to buy the investor's systems over
    48 months: within 24 months half the GW at list price, 5 x 30 = 150 USD B."""
    deal = Deal("e1", DealKind.EQUITY, "Nvidia", "OpenAI", gw=10.0, value_usd_b=100.0)
    view = SimpleNamespace(compute_list_price_usd_b_per_gw=lambda firm: 30.0)
    assert compute_deal_due_usd_b(view, deal, 24) == pytest.approx(150.0)


class _Closing:
    """Records what the pipeline asks the closing component to carry out."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, object]] = []

    def update_deal_status(self, deal: Deal, status: DealStatus) -> None:
        self.calls.append(("status", deal.deal_id, status))
        deal.update_status(status, 9)

    def update_close(self, deal: Deal, status: DealStatus) -> None:
        self.calls.append(("close", deal.deal_id, status))
        deal.update_status(status, 9)

    def update_execute(self, deal: Deal) -> None:
        self.calls.append(("execute", deal.deal_id, None))


def _month(deal: Deal, cash: float, commitments: float) -> tuple[_Closing, list[str]]:
    """Run one month of the pipeline on one deal at step 9 with a checker that perceives
    without noise; returns the closing's calls and the deals filed with the regulator."""
    view = SimpleNamespace(
        t=9, live_deals=lambda: [deal],
        compute_frontier_share_of=lambda firm: 0.5,
        compute_expected_funding_usd_b=lambda firm: 0.0,
        compute_cash_usd_b=lambda firm: cash,
        compute_commitments_usd_b=lambda firm, months: commitments,
        compute_list_price_usd_b_per_gw=lambda firm: 0.0,
        compute_burn_usd_b_per_year=lambda firm: 1.0,
        compute_revenue_usd_b_per_year=lambda firm: 10.0,
        update_hold_shares=lambda hold: None,
    )
    closing, filed = _Closing(), []
    regulator = SimpleNamespace(update_submit=lambda d: filed.append(d.deal_id),
                                update_review_standing=lambda: None,
                                update_hold_shares=lambda hold: None)
    params = NegotiationParams(estimate_noise_sd=0.0)
    pipe = DealPipeline(view, closing, regulator, params,
                        {"Nvidia": np.random.default_rng(0)})
    pipe.update_month()
    return closing, filed


def test_a_letter_of_intent_that_passes_diligence_is_signed_and_filed() -> None:
    """After `diligence_months` a letter of intent whose counterparty is well funded (cash 100
    against 10 of commitments), disciplined (burn 1 on revenue 10) and strong (50% share)
    passes: the closing makes it definitive and the regulator gets it."""
    deal = Deal("e1", DealKind.SUPPLY, "Nvidia", "OpenAI", status=DealStatus.LOI,
                value_usd_b=10.0, step_proposed=0)
    closing, filed = _month(deal, cash=100.0, commitments=0.0)
    assert closing.calls == [("status", "e1", DealStatus.DEFINITIVE)]
    assert filed == ["e1"]


def test_an_equity_letter_of_intent_failing_one_test_stalls() -> None:
    """No cash against 100 of commitments fails the financing test only (one failure: a
    supply deal would be restructured), but equity restructures only into a funding round:
    the letter of intent stalls and nothing is filed."""
    deal = Deal("e2", DealKind.EQUITY, "Nvidia", "OpenAI", status=DealStatus.LOI,
                value_usd_b=10.0, step_proposed=0)
    closing, filed = _month(deal, cash=0.0, commitments=100.0)
    assert closing.calls == [("status", "e2", DealStatus.STALLED)] and filed == []
