"""Tests of `world.desk.Desk`: each decision reaches the component that owns the state, money
is conserved, and a decision a firm may not take is refused with nothing changed.

The desk is the one built by a real model of the baseline scenario (before its first month),
so every component is the real one.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.scenario.loader import load_scenario
from world.contracts import DealStatus
from world.decisions import (
    Appraise,
    Dilute,
    DrawDebt,
    EndDeal,
    OpenDeal,
    Pay,
    PlanDatacenter,
    RaiseEquity,
    SetQuantity,
    SetRetailPrice,
    SettleBargain,
    SetWholesalePrice,
)
from world.desk import DecisionRefused
from world.ledger import FlowKind
from world.model import ComputeMarketModel
from world.params import DealKind
from world.sites import FREE


@pytest.fixture(scope="module")
def params():
    return load_scenario("baseline", steps=1)


@pytest.fixture
def model(params) -> ComputeMarketModel:
    return ComputeMarketModel(params, rng=3)


def _balances(model: ComputeMarketModel) -> dict[str, float]:
    return {a: model.ledger.balance(a) for a in model.ledger.accounts}


def test_pay_moves_money_between_two_accounts_and_conserves_the_total(model) -> None:
    """A payment lowers the payer's balance and raises the payee's by the same amount; every
    other account and the sum of all balances are unchanged (double entry)."""
    before, total = _balances(model), model.ledger.total()
    model.desk.submit(Pay("OpenAI", "Oracle", 2.5, FlowKind.CLOUD_PAYMENT), "OpenAI")
    after = _balances(model)
    assert after["OpenAI"] == pytest.approx(before["OpenAI"] - 2.5)
    assert after["Oracle"] == pytest.approx(before["Oracle"] + 2.5)
    assert {k: v for k, v in after.items() if k not in ("OpenAI", "Oracle")} == \
        {k: v for k, v in before.items() if k not in ("OpenAI", "Oracle")}
    assert model.ledger.total() == pytest.approx(total, abs=1e-9)


def test_a_firm_books_what_outside_parties_pay_it_but_not_what_they_pay_others(model) -> None:
    """Customers' payment to the firm itself is accepted (its sales); booking customers'
    money into another firm's account is refused."""
    model.desk.submit(Pay("Customers", "Amazon", 1.0, FlowKind.REVENUE), "Amazon")
    before = _balances(model)
    with pytest.raises(DecisionRefused):
        model.desk.submit(Pay("Customers", "Oracle", 1.0, FlowKind.REVENUE), "Amazon")
    assert _balances(model) == before


def test_paying_from_another_firms_account_is_refused(model) -> None:
    """A firm pays only from its own account: Amazon cannot move Nvidia's cash, to itself or
    anyone; the ledger is untouched."""
    before, flows = _balances(model), len(model.ledger)
    for payee in ("Amazon", "Suppliers"):
        with pytest.raises(DecisionRefused, match="Nvidia's account"):
            model.desk.submit(Pay("Nvidia", payee, 1.0, FlowKind.OPEX), "Amazon")
    assert _balances(model) == before and len(model.ledger) == flows


@given(st.lists(st.tuples(st.sampled_from(["Nvidia", "AMD", "OpenAI", "Amazon", "Customers"]),
                          st.sampled_from(["Nvidia", "AMD", "OpenAI", "Amazon", "Suppliers"]),
                          st.floats(0.001, 50.0)), min_size=1, max_size=20))
@settings(max_examples=25, deadline=None)
def test_any_sequence_of_payments_conserves_money(params, flows) -> None:
    """Whatever the firms pay each other or receive from customers, the sum of all balances
    stays what it was (money is neither made nor lost by the desk)."""
    model = ComputeMarketModel(params, rng=3)
    total = model.ledger.total()
    for payer, payee, amount in flows:
        if payer == payee:
            continue
        by = payee if payer == "Customers" else payer
        model.desk.submit(Pay(payer, payee, amount, FlowKind.OPEX), by)
    assert model.ledger.total() == pytest.approx(total, abs=1e-9)


