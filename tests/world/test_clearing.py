"""The pure market-clearing rules (`world.clearing`): closed forms solved by hand, and
hypothesis properties (quantities conserved, prices within bounds, shares summing to 1)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.clearing import (
    clear_chip_market,
    clear_cloud_market,
    clear_frontier_market,
    compute_lease_price,
    compute_logit_shares,
    compute_rationing,
    solve_logit_bertrand,
)

WIDE = np.array([[1.01, 100.0]])


def _solve(demand, base, alpha, cost, cap, n=1):
    return solve_logit_bertrand(
        np.asarray(demand, float), np.asarray(base, float), alpha, np.asarray(cost, float),
        np.asarray(cap, float), np.repeat(WIDE, n, axis=0), np.ones(n, bool), np.full(n, 2.0),
        outside_utility=0.0, max_rounds=60, tol=1e-9,
    )


# ------------------------------------------------------------------ Bertrand-Nash, closed forms
def test_logit_monopoly_price_solves_the_markup_rule() -> None:
    """One seller, an outside good (u0 = 0), u = ln 8 - 2 ln p, cost 1. The logit markup rule
    (p - c) / p = 1 / (alpha (1 - s)) with s = 8 p^-2 / (1 + 8 p^-2) is met at p = 4:
    s = 1/3 and 3/4 = 1 / (2 x 2/3). Solved by hand."""
    sol = _solve([1.0], [[math.log(8.0)]], 2.0, [1.0], [1e9])
    assert sol.price[0] == pytest.approx(4.0, rel=1e-6)
    assert sol.shares[0, 0] == pytest.approx(1.0 / 3.0, rel=1e-6)
    assert not sol.capacity_bound[0]


def test_binding_capacity_sets_the_market_clearing_price() -> None:
    """Same seller, 3 GW of buyers, capacity 0.6 GW (below the 1 GW sold at p = 4): the price
    rises until demand equals capacity, 3 s = 0.6 -> 8 p^-2 = 1/4 -> p = sqrt(32) (the
    capacity-constrained shadow price of Kreps and Scheinkman 1983)."""
    sol = _solve([3.0], [[math.log(8.0)]], 2.0, [1.0], [0.6])
    assert sol.price[0] == pytest.approx(math.sqrt(32.0), rel=1e-6)
    assert sol.demand_gw[0] == pytest.approx(0.6, rel=1e-6)
    assert sol.capacity_bound[0]


def test_symmetric_duopoly_nash_prices() -> None:
    """Two identical sellers, u = ln 16 - 2 ln p each, cost 1, outside good u0 = 0. At p = 4
    each share is 1/3 (16/16 over 1 + 1 + 1) and the markup rule 3/4 = 1 / (2 x 2/3) holds
    for both: the symmetric Bertrand-Nash equilibrium, solved by hand."""
    sol = _solve([1.0], [[math.log(16.0)] * 2], 2.0, [1.0, 1.0], [1e9, 1e9], n=2)
    assert sol.converged
    np.testing.assert_allclose(sol.price, [4.0, 4.0], rtol=1e-5)
    np.testing.assert_allclose(sol.shares[0], [1 / 3, 1 / 3], rtol=1e-5)


def test_price_rises_as_capacity_tightens() -> None:
    """Scarcity raises the price: a seller whose capacity binds charges more the less it has
    (demand falls with price, so clearing a smaller quantity needs a higher price)."""
    prices = [_solve([3.0], [[math.log(8.0)]], 2.0, [1.0], [k]).price[0]
              for k in (2.0, 0.9, 0.6, 0.3, 0.1)]
    assert all(b >= a for a, b in itertools.pairwise(prices))
    assert prices[-1] > prices[0]


def test_non_strategic_sellers_keep_their_price() -> None:
    sol = solve_logit_bertrand(
        np.array([1.0]), np.array([[1.0, 1.0]]), 2.0, np.array([1.0, 1.0]), np.array([9.0, 9.0]),
        np.array([[1.0, 50.0], [3.0, 3.0]]), np.array([True, False]), np.array([2.0, 3.0]),
    )
    assert sol.price[1] == 3.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 5.0), min_size=1, max_size=4),
    st.lists(st.floats(-3.0, 3.0), min_size=6, max_size=6),
    st.floats(1.5, 6.0),
    st.lists(st.floats(0.01, 5.0), min_size=2, max_size=2),
)
def test_nash_prices_stay_within_bounds_and_shares_sum_below_one(demand, base, alpha, cap):
    n_buyers = len(demand)
    b = np.resize(np.array(base), (n_buyers, 2))
    bounds = np.array([[1.0, 5.0], [2.0, 6.0]])
    sol = solve_logit_bertrand(
        np.array(demand), b, alpha, np.array([1.0, 2.0]), np.array(cap), bounds,
        np.ones(2, bool), np.array([3.0, 3.0]),
    )
    assert np.all(sol.price >= bounds[:, 0] - 1e-9) and np.all(sol.price <= bounds[:, 1] + 1e-9)
    assert np.all(sol.shares.sum(axis=1) <= 1.0 + 1e-12)
    np.testing.assert_allclose(sol.demand_gw, np.array(demand) @ sol.shares)


# ------------------------------------------------------------------ logit and chip clearing
@given(st.lists(st.floats(-20.0, 20.0), min_size=1, max_size=6), st.none() | st.floats(-5, 5))
def test_logit_shares_sum_to_one_with_the_outside_option(u, outside) -> None:
    s = compute_logit_shares(np.array(u), outside)
    assert np.all(s >= 0.0)
    if outside is None:
        assert s.sum() == pytest.approx(1.0)
    else:
        assert s.sum() < 1.0 or s.sum() == pytest.approx(1.0)


matrices = st.integers(1, 4).flatmap(
    lambda b: st.integers(1, 4).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(0.0, 10.0), min_size=b, max_size=b),
            st.lists(st.floats(-4.0, 4.0), min_size=b * k, max_size=b * k),
            st.lists(st.floats(0.0, 10.0), min_size=k, max_size=k),
            st.lists(st.floats(1.0, 50.0), min_size=k, max_size=k),
            st.just((b, k)),
        )
    )
)


@settings(max_examples=80, deadline=None)
@given(matrices, st.data())
def test_chip_clearing_conserves_quantity(m, data) -> None:
    """Orders + deferred = demand per buyer; deliveries never exceed orders or capacity;
    an excluded link carries nothing and its buyer's other orders do not fall."""
    demand, u, cap, price, (nb, nk) = m
    util = np.array(u).reshape(nb, nk)
    link = (data.draw(st.integers(0, nb - 1)), data.draw(st.integers(0, nk - 1)))
    args = (np.array(demand), util, np.array(cap), np.array(price), np.zeros(nk), np.full(nb, 60.0))
    full = clear_chip_market(*args)
    cut = clear_chip_market(*args, excluded_links=[link])
    for res in (full, cut):
        np.testing.assert_allclose(res.orders_gw.sum(1) + res.deferred_gw, demand, atol=1e-9)
        assert np.all(res.delivered_gw <= res.orders_gw + 1e-12)
        assert np.all(res.delivered_gw.sum(0) <= np.array(cap) + 1e-9)
        assert np.all(res.deferred_gw >= -1e-9)
    assert cut.orders_gw[link] == 0.0
    others = [k for k in range(nk) if k != link[1]]
    assert np.all(cut.orders_gw[link[0], others] >= full.orders_gw[link[0], others] - 1e-12)


