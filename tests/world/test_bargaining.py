"""Nash-in-Nash terms (world.bargaining) against closed forms and independent re-solves."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.bargaining import (
    Buyer,
    Link,
    Market,
    Seller,
    clear_market,
    compute_link_terms,
    compute_nash_in_nash,
    compute_nash_price,
    compute_payoffs,
)

BIG = 1e9


def outside_option_market(c: float, v: float, p_alt: float) -> Market:
    """One seller (cost c), one buyer (1 GW at v), an alternative supplier posting p_alt."""
    return Market(
        sellers=(Seller("S", BIG, c, c), Seller("Alt", BIG, 0.0, p_alt)),
        buyers=(Buyer("B", 1.0, v),),
        links=(Link("L", "S", "B", 1.0),),
    )


def closed_form(c: float, v: float, p_alt: float, w_s: float, w_b: float) -> float:
    """c + w_s / (w_s + w_b) x (min(p_alt, v) - c): the buyer's disagreement payoff is
    max(v - p_alt, 0), the seller's 0 (it has no other buyer)."""
    return c + w_s / (w_s + w_b) * (min(p_alt, v) - c)


@pytest.mark.parametrize(
    ("c", "v", "p_alt", "w"),
    [
        (10.0, 50.0, 30.0, (0.5, 0.5)),
        (10.0, 50.0, 30.0, (0.7, 0.3)),
        (20.0, 40.0, 60.0, (0.5, 0.5)),  # p_alt > v: the alternative is no option at all
        (5.0, 25.0, 25.0, (1.0, 4.0)),
        (0.0, 10.0, 1.0, (2.0, 1.0)),
    ],
)
def test_outside_option_closed_form(c, v, p_alt, w):
    terms = compute_link_terms(outside_option_market(c, v, p_alt), "L")
    assert terms.disagreement_target_usd_b == pytest.approx(max(v - p_alt, 0.0))
    assert terms.disagreement_source_usd_b == pytest.approx(0.0)
    assert terms.surplus_usd_b == pytest.approx(min(p_alt, v) - c)
    assert compute_nash_price(terms, w) == pytest.approx(closed_form(c, v, p_alt, *w), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    c=st.floats(0.0, 50.0),
    v=st.floats(1.0, 100.0),
    p_alt=st.floats(0.0, 150.0),
    w_s=st.floats(0.05, 5.0),
    w_b=st.floats(0.05, 5.0),
)
def test_outside_option_closed_form_property(c, v, p_alt, w_s, w_b):
    """Any parameters with gains from trade (min(p_alt, v) > c) give the closed form; none
    give no contract (NaN)."""
    price = compute_nash_price(compute_link_terms(outside_option_market(c, v, p_alt), "L"),
                               (w_s, w_b))
    if min(p_alt, v) - c > 1e-9:
        assert price == pytest.approx(closed_form(c, v, p_alt, w_s, w_b), rel=1e-9, abs=1e-9)
        assert c - 1e-9 <= price <= min(p_alt, v) + 1e-9
    elif min(p_alt, v) - c < -1e-9:
        assert math.isnan(price)


