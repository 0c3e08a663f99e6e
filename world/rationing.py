"""A bilateral market over one contract window and its clearing (pure functions).

Sellers with capacities, unit costs and posted prices; buyers with demands and values; the
contracts (*links*) between them and the pairs barred from spot trade. `world.bargaining`
prices each link by re-solving this market with and without it.

The clearing (`clear_market`), in USD B and GW over one contract window: links deliver first
(in link-id order, as far as the seller's capacity allows); then each buyer, in decreasing
order of its best net value, buys its remaining demand from the sellers in decreasing order
of net value v_bs - p_s (value to the buyer minus the seller's posted price) while that is >= 0
and capacity lasts (efficient rationing of a posted-price market; Tirole 1988, ch. 5.3.1);
sellers with equal net value share the order in proportion to their free capacity (no seller
is favoured by its name).
Seller payoff = sum over its sales (price - cost) x GW; buyer payoff = sum (value - price) x GW.

`compute_link_payoffs` solves the three markets a link's terms need (the link at price 0, the
link failed, its GW not traded) from shared parts: they differ only in one link, one barred
pair and two quantities, so their net values, buyer order and seller groups are computed once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
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
    order = sorted([(-max(net_of[b.name].values(), default=-math.inf), b.name, k)
                    for k, b in enumerate(buyers)])
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
    return list(_trades(left, want, links, prices, rounds))


def _trades(left: dict[str, float], want: dict[str, float], links: tuple[Link, ...],
            prices: dict[str, float], rounds: Rounds
            ) -> Iterator[tuple[str, str, str, float, float, float | None]]:
    """The trades of the clearing, in order, as `_clear`'s rows: the one rule both `_clear`
    (rows) and `_settle` (payoffs booked as the trades are made) follow. Uses up `left` and
    `want`."""
    for link in (sorted(links, key=_link_id) if len(links) > 1 else links):
        gw = min(link.gw, left.get(link.seller, 0.0), want.get(link.buyer, link.gw))
        if gw > EPS_GW:
            left[link.seller] -= gw
            want[link.buyer] = want.get(link.buyer, 0.0) - gw
            yield (link.seller, link.buyer, link.link_id, gw, link.price_usd_b_per_gw, None)
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
                    yield (name, name_b, "", gw, prices[name], net_b[name])
            wanted -= take
        want[name_b] = wanted


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
    """`compute_payoffs` of the market given by its parts: the trades of `_trades` (the
    clearing's one rule) booked as they are made, without keeping rows: each party's payoff
    the same additions in the same order as from `clear_market`'s trades
    (`tests/world/test_bargaining.py` compares them). Uses up `left` and `want`."""
    cost, buyer_of, zero = accounts
    out = dict(zero)
    for seller, buyer, _link, gw, price, net in _trades(left, want, links, prices, rounds):
        out[seller] += (price - cost[seller]) * gw
        if net is None:  # a link: the buyer's value of the seller's GW at the link's price
            out[buyer] += (buyer_of[buyer].value_of(seller) - price) * gw
        else:
            out[buyer] += net * gw
    return out


MarketParts = tuple[Accounts, dict[str, float], dict[str, dict[str, float]], Rounds,
                    dict[str, float], dict[str, float]]
"""What a market's clearings share whatever its links: the accounts, the posted prices, the
net values, the spot rounds and the capacities and demands (`_compute_market_parts`)."""

_KEPT_PARTS: list[tuple[tuple, frozenset, tuple, MarketParts]] = []
"""The last market's parts with the sellers, barred pairs and buyers they were computed from
(at most one entry)."""


def _compute_market_parts(market: Market) -> MarketParts:
    """The parts of `market` its clearings share (`MarketParts`), kept for the last sellers,
    buyers and barred pairs seen, compared by identity: those are immutable (frozen records
    of numbers, names and tuples, a frozenset), so the same objects give the same parts. A
    search for partners swaps only the link of one market (`agents.contracting`), so its
    candidates share them. Callers copy the capacities and demands before clearing."""
    sellers, buyers, barred = market.sellers, market.buyers, market.barred
    if _KEPT_PARTS:
        kept_sellers, kept_barred, kept_buyers, parts = _KEPT_PARTS[0]
        if kept_sellers is sellers and kept_buyers is buyers and kept_barred is barred:
            return parts
    accounts = _compute_accounts(sellers, buyers)
    prices, net_of = _compute_net_values(sellers, buyers, barred)
    left, want = _compute_quantities(sellers, buyers)
    parts = (accounts, prices, net_of, _compute_rounds(buyers, net_of), left, want)
    _KEPT_PARTS[:] = [(sellers, barred, buyers, parts)]
    return parts


def _compute_rounds_without(buyers: tuple[Buyer, ...], rounds: Rounds, buyer: str,
                            seller: str, net_without: dict[str, float]) -> Rounds | None:
    """The spot rounds of `_compute_rounds` when `buyer` may no longer buy from `seller`
    (its net values `net_without`), from the rounds with it: the buyer's groups lose the
    seller (a subset of groups sorted by value, and of names sorted within a group, stays
    sorted; a group left empty is dropped) and the buyers are ordered again with its new best
    net value. None when a group's value is not a number (NaN does not sort consistently:
    the caller groups afresh)."""
    best_of: dict[str, float] = {}
    out: dict[str, tuple[str, dict[str, float], list[tuple[float, list[str]]]]] = {}
    for name_b, net_b, groups in rounds:
        if name_b == buyer:
            kept = []
            for net, tied in groups:
                if net != net:
                    return None
                if seller in tied:
                    tied = [name for name in tied if name != seller]
                    if not tied:
                        continue
                kept.append((net, tied))
            out[name_b] = (name_b, net_without, kept)
            best_of[name_b] = max(net_without.values(), default=-math.inf)
        else:
            out[name_b] = (name_b, net_b, groups)
            best_of[name_b] = max(net_b.values(), default=-math.inf)
    order = sorted([(-best_of[b.name], b.name, k) for k, b in enumerate(buyers)])
    return [out[name_b] for _best, name_b, _k in order]


def compute_link_payoffs(market: Market, link: Link
                         ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """`compute_payoffs` of the three markets of a link's terms (the link at price 0,
    the link failed, its GW not traded), from the parts without new `Market`s: the last two
    bar the same pair, so they share their net values and spot rounds (the first's without
    that pair, `_compute_rounds_without`); the third has the seller's capacity and the
    buyer's demand `gw` less (max(0, x - gw), as `Market.compute_without_quantity`). The
    market's own parts are shared with the other links of the same market
    (`_compute_market_parts`)."""
    s, b, gw = link.seller, link.buyer, link.gw
    sellers, buyers = market.sellers, market.buyers
    accounts, prices, net_of, rounds, left, want = _compute_market_parts(market)
    free = tuple(k for k in market.links if k.link_id != link.link_id)
    priced = tuple(Link(k.link_id, k.seller, k.buyer, k.gw, 0.0) if k.link_id == link.link_id
                   else k for k in market.links)
    left_less, want_less = dict(left), dict(want)
    for x in sellers:  # the last seller of the name counts, as in `left`
        if x.name == s:
            left_less[s] = max(0.0, x.capacity_gw - gw)
    for y in buyers:
        if y.name == b:
            want_less[b] = max(0.0, y.demand_gw - gw)
    rounds_fail = None
    if b in net_of:
        net_b = {k: v for k, v in net_of[b].items() if k != s}
        if len(net_of) == len(buyers):  # (buyers with distinct names: one round each)
            rounds_fail = _compute_rounds_without(buyers, rounds, b, s, net_b)
    if rounds_fail is None:
        net_fail = {name: ({k: v for k, v in nets.items() if k != s} if name == b else nets)
                    for name, nets in net_of.items()}
        rounds_fail = _compute_rounds(buyers, net_fail, rounds)  # the same for the third
    return (_settle(accounts, dict(left), dict(want), priced, prices, rounds),
            _settle(accounts, dict(left), dict(want), free, prices, rounds_fail),
            _settle(accounts, left_less, want_less, free, prices, rounds_fail))