def test_rationing_serves_contracts_first() -> None:
    pri, opn = compute_rationing(np.array([2.0, 1.0]), np.array([1.0, 3.0]), 4.0)
    np.testing.assert_allclose(pri, [2.0, 1.0])
    np.testing.assert_allclose(opn, [0.25, 0.75])
    pri, opn = compute_rationing(np.array([2.0, 1.0]), np.array([1.0, 3.0]), 3.5, True)
    np.testing.assert_allclose(pri + opn, np.array([3.0, 4.0]) * 0.5)


# ------------------------------------------------------------------ cloud capacity
def test_lease_price_closed_form() -> None:
    """Tenants demand 10 GW at r_ref = 13 with unit elasticity; 5 GW free -> r = 13 x 10/5."""
    assert compute_lease_price(5.0, 10.0, 13.0, 1.0, (1.0, 100.0)) == pytest.approx(26.0)
    assert compute_lease_price(20.0, 10.0, 13.0, 2.0, (1.0, 100.0)) == pytest.approx(
        13.0 * 0.5**0.5)
    assert compute_lease_price(0.1, 10.0, 13.0, 1.0, (1.0, 50.0)) == 50.0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.floats(0.0, 20.0), min_size=2, max_size=4),
    st.lists(st.floats(0.0, 5.0), min_size=8, max_size=8),
    st.floats(0.0, 40.0),
    st.floats(0.3, 3.0),
    st.booleans(),
)
def test_cloud_clearing_conserves_capacity(supply, due, tenants, eta, cut) -> None:
    """Per seller: contracted + tenants + idle = supply; the price stays within its bounds;
    more supply never raises the price."""
    k = len(supply)
    due_m = np.resize(np.array(due), (2, k))
    price = np.full((2, k), 12.0)
    excl = [(0, 0)] if cut else []
    res = clear_cloud_market(np.array(supply), due_m, price, tenants, 13.0, eta, (3.0, 50.0), excl)
    np.testing.assert_allclose(
        res.contracted_gw.sum(0) + res.tenant_gw + res.idle_gw, supply, atol=1e-9)
    assert np.all(res.idle_gw >= -1e-9) and np.all(res.tenant_gw >= -1e-12)
    assert 3.0 - 1e-12 <= res.price_usd_b_per_gw_year <= 50.0 + 1e-12
    more = clear_cloud_market(np.array(supply) * 1.5 + 0.1, due_m, price, tenants, 13.0, eta,
                              (3.0, 50.0), excl)
    assert more.price_usd_b_per_gw_year <= res.price_usd_b_per_gw_year + 1e-12