def test_debt_is_drawn_from_lenders_up_to_capacity_and_not_beyond(model) -> None:
    """Within the capital market's debt capacity the draw moves money from `Lenders` into the
    firm and the desk returns it; one USD B beyond capacity is refused, nothing booked."""
    firm = model.firms["OpenAI"]
    firm.revenue_hist.append(2.0)  # 24 USD B a year of revenue: a positive capacity
    capacity = model.view.compute_debt_capacity_usd_b(firm)
    assert capacity > 0
    cash, lenders = firm.cash_usd_b, model.ledger.balance("Lenders")
    with pytest.raises(DecisionRefused, match="capacity"):
        model.desk.submit(DrawDebt("OpenAI", capacity + 1.0), "OpenAI")
    assert firm.cash_usd_b == cash
    assert model.desk.submit(DrawDebt("OpenAI", capacity), "OpenAI") == capacity
    assert firm.cash_usd_b == pytest.approx(cash + capacity)
    assert model.ledger.balance("Lenders") == pytest.approx(lenders - capacity)
    with pytest.raises(DecisionRefused):  # nor for another firm
        model.desk.submit(DrawDebt("OpenAI", 0.1), "Oracle")


def test_plan_takes_a_free_site_and_puts_a_datacenter_in_the_fleet(model) -> None:
    """Planning on a free site gives it to the firm, uses its power and adds one datacenter
    of that size, owned by the firm, to the fleet."""
    site = int(model.view.compute_best_free_sites(1, min_gw=0.5)[0])
    owner = model.firm_index["Oracle"]
    n, used = len(model.fleet), float(model.sites.used_gw[site])
    assert model.sites.owner[site] == FREE
    model.desk.submit(PlanDatacenter("Oracle", site, 0.5), "Oracle")
    assert model.sites.owner[site] == owner
    assert float(model.sites.used_gw[site]) == pytest.approx(used + 0.5)
    assert len(model.fleet) == n + 1
    assert model.fleet.owner[-1] == owner and model.fleet.gw[-1] == pytest.approx(0.5)


def test_planning_on_a_site_another_firm_holds_or_beyond_its_power_is_refused(model) -> None:
    """A site held by Oracle cannot be planned on by Amazon; nor can a firm plan more than the
    site's free grid power, or in another firm's name. Nothing changes."""
    site = int(model.view.compute_best_free_sites(1, min_gw=0.5)[0])
    model.desk.submit(PlanDatacenter("Oracle", site, 0.1), "Oracle")
    n = len(model.fleet)
    with pytest.raises(DecisionRefused, match="held"):
        model.desk.submit(PlanDatacenter("Amazon", site, 0.1), "Amazon")
    other = int(model.view.compute_best_free_sites(1, min_gw=0.5)[0])
    free = model.view.compute_site_free_gw(other)
    with pytest.raises(DecisionRefused, match="free"):
        model.desk.submit(PlanDatacenter("Amazon", other, free + 0.1), "Amazon")
    with pytest.raises(DecisionRefused):
        model.desk.submit(PlanDatacenter("Oracle", other, 0.1), "Amazon")
    assert len(model.fleet) == n and model.sites.owner[other] == FREE


def test_equity_is_raised_as_far_as_the_outside_pool_allows(model) -> None:
    """Outside investors fill min(ask, pool): the pool falls by what they put in and the
    ledger books it from `Investors` to the firm."""
    model.capital.equity_pool_usd_b = 10.0
    cash = model.firms["OpenAI"].cash_usd_b
    assert model.desk.submit(RaiseEquity("OpenAI", 4.0), "OpenAI") == pytest.approx(4.0)
    assert model.desk.submit(RaiseEquity("OpenAI", 20.0), "OpenAI") == pytest.approx(6.0)
    assert model.capital.equity_pool_usd_b == pytest.approx(0.0)
    assert model.firms["OpenAI"].cash_usd_b == pytest.approx(cash + 10.0)
    assert model.desk.submit(RaiseEquity("OpenAI", 5.0), "OpenAI") == 0.0
    with pytest.raises(DecisionRefused):
        model.desk.submit(RaiseEquity("OpenAI", 1.0), "Nvidia")


