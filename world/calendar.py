"""Calendar of a run: one step is one calendar month (docs/odd.md).

Months are written 'YYYY-MM'. Internally a month is an integer index, the number of months
since January of year 0 (`month_index('2025-01') == 24300`), so month arithmetic is integer
arithmetic. A step is a month index relative to the scenario's start month.
"""

from __future__ import annotations

import datetime

from world.params import month_index

__all__ = ["month_index", "month_label", "step_date", "step_of"]


def month_label(index: int) -> str:
    """Return the 'YYYY-MM' label of a month index (inverse of `month_index`).

    Args:
        index: months since January of year 0; must be non-negative.

    Raises:
        ValueError: if `index` is negative (before year 0).
    """
    if index < 0:
        raise ValueError(f"month index must be >= 0, got {index}")
    year, mon = divmod(int(index), 12)
    return f"{year:04d}-{mon + 1:02d}"


def step_date(start: str, step: int) -> datetime.date:
    """Return the calendar date (first day of the month) of `step`; step 0 is `start`.

    Args:
        start: start month of the run, 'YYYY-MM'.
        step: months after `start` (may be negative).
    """
    year, mon = divmod(month_index(start) + int(step), 12)
    return datetime.date(year, mon + 1, 1)


def step_of(start: str, month: str) -> int:
    """Return the step of `month` in a run that starts at `start` (negative if before start).

    Args:
        start: start month of the run, 'YYYY-MM'.
        month: the month to locate, 'YYYY-MM'.
    """
    return month_index(month) - month_index(start)
