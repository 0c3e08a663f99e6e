"""Tests of `world.market`: dated paths (linear interpolation, flat ends) and linear demand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.market import compute_linear_demand_price, compute_path_value
from world.params import month_index

JAN25 = month_index("2025-01")


def test_empty_path_is_zero() -> None:
    """An empty path gives 0 (documented rule)."""
    assert compute_path_value([], JAN25) == 0.0


def test_path_interpolates_linearly_between_points() -> None:
    """Halfway (6 of 12 months) between 1.0 and 3.0 the value is 2.0: linear interpolation."""
    path = [("2025-01", 1.0), ("2026-01", 3.0)]
    assert compute_path_value(path, JAN25 + 6) == pytest.approx(2.0)
    assert compute_path_value(path, JAN25 + 3) == pytest.approx(1.5)


def test_path_is_flat_outside_its_points_and_order_free() -> None:
    """Before the first point the first value holds, after the last the last; the points'
    order in the scenario does not matter (they are sorted by month)."""
    path = [("2026-01", 3.0), ("2025-01", 1.0)]
    assert compute_path_value(path, JAN25 - 40) == 1.0
    assert compute_path_value(path, JAN25 + 100) == 3.0
    assert compute_path_value(path, JAN25 + 6) == pytest.approx(2.0)


@given(
    st.floats(0.0, 100.0), st.floats(0.0, 100.0), st.integers(-24, 48)
)
def test_path_value_stays_between_its_end_values(a: float, b: float, offset: int) -> None:
    """Linear interpolation of two points never leaves [min, max] of the two values."""
    value = compute_path_value([("2025-01", a), ("2026-01", b)], JAN25 + offset)
    assert min(a, b) - 1e-9 <= value <= max(a, b) + 1e-9


def test_linear_demand_closed_form_and_floor() -> None:
    """P = a - b Q on the curve (10 - 2 x 3 = 4) and 0 beyond the choke quantity a/b."""
    assert compute_linear_demand_price(10.0, 2.0, 3.0) == pytest.approx(4.0)
    assert compute_linear_demand_price(10.0, 2.0, 5.0) == 0.0
    assert compute_linear_demand_price(10.0, 2.0, 9.0) == 0.0


@given(st.floats(0.1, 100.0), st.floats(0.01, 10.0), st.floats(0.0, 50.0), st.floats(0.0, 5.0))
def test_linear_demand_slopes_down(a: float, b: float, q: float, dq: float) -> None:
    """Demand slopes down: more quantity never raises the price (b > 0)."""
    assert compute_linear_demand_price(a, b, q + dq) <= compute_linear_demand_price(a, b, q)
