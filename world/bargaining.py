"""Nash-in-Nash terms of bilateral contracts on a market (pure functions).

Each contract (a *link*) between a seller and a buyer fixes a quantity `gw`; its price solves
the bilateral Nash bargaining problem given every other contract (Horn and Wolinsky 1988,
"Bilateral monopolies and incentives for merger", RAND J. Econ. 19(3); Collard-Wexler,
Gowrisankaran and Lee 2019, "Nash-in-Nash bargaining: a microfoundation for applied work",
J. Political Economy 127(1)):

    max_p (pi_s(p) - d_s)^w_s (pi_b(p) - d_b)^w_b

pi_i(p) is party i's payoff when the link is signed at price p and the market clears with all
links; d_i (its *disagreement payoff*) is its payoff when this link fails and the market is
re-solved without it: the buyer turns to its next-best seller, the seller sells the capacity to
other buyers, and the two do not trade with each other. The price is a transfer p x gw, so
with A_i = party i's payoff with the link at price 0 the solution is

    p x gw = d_s - A_s + w_s / (w_s + w_b) x S,      S = A_s + A_b - d_s - d_b   (USD B)

S is the link's *surplus*; no contract is signed if S <= 0. Other links' prices are transfers
that appear equally in pi_i and d_i, so they cancel: a link's terms depend on the other links
only through their quantities, and the Nash-in-Nash fixed point is reached in one pass.

The market and its clearing (`clear_market`, `compute_payoffs`) are `world.rationing`'s:
links deliver first, then the sellers' posted prices ration the rest efficiently.

`compute_link_terms` also gives each side's *outside option* o_i = d_i - n_i >= 0: what its
alternative is worth against not trading the link's GW at all (n_i: payoff when the pair does
not trade and the buyer buys `gw` less, the seller sells `gw` less). The alternating-offers
protocol (`agents.negotiation`) bargains over the gross pie S + o_s + o_b with these outside
options (Binmore, Rubinstein and Wolinsky 1986, RAND J. Econ. 17(2)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from world.rationing import (
    EPS_GW,
    TIE_DIGITS,
    Buyer,
    Link,
    Market,
    Seller,
    Trade,
    clear_market,
    compute_link_payoffs,
    compute_payoffs,
)

__all__ = [
    "EPS_GW", "TIE_DIGITS", "Buyer", "Link", "LinkTerms", "Market", "Resolve", "Seller",
    "Trade", "clear_market", "compute_link_terms", "compute_nash_in_nash", "compute_nash_price",
    "compute_payoffs",
]

Resolve = Callable[[Market], dict[str, float]]
"""A re-solve of the market: payoffs (USD B) by party name."""


@dataclass(frozen=True, slots=True)
class LinkTerms:
    """What a link is worth to its two parties, USD B.

    Attributes:
        agreement_source_usd_b, agreement_target_usd_b: A_s, A_b, payoffs with the link at
            price 0 (the seller's is its margin on everything else minus the link's cost).
        disagreement_source_usd_b, disagreement_target_usd_b: d_s, d_b (link fails,
            market re-solved without it).
        outside_source_usd_b, outside_target_usd_b: o_s, o_b >= 0, the alternatives' worth
            against not trading the GW at all.
        surplus_usd_b: S = A_s + A_b - d_s - d_b.
    """

    gw: float
    agreement_source_usd_b: float
    agreement_target_usd_b: float
    disagreement_source_usd_b: float
    disagreement_target_usd_b: float
    outside_source_usd_b: float
    outside_target_usd_b: float

    @property
    def surplus_usd_b(self) -> float:
        """The link's surplus S, USD B."""
        return (self.agreement_source_usd_b + self.agreement_target_usd_b
                - self.disagreement_source_usd_b - self.disagreement_target_usd_b)

    @property
    def pie_usd_b(self) -> float:
        """Gross pie for alternating offers: S + o_s + o_b, USD B."""
        return self.surplus_usd_b + self.outside_source_usd_b + self.outside_target_usd_b

    @property
    def seller_reservation_usd_b_per_gw(self) -> float:
        """Lowest price the seller accepts: (d_s - A_s) / gw, USD B per GW."""
        return (self.disagreement_source_usd_b - self.agreement_source_usd_b) / self.gw

    @property
    def buyer_reservation_usd_b_per_gw(self) -> float:
        """Highest price the buyer accepts: (A_b - d_b) / gw, USD B per GW."""
        return (self.agreement_target_usd_b - self.disagreement_target_usd_b) / self.gw

    def compute_price(self, seller_gain_usd_b: float) -> float:
        """Price at which the seller gains `seller_gain_usd_b` over its outside option's
        baseline (no trade of the GW): (gain + n_s - A_s) / gw = reservation + (gain - o_s) /
        gw, USD B per GW."""
        return self.seller_reservation_usd_b_per_gw + (
            seller_gain_usd_b - self.outside_source_usd_b) / self.gw


