"""Tests of `agents.vendor`: the Cournot best response, the monopoly price and the margin."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.cloud import CloudProvider
from agents.vendor import ChipVendor

BR = ChipVendor.compute_best_response_quantity


def test_best_response_closed_form() -> None:
    """q = (a - c - b Q_-i) / (2 b): a = 10, c = 2, b = 1, Q_-i = 2 gives 3."""
    assert BR(2.0, 10.0, 1.0, 2.0) == pytest.approx(3.0)


def test_best_response_is_zero_when_rivals_saturate_demand() -> None:
    """If the rivals already push the price to cost (b Q_-i >= a - c), the best reply is 0."""
    assert BR(8.0, 10.0, 1.0, 2.0) == 0.0
    assert BR(20.0, 10.0, 1.0, 2.0) == 0.0


def test_symmetric_cournot_duopoly_is_a_fixed_point() -> None:
    """The textbook duopoly equilibrium q* = (a - c) / (3 b) (Tirole 1988, ch. 5) is each
    firm's best response to the other's q*; iterating best responses converges to it."""
    a, b, c = 12.0, 0.5, 3.0
    q_star = (a - c) / (3.0 * b)
    assert BR(q_star, a, b, c) == pytest.approx(q_star)
    q = 0.0
    for _ in range(60):
        q = BR(q, a, b, c)
    assert q == pytest.approx(q_star, rel=1e-9)


@given(st.floats(0.0, 20.0), st.floats(0.0, 5.0))
def test_best_responses_are_strategic_substitutes(q_rivals: float, dq: float) -> None:
    """Cournot quantities are strategic substitutes: more rival output never raises the best
    reply (slope -1/2 under linear demand)."""
    assert BR(q_rivals + dq, 10.0, 1.0, 2.0) <= BR(q_rivals, 10.0, 1.0, 2.0) + 1e-12


def test_monopoly_price_closed_form_and_cost_floor() -> None:
    """p = (A/B + c)/2 against Q = A - B p: A = 100, B = 2, c = 10 gives 30; a cost above the
    choke price A/B leaves the price at cost."""
    assert ChipVendor.compute_monopoly_price(100.0, 2.0, 10.0) == pytest.approx(30.0)
    assert ChipVendor.compute_monopoly_price(100.0, 2.0, 80.0) == pytest.approx(80.0)


def test_double_marginalisation_raises_the_final_price() -> None:
    """Spengler (1950): a vendor pricing to a cloud that marks up again yields a final price
    above the integrated monopoly price. Final demand P = a - b Q, cost c: the cloud's derived
    demand is Q = (a - w) / (2 b), so the vendor charges w = (a + c)/2 and the cloud resells at
    (a + w)/2 = (3a + c)/4 > (a + c)/2."""
    a, b, c = 40.0, 1.0, 8.0
    w = ChipVendor.compute_monopoly_price(a / (2 * b), 1.0 / (2 * b), c)
    assert w == pytest.approx((a + c) / 2)
    final = CloudProvider.compute_best_response_price(w, a, b)
    assert final == pytest.approx((3 * a + c) / 4)
    assert final > (a + c) / 2


def _vendor(price: float, cost_per_gw: float | None) -> SimpleNamespace:
    product = None if cost_per_gw is None else SimpleNamespace(cost=cost_per_gw)
    return SimpleNamespace(price_usd_b_per_gw=price, compute_product=lambda: product)


def test_gross_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """(price - cost) / price: cost 4 at price 10 is a 60 % margin; no product or no price
    gives 0; a price below cost is floored at 0."""
    monkeypatch.setattr("agents.vendor.cost_usd_b_per_gw", lambda product: product.cost)
    assert ChipVendor.compute_gross_margin(_vendor(10.0, 4.0)) == pytest.approx(0.6)
    assert ChipVendor.compute_gross_margin(_vendor(10.0, None)) == 0.0
    assert ChipVendor.compute_gross_margin(_vendor(0.0, 4.0)) == 0.0
    assert ChipVendor.compute_gross_margin(_vendor(3.0, 4.0)) == 0.0
