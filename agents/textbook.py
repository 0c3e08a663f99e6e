"""How the firms play a docking case's textbook market (`world.textbook`) in their month.

Called from the firms' own `step()` in the market model's decision phase, so the order of
moves is the model's seeded random order of firms each month:

- ``cournot``: each vendor best-responds to its rivals' current quantities
  (`ChipVendor.compute_best_response_quantity`). Sequential best responses in a random order
  (asynchronous, Gauss-Seidel updating; simultaneous ones cycle for N >= 3, Theocharis 1960)
  converge in the linear Cournot game, a potential game with a strictly concave potential.
- ``double_marginalization``: the vendor reads the cloud's derived demand from two probes of
  its reaction (`CloudProvider.compute_best_response_price`) and moves its wholesale price
  `WHOLESALE_ADJUSTMENT` of the way to the monopoly price against it; ``vendors.integrated``
  prices at cost. The cloud sets its monopoly resale price given the wholesale price.
- bargaining cases: in the first month the seller bargains with the buyer. ``rubinstein``:
  one `AlternatingOffers` negotiation (the protocol of every market negotiation) with
  identical views and the scenario's per-round discount factors; ``nash``: the link's terms
  from the scenario's surplus and disagreement point (`TextbookMarket.compute_nash_terms`);
  ``outside_option``: the link's Nash-in-Nash terms from re-solving its market without the
  link (`world.bargaining.compute_link_terms`). Both are struck by
  `agents.contracting.strike`, the function every negotiated contract of a market run goes
  through (alternating offers in rounds of a week, patience from the firms' monthly discount
  factors and the bargaining weights).
"""

from __future__ import annotations

from agents import contracting
from agents.firm import Firm
from agents.negotiation import AlternatingOffers
from world.bargaining import compute_link_terms
from world.contracts import DealStatus
from world.decisions import (
    OpenDeal,
    SetQuantity,
    SetRetailPrice,
    SettleBargain,
    SetWholesalePrice,
)
from world.params import DealKind, Mode
from world.textbook import TextbookMarket

__all__ = ["update_play"]

WHOLESALE_ADJUSTMENT = 0.5
"""Fraction of the gap to its target wholesale price that the vendor closes each month."""
PROBE_USD = 1.0
"""Spacing of the two wholesale prices at which the vendor probes the cloud's reaction."""


def update_play(firm: Firm) -> None:
    """The firm's move this month in the model's textbook market (nothing if it has none)."""
    market = firm.view.textbook
    if market is None:
        return
    if market.mode is Mode.COURNOT and firm.name in market.sellers:
        _update_cournot(firm, market)
    elif market.mode is Mode.DOUBLE_MARGINALIZATION:
        if firm.name == market.sellers[0]:
            _update_wholesale(firm, market)
        elif firm.name == market.buyer:
            retail = firm.compute_best_response_price(
                market.wholesale_usd, market.intercept, market.slope)
            firm.desk.submit(SetRetailPrice(firm.name, retail), firm.name)
    elif firm.name == market.sellers[0] and not market.bargained:
        _update_bargain(firm, market)


def _update_cournot(vendor: Firm, market: TextbookMarket) -> None:
    rivals = market.compute_rival_quantity(vendor.name)
    quantity = vendor.compute_best_response_quantity(
        rivals, market.intercept, market.slope, market.costs[vendor.name])
    vendor.desk.submit(SetQuantity(vendor.name, quantity), vendor.name)


def _cloud_quantity(vendor: Firm, market: TextbookMarket, wholesale: float) -> float:
    """What the cloud would sell (and so buy) at a wholesale price: its reaction."""
    cloud = vendor.view.firms[market.buyer]
    price = cloud.compute_best_response_price(wholesale, market.intercept, market.slope)
    return market.compute_quantity_demanded(price)


def _update_wholesale(vendor: Firm, market: TextbookMarket) -> None:
    cost = market.costs[vendor.name]
    if market.integrated:  # one firm: the chips move at marginal cost
        vendor.desk.submit(SetWholesalePrice(vendor.name, cost), vendor.name)
        return
    q0 = _cloud_quantity(vendor, market, cost)
    q1 = _cloud_quantity(vendor, market, cost + PROBE_USD)
    slope = (q0 - q1) / PROBE_USD  # derived demand Q(w) = A - B w, read from the cloud
    if slope > 0:
        target = vendor.compute_monopoly_price(q0 + slope * cost, slope, cost)
        price = market.wholesale_usd + WHOLESALE_ADJUSTMENT * (target - market.wholesale_usd)
        vendor.desk.submit(SetWholesalePrice(vendor.name, price), vendor.name)


def _update_bargain(seller: Firm, market: TextbookMarket) -> None:
    view, desk = seller.view, seller.desk
    buyer = view.firms[market.buyer]
    if market.mode in (Mode.OUTSIDE_OPTION, Mode.NASH):
        link_id = contracting.LINK_ID
        terms = (compute_link_terms(market.compute_outside_option_market(link_id), link_id)
                 if market.mode is Mode.OUTSIDE_OPTION else market.compute_nash_terms())
        deal = contracting.strike(view, desk, seller, buyer, DealKind.SUPPLY, terms,
                                  seller_first=True, months=1, start_in=0, rng=seller.generator)
        if deal is None:  # no gains from trade, or an impasse: recorded as abandoned
            desk.submit(OpenDeal(
                DealKind.SUPPLY, seller.name, buyer.name, DealStatus.ABANDONED,
                dict(gw=1.0, surplus_usd_b=terms.surplus_usd_b,
                     disagreement_source_usd_b=terms.disagreement_source_usd_b,
                     disagreement_target_usd_b=terms.disagreement_target_usd_b),
                on_network=False), seller.name)
            desk.submit(SettleBargain(seller.name, 0.0, 0.0), seller.name)
        else:
            desk.submit(SettleBargain(seller.name, deal.gw, deal.price_usd_b_per_gw), seller.name)
        return
    neg = view.p.negotiation  # rubinstein: the protocol itself, with the scenario's factors
    pie = neg.surplus_usd_b
    d_p, d_r = neg.discount_factors
    out = AlternatingOffers((seller.name, buyer.name)).run(
        pie, pie, 0.0, 0.0, d_p, d_r, neg.max_rounds)
    agreed, value, rounds = out.agreed, out.proposer_share * pie, out.rounds
    desk.submit(OpenDeal(  # the record of the negotiation, off the network
        DealKind.SUPPLY, seller.name, buyer.name,
        DealStatus.DEFINITIVE if agreed else DealStatus.ABANDONED,
        dict(value_usd_b=value if agreed else 0.0, binding=agreed, surplus_usd_b=pie,
             disagreement_source_usd_b=neg.disagreement_usd_b[0],
             disagreement_target_usd_b=neg.disagreement_usd_b[1]),
        id_prefix=market.mode.value[:3].upper(), rounds=rounds, on_network=False,
    ), seller.name)
    desk.submit(SettleBargain(seller.name, 1.0 if agreed else 0.0, value if agreed else 0.0),
                seller.name)
