"""What every run's outputs must satisfy, whatever its scenario (docs/odd.md).

`check_run_invariants(results)` returns the broken invariants of one run as readable lines
(empty when all hold). It reads only the output tables and the manifest, so it applies to a
run just computed, a run directory read back, or one run of a batch. The randomised suite
(``benchmarks/fuzz_invariants.py``, tests/experiments/test_fuzz.py) runs it on random
scenarios; the deeper step-by-step checks of the model's state live in tests/test_invariants.py.

The invariants:

- every number in every table is finite (no NaN, no infinity), and the manifest is strict JSON;
- quantities, GW, TWh and money amounts of flows and deals are >= 0;
- shares lie in [0, 1] and sum to 1 in every market at every step with a positive total
  (to 1e-6); HHI = sum of squared percent shares (to 1e-6 relative; a row of `firms_in_row`
  small firms counts its share squared times the sum of their squared Zipf sizes), within
  [0, 10,000];
- deployed GW <= powered GW in the physical table (compute needs power: docs/odd.md).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from world.fringe import compute_zipf_sizes

__all__ = ["check_run_invariants"]

TOL = 1e-6
"""Tolerance of sums that must be equal (shares, HHI), relative to their size."""

NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "shares": ("quantity", "share"),
    "markets": ("hhi", "total_quantity"),
    "firms": ("deployed_gw", "powered_gw"),
    "deals": ("value_usd_b", "gw", "equity_pct"),
    "flows": ("amount_usd_b",),
    "physical": ("produced_gw", "delivered_gw", "powered_gw", "deployed_gw", "energy_twh",
                 "homes_millions"),
}
"""Columns that can never be negative, by table."""


def _non_finite(frame: pl.DataFrame) -> list[str]:
    cols = [c for c, t in frame.schema.items() if t.is_float()]
    bad = []
    for col in cols:
        values = frame[col].drop_nulls()
        n = int((values.is_nan() | values.is_infinite()).sum())
        if n:
            bad.append(f"{col}: {n} non-finite value(s)")
    return bad


def _row_hhi_factors(shares: pl.DataFrame, zipf_exponent: float | None) -> tuple[pl.Expr, pl.Expr]:
    """(lowest, highest) sum of squared within-row sizes of each shares row: 1 for a firm, the
    Zipf sum for a row of `firms_in_row` small firms (both ends equal when the exponent is
    known)."""
    if "firms_in_row" not in shares.columns:
        return pl.lit(1.0), pl.lit(1.0)
    n = pl.col("firms_in_row").fill_null(1).clip(lower_bound=1)
    if zipf_exponent is None:
        return 1.0 / n.cast(pl.Float64), pl.lit(1.0)
    sizes = {k: float(z @ z) for k in shares["firms_in_row"].drop_nulls().unique().to_list()
             if k > 1 for z in [compute_zipf_sizes(int(k), zipf_exponent)]}
    exact = n.replace_strict(sizes, default=1.0, return_dtype=pl.Float64)
    return exact, exact


def _check_shares(shares: pl.DataFrame, markets: pl.DataFrame,
                  zipf_exponent: float | None = None) -> list[str]:
    out = []
    if shares.height:
        if shares.filter((pl.col("share") < -TOL) | (pl.col("share") > 1 + TOL)).height:
            out.append("shares: a share outside [0, 1]")
        # a row standing for n small firms (`firms_in_row`, the fringe's Zipf remainder) adds
        # s^2 x the sum of its firms' squared Zipf sizes to HHI (`world.fringe`); without the
        # scenario's exponent, anything between s^2 / n (equal sizes) and s^2 (one firm)
        low, high = _row_hhi_factors(shares, zipf_exponent)
        sums = shares.with_columns(low=low, high=high).group_by("step", "market").agg(
            pl.col("share").sum().alias("total"), pl.col("quantity").sum().alias("q"),
            ((pl.col("share") * 100).pow(2) * pl.col("high")).sum().alias("hhi_from_shares"),
            ((pl.col("share") * 100).pow(2) * pl.col("low")).sum().alias("hhi_low"))
        off = sums.filter((pl.col("q") > 0) & ((pl.col("total") - 1).abs() > TOL))
        if off.height:
            row = off.row(0, named=True)
            out.append(f"shares: {row['market']} at step {row['step']} sums to "
                       f"{row['total']:.9g}, not 1")
        if markets.height and "hhi" in markets.columns:
            both = sums.join(markets.select("step", "market", "hhi"), on=["step", "market"])
            slack = TOL * (1 + pl.col("hhi"))
            wrong = both.filter((pl.col("q") > 0) & (
                (pl.col("hhi") > pl.col("hhi_from_shares") + slack)
                | (pl.col("hhi") < pl.col("hhi_low") - slack)))
            if wrong.height:
                row = wrong.row(0, named=True)
                out.append(f"markets: HHI {row['hhi']:.6g} of {row['market']} at step "
                           f"{row['step']} is not the sum of squared shares "
                           f"({row['hhi_low']:.6g} - {row['hhi_from_shares']:.6g})")
    if markets.height and markets.filter(pl.col("hhi") > 10_000 * (1 + TOL)).height:
        out.append("markets: an HHI above 10,000")
    return out


def check_run_invariants(results: Any) -> list[str]:
    """The invariants of one run's outputs that do not hold (see the module docstring).

    Args:
        results: an `experiments.run.results.Results` (tables and manifest).

    Returns:
        One line per broken invariant, naming the table and column; empty when all hold.
    """
    tables: dict[str, pl.DataFrame] = results.tables
    out: list[str] = []
    try:
        json.dumps(results.manifest, allow_nan=False)
    except ValueError as exc:
        out.append(f"manifest: not strict JSON ({exc})")
    for name, frame in sorted(tables.items()):
        out += [f"{name}: {line}" for line in _non_finite(frame)]
        for col in NON_NEGATIVE.get(name, ()):
            if col in frame.columns and frame.filter(pl.col(col) < -TOL).height:
                out.append(f"{name}: {col} below 0")
    fringe = (results.manifest.get("resolved_scenario") or {}).get("fringe") or {}
    out += _check_shares(tables.get("shares", pl.DataFrame()),
                         tables.get("markets", pl.DataFrame()), fringe.get("zipf_exponent"))
    phys = tables.get("physical", pl.DataFrame())
    if phys.height and {"deployed_gw", "powered_gw"} <= set(phys.columns):
        over = phys.filter(pl.col("deployed_gw") > pl.col("powered_gw") * (1 + TOL) + TOL)
        if over.height:
            out.append(f"physical: deployed GW above powered GW at step {over['step'][0]}")
    return out
