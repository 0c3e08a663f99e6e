"""Contracts in the market: every negotiated deal's terms come from re-solving its market."""

from __future__ import annotations

import math

import pytest

from agents import contracting
from experiments.scenario.loader import load_scenario
from world import bargaining
from world.contracts import DealStatus
from world.model import ComputeMarketModel
from world.params import DealKind


@pytest.fixture(scope="module")
def traced_run():
    """A baseline run with the history cut at its start, every link evaluation recorded."""
    seen: list[tuple[bargaining.Market, bargaining.LinkTerms]] = []
    original = contracting.compute_link_terms

    def traced(market, link_id, resolve=bargaining.compute_payoffs):
        terms = original(market, link_id, resolve)
        seen.append((market, terms))
        return terms

    mp = pytest.MonkeyPatch()
    mp.setattr(contracting, "compute_link_terms", traced)
    try:
        params = load_scenario("baseline", ["simulation.history_cutoff=2025-01",
                                            "simulation.steps=30"], seed=3)
        model = ComputeMarketModel(params)
        model.run_steps()
    finally:
        mp.undo()
    return model, seen


def test_disagreement_is_the_payoff_of_the_market_re_solved_without_the_link(traced_run):
    """For every link the firms weighed, d_s and d_b are the two parties' payoffs when the
    market is cleared again without the link (and without trade between the pair), and A_s,
    A_b their payoffs with it at price 0: computed here by clearing the recorded market."""
    _model, seen = traced_run
    assert len(seen) > 20
    for market, terms in seen:
        link = market.link(contracting.LINK_ID)
        without = bargaining.compute_payoffs(market.compute_without(contracting.LINK_ID))
        agree = bargaining.compute_payoffs(market.compute_with_price(contracting.LINK_ID, 0.0))
        assert terms.disagreement_source_usd_b == pytest.approx(without[link.seller])
        assert terms.disagreement_target_usd_b == pytest.approx(without[link.buyer])
        assert terms.surplus_usd_b == pytest.approx(
            agree[link.seller] + agree[link.buyer] - without[link.seller] - without[link.buyer])
        # the buyer cut off from this seller can only do as well as its other trades allow:
        # never more than its demand x its best net value among the other sellers
        buyer = next(b for b in market.buyers if b.name == link.buyer)
        best = max([buyer.value_of(s.name) - s.price_usd_b_per_gw for s in market.sellers
                    if s.name != link.seller] + [0.0])
        assert terms.disagreement_target_usd_b <= buyer.demand_gw * best + 1e-9


def test_deals_record_their_bargaining(traced_run):
    """Every negotiated supply or cloud deal carries a positive surplus and the disagreement
    payoffs of one of the evaluated links; its price lies between the two reservations."""
    model, seen = traced_run
    negotiated = [d for d in model.deals if d.origin == "endogenous"
                  and d.kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY) and not d.parent_id]
    assert negotiated, "no negotiated deal in 30 months"
    for deal in negotiated:
        assert deal.surplus_usd_b is not None and deal.surplus_usd_b > 0
        match = [t for m, t in seen
                 if m.link(contracting.LINK_ID).seller == deal.source
                 and m.link(contracting.LINK_ID).buyer == deal.target
                 and math.isclose(t.surplus_usd_b, deal.surplus_usd_b)]
        assert match, deal.deal_id
        terms = match[0]
        years = deal.duration_months / 12.0 if deal.kind is DealKind.CLOUD_CAPACITY else 1.0
        price = deal.price_usd_b_per_gw * years
        assert terms.seller_reservation_usd_b_per_gw - 1e-6 <= price
        assert price <= terms.buyer_reservation_usd_b_per_gw + 1e-6


def test_firms_other_than_the_lab_negotiate(traced_run):
    """Clouds and vendors start negotiations too: some deal has a cloud as buyer."""
    model, _seen = traced_run
    clouds = {c.name for c in model.clouds}
    assert any(d.target in clouds and d.origin == "endogenous"
               and d.status is not DealStatus.PROPOSED for d in model.deals)


def test_candidates_built_once_per_buyer_equal_markets_built_per_seller() -> None:
    """`compute_candidates` builds the market once and swaps the link per seller; every
    candidate's terms equal those of the market built afresh for that seller (its link priced
    by the same three re-solves), in search months of a run, for chips and cloud capacity."""
    params = load_scenario("baseline", ["simulation.history_cutoff=2025-01",
                                        "simulation.steps=13"], seed=3)
    model = ComputeMarketModel(params)
    view, checked = model.view, 0
    for _ in range(13):
        model.step()
        for buyer in [*view.clouds, *view.labs]:
            for kind, build, sellers in (
                    (DealKind.SUPPLY, contracting.compute_chip_market,
                     [v.name for v in view.vendors]),
                    (DealKind.CLOUD_CAPACITY, contracting.compute_cloud_market,
                     [c.name for c in view.clouds])):
                if kind is DealKind.CLOUD_CAPACITY and buyer.role != "lab":
                    continue
                got = {name: terms for name, _rank, terms in
                       contracting.compute_candidates(view, buyer, 1.0, sellers, kind)}
                for name, terms in got.items():
                    market = build(view, buyer, name, 1.0)
                    assert terms == bargaining.compute_link_terms(market, contracting.LINK_ID)
                    checked += 1
    assert checked > 10  # candidates were weighed


def test_shared_vendor_side_equals_market_built_afresh() -> None:
    """A vendor weighing several buyers reads the vendors' side of the chip market once
    (`compute_vendor_side`) and the buyers' chip needs in one pass (`compute_chip_needs_gw`),
    and builds each buyer's market on the vendors' side: each market must equal the one built
    from scratch, each designer's promised GW from the one pass its own pass (captive
    designers included), and each need the need's rule for that buyer alone, in every month
    of a run."""
    params = load_scenario("baseline", ["simulation.history_cutoff=2025-01",
                                        "simulation.steps=13"], seed=3)
    model = ComputeMarketModel(params)
    view, checked = model.view, 0
    designers = sorted({*model.designers, *(v.name for v in view.vendors)})
    for _ in range(13):
        model.step()
        vendors, committed = contracting.compute_vendor_side(view, designers)
        for name in designers:
            assert committed[name] == contracting._compute_committed_gw(view, (name,))[name]
        buyers = [*view.clouds, *view.labs]
        needs = contracting.compute_chip_needs_gw(view, buyers)
        for buyer in buyers:
            for seller in [v.name for v in view.vendors]:
                assert (contracting.compute_chip_market(view, buyer, seller, 1.0, vendors)
                        == contracting.compute_chip_market(view, buyer, seller, 1.0))
                checked += 1
            assert needs[buyer.name] == _need_by_its_rule(view, buyer)
    assert checked > 10


def _need_by_its_rule(view, firm) -> float:
    """The chip need's rule written out for one firm: expected powered `PLAN_MONTHS` ahead -
    installed - on order - its supply contracts (undelivered if active, in full if pending)."""
    contracted = sum(
        view.compute_undelivered_gw(d) if d.status is DealStatus.ACTIVE else d.gw
        for d in view.live_deals()
        if d.kind is DealKind.SUPPLY and d.target == firm.name
        and d.status is not DealStatus.STALLED)
    expected = view.compute_expected_powered_gw(firm.name, view.t + contracting.PLAN_MONTHS)
    return max(0.0, expected - firm.installed_total_gw - view.compute_on_order_gw(firm.name)
               - contracted)