@settings(max_examples=150, deadline=None)
@given(
    v=st.floats(10.0, 100.0),
    alts=st.lists(st.tuples(st.floats(0.0, 120.0), st.floats(0.0, 3.0)), min_size=1,
                  max_size=5),
    demand=st.floats(0.5, 4.0),
    gw=st.floats(0.1, 1.0),
)
def test_buyer_disagreement_is_its_best_fill_elsewhere(v, alts, demand, gw):
    """The buyer's disagreement payoff equals its payoff from re-solving the market without
    the link, computed independently: with one buyer it fills its whole demand from the other
    sellers in increasing order of price while price <= value (a fractional knapsack)."""
    sellers = [Seller("S", BIG, 1.0, 1.0)] + [
        Seller(f"A{k}", cap, 0.0, price) for k, (price, cap) in enumerate(alts)
    ]
    market = Market(tuple(sellers), (Buyer("B", demand, v),), (Link("L", "S", "B", gw),))
    want, left = 0.0, demand
    for price, cap in sorted(alts):
        if price > v or left <= 0:
            break
        take = min(cap, left)
        want += (v - price) * take
        left -= take
    terms = compute_link_terms(market, "L")
    assert terms.disagreement_target_usd_b == pytest.approx(want, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(
    price=st.floats(5.0, 50.0),
    cost=st.floats(0.0, 5.0),
    capacity=st.floats(0.5, 5.0),
    others=st.lists(st.tuples(st.floats(0.0, 80.0), st.floats(0.0, 3.0)), max_size=5),
    gw=st.floats(0.1, 0.5),
)
def test_seller_disagreement_is_its_sales_elsewhere(price, cost, capacity, others, gw):
    """The seller's disagreement payoff equals its margin on what the other buyers (those
    valuing a GW at least at its price) take when the link fails, up to its capacity:
    (price - cost) x min(capacity, their demand). The buyer of the link may not buy from it."""
    buyers = [Buyer("B", 1.0, 100.0)] + [
        Buyer(f"O{k}", demand, value) for k, (value, demand) in enumerate(others)
    ]
    market = Market((Seller("S", capacity, cost, price),), tuple(buyers),
                    (Link("L", "S", "B", gw),))
    sold = min(capacity, sum(d for value, d in others if value >= price))
    terms = compute_link_terms(market, "L")
    assert terms.disagreement_source_usd_b == pytest.approx((price - cost) * sold, abs=1e-9)
    assert terms.disagreement_target_usd_b == pytest.approx(0.0)


def test_scarce_seller_prices_above_list():
    """A seller whose capacity is all wanted at its list price sells the link's GW elsewhere
    if the link fails, so it accepts no less than list (d_s = (list - cost) x capacity)."""
    market = Market(
        sellers=(Seller("N", 2.0, 10.0, 30.0), Seller("A", BIG, 8.0, 25.0)),
        buyers=(Buyer("C", 1.0, 60.0, (("A", 45.0),)), Buyer("F", 5.0, 40.0, (("A", 30.0),))),
        links=(Link("L", "N", "C", 1.0),),
    )
    terms = compute_link_terms(market, "L")
    assert terms.seller_reservation_usd_b_per_gw == pytest.approx(30.0)
    # buyer: 60 - p vs its alternative 45 - 25 = 20 -> reservation 40
    assert terms.buyer_reservation_usd_b_per_gw == pytest.approx(40.0)
    assert compute_nash_price(terms, (1.0, 1.0)) == pytest.approx(35.0)


def test_nash_in_nash_is_a_fixed_point():
    """Each link's price is its Nash price given the other links at their Nash prices."""
    market = Market(
        sellers=(Seller("N", 3.0, 10.0, 30.0), Seller("A", 4.0, 8.0, 22.0)),
        buyers=(Buyer("C1", 2.0, 60.0, (("A", 40.0),)), Buyer("C2", 2.0, 50.0),
                Buyer("F", 3.0, 35.0)),
        links=(Link("L1", "N", "C1", 1.5), Link("L2", "A", "C2", 1.0)),
    )
    prices = compute_nash_in_nash(market, (0.6, 0.4))
    settled = market
    for link_id, p in prices.items():
        assert not math.isnan(p)
        settled = settled.compute_with_price(link_id, p)
    for link_id, p in prices.items():
        assert compute_nash_price(compute_link_terms(settled, link_id), (0.6, 0.4)) == (
            pytest.approx(p, rel=1e-12))


def test_payoffs_conserve_value():
    """Sum of payoffs = sum over trades of (value - cost) x GW: prices are transfers."""
    market = Market(
        sellers=(Seller("N", 3.0, 10.0, 30.0), Seller("A", 4.0, 8.0, 22.0)),
        buyers=(Buyer("C1", 2.0, 60.0), Buyer("C2", 4.0, 50.0)),
        links=(Link("L1", "N", "C1", 1.5, 33.0),),
    )
    pay = compute_payoffs(market)
    # C1: 1.5 at 33 from N (link), 0.5 more at best net: N 60-30 vs A 60-22 -> A
    # C2: 4 GW: A (net 28) has 3.5 left -> 3.5; then N (net 20) 0.5
    total = 1.5 * (60 - 10) + 0.5 * (60 - 8) + 3.5 * (50 - 8) + 0.5 * (50 - 10)
    assert sum(pay.values()) == pytest.approx(total)


def test_equally_good_sellers_share_pro_rata():
    """Two sellers at the same price split an order in proportion to free capacity (2:1), and
    which one is named first does not matter (no seller favoured by its name)."""
    for names in (("A", "B"), ("B", "A")):
        market = Market(
            sellers=(Seller(names[0], 2.0, 1.0, 10.0), Seller(names[1], 1.0, 1.0, 10.0)),
            buyers=(Buyer("C", 1.5, 20.0),),
        )
        pay = compute_payoffs(market)
        assert pay[names[0]] == pytest.approx(9.0 * 1.0)
        assert pay[names[1]] == pytest.approx(9.0 * 0.5)


def test_link_beyond_free_capacity_is_refused():
    """A link larger than its seller's capacity (net of its other links) cannot be priced as
    if it were delivered in full: compute_link_terms refuses it."""
    market = Market(
        sellers=(Seller("S", 1.0, 5.0, 10.0),),
        buyers=(Buyer("B", 3.0, 20.0),),
        links=(Link("L", "S", "B", 2.0),),
    )
    with pytest.raises(ValueError, match="free capacity"):
        compute_link_terms(market, "L")


NAMES = ("A", "B", "C")
_price = st.floats(0.0, 100.0, allow_nan=False)


def _sellers(price: st.SearchStrategy[float]) -> st.SearchStrategy[list[tuple]]:
    """1-4 sellers (name, capacity GW, cost, price), names may repeat."""
    return st.lists(st.tuples(st.sampled_from(NAMES), st.floats(0.0, 10.0), price, price),
                    min_size=1, max_size=4)


def _buyers(price: st.SearchStrategy[float]) -> st.SearchStrategy[list[tuple]]:
    """1-3 buyers (name, demand GW, value, values of up to 2 named sellers); 'A' may also sell."""
    return st.lists(st.tuples(st.sampled_from(("X", "Y", "A")), st.floats(0.0, 10.0), price,
                              st.lists(st.tuples(st.sampled_from(NAMES), price), max_size=2)),
                    min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    sellers=_sellers(_price),
    buyers=_buyers(_price),
    other_gw=st.floats(0.0, 2.0),
    barred_a=st.booleans(),
    frac=st.floats(0.01, 1.0),
)
def test_link_terms_equal_three_rebuilt_markets(sellers, buyers, other_gw, barred_a, frac):
    """`compute_link_terms` re-solves its three markets from shared parts (net values, costs,
    quantities); it must give exactly (==, not approximately) the terms of building the three
    markets with `Market.compute_with_price`, `compute_without`, `compute_without_quantity`
    and solving each with `compute_payoffs`, on any market: ties, duplicate names, a firm that
    is seller and buyer, barred pairs, a second link."""
    market = Market(
        sellers=tuple(Seller(n, c, cost, p) for n, c, cost, p in sellers),
        buyers=tuple(Buyer(n, d, v, tuple(vals)) for n, d, v, vals in buyers),
        links=(Link("L", sellers[0][0], buyers[0][0], 0.0),
               Link("K", sellers[-1][0], buyers[-1][0], other_gw, 7.0)),
        barred=frozenset({("A", "X")}) if barred_a else frozenset(),
    )
    room = sum(s.capacity_gw for s in market.sellers if s.name == sellers[0][0]) - sum(
        k.gw for k in market.links if k.seller == sellers[0][0] and k.link_id != "L")
    if room <= 1e-6:
        return
    market = Market(market.sellers, market.buyers,
                    (Link("L", sellers[0][0], buyers[0][0], frac * room), market.links[1]),
                    market.barred)
    rebuilt = compute_link_terms(market, "L", resolve=lambda m: compute_payoffs(m))
    assert compute_link_terms(market, "L") == rebuilt


_tied = st.sampled_from((0.0, 1.0, 2.0, 5.0))


@settings(max_examples=200, deadline=None)
@given(
    sellers=_sellers(_tied),
    buyers=_buyers(_tied),
    barred_a=st.booleans(),
    frac=st.floats(0.01, 1.0),
)
def test_links_of_one_market_equal_rebuilt_markets(sellers, buyers, barred_a, frac):
    """A search weighs one market with its link swapped from seller to seller (the same
    sellers, buyers and barred pairs): the parts kept from the previous link's market and the
    failed market's rounds derived from the agreed one's must give exactly the terms of
    solving the three rebuilt markets, also when net values tie (prices and values from a
    few round numbers) and a seller's removal empties or splits a group of tied sellers."""
    seller_rows = tuple(Seller(n, c, cost, p) for n, c, cost, p in sellers)
    buyer_rows = tuple(Buyer(n, d, v, tuple(vals)) for n, d, v, vals in buyers)
    barred = frozenset({("A", "X")}) if barred_a else frozenset()
    for seller in dict.fromkeys(s.name for s in seller_rows):  # each seller in turn
        room = sum(s.capacity_gw for s in seller_rows if s.name == seller)
        if room <= 1e-6:
            continue
        market = Market(seller_rows, buyer_rows,
                        (Link("L", seller, buyer_rows[0].name, frac * room),), barred)
        rebuilt = compute_link_terms(market, "L", resolve=lambda m: compute_payoffs(m))
        assert compute_link_terms(market, "L") == rebuilt


def _payoffs_of_trades(market: Market) -> dict[str, float]:
    """Each party's payoff from `clear_market`'s trades, booked in trade order: a seller
    gains (price - cost) x GW, a buyer (its value of the seller's GW - price) x GW."""
    cost = {s.name: s.cost_usd_b_per_gw for s in market.sellers}
    buyer_of = {b.name: b for b in market.buyers}
    out = dict.fromkeys(sorted({*cost, *buyer_of}), 0.0)
    for trade in clear_market(market):
        out[trade.seller] += (trade.price_usd_b_per_gw - cost[trade.seller]) * trade.gw
        value = buyer_of[trade.buyer].value_of(trade.seller)
        out[trade.buyer] += (value - trade.price_usd_b_per_gw) * trade.gw
    return out


@settings(max_examples=200, deadline=None)
@given(
    sellers=_sellers(_tied),
    buyers=_buyers(_tied),
    link_gw=st.floats(0.0, 5.0),
    barred_a=st.booleans(),
)
def test_payoffs_are_those_of_the_cleared_trades(sellers, buyers, link_gw, barred_a):
    """`compute_payoffs` books each trade as the clearing makes it; it must equal exactly
    (==) the payoffs of `clear_market`'s trades booked one by one afterwards, with a link,
    ties among sellers (shared pro rata), duplicate names and barred pairs."""
    market = Market(
        sellers=tuple(Seller(n, c, cost, p) for n, c, cost, p in sellers),
        buyers=tuple(Buyer(n, d, v, tuple(vals)) for n, d, v, vals in buyers),
        links=(Link("L", sellers[0][0], buyers[-1][0], link_gw, 1.0),),
        barred=frozenset({("A", "X")}) if barred_a else frozenset(),
    )
    assert compute_payoffs(market) == _payoffs_of_trades(market)