def test_dilution_scales_every_holders_stake_and_only_the_issuer_may_dilute(model) -> None:
    """New shares of fraction f leave each holder (1 - f) of its stake; only the issuing
    firm may issue them."""
    model.stakes.update_set("Microsoft", "OpenAI", 0.4, True)
    model.desk.submit(Dilute("OpenAI", 0.25), "OpenAI")
    assert model.stakes.compute_stake("Microsoft", "OpenAI") == pytest.approx(0.3)
    with pytest.raises(DecisionRefused):
        model.desk.submit(Dilute("OpenAI", 0.25), "Microsoft")
    with pytest.raises(DecisionRefused):
        model.desk.submit(Dilute("OpenAI", 1.5), "OpenAI")
    assert model.stakes.compute_stake("Microsoft", "OpenAI") == pytest.approx(0.3)


def test_open_deal_enters_the_book_and_the_network_and_end_deal_removes_it(model) -> None:
    """An opened deal is in the book at this month with its terms and rounds, and ties its
    parties on the network; ending it sets its status and unties them."""
    deal = model.desk.submit(OpenDeal(
        DealKind.SUPPLY, "AMD", "Oracle", DealStatus.DEFINITIVE,
        {"gw": 1.0, "value_usd_b": 20.0}, rounds=3), "Oracle")
    assert model.deals.get(deal.deal_id) is deal and deal.step_proposed == model.t
    assert deal.gw == 1.0 and model.negotiation_rounds[deal.deal_id] == 3
    assert "AMD" in model.network.compute_partners("Oracle")
    with pytest.raises(DecisionRefused, match="party"):
        model.desk.submit(EndDeal(deal.deal_id, DealStatus.RENEGOTIATED), "Nvidia")
    model.desk.submit(EndDeal(deal.deal_id, DealStatus.RENEGOTIATED), "AMD")
    assert deal.status is DealStatus.RENEGOTIATED
    assert not any(e["deal_id"] == deal.deal_id for e in model.network.edges_of("Oracle"))
    with pytest.raises(DecisionRefused, match="ended"):
        model.desk.submit(EndDeal(deal.deal_id, DealStatus.ABANDONED), "AMD")


def test_a_firm_cannot_open_a_deal_it_is_not_party_to_and_records_stay_off_the_network(
    model,
) -> None:
    """Nvidia cannot sign AMD to Oracle; a record of a failed negotiation (off the network)
    is in the book but ties nobody."""
    n = len(model.deals)
    with pytest.raises(DecisionRefused, match="may not open"):
        model.desk.submit(OpenDeal(DealKind.SUPPLY, "AMD", "Oracle", DealStatus.DEFINITIVE),
                          "Nvidia")
    assert len(model.deals) == n
    edges = len(model.network.edges_of("Oracle"))
    record = model.desk.submit(OpenDeal(DealKind.SUPPLY, "AMD", "Oracle", DealStatus.ABANDONED,
                                        on_network=False), "AMD")
    assert record.deal_id in model.deals and len(model.network.edges_of("Oracle")) == edges


def test_textbook_moves_reach_the_case_market_and_only_its_players_move(model) -> None:
    """In the Cournot docking case a seller's quantity is set in the case's market and the
    price follows from demand; a seller cannot set a rival's quantity, nor the retail price
    (the buyer's move); a market run has no case market to move in."""
    case = ComputeMarketModel(load_scenario("docking/cournot", steps=1), rng=0)
    market = case.textbook
    seller, rival = market.sellers[0], market.sellers[1]
    case.desk.submit(SetQuantity(seller, 2.0), seller)
    assert market.quantity_gw[seller] == 2.0
    assert market.price == pytest.approx(market.compute_price(sum(market.quantity_gw.values())))
    with pytest.raises(DecisionRefused):
        case.desk.submit(SetQuantity(rival, 1.0), seller)
    with pytest.raises(DecisionRefused):
        case.desk.submit(SetRetailPrice(seller, 1.0), seller)
    assert market.quantity_gw[rival] == 0.0
    with pytest.raises(DecisionRefused, match="no textbook market"):
        model.desk.submit(SetQuantity("Nvidia", 1.0), "Nvidia")


