"""Brent's root finder of the price game (`world.bertrand.find_root_brent`): a closed form,
and bit-for-bit agreement with `scipy.optimize.brentq`, whose steps it reproduces."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from world.bertrand import find_root_brent


def test_root_of_x_squared_minus_two_is_sqrt_two() -> None:
    """x^2 - 2 changes sign on [0, 2]; its root there is sqrt(2) (to the tolerance asked)."""
    assert find_root_brent(lambda x: x * x - 2.0, 0.0, 2.0, xtol=1e-12) == pytest.approx(
        math.sqrt(2.0), abs=1e-11)


def test_same_sign_and_nan_are_refused() -> None:
    """Without a sign change there is no bracket; a NaN value cannot be ordered."""
    with pytest.raises(ValueError):
        find_root_brent(lambda x: x * x + 1.0, -1.0, 1.0, xtol=1e-9)
    with pytest.raises(ValueError):
        find_root_brent(lambda x: math.nan, -1.0, 1.0, xtol=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    a=st.floats(0.1, 5.0), b=st.floats(-3.0, 3.0), c=st.floats(0.0, 2.0),
    lo=st.floats(-8.0, -0.01), hi=st.floats(0.01, 8.0), xtol=st.sampled_from([1e-12, 1e-9, 1e-4]),
)
def test_same_root_as_scipy_brentq_bit_for_bit(a, b, c, lo, hi, xtol) -> None:
    """The port follows scipy's brentq step by step, so on any bracketed function (here an
    increasing mix of a cubic, an exponential and a logistic kink, shifted so its root lies
    inside) both return the same float, not just a close one: the price game's results must
    not change with the solver."""
    root = lo + (hi - lo) * 0.37

    def f(x: float) -> float:
        return a * (x - root) ** 3 + c * (math.exp(x - root) - 1.0) + (x - root) / (1 + b * b)

    assert find_root_brent(f, lo, hi, xtol=xtol) == brentq(f, lo, hi, xtol=xtol)
    assert find_root_brent(f, lo, hi, xtol=xtol, f_ends=(f(lo), f(hi))) == brentq(
        f, lo, hi, xtol=xtol)  # the ends' values passed in: the same steps


@settings(max_examples=200, deadline=None)
@given(alpha=st.floats(0.5, 4.0), cost=st.floats(0.5, 2.0), scale=st.floats(0.1, 20.0),
       rest=st.floats(0.01, 5.0))
def test_same_root_on_the_marginal_profit_of_a_logit_seller(alpha, cost, scale, rest) -> None:
    """The function the price game solves (marginal profit in log price of a logit seller,
    normalised to [-1, 1]) with random parameters: the same root as scipy's brentq."""

    def f(log_p: float) -> float:
        p = math.exp(log_p)
        s = scale * p**-alpha / (scale * p**-alpha + rest)
        num = p * s - (p - cost) * alpha * s * (1.0 - s)
        return num / max(p * s + (p - cost) * alpha * s * (1.0 - s), 1e-300)

    lo, hi = math.log(cost), math.log(cost * 50.0)
    if f(lo) <= 0 or f(hi) > 0:
        return  # no interior optimum: the price game takes a bound without a root search
    assert find_root_brent(f, lo, hi, xtol=1e-9) == brentq(f, lo, hi, xtol=1e-9)
