"""Tests of `agents.pipeline`: the payer's acceptance rule, what a deal commits the target to,
restructured terms, and the execution of one-off equity, milestone equity and warrants.

Deals are real `world.contracts.Deal`s; the model is a hand-built stand-in recording what the
pipeline asks of it.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agents import pipeline
from agents.pipeline import WARRANT_STRIKE_USD_B, execute, respond
from world.contracts import Deal, DealStatus, Tranche
from world.ledger import FlowKind
from world.params import DealKind


def _payer(spendable: float, expected: float = 0.0) -> SimpleNamespace:
    return SimpleNamespace(compute_spendable_usd_b=lambda: spendable,
                           compute_expected_funding_usd_b=lambda: expected)


def _respond_model(payers: dict[str, SimpleNamespace], t: int = 0) -> SimpleNamespace:
    return SimpleNamespace(t=t, firms=payers)


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
    assert pipeline._deal_due(SimpleNamespace(), lease, 24) == pytest.approx(20.0)
    lease.surplus_usd_b = 10.0
    lease.disagreement_source_usd_b = 2.0
    scaled = pipeline._scaled_terms(lease, 0.3)
    assert scaled["surplus_usd_b"] == pytest.approx(3.0)
    assert scaled["disagreement_source_usd_b"] == pytest.approx(0.6)
    assert scaled["disagreement_target_usd_b"] is None


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str):
        return lambda *a, **k: self.calls.append((name, *a))


def _firm(name: str, valuation: float = 100.0) -> SimpleNamespace:
    firm = SimpleNamespace(name=name, valuation_usd_b=valuation, paid=[], deployed=0.0)
    firm.update_pay = lambda payee, amount, kind, deal_id, cost=True: firm.paid.append(
        (payee, amount, kind))
    firm.compute_deployed_gw_of = lambda designer: firm.deployed
    return firm


def _exec_model(cap_allowed: float = 1.0) -> SimpleNamespace:
    return SimpleNamespace(
        t=3,
        firms={"Nvidia": _firm("Nvidia"), "OpenAI": _firm("OpenAI")},
        stakes=_Recorder(),
        network=_Recorder(),
        deploy_baseline={},
        policy=SimpleNamespace(compute_allowed_fraction=lambda current: cap_allowed),
        capital=SimpleNamespace(update_take_equity=lambda lab, amount: amount),
    )


def _active(deal: Deal) -> Deal:
    deal.status = DealStatus.ACTIVE
    return deal


def test_one_off_equity_pays_once_issues_shares_and_completes() -> None:
    """Paid once at post-money max(valuation, value): 10 USD B at 200 post is a 5 % issue."""
    model = _exec_model()
    model.stakes.compute_stake = lambda owner, firm: 0.0
    deal = _active(Deal("e1", DealKind.EQUITY, "Nvidia", "OpenAI", value_usd_b=10.0,
                        valuation_usd_b=200.0))
    execute(model, deal)
    assert model.firms["Nvidia"].paid == [("OpenAI", 10.0, FlowKind.EQUITY_INVESTMENT)]
    assert ("update_issue", "Nvidia", "OpenAI", 10.0, 200.0, True) in model.stakes.calls
    assert deal.status is DealStatus.COMPLETED
    assert ("update_remove_deal", "e1") in model.network.calls


def test_milestone_equity_pays_each_tranche_once_its_gw_are_deployed() -> None:
    """Tranche k is paid when k x gw_per_tranche GW of the investor's chips are deployed since
    signing (facts: $10B per GW); deployment before signing does not count."""
    model = _exec_model()
    model.stakes.compute_stake = lambda owner, firm: 0.0
    lab = model.firms["OpenAI"]
    lab.deployed = 5.0  # already deployed at signing: the baseline
    deal = _active(Deal("e2", DealKind.EQUITY, "Nvidia", "OpenAI", value_usd_b=20.0,
                        tranches=[Tranche(1.0, 10.0, None), Tranche(2.0, 10.0, None)]))
    execute(model, deal)
    assert model.firms["Nvidia"].paid == [] and deal.status is DealStatus.ACTIVE
    lab.deployed = 6.5
    execute(model, deal)
    assert [p[1] for p in model.firms["Nvidia"].paid] == [10.0]
    assert deal.tranches[0].paid_step == 3 and deal.tranches[1].paid_step is None
    lab.deployed = 7.0
    execute(model, deal)
    assert [p[1] for p in model.firms["Nvidia"].paid] == [10.0, 10.0]
    assert deal.status is DealStatus.COMPLETED


def test_warrant_vests_pro_rata_and_the_holder_pays_the_strike() -> None:
    """A warrant for 10 % in 2 tranches vests 5 % per milestone to the holder (the target),
    who pays half the nominal strike each time (facts: AMD warrant at $0.01 a share)."""
    model = _exec_model()
    model.stakes.compute_stake = lambda owner, firm: 0.0
    holder = model.firms["OpenAI"]
    deal = _active(Deal("w1", DealKind.WARRANT, "AMD", "OpenAI", equity_pct=10.0,
                        tranches=[Tranche(1.0, 0.0, None), Tranche(2.0, 0.0, None)]))
    model.firms["AMD"] = _firm("AMD")
    execute(model, deal)
    holder.deployed = 2.0
    execute(model, deal)
    grants = [c for c in model.stakes.calls if c[0] == "update_grant"]
    assert [g[1:4] for g in grants] == [("OpenAI", "AMD", 0.05)] * 2
    assert [p[1] for p in holder.paid] == [pytest.approx(WARRANT_STRIKE_USD_B / 2)] * 2
    assert deal.status is DealStatus.COMPLETED


def test_lease_completes_when_its_term_has_run() -> None:
    """A cloud lease stays active during its term and completes at start + duration."""
    model = _exec_model()
    deal = _active(Deal("c1", DealKind.CLOUD_CAPACITY, "Oracle", "OpenAI", start_step=0,
                        duration_months=4))
    model.firms["Oracle"] = _firm("Oracle")
    execute(model, deal)
    assert deal.status is DealStatus.ACTIVE
    model.t = 4
    execute(model, deal)
    assert deal.status is DealStatus.COMPLETED
