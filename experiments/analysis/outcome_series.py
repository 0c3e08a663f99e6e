"""The outcome series a what-if comparison tests: one long table per run, every month.

`compute_outcome_series(tables)` reduces one run's tables to rows ``metric, market, firm, unit,
step, value``: market shares of every firm the data holds (no fixed firm list: a fringe of
many small firms gives many rows), the market-power columns of the markets table, the firms'
circularity, suppliers, compute and valuation, deployed capacity, and deals blocked or
defaulted by each month. Fractions (shares, foreclosure, circularity) are reported x 100 in
percentage points (unit ``pp``), so a difference of 1.0 is one percentage point.
`compute_outcome_arrays` gives the same rows as numpy arrays, read straight from the model's
columnar lists (no frames are built: the paired comparison reduces every run this way).

These are series (every month, per market or firm, of one run's tables) for the paired
comparison (`experiments.analysis.compare`). The named one-number-per-run outcomes that
scenario discovery, feature scores and sensitivity analysis ask about (``hhi_accelerators`` at
the end, value shares over the last 12 months, circularity of the whole run...) are
`experiments.analysis.outcomes`, computed lazily over a whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

__all__ = ["MARKET_METRICS", "OUTCOME_SCHEMA", "OutcomeArrays", "compute_outcome_arrays",
           "compute_outcome_series"]

PP = "pp"
"""Unit of fractions shown x 100: percentage points."""
SHARE_METRICS: dict[str, tuple[str, float]] = {"share": (PP, 100.0)}
"""The shares table's metric: (unit, scale), as in the tables below."""
MARKET_METRICS: dict[str, tuple[str | Mapping[str, str], float]] = {
    "hhi": ("HHI points", 1.0),
    "mhhi": ("MHHI points", 1.0),
    "mhhi_minus_hhi": ("MHHI points", 1.0),
    "price": ({"accelerators": "USD B/GW", "cloud": "USD B/GW-year",
               "frontier_ai": "USD B/GW-year"}, 1.0),
    "price_usd_k_per_pflops": ("USD k per PFLOP/s", 1.0),
    "foreclosure_share": (PP, 100.0),
    "unaffiliated_price": ({"accelerators": "USD B/GW", "cloud": "USD B/GW-year"}, 1.0),
    "unaffiliated_gw": ("GW", 1.0),
    "fringe_gw": ("GW", 1.0),
    "fringe_cum_gw": ("GW since start", 1.0),
    "n_sellers": ("firms", 1.0),
}
"""Markets-table column -> (unit, or unit per market; scale). Absent columns are skipped."""
FIRM_METRICS: dict[str, tuple[str, float]] = {
    "circularity": (PP, 100.0),
    "n_suppliers": ("firms", 1.0),
    "compute_gw": ("GW", 1.0),
    "valuation_usd_b": ("USD B", 1.0),
    "deployed_gw": ("GW", 1.0),
    "defaults_cum": ("contracts since start", 1.0),
    "debt_usd_b": ("USD B", 1.0),
}
"""Firms-table column -> (unit, scale)."""
PHYSICAL_METRICS: dict[str, tuple[str, float]] = {
    "deployed_gw": ("GW", 1.0),
    "delivered_gw": ("GW per month", 1.0),
}
DEAL_STATUSES = ("blocked", "defaulted")
OUTCOME_SCHEMA = {"metric": pl.String, "market": pl.String, "firm": pl.String,
                  "unit": pl.String, "step": pl.Int32, "value": pl.Float64}


Label = tuple[str, str, str, str]
"""An outcome's (metric, market, firm, unit); market and firm are "" where they do not apply."""
Column = tuple[np.ndarray, np.ndarray]
"""A numeric column as float64 values and a mask of the rows that hold one (not null)."""


