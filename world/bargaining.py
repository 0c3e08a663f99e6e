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

The market (`clear_market`), in USD B and GW over one contract window: links deliver first
(in link-id order, as far as the seller's capacity allows); then each buyer, in decreasing
order of its best net value, buys its remaining demand from the sellers in decreasing order
of net value v_bs - p_s (value to the buyer minus the seller's posted price) while that is >= 0
and capacity lasts (efficient rationing of a posted-price market; Tirole 1988, ch. 5.3.1);
sellers with equal net value share the order in proportion to their free capacity (no seller
is favoured by its name).
Seller payoff = sum over its sales (price - cost) x GW; buyer payoff = sum (value - price) x GW.

`compute_link_terms` also gives each side's *outside option* o_i = d_i - n_i >= 0: what its
alternative is worth against not trading the link's GW at all (n_i: payoff when the pair does
not trade and the buyer buys `gw` less, the seller sells `gw` less). The alternating-offers
protocol (`agents.negotiation`) bargains over the gross pie S + o_s + o_b with these outside
options (Binmore, Rubinstein and Wolinsky 1986, RAND J. Econ. 17(2)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

EPS_GW = 1e-12
"""Quantities below this are treated as zero (rounding of the greedy clearing)."""
TIE_DIGITS = 9
"""Net values (USD B per GW) equal to this many decimals are a tie: those sellers share."""


@dataclass(frozen=True, slots=True)
class Seller:
    """A seller on the market: capacity over the window (GW), unit cost and posted price
    (USD B per GW)."""

    name: str
    capacity_gw: float
    cost_usd_b_per_gw: float
    price_usd_b_per_gw: float


@dataclass(frozen=True, slots=True)
class Buyer:
    """A buyer: demand over the window (GW) and value of a GW (USD B per GW); `values` gives
    a different value for named sellers ((seller, USD B per GW) pairs), e.g. CUDA lock-in."""

    name: str
    demand_gw: float
    value_usd_b_per_gw: float
    values: tuple[tuple[str, float], ...] = ()

    def value_of(self, seller: str) -> float:
        """Value to this buyer of a GW from `seller`, USD B per GW."""
        for name, value in self.values:
            if name == seller:
                return value
        return self.value_usd_b_per_gw


@dataclass(frozen=True, slots=True)
class Link:
    """A bilateral contract: `gw` from `seller` to `buyer` at `price_usd_b_per_gw`."""

    link_id: str
    seller: str
    buyer: str
    gw: float
    price_usd_b_per_gw: float = 0.0


@dataclass(frozen=True, slots=True)
class Market:
    """Sellers, buyers, the contracts between them and the pairs barred from spot trade."""

    sellers: tuple[Seller, ...]
    buyers: tuple[Buyer, ...]
    links: tuple[Link, ...] = ()
    barred: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def link(self, link_id: str) -> Link:
        """The link with this id (KeyError if absent)."""
        for link in self.links:
            if link.link_id == link_id:
                return link
        raise KeyError(link_id)

    def compute_without(self, link_id: str) -> Market:
        """The market if the link fails: the link is dropped and its pair does not trade."""
        link = self.link(link_id)
        return Market(self.sellers, self.buyers,
                      tuple(k for k in self.links if k.link_id != link_id),
                      self.barred | {(link.seller, link.buyer)})

    def compute_without_quantity(self, link_id: str) -> Market:
        """The market if the link's GW are not traded at all: the link fails and its buyer
        demands, its seller offers, `gw` less."""
        link = self.link(link_id)
        base = self.compute_without(link_id)
        sellers = tuple(
            Seller(s.name, max(0.0, s.capacity_gw - link.gw), s.cost_usd_b_per_gw,
                   s.price_usd_b_per_gw) if s.name == link.seller else s
            for s in base.sellers
        )
        buyers = tuple(
            Buyer(b.name, max(0.0, b.demand_gw - link.gw), b.value_usd_b_per_gw, b.values)
            if b.name == link.buyer else b
            for b in base.buyers
        )
        return Market(sellers, buyers, base.links, base.barred)

    def compute_with_price(self, link_id: str, price_usd_b_per_gw: float) -> Market:
        """The same market with one link's price changed."""
        return Market(self.sellers, self.buyers, tuple(
            Link(k.link_id, k.seller, k.buyer, k.gw, price_usd_b_per_gw) if k.link_id == link_id
            else k
            for k in self.links
        ), self.barred)


@dataclass(frozen=True, slots=True)
class Trade:
    """GW moved from `seller` to `buyer` at `price_usd_b_per_gw` ('' link_id = spot)."""

    seller: str
    buyer: str
    link_id: str
    gw: float
    price_usd_b_per_gw: float


def clear_market(market: Market) -> tuple[Trade, ...]:
    """Trades of the market (module docstring): links first, then efficient spot rationing."""
    sellers, buyers = market.sellers, market.buyers
    prices, net_of = _compute_net_values(sellers, buyers, market.barred)
    rows = _clear(*_compute_quantities(sellers, buyers), market.links, prices,
                  _compute_rounds(buyers, net_of))
    return tuple(Trade(seller, buyer, link_id, gw, price)
                 for seller, buyer, link_id, gw, price, _net in rows)


NetValues = tuple[dict[str, float], dict[str, dict[str, float]]]
"""Sellers' posted prices by name, and buyer -> seller -> value minus price (USD B per GW) for
the pairs that may trade."""

Rounds = list[tuple[str, dict[str, float], list[tuple[float, list[str]]]]]
"""The spot rounds of `clear_market`, one per buyer in the order they buy: its name, its net
values by seller, and those sellers grouped by net value rounded to `TIE_DIGITS`, best first,
names sorted within a group."""


def _compute_net_values(sellers: tuple[Seller, ...], buyers: tuple[Buyer, ...],
                        barred: frozenset[tuple[str, str]]) -> NetValues:
    prices = {s.name: s.price_usd_b_per_gw for s in sellers}
    net_of = {
        b.name: {s: b.value_of(s) - p for s, p in prices.items() if (s, b.name) not in barred}
        for b in buyers
    }
    return prices, net_of


def _compute_rounds(buyers: tuple[Buyer, ...], net_of: dict[str, dict[str, float]],
                    known: Rounds = ()) -> Rounds:
    """Buyers by decreasing best net value, then name (ties keep their order: a stable sort),
    each with its sellers grouped by net value; a buyer whose net values are the very dict of
    a round in `known` takes that round's groups."""
    groups_of = {id(net_b): groups for _name, net_b, groups in known}
    order = sorted((-max(net_of[b.name].values(), default=-math.inf), b.name, k)
                   for k, b in enumerate(buyers))
    rounds: Rounds = []
    for _best, name_b, _k in order:
        net_b = net_of[name_b]
        groups = groups_of.get(id(net_b))
        if groups is None:
            nets: dict[float, list[str]] = {}
            for name, net in net_b.items():
                nets.setdefault(round(net, TIE_DIGITS), []).append(name)
            groups = [(net, sorted(nets[net]) if len(nets[net]) > 1 else nets[net])
                      for net in (sorted(nets, reverse=True) if len(nets) > 1 else nets)]
        rounds.append((name_b, net_b, groups))
    return rounds


def _compute_quantities(sellers: tuple[Seller, ...], buyers: tuple[Buyer, ...]
                        ) -> tuple[dict[str, float], dict[str, float]]:
    """Each seller's capacity and each buyer's demand by name, GW (never below 0)."""
    return ({s.name: max(0.0, s.capacity_gw) for s in sellers},
            {b.name: max(0.0, b.demand_gw) for b in buyers})


def _clear(left: dict[str, float], want: dict[str, float], links: tuple[Link, ...],
           prices: dict[str, float], rounds: Rounds
           ) -> list[tuple[str, str, str, float, float, float | None]]:
    """The clearing of `clear_market` as plain rows (seller, buyer, link id, GW, price, the
    buyer's value minus the price per GW for a spot trade, None for a link), given the
    capacities and demands of `_compute_quantities` (used up here), the posted prices and the
    spot rounds of `_compute_rounds` (so the re-solves of `compute_link_terms` share them):
    `compute_payoffs` reads the buyer's net value of a spot trade from here."""
    rows: list[tuple[str, str, str, float, float, float | None]] = []
    for link in (sorted(links, key=_link_id) if len(links) > 1 else links):
        gw = min(link.gw, left.get(link.seller, 0.0), want.get(link.buyer, link.gw))
        if gw > EPS_GW:
            left[link.seller] -= gw
            want[link.buyer] = want.get(link.buyer, 0.0) - gw
            rows.append((link.seller, link.buyer, link.link_id, gw, link.price_usd_b_per_gw,
                         None))
    for name_b, net_b, groups in rounds:
        wanted = want[name_b]
        for net, tied in groups:
            if net < 0.0 or wanted <= EPS_GW:
                break
            if len(tied) > 1:
                room = sum(left[name] for name in tied)
            else:  # one seller: its capacity (never -0.0, so the same float as the sum)
                room = left[tied[0]]
            take = min(wanted, room)
            if take <= EPS_GW:
                continue
            for name in tied:  # equally good sellers share the order pro rata to capacity
                gw = take * left[name] / room
                if gw > EPS_GW:
                    left[name] -= gw
                    rows.append((name, name_b, "", gw, prices[name], net_b[name]))
            wanted -= take
        want[name_b] = wanted
    return rows


def _link_id(link: Link) -> str:
    return link.link_id


def compute_payoffs(market: Market) -> dict[str, float]:
    """Each seller's and buyer's payoff after clearing, USD B (sorted by name).

    Seller: sum of (price - cost) x GW over its sales; buyer: sum of (value - price) x GW.
    A firm that is both (a designer buying its own chips) gets both.
    """
    sellers, buyers = market.sellers, market.buyers
    prices, net_of = _compute_net_values(sellers, buyers, market.barred)
    return _settle(_compute_accounts(sellers, buyers), *_compute_quantities(sellers, buyers),
                   market.links, prices, _compute_rounds(buyers, net_of))


Accounts = tuple[dict[str, float], dict[str, Buyer], dict[str, float]]
"""Sellers' unit costs by name, buyers by name, and every party's payoff at 0 (sorted)."""


def _compute_accounts(sellers: tuple[Seller, ...], buyers: tuple[Buyer, ...]) -> Accounts:
    cost = {s.name: s.cost_usd_b_per_gw for s in sellers}
    buyer_of = {b.name: b for b in buyers}
    return cost, buyer_of, dict.fromkeys(sorted({*cost, *buyer_of}), 0.0)


def _settle(accounts: Accounts, left: dict[str, float], want: dict[str, float],
            links: tuple[Link, ...], prices: dict[str, float], rounds: Rounds
            ) -> dict[str, float]:
    """`compute_payoffs` of the market given by its parts (`_clear`)."""
    cost, buyer_of, zero = accounts
    out = dict(zero)
    for seller, buyer, _link, gw, price, net in _clear(left, want, links, prices, rounds):
        out[seller] += (price - cost[seller]) * gw
        if net is None:  # a link trades at its own price
            net = buyer_of[buyer].value_of(seller) - price
        out[buyer] += net * gw
    return out


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
        agree, fail, none = _resolve_three(market, link)
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


def _resolve_three(market: Market, link: Link
                   ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """`compute_payoffs` of the three markets of `compute_link_terms` (the link at price 0,
    the link failed, its GW not traded), from the parts without new `Market`s: the last two
    bar the same pair, so they share their net values (the first's without that pair); the
    third has the seller's capacity and the buyer's demand `gw` less (max(0, x - gw), as
    `Market.compute_without_quantity`)."""
    s, b, gw = link.seller, link.buyer, link.gw
    sellers, buyers = market.sellers, market.buyers
    accounts = _compute_accounts(sellers, buyers)
    prices, net_of = _compute_net_values(sellers, buyers, market.barred)
    net_fail = {name: ({k: v for k, v in nets.items() if k != s} if name == b else nets)
                for name, nets in net_of.items()}
    free = tuple(k for k in market.links if k.link_id != link.link_id)
    priced = tuple(Link(k.link_id, k.seller, k.buyer, k.gw, 0.0) if k.link_id == link.link_id
                   else k for k in market.links)
    left, want = _compute_quantities(sellers, buyers)
    left_less = {x.name: max(0.0, x.capacity_gw - gw) if x.name == s else max(0.0, x.capacity_gw)
                 for x in sellers}
    want_less = {x.name: max(0.0, x.demand_gw - gw) if x.name == b else max(0.0, x.demand_gw)
                 for x in buyers}
    rounds = _compute_rounds(buyers, net_of)
    rounds_fail = _compute_rounds(buyers, net_fail, rounds)  # the same for the third
    return (_settle(accounts, dict(left), dict(want), priced, prices, rounds),
            _settle(accounts, left, want, free, prices, rounds_fail),
            _settle(accounts, left_less, want_less, free, prices, rounds_fail))


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
