"""Calendar: month labels, step dates and step offsets are mutually consistent."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from world.calendar import month_index, month_label, step_date, step_of

months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1900, 2200), st.integers(1, 12))


def test_known_month_index_and_label() -> None:
    assert month_index("2025-01") == 2025 * 12
    assert month_label(2025 * 12 + 11) == "2025-12"


@given(months)
def test_label_inverts_index(month: str) -> None:
    assert month_label(month_index(month)) == month


@given(months, st.integers(-600, 600))
def test_step_of_inverts_step_date(start: str, step: int) -> None:
    date = step_date(start, step)
    assert date.day == 1
    assert step_of(start, f"{date.year:04d}-{date.month:02d}") == step


def test_step_date_crosses_years() -> None:
    assert step_date("2025-01", 0) == datetime.date(2025, 1, 1)
    assert step_date("2025-01", 11) == datetime.date(2025, 12, 1)
    assert step_date("2025-01", 12) == datetime.date(2026, 1, 1)
    assert step_date("2025-01", -1) == datetime.date(2024, 12, 1)
    assert step_date("2025-01", 71) == datetime.date(2030, 12, 1)  # default horizon end


def test_step_of_before_start_is_negative() -> None:
    assert step_of("2025-01", "2024-10") == -3
    assert step_of("2025-01", "2026-07") == 18


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        month_label(-1)
    with pytest.raises(ValueError):
        month_index("2025-13")