def compute_link_terms(market: Market, link_id: str, resolve: Resolve = compute_payoffs
                       ) -> LinkTerms:
    """A_i, d_i and o_i of one link, by three re-solves of the market (module docstring).

    The link must fit its seller's capacity left by its other links (ValueError otherwise):
    a link the seller cannot deliver in full would be priced as the smaller trade it is.
    """
    link = market.link(link_id)
    if not link.gw > 0.0:
        raise ValueError(f"link {link_id!r}: gw must be > 0, got {link.gw!r}")
    room = sum(s.capacity_gw for s in market.sellers if s.name == link.seller) - sum(
        k.gw for k in market.links if k.seller == link.seller and k.link_id != link_id)
    if link.gw > room * (1 + 1e-9) + EPS_GW:
        raise ValueError(f"link {link_id!r}: {link.gw} GW exceeds its seller's free capacity "
                         f"{room} GW (the terms would be of a smaller trade)")
    s, b = link.seller, link.buyer
    if resolve is compute_payoffs:
        agree, fail, none = compute_link_payoffs(market, link)
    else:
        agree = resolve(market.compute_with_price(link_id, 0.0))
        fail = resolve(market.compute_without(link_id))
        none = resolve(market.compute_without_quantity(link_id))
    return LinkTerms(
        gw=link.gw,
        agreement_source_usd_b=agree.get(s, 0.0),
        agreement_target_usd_b=agree.get(b, 0.0),
        disagreement_source_usd_b=fail.get(s, 0.0),
        disagreement_target_usd_b=fail.get(b, 0.0),
        outside_source_usd_b=max(0.0, fail.get(s, 0.0) - none.get(s, 0.0)),
        outside_target_usd_b=max(0.0, fail.get(b, 0.0) - none.get(b, 0.0)),
    )


def compute_nash_price(terms: LinkTerms, weights: tuple[float, float]) -> float:
    """Nash price of a link, USD B per GW: (d_s - A_s + w_s / (w_s + w_b) x S) / gw.

    NaN if S <= 0 (no gains from trade: no contract).
    """
    w_s, w_b = weights
    if not (w_s > 0.0 and w_b > 0.0):
        raise ValueError(f"bargaining weights must be > 0, got {weights!r}")
    surplus = terms.surplus_usd_b
    if surplus <= 0.0:
        return math.nan
    return terms.seller_reservation_usd_b_per_gw + w_s / (w_s + w_b) * surplus / terms.gw


def compute_nash_in_nash(market: Market, weights: tuple[float, float],
                         resolve: Resolve = compute_payoffs) -> dict[str, float]:
    """Nash-in-Nash prices of every link (by link id), USD B per GW; NaN where S <= 0.

    One pass suffices (module docstring); the returned prices are a fixed point: each is the
    Nash price of its link given the others at theirs (`tests/world/test_bargaining.py`).
    """
    return {
        link.link_id: compute_nash_price(compute_link_terms(market, link.link_id, resolve),
                                         weights)
        for link in sorted(market.links, key=lambda k: k.link_id)
    }
