"""The outcome series a what-if comparison tests: one long table per run, every month.

`compute_outcome_series(tables)` reduces one run's tables to rows ``metric, market, firm, unit,
step, value``: market shares of every firm the data holds (no fixed firm list: a fringe of
many small firms gives many rows), the market-power columns of the markets table, the firms'
circularity, suppliers, compute and valuation, deployed capacity, and deals blocked or
defaulted by each month. Fractions (shares, foreclosure, circularity) are reported x 100 in
percentage points (unit ``pp``), so a difference of 1.0 is one percentage point.

These are series (every month, per market or firm, of one run's tables) for the paired
comparison (`experiments.analysis.compare`). The named one-number-per-run outcomes that
scenario discovery, feature scores and sensitivity analysis ask about (``hhi_accelerators`` at
the end, value shares over the last 12 months, circularity of the whole run...) are
`experiments.analysis.outcomes`, computed lazily over a whole batch.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

__all__ = ["MARKET_METRICS", "OUTCOME_SCHEMA", "compute_outcome_series"]

PP = "pp"
"""Unit of fractions shown x 100: percentage points."""
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


def _long(frame: pl.DataFrame, metrics: Mapping[str, tuple], market: str | None,
          firm: str | None) -> list[pl.LazyFrame]:
    """The `metrics` columns of `frame` stacked long (one unpivot), scaled, with their units;
    missing columns, null values and markets without a unit are dropped."""
    present = [col for col in metrics if col in frame.columns]
    if not present:
        return []
    units = pl.DataFrame(
        [(col, m, u) for col in present for m, u in (
            metrics[col][0].items() if isinstance(metrics[col][0], Mapping)
            else [("*", metrics[col][0])])],
        schema={"metric": pl.String, "unit_market": pl.String, "unit": pl.String},
        orient="row",
    )
    long = frame.lazy().select(
        pl.col("step").cast(pl.Int32),
        (pl.col(market) if market else pl.lit("")).alias("market"),
        (pl.col(firm) if firm else pl.lit("")).alias("firm"),
        *(pl.col(c).cast(pl.Float64) * metrics[c][1] for c in present),
    ).unpivot(index=["step", "market", "firm"], variable_name="metric")
    long = long.filter(pl.col("value").is_not_null()).with_columns(
        unit_market=pl.when(pl.col("metric").is_in(
            [c for c in present if isinstance(metrics[c][0], Mapping)]))
        .then(pl.col("market")).otherwise(pl.lit("*")))
    return [long.join(units.lazy(), on=["metric", "unit_market"], how="inner").select(
        "metric", "market", "firm", "unit", "step", "value")]


def compute_outcome_series(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Every month's outcomes of one run (module docstring), columns `OUTCOME_SCHEMA`."""
    parts: list[pl.LazyFrame] = []
    shares = tables["shares"]
    parts += _long(shares, {"share": (PP, 100.0)}, "market", "firm")
    markets = tables["markets"]
    if "mhhi" in markets.columns:
        markets = markets.with_columns(mhhi_minus_hhi=pl.col("mhhi") - pl.col("hhi"))
    parts += _long(markets, MARKET_METRICS, "market", None)
    firms = tables["firms"]
    if "role" in firms.columns:  # compute is a lab's, deployed capacity a cloud's or lab's
        firms = firms.with_columns(
            compute_gw=pl.when(pl.col("role") == "lab").then(pl.col("compute_gw")),
            deployed_gw=pl.when(pl.col("role") != "vendor").then(pl.col("deployed_gw")),
        ) if "compute_gw" in firms.columns else firms
    parts += _long(firms, FIRM_METRICS, None, "firm")
    parts += _long(tables["physical"], PHYSICAL_METRICS, None, None)
    parts.append(_deal_counts(tables["deals"], tables["physical"]["step"]))
    # one lazy plan, collected once: fewer passes than frame by frame (same rows, same order)
    return pl.concat([p.cast(OUTCOME_SCHEMA) for p in parts],  # type: ignore[arg-type]
                     how="vertical").collect()


def _deal_counts(deals: pl.DataFrame, steps: pl.Series) -> pl.LazyFrame:
    """Deals blocked and defaulted by each month (cumulative counts)."""
    grid = pl.LazyFrame({"step": steps.cast(pl.Int32)})
    deals = deals.lazy()
    out = []
    for status in DEAL_STATUSES:
        closed = deals.filter(pl.col("status") == status).select(
            pl.col("step_closed").cast(pl.Int32).alias("step"))
        counts = closed.group_by("step").len()
        frame = grid.join(counts, on="step", how="left").sort("step").select(
            pl.lit(f"deals_{status}").alias("metric"), pl.lit("").alias("market"),
            pl.lit("").alias("firm"), pl.lit("deals").alias("unit"), "step",
            pl.col("len").fill_null(0).cum_sum().cast(pl.Float64).alias("value"),
        )
        out.append(frame)
    return pl.concat(out)