def test_vertical_chain_prices_are_set_by_their_own_side_only() -> None:
    """In the double-marginalisation case the upstream seller sets the wholesale price and the
    downstream buyer the retail price, each in the case's market; neither may set the other's."""
    case = ComputeMarketModel(load_scenario("docking/double_marginalization", steps=1), rng=0)
    market = case.textbook
    seller, buyer = market.sellers[0], market.buyer
    case.desk.submit(SetWholesalePrice(seller, 40.0), seller)
    case.desk.submit(SetRetailPrice(buyer, 70.0), buyer)
    assert (market.wholesale_usd, market.retail_usd) == (40.0, 70.0)
    with pytest.raises(DecisionRefused):
        case.desk.submit(SetWholesalePrice(buyer, 1.0), buyer)
    with pytest.raises(DecisionRefused):
        case.desk.submit(SetRetailPrice(seller, 1.0), seller)
    assert (market.wholesale_usd, market.retail_usd) == (40.0, 70.0)


def test_a_bargaining_case_records_what_the_seller_settled() -> None:
    """In the Nash case the seller settles the pair's contract in the case's market (the
    market is then bargained); the buyer cannot settle it."""
    case = ComputeMarketModel(load_scenario("docking/nash", steps=1), rng=0)
    market = case.textbook
    seller, buyer = market.sellers[0], market.buyer
    with pytest.raises(DecisionRefused):
        case.desk.submit(SettleBargain(buyer, 1.0, 5.0), buyer)
    assert not market.bargained
    case.desk.submit(SettleBargain(seller, 1.0, 5.0), seller)
    assert market.bargained and market.quantity_gw[seller] == 1.0 and market.price == 5.0


def test_an_unknown_decision_is_refused(model) -> None:
    """Only the decision types of `world.decisions` are applied."""
    with pytest.raises(DecisionRefused, match="not a decision"):
        model.desk.submit(("pay", "Nvidia", 1.0), "Nvidia")
    assert np.isfinite(model.ledger.total())


def test_money_from_lenders_or_investors_comes_only_through_their_own_decisions(model) -> None:
    """A firm books its own sales, but a loan or an outside investment booked as a plain
    payment would skip the debt capacity and the outside-equity pool: refused."""
    before = _balances(model)
    for payer in ("Lenders", "Investors"):
        with pytest.raises(DecisionRefused):
            model.desk.submit(Pay(payer, "Oracle", 1.0, FlowKind.DEBT_DRAW), "Oracle")
    assert _balances(model) == before


def test_a_firm_only_proposes_deals_and_only_ends_them(model) -> None:
    """A firm opens a deal as a letter of intent or a definitive agreement (diligence, the
    regulator and execution move it on), or records a failed negotiation off the network;
    opening it active would skip diligence and review, and 'ending' a deal into a live status
    would revive it."""
    with pytest.raises(DecisionRefused, match="propos"):
        model.desk.submit(OpenDeal(DealKind.EQUITY, "Nvidia", "OpenAI", DealStatus.ACTIVE,
                                   {"value_usd_b": 5.0}), "Nvidia")
    with pytest.raises(DecisionRefused, match="propos"):
        model.desk.submit(OpenDeal(DealKind.SUPPLY, "AMD", "Oracle", DealStatus.ABANDONED,
                                   {"gw": 1.0}), "Oracle")
    deal = model.desk.submit(OpenDeal(DealKind.SUPPLY, "AMD", "Oracle", DealStatus.LOI,
                                      {"gw": 1.0}), "Oracle")
    with pytest.raises(DecisionRefused, match="end status"):
        model.desk.submit(EndDeal(deal.deal_id, DealStatus.ACTIVE), "Oracle")


def test_an_appraisal_is_asked_by_the_firm_itself_and_notes_what_investors_saw(model) -> None:
    """Asking investors for a value is not a pure read: the growth shown is noted and moves
    their belief when the month closes. Only the firm can ask for itself; the value is what
    the capital market's rule gives."""
    with pytest.raises(DecisionRefused):
        model.desk.submit(Appraise("Oracle", 50.0, 0.3), "Amazon")
    value = model.desk.submit(Appraise("Oracle", 50.0, 0.3), "Oracle")
    assert value >= max(0.0, model.firms["Oracle"].cash_usd_b - model.firms["Oracle"].debt_usd_b)
    assert "Oracle" in model.capital.books.expected_growth