@dataclass(frozen=True)
class OutcomeArrays:
    """One run's outcome series as arrays: row i is outcome ``labels[label[i]]`` at month
    ``step[i]`` with value ``value[i]``. Labels are numbered in order of first appearance, so
    two runs with the same outcomes in the same order have equal `labels`, `label` and
    `step` (`has_keys_of`)."""

    labels: tuple[Label, ...]
    label: np.ndarray
    step: np.ndarray
    value: np.ndarray

    def has_keys_of(self, other: OutcomeArrays) -> bool:
        """True when row i is the same outcome and month in both, for every row."""
        return (self.labels == other.labels and np.array_equal(self.label, other.label)
                and np.array_equal(self.step, other.step))

    def to_frame(self) -> pl.DataFrame:
        """The long table: columns `OUTCOME_SCHEMA`, one row per row of the arrays."""
        idx = pl.Series(self.label, dtype=pl.UInt32)
        text = {name: pl.Series(name, [lab[k] for lab in self.labels], dtype=pl.String)
                for k, name in enumerate(("metric", "market", "firm", "unit"))}
        return pl.DataFrame([
            *(col.gather(idx) for col in text.values()),
            pl.Series("step", self.step, dtype=pl.Int32),
            pl.Series("value", self.value, dtype=pl.Float64),
        ])


def _floats(values: Sequence[Any] | pl.Series) -> Column:
    """A numeric column (a list as the model records it, None for a missing value, or a
    polars Series) as float64 values and a not-null mask; NaN stays a value, as in polars."""
    if isinstance(values, pl.Series):
        return (values.cast(pl.Float64).fill_null(np.nan).to_numpy(),
                values.is_not_null().to_numpy())
    arr = np.array(values, dtype=np.float64)  # None becomes NaN: tell them apart below
    valid = np.ones(arr.shape[0], dtype=bool)
    for i in np.flatnonzero(np.isnan(arr)):
        valid[i] = values[i] is not None
    return arr, valid


def _texts(values: Sequence[Any] | pl.Series) -> list[Any]:
    return values.to_list() if isinstance(values, pl.Series) else list(values)


def _steps(values: Sequence[Any] | pl.Series) -> np.ndarray:
    if isinstance(values, pl.Series):
        return values.cast(pl.Int32).to_numpy()
    return np.array(values, dtype=np.int32)


class _Builder:
    """Collects the outcome rows part by part, numbering labels as they first appear."""

    def __init__(self) -> None:
        self.index: dict[Label, int] = {}
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add_table(self, table: Mapping[str, Any], columns: Mapping[str, Column],
                  metrics: Mapping[str, tuple], market: str | None, firm: str | None) -> None:
        """Stack `columns` (the `metrics` the table has, in `metrics` order) long: per metric
        every row with a value and a unit, in the table's row order, scaled."""
        present = [c for c in metrics if c in columns]
        if not present:
            return
        steps = _steps(table["step"])
        n = steps.shape[0]
        markets = _texts(table[market]) if market else [""] * n
        firms = _texts(table[firm]) if firm else [""] * n
        keys: dict[tuple[Any, Any], int] = {}
        code = np.array([keys.setdefault(k, len(keys)) for k in zip(markets, firms,
                                                                    strict=True)],
                        dtype=np.intp)
        for col in present:
            unit, scale = metrics[col]
            lut = np.array([self._label(col, mk, fm, unit) for mk, fm in keys], dtype=np.int32)
            labels = lut[code] if n else np.zeros(0, dtype=np.int32)
            values, valid = columns[col]
            keep = valid & (labels >= 0)
            self.parts.append((labels[keep], steps[keep], values[keep] * scale))

    def _label(self, metric: str, market: Any, firm: Any, unit: str | Mapping[str, str]) -> int:
        """The label's number (new labels are numbered on); -1 for a market without a unit."""
        if isinstance(unit, Mapping):
            unit = unit.get(market)
            if unit is None:
                return -1
        return self.index.setdefault((metric, market, firm, unit), len(self.index))

    def add_deal_counts(self, deals: Mapping[str, Any], steps: np.ndarray) -> None:
        """Deals blocked and defaulted by each month (cumulative counts) over the months
        `steps`, in month order."""
        grid = np.sort(steps, kind="stable")
        status = _texts(deals["status"]) if "status" in deals else []
        closed = _texts(deals["step_closed"]) if "step_closed" in deals else []
        for name in DEAL_STATUSES:
            at = np.sort(np.array([c for s, c in zip(status, closed, strict=True)
                                   if s == name and c is not None], dtype=np.int64))
            count = np.searchsorted(at, grid, "right") - np.searchsorted(at, grid, "left")
            label = self.index.setdefault((f"deals_{name}", "", "", "deals"), len(self.index))
            self.parts.append((np.full(grid.shape[0], label, dtype=np.int32), grid,
                               np.cumsum(count).astype(np.float64)))

    def build(self) -> OutcomeArrays:
        labels = tuple(self.index)
        if not self.parts:
            empty = np.zeros(0, dtype=np.int32)
            return OutcomeArrays(labels, empty, empty, np.zeros(0, dtype=np.float64))
        label, step, value = (np.concatenate(x) for x in zip(*self.parts, strict=True))
        return OutcomeArrays(labels, label.astype(np.int32, copy=False),
                             step.astype(np.int32, copy=False), value)


