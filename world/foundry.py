"""Advanced packaging (CoWoS-like): capacity path and its allocation among chip designers.

Capacity in packaging wafers per month follows a piecewise-linear path through dated points
(facts.toml cowos_capacity: ~40k wafers/month in 2024 -> 75-80k end 2025 -> 90-110k end 2026).
When requests exceed capacity, an allocation rule (a policy lever, docs/odd.md) splits it:

- `pro_rata`: each designer gets capacity x its share of requests;
- `priority`: designers are served in rank order, each in full until capacity runs out;
- `uniform`: max-min fair (water-filling): an equal split, the part a small requester does not
  use re-split equally among the others.

Every rule is work-conserving: the total allocated is min(capacity, total requested).
Output per designer = wafers x units_per_wafer x yield, counted in GW via `kw_per_unit`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from world.bertrand import compute_sum_like_numpy
from world.catalog import gw_per_wafer
from world.market import compute_path_value
from world.params import AllocationRule, FoundryParams, Product

__all__ = ["Foundry", "allocate", "allocate_pro_rata", "capacity_at", "gw_to_wafers",
           "wafers_to_gw"]


def capacity_at(path: Sequence[tuple[str, float]], month_idx: int) -> float:
    """Packaging capacity (wafers/month) at `month_idx` on a path of ('YYYY-MM', wafers) points.

    Rule: linear interpolation between points (sorted by month), flat before the first and
    after the last point; an empty path gives 0. Source: facts.toml cowos_capacity.
    """
    return compute_path_value(path, month_idx)


def _water_fill(capacity: float, req: np.ndarray) -> np.ndarray:
    """Max-min fair split: alloc_i = min(req_i, level) with sum = capacity (capacity < sum req)."""
    n = req.size
    r = np.sort(req)
    served_below = np.concatenate(([0.0], np.cumsum(r)[:-1]))  # sum of requests smaller than r_j
    remaining = np.arange(n, 0, -1, dtype=float)  # requesters at or above r_j
    # the level sits in the first bracket where filling everyone left up to r_j exceeds capacity
    j = int(np.argmax(served_below + r * remaining > capacity))
    level = (capacity - served_below[j]) / remaining[j]
    return np.minimum(req, level)


def allocate(
    capacity: float,
    requests: np.ndarray,
    rule: AllocationRule,
    priority: np.ndarray | None = None,
) -> np.ndarray:
    """Split `capacity` (wafers/month) among `requests` (wafers/month) by `rule` (pure).

    Guarantees 0 <= alloc <= requests and sum(alloc) = min(capacity, sum(requests)).

    Args:
        capacity: available wafers this month (>= 0; may be inf).
        requests: wafers requested per designer (>= 0).
        rule: `pro_rata`, `priority` or `uniform` (see module docstring).
        priority: ranks for the `priority` rule, lower served first, ties by index;
            default: index order.

    Raises:
        ValueError: on negative or NaN requests or capacity, or a priority of the wrong shape.
    """
    req = np.asarray(requests, dtype=float)
    if req.ndim != 1 or np.isnan(req).any() or (req < 0).any():
        raise ValueError("requests must be a 1-D array of non-negative numbers (wafers/month)")
    if math.isnan(capacity) or capacity < 0:
        raise ValueError(f"capacity must be >= 0 wafers/month, got {capacity}")
    total = float(req.sum())
    if capacity >= total:
        return req.copy()
    rule = AllocationRule(rule)
    if rule is AllocationRule.PRO_RATA:
        return req * (capacity / total)
    if rule is AllocationRule.UNIFORM:
        return _water_fill(capacity, req)
    ranks = np.arange(req.size) if priority is None else np.asarray(priority)
    if ranks.shape != req.shape:
        raise ValueError(
            f"priority has shape {ranks.shape}, requests {req.shape}; give one rank each"
        )
    order = np.argsort(ranks, kind="stable")
    before = np.concatenate(([0.0], np.cumsum(req[order])[:-1]))
    alloc = np.empty_like(req)
    alloc[order] = np.clip(capacity - before, 0.0, req[order])
    return alloc


def allocate_pro_rata(requests: list[float], capacity: float) -> list[float]:
    """`allocate(capacity, requests, pro_rata)` on plain floats (a month's few designers cost
    less than arrays): every request in full when the capacity covers their total, else each
    times capacity / total. The total is numpy's sum (`compute_sum_like_numpy`) and each
    share the same multiplication, so the doubles are those of the array form.

    Raises:
        ValueError: on negative or NaN requests or capacity (as `allocate`).
    """
    if not all(v >= 0.0 for v in requests):  # (NaN fails the test too)
        raise ValueError("requests must be a 1-D array of non-negative numbers (wafers/month)")
    if math.isnan(capacity) or capacity < 0:
        raise ValueError(f"capacity must be >= 0 wafers/month, got {capacity}")
    total = compute_sum_like_numpy(requests)
    if capacity >= total:
        return list(requests)
    scale = capacity / total
    return [v * scale for v in requests]


def wafers_to_gw(wafers: float, product: Product, yield_frac: float) -> float:
    """GW of facility power filled by the packages of `wafers` wafers of `product`.

    Rule: wafers x units_per_wafer x yield_frac x kw_per_unit / 1e6 (docs/odd.md).
    """
    return wafers * yield_frac * gw_per_wafer(product)


def gw_to_wafers(gw: float, product: Product, yield_frac: float) -> float:
    """Wafers needed to fill `gw` GW with `product` at `yield_frac` (inverse of `wafers_to_gw`).

    Raises:
        ValueError: if `yield_frac` is not positive.
    """
    if yield_frac <= 0:
        raise ValueError(f"yield_frac must be > 0 to convert GW to wafers, got {yield_frac}")
    return gw / (yield_frac * gw_per_wafer(product))


class Foundry:
    """The packaging supplier: a capacity path, a multiplier for shocks and an allocation rule.

    Attributes:
        path: ('YYYY-MM', wafers/month) points of the capacity path.
        rule: allocation rule; settable (a policy lever may change it mid-run).
        priority_order: designer names served first under the `priority` rule.
        yield_frac: good packages per package started (fraction).
        capacity_multiplier: factor on the path (a disruption shock sets it below 1).
        unlimited: no packaging limit (`[components] physical_layer = false`); capacity is
            infinite, so every request is served in full.
        capacity_wafers: capacity this month, set by `update_capacity` (wafers/month).
    """

    def __init__(
        self,
        path: Sequence[tuple[str, float]],
        rule: AllocationRule = AllocationRule.PRO_RATA,
        priority_order: Sequence[str] = (),
        yield_frac: float = 0.9,
        unlimited: bool = False,
    ) -> None:
        if not 0.0 <= yield_frac <= 1.0:
            raise ValueError(f"foundry.yield_frac must be in [0, 1], got {yield_frac}")
        self.path = [(m, float(v)) for m, v in path]
        self.rule = AllocationRule(rule)
        self.priority_order = list(priority_order)
        self.yield_frac = float(yield_frac)
        self.unlimited = bool(unlimited)
        self.capacity_multiplier = 1.0
        self.capacity_wafers = 0.0

    @classmethod
    def from_params(cls, params: FoundryParams) -> Foundry:
        """Build a foundry from the scenario's `[foundry]` section."""
        return cls(
            path=params.capacity_wafers_per_month,
            rule=params.allocation_rule,
            priority_order=params.priority_order,
            yield_frac=params.yield_frac,
            unlimited=params.unlimited,
        )

    def update_capacity(self, month_idx: int) -> float:
        """Set and return `capacity_wafers` = path value at `month_idx` x `capacity_multiplier`.

        In unlimited mode capacity is `math.inf` (every request is then served in full).
        """
        if self.unlimited:
            self.capacity_wafers = math.inf
        else:
            self.capacity_wafers = capacity_at(self.path, month_idx) * self.capacity_multiplier
        return self.capacity_wafers

    def compute_ranks(self, names: Sequence[str]) -> np.ndarray:
        """Priority ranks of `names`: position in `priority_order`, unlisted names after it."""
        listed = {n: i for i, n in enumerate(self.priority_order)}
        return np.array([listed.get(n, len(listed)) for n in names], dtype=np.int64)

    def compute_allocation(self, requests_wafers: Mapping[str, float]) -> dict[str, float]:
        """Allocate this month's `capacity_wafers` among designers' requests (wafers/month).

        Designers are taken in sorted name order; under `priority` they are served in
        `priority_order`, unlisted designers after the listed ones (in sorted name order).
        Returns allocations keyed in sorted name order. Does not mutate the foundry.
        """
        names = sorted(requests_wafers)
        if self.rule is AllocationRule.PRO_RATA:  # the default rule, in plain floats
            alloc = allocate_pro_rata([float(requests_wafers[n]) for n in names],
                                      self.capacity_wafers)
            return dict(zip(names, alloc, strict=True))
        req = np.array([requests_wafers[n] for n in names], dtype=float)
        ranks = self.compute_ranks(names) if self.rule is AllocationRule.PRIORITY else None
        alloc = allocate(self.capacity_wafers, req, self.rule, ranks)
        return {n: float(a) for n, a in zip(names, alloc, strict=True)}

    def compute_output_gw(
        self, allocation_wafers: Mapping[str, float], products: Mapping[str, Product]
    ) -> dict[str, float]:
        """GW produced per designer from its allocated wafers of its current product.

        Args:
            allocation_wafers: wafers per designer (from `compute_allocation`).
            products: the product each designer packages this month.
        """
        return {
            n: wafers_to_gw(w, products[n], self.yield_frac)
            for n, w in sorted(allocation_wafers.items())
        }
