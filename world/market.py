"""Small shared rules of the markets: dated paths and the textbook linear demand.

The market-clearing rules themselves are in `world.clearing` (pure functions) and the market
components in `world.chip_market`, `world.cloud_market` and `world.frontier`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from world.params import month_index


def compute_path_value(path: Sequence[tuple[str, float]], month_idx: int) -> float:
    """Value of a dated path of ('YYYY-MM', value) points at `month_idx`.

    Rule: linear interpolation between points (sorted by month), flat before the first and
    after the last point; an empty path gives 0. Used for every exogenous path of a scenario
    (packaging capacity, reference demand, the lab's compute ambition).
    """
    if not path:
        return 0.0
    try:
        return _path_value(tuple(path), month_idx)
    except TypeError:  # points given as lists: hashable copies
        return _path_value(tuple((m, float(v)) for m, v in path), month_idx)


@lru_cache(maxsize=4096)
def _path_value(path: tuple[tuple[str, float], ...], month_idx: int) -> float:
    """`compute_path_value`, kept per (path, month): a run reads a few paths each month."""
    xs, ys = _parse_path(tuple((m, float(v)) for m, v in path))
    return float(np.interp(float(month_idx), xs, ys))


@lru_cache(maxsize=256)
def _parse_path(path: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Month indices and values of a path, sorted by month (cached: paths are few)."""
    pts = sorted((month_index(m), v) for m, v in path)
    return np.array([p[0] for p in pts], dtype=float), np.array([p[1] for p in pts])


def compute_linear_demand_price(intercept: float, slope: float, quantity: float) -> float:
    """Price on a linear inverse demand curve, P = max(0, a - b Q) (the textbook docking
    demand of Cournot and double marginalisation; Tirole 1988, ch. 4-5)."""
    return max(0.0, intercept - slope * quantity)