def _present(table: Mapping[str, Any], metrics: Mapping[str, tuple]) -> dict[str, Column]:
    return {c: _floats(table[c]) for c in metrics if c in table}


def compute_outcome_arrays(tables: Mapping[str, Mapping[str, Any]]) -> OutcomeArrays:
    """Every month's outcomes of one run (module docstring) as `OutcomeArrays`.

    `tables` maps the table names to columns: the model's columnar tables
    (`ComputeMarketModel.compute_tables`: lists, None where a value is missing) or a run's
    polars frames (`Results.tables`); both give the same rows. Rows, in order: shares, then
    each metric of `MARKET_METRICS`, `FIRM_METRICS`, `PHYSICAL_METRICS` in turn (each in its
    table's row order; rows without a value, and markets without a unit, left out), then
    deals blocked and defaulted by month.
    """
    out = _Builder()
    shares = tables["shares"]
    out.add_table(shares, _present(shares, SHARE_METRICS), SHARE_METRICS, "market", "firm")
    markets = tables["markets"]
    columns = _present(markets, MARKET_METRICS)
    if "mhhi" in columns:
        (mhhi, ok_m), (hhi, ok_h) = columns["mhhi"], _floats(markets["hhi"])
        columns["mhhi_minus_hhi"] = (mhhi - hhi, ok_m & ok_h)
    out.add_table(markets, columns, MARKET_METRICS, "market", None)
    firms = tables["firms"]
    columns = _present(firms, FIRM_METRICS)
    if "role" in firms and "compute_gw" in columns:  # compute is a lab's, deployed a cloud's
        role = _texts(firms["role"])                  # or lab's
        lab = np.array([r == "lab" for r in role], dtype=bool)
        builder = np.array([r is not None and r != "vendor" for r in role], dtype=bool)
        for col, mask in (("compute_gw", lab), ("deployed_gw", builder)):
            if col in columns:
                columns[col] = (columns[col][0], columns[col][1] & mask)
    out.add_table(firms, columns, FIRM_METRICS, None, "firm")
    physical = tables["physical"]
    out.add_table(physical, _present(physical, PHYSICAL_METRICS), PHYSICAL_METRICS, None, None)
    steps = _steps(physical["step"]) if "step" in physical else np.zeros(0, dtype=np.int32)
    out.add_deal_counts(tables["deals"], steps)
    return out.build()


def compute_outcome_series(tables: Mapping[str, Mapping[str, Any]]) -> pl.DataFrame:
    """Every month's outcomes of one run (module docstring), columns `OUTCOME_SCHEMA`
    (`compute_outcome_arrays` as one long table)."""
    return compute_outcome_arrays(tables).to_frame()
