"""Bargaining: Rubinstein and Nash closed forms, private views, prices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agents.negotiation import AlternatingOffers, nash_bargain, rubinstein_share

deltas = st.floats(min_value=0.0, max_value=0.999)
pies = st.floats(min_value=1e-3, max_value=1e4)
outs = st.floats(min_value=0.0, max_value=50.0)


def _closed_form(dp: float, dr: float) -> float:
    return (1 - dr) / (1 - dp * dr)


def test_rubinstein_share_special_cases() -> None:
    assert rubinstein_share(0.9, 0.0) == 1.0  # ultimatum: an impatient responder gets nothing
    assert rubinstein_share(0.5, 0.5) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        rubinstein_share(1.0, 0.5)


@settings(max_examples=100, deadline=None)
@given(deltas, deltas, pies)
def test_identical_views_agree_at_once_at_rubinstein_share(dp, dr, pie) -> None:
    out = AlternatingOffers().run(pie, pie, 0.0, 0.0, dp, dr, 5)
    assert out.agreed and out.rounds == 1 and len(out.offers) == 1
    assert out.proposer_share == pytest.approx(_closed_form(dp, dr), rel=1e-12)
    assert out.proposer_share + out.responder_share == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(deltas, deltas, pies, outs, outs)
def test_identical_views_with_outside_options(dp, dr, pie, oa, ob) -> None:
    out = AlternatingOffers().run(pie, pie, oa, ob, dp, dr, 3)
    net = pie - oa - ob
    if net <= 0:
        assert not out.agreed and out.rounds == 0
        return
    assert out.agreed and out.rounds == 1
    expected = (oa + _closed_form(dp, dr) * net) / pie
    assert out.proposer_share == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_more_patient_party_gets_more() -> None:
    run = AlternatingOffers().run
    grid = [0.1, 0.5, 0.8, 0.95, 0.99]
    for dr in grid:
        a_shares = [run(10.0, 10.0, 0, 0, dp, dr, 3).proposer_share for dp in grid]
        assert a_shares == sorted(a_shares) and a_shares[0] < a_shares[-1]
    for dp in grid:
        b_shares = [run(10.0, 10.0, 0, 0, dp, dr, 3).responder_share for dr in grid]
        assert b_shares == sorted(b_shares) and b_shares[0] < b_shares[-1]


def test_symmetric_patience_limit_is_half() -> None:
    for eps, tol in ((1e-2, 6e-3), (1e-4, 6e-5), (1e-6, 6e-7)):
        share = AlternatingOffers().run(1.0, 1.0, 0, 0, 1 - eps, 1 - eps, 1).proposer_share
        assert abs(share - 0.5) < tol  # 1 / (1 + d) -> 1/2


def test_pessimistic_responder_counters_and_counter_is_accepted() -> None:
    mech = AlternatingOffers(("lab", "cloud"))
    da, db = 0.9, 0.8
    out = mech.run(10.0, 4.0, 0.0, 0.0, da, db, 6)
    assert out.agreed and out.rounds == 2
    assert [o.proposer for o in out.offers] == ["lab", "cloud"]
    counter = out.offers[1]
    assert counter.pie_usd_b == pytest.approx(7.0)  # moved halfway toward 10
    assert counter.share_to_proposer == pytest.approx(_closed_form(db, da))
    assert out.proposer_share == pytest.approx(1 - _closed_form(db, da))
    # the same gap with one round only: impasse
    assert not mech.run(10.0, 4.0, 0.0, 0.0, da, db, 1).agreed


def test_optimistic_responder_accepts_at_once() -> None:
    out = AlternatingOffers().run(4.0, 10.0, 0.0, 0.0, 0.9, 0.9, 6)
    assert out.agreed and out.rounds == 1
    assert out.proposer_share == pytest.approx(_closed_form(0.9, 0.9))


def test_responder_seeing_no_pie_breaks_off() -> None:
    out = AlternatingOffers().run(10.0, -20.0, 0.0, 0.0, 0.9, 0.9, 10)
    # b rejects, moves to -5 and, as proposer with a non-positive net view, breaks off
    assert not out.agreed and out.rounds == 1
    assert out.proposer_share == out.responder_share == 0.0
    out = AlternatingOffers().run(-1.0, 10.0, 0.0, 0.0, 0.9, 0.9, 10)
    assert not out.agreed and out.rounds == 0 and out.offers == ()


@settings(max_examples=100, deadline=None)
@given(st.floats(-50, 100), st.floats(-50, 100), outs, outs, deltas, deltas,
       st.integers(1, 8))
def test_outcome_invariants(va, vb, oa, ob, da, db, max_rounds) -> None:
    out = AlternatingOffers().run(va, vb, oa, ob, da, db, max_rounds)
    assert 0 <= out.rounds <= max_rounds
    assert len(out.offers) == out.rounds
    assert [o.round for o in out.offers] == list(range(1, out.rounds + 1))
    assert [o.proposer for o in out.offers] == ["a", "b"] * (out.rounds // 2) + ["a"] * (
        out.rounds % 2)
    for o in out.offers:
        assert 0.0 <= o.share_to_proposer <= 1.0
    if out.agreed:
        assert 0.0 <= out.proposer_share <= 1.0 and 0.0 <= out.responder_share <= 1.0
        assert out.proposer_share + out.responder_share == pytest.approx(1.0)
        # with positive net views on both sides, agreement comes by round 2 at the latest
    else:
        assert out.proposer_share == out.responder_share == 0.0
    if va - oa - ob > 0 and vb - oa - ob > 0 and max_rounds >= 2:
        assert out.agreed and out.rounds <= 2


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1e3), st.floats(0.05, 20.0), st.floats(0.05, 20.0),
       st.floats(0.0, 100.0), st.floats(0.0, 100.0))
def test_nash_bargain_matches_closed_form(surplus, ws, wb, ds, db) -> None:
    xs, xb = nash_bargain(surplus, (ws, wb), (ds, db))
    net = surplus - ds - db
    if net <= 0:
        assert (xs, xb) == (ds, db)
        return
    assume(net > 1e-6)
    assert xs == pytest.approx(ds + ws / (ws + wb) * net, rel=1e-6)
    assert xb == pytest.approx(db + wb / (ws + wb) * net, rel=1e-6)
    assert xs + xb == pytest.approx(surplus, rel=1e-12)


def test_nash_bargain_rejects_bad_weights() -> None:
    with pytest.raises(ValueError):
        nash_bargain(10.0, (0.0, 1.0), (0.0, 0.0))


def _bilateral_terms(cost: float, value: float, gw: float = 2.0):
    """A seller at `cost` and a buyer valuing a GW at `value`, no one else: o_s = o_b = 0,
    reservations cost and value."""
    from world.bargaining import Buyer, Link, Market, Seller, compute_link_terms

    market = Market((Seller("S", 1e9, cost, cost),), (Buyer("B", gw, value),),
                    (Link("L", "S", "B", gw),))
    return compute_link_terms(market, "L")


def test_negotiate_link_without_noise_is_rubinstein() -> None:
    """Per-round discount factors 0.9 and 0.8 (monthly 0.9^4 and 0.8^4, equal weights, rounds
    of a quarter month) and no outside options: the first proposer's share is
    (1 - d_r) / (1 - d_p d_r) of the gains (r_b - r_s) x GW, agreed at once."""
    from agents.negotiation import negotiate_link

    terms = _bilateral_terms(20.0, 30.0)
    monthly = (0.9**4, 0.8**4)
    agreed, price, rounds, _ = negotiate_link(terms, np.random.default_rng(0), 0.0, monthly,
                                              (0.5, 0.5), 4)
    assert agreed and rounds == 1
    assert price == pytest.approx(20.0 + _closed_form(0.9, 0.8) * 10.0)
    agreed, price, _, _ = negotiate_link(terms, np.random.default_rng(0), 0.0, monthly,
                                         (0.5, 0.5), 4, seller_first=False)
    assert price == pytest.approx(30.0 - _closed_form(0.8, 0.9) * 10.0)


def test_negotiate_link_no_gains_from_trade() -> None:
    from agents.negotiation import negotiate_link

    agreed, price, rounds, out = negotiate_link(_bilateral_terms(30.0, 30.0),
                                                np.random.default_rng(1), 0.1, (0.9, 0.9),
                                                (0.5, 0.5), 4)
    assert not agreed and math.isnan(price) and rounds == 0 and not out.agreed


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 50.0), st.floats(0.01, 50.0),
       st.floats(0.0, 0.5), st.booleans())
def test_negotiate_link_bounds_and_determinism(seed, low, gap, sd, seller_first) -> None:
    """Same generator, same outcome; an agreed price lies within the reservations."""
    from agents.negotiation import negotiate_link

    terms = _bilateral_terms(low, low + gap, 3.0)
    a = negotiate_link(terms, np.random.default_rng(seed), sd, (0.9, 0.85), (0.5, 0.5), 6,
                       seller_first)
    b = negotiate_link(terms, np.random.default_rng(seed), sd, (0.9, 0.85), (0.5, 0.5), 6,
                       seller_first)
    assert a[:3] == b[:3] or (math.isnan(a[1]) and math.isnan(b[1]) and a[0] == b[0])
    if a[0]:
        assert low - 1e-9 <= a[1] <= low + gap + 1e-9


# ----- alternating offers over a link's Nash-in-Nash pie ------------------------------------
def _outside_option_terms(c: float, v: float, p_alt: float):
    from world.bargaining import Buyer, Link, Market, Seller, compute_link_terms

    market = Market(
        sellers=(Seller("S", 1e9, c, c), Seller("Alt", 1e9, 0.0, p_alt)),
        buyers=(Buyer("B", 1.0, v),),
        links=(Link("L", "S", "B", 1.0),),
    )
    return compute_link_terms(market, "L")


@pytest.mark.parametrize(
    ("c", "v", "p_alt", "w"),
    [(10.0, 50.0, 30.0, (0.5, 0.5)), (10.0, 50.0, 30.0, (0.7, 0.3)),
     (20.0, 40.0, 60.0, (0.5, 0.5)), (5.0, 25.0, 25.0, (1.0, 4.0))],
)
def test_negotiate_link_reaches_nash_price(c, v, p_alt, w):
    """With identical views and equal monthly patience, alternating offers in rounds of a
    week reach the Nash price c + w_s/(w_s+w_b) (min(p_alt, v) - c) (Binmore, Rubinstein and
    Wolinsky 1986: the Rubinstein split tends to Nash as rounds shorten) within 0.5%."""
    from agents.negotiation import negotiate_link

    terms = _outside_option_terms(c, v, p_alt)
    agreed, price, rounds, _ = negotiate_link(
        terms, np.random.default_rng(0), 0.0, (0.99, 0.99), w, max_rounds=6
    )
    want = c + w[0] / sum(w) * (min(p_alt, v) - c)
    assert agreed and rounds == 1
    assert price == pytest.approx(want, rel=0.005)


@settings(max_examples=100, deadline=None)
@given(noise=st.floats(0.0, 0.5), seed=st.integers(0, 10_000), seller_first=st.booleans())
def test_negotiate_link_price_within_reservations(noise, seed, seller_first):
    """Whatever the views, an agreed price lies between the seller's reservation (d_s - A_s)
    / gw and the buyer's (A_b - d_b) / gw: neither side accepts less than disagreement."""
    from agents.negotiation import negotiate_link

    terms = _outside_option_terms(10.0, 50.0, 30.0)
    agreed, price, _rounds, _ = negotiate_link(
        terms, np.random.default_rng(seed), noise, (0.95, 0.9), (0.5, 0.5), 6, seller_first
    )
    if agreed:
        assert terms.seller_reservation_usd_b_per_gw - 1e-9 <= price
        assert price <= terms.buyer_reservation_usd_b_per_gw + 1e-9


def test_more_impatient_side_gets_less():
    """Rubinstein: the less patient side (lower monthly discount factor) gets a smaller share,
    so a more impatient buyer pays more."""
    from agents.negotiation import negotiate_link

    terms = _outside_option_terms(10.0, 50.0, 30.0)
    prices = [
        negotiate_link(terms, np.random.default_rng(0), 0.0, (0.97, d_b), (0.5, 0.5), 6)[1]
        for d_b in (0.97, 0.9)
    ]
    assert prices[1] > prices[0]