def test_excluded_cloud_link_buys_at_the_market_price() -> None:
    """Without its contract, the buyer leases the same GW from the free capacity at the
    market price: it pays what it would pay elsewhere, the seller loses the contract."""
    supply = np.array([4.0, 6.0])
    due = np.array([[2.0, 0.0]])
    price = np.array([[10.0, 0.0]])
    full = clear_cloud_market(supply, due, price, 4.0, 13.0, 1.0, (1.0, 100.0))
    cut = clear_cloud_market(supply, due, price, 4.0, 13.0, 1.0, (1.0, 100.0), [(0, 0)])
    assert full.buyer_paid_usd_b_per_year[0] == pytest.approx(20.0)
    # 10 GW free, 2 GW displaced: tenants 4 (13 / r) + 2 = 10 -> r = 6.5
    assert cut.price_usd_b_per_gw_year == pytest.approx(6.5)
    assert cut.buyer_paid_usd_b_per_year[0] == pytest.approx(2.0 * 6.5)
    assert cut.contracted_gw[0, 0] == 0.0


# ------------------------------------------------------------------ AI services
def test_frontier_price_closed_form() -> None:
    """A = 8 GW at P_ref = 10.5, K = 1 GW, e = 1.5: P = 10.5 x 8^(2/3) = 42."""
    res = clear_frontier_market(np.array([0.4, 0.6]), 8.0, 10.5, 1.5, (1.0, 100.0))
    assert res.price_usd_b_per_gw_year == pytest.approx(42.0)
    np.testing.assert_allclose(res.revenue_usd_b_per_year, [16.8, 25.2])


def test_frontier_floor_idles_compute() -> None:
    """At the price floor only A (P_min / P_ref)^-e is served: A = 1, P_min = P_ref / 4,
    e = 1 -> 4 GW served of 10, pro rata."""
    res = clear_frontier_market(np.array([5.0, 5.0]), 1.0, 10.0, 1.0, (2.5, 40.0))
    assert res.price_usd_b_per_gw_year == 2.5
    np.testing.assert_allclose(res.served_gw, [2.0, 2.0])


@given(st.lists(st.floats(0.0, 10.0), min_size=2, max_size=4), st.floats(0.0, 5.0),
       st.booleans())
@settings(max_examples=40, deadline=None)
def test_cloud_clearing_leaves_its_inputs_unchanged(supply, due_gw, cut) -> None:
    """The clearing copies the contracts only to drop excluded links; either way the caller's
    arrays come back unchanged, so a month's inputs can be re-solved without a link."""
    k = len(supply)
    due = np.full((2, k), due_gw)
    price = np.full((2, k), 12.0)
    kept = due.copy(), price.copy()
    excl = [(0, 0), (1, k - 1)] if cut else []
    clear_cloud_market(np.array(supply), due, price, 5.0, 13.0, 1.0, (3.0, 50.0), excl)
    np.testing.assert_array_equal(due, kept[0])
    np.testing.assert_array_equal(price, kept[1])
