"""Ensemble statistics of a batch: mean, median and 5-95% band per variant, step, market, firm.

`compute_summaries` returns lazy polars frames (nothing is read until collected, and polars
streams over the run files); `write_summaries` writes them to ``BATCH_DIR/summary/`` and
`summary_table` gives the short table that ``compute-market summarize`` prints. For your own
analysis start from `experiments.batch.store.scan_table` and
`experiments.batch.store.scan_variants`.

Each summary row holds, for every metric, ``<metric>_mean``, ``_median``, ``_q05``, ``_q95``,
plus ``n_runs`` (the replications behind the row). Quantiles are linear-interpolated.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from experiments.batch.store import (
    RUNS_DIR,
    read_batch_manifest,
    scan_table,
    scan_variants,
    write_parquet_atomic,
)
from experiments.errors import UserError

__all__ = ["SUMMARIES", "compute_summaries", "summary_by_metric", "summary_table",
           "write_summaries"]

SUMMARY_DIR = "summary"
ID = ["scenario", "variant_id"]
SUMMARIES: dict[str, tuple[list[str], list[str]]] = {
    "shares": (["step", "date", "market", "firm"], ["share", "quantity"]),
    "markets": (
        ["step", "date", "market"],
        ["hhi", "price", "total_quantity", "mhhi", "foreclosure_share", "unaffiliated_gw",
         "unaffiliated_price", "price_usd_k_per_pflops", "fringe_gw", "fringe_cum_gw",
         "default_rate"],
    ),
    "firms": (
        ["step", "date", "firm"],
        ["cash_usd_b", "revenue_usd_b", "valuation_usd_b", "deployed_gw", "powered_gw",
         "circularity", "circular_usd_b", "n_suppliers", "defaulted_usd_b"],
    ),
    "physical": (
        ["step", "date"],
        ["foundry_capacity", "produced_gw", "delivered_gw", "powered_gw", "deployed_gw",
         "energy_twh", "homes_millions"],
    ),
}
"""Summarised table -> (grouping keys besides scenario and variant, metrics). The market-power
metrics (MHHI, foreclosure, unaffiliated buyers, circularity, defaults) are summarised when the
runs carry them; a metric the runs lack is skipped."""


def _stats(metric: str) -> list[pl.Expr]:
    col = pl.col(metric)
    return [
        col.mean().alias(f"{metric}_mean"),
        col.median().alias(f"{metric}_median"),
        col.quantile(0.05, interpolation="linear").alias(f"{metric}_q05"),
        col.quantile(0.95, interpolation="linear").alias(f"{metric}_q95"),
    ]


def compute_summaries(batch_dir: str | Path) -> dict[str, pl.LazyFrame]:
    """Lazy ensemble statistics of a batch, one frame per summarised table.

    Args:
        batch_dir: a directory written by ``compute-market batch``.

    Returns:
        ``shares``, ``markets``, ``firms``, ``physical`` (those the batch kept) -> lazy frame
        with ``scenario, variant_id``, the table's keys, ``n_runs`` and the statistics.
    """
    root = Path(batch_dir)
    manifest = read_batch_manifest(root)
    kept = manifest.get("outcomes", list(SUMMARIES))
    out: dict[str, pl.LazyFrame] = {}
    for table, (keys, metrics) in SUMMARIES.items():
        if table not in kept or not any((root / RUNS_DIR).glob(f"*/*/part-*/{table}.parquet")):
            continue
        lf = scan_table(root, table)
        present = set(lf.collect_schema().names())
        aggs = [pl.col("run_id").n_unique().alias("n_runs")]
        for metric in (m for m in metrics if m in present):
            aggs += _stats(metric)
        out[table] = lf.group_by([*ID, *keys]).agg(aggs).sort([*ID, *keys])
    if not out:
        raise UserError(f"{root}: no complete runs to summarise yet; run the batch first")
    return out


def write_summaries(batch_dir: str | Path) -> dict[str, Path]:
    """Compute the summaries and write ``summary/<table>.parquet`` (atomic per file)."""
    root = Path(batch_dir)
    paths = {}
    for table, lf in compute_summaries(root).items():
        path = root / SUMMARY_DIR / f"{table}.parquet"
        write_parquet_atomic(lf.collect(engine="streaming"), path)
        paths[table] = path
    return paths


def _band(metric: str, scale: float = 1.0) -> pl.Expr:
    """``mean [q05, q95]`` as text, one decimal (values x `scale`)."""
    return pl.format("{} [{}, {}]", *((pl.col(f"{metric}_{s}") * scale).round(1)
                                      for s in ("mean", "q05", "q95")))


BANDS: dict[str, tuple[str, str, float]] = {
    "hhi": ("markets", "HHI", 1.0),
    "mhhi": ("markets", "MHHI", 1.0),
    "foreclosure_share": ("markets", "foreclosure %", 100.0),
    "unaffiliated_price": ("markets", "unaffil. price", 1.0),
    "default_rate": ("markets", "defaults %", 100.0),
    "circularity": ("firms", "circularity %", 100.0),
    "defaulted_usd_b": ("firms", "defaulted USD B", 1.0),
}
"""Printed bands: metric -> (table, column title, scale), one column per market or firm
where the metric is not zero in every run."""


def _last(lf: pl.LazyFrame) -> pl.DataFrame:
    return lf.filter(pl.col("step") == pl.col("step").max().over(ID)).collect()


def _wide_bands(parts: dict[str, pl.LazyFrame]) -> list[pl.DataFrame]:
    """One frame per metric of `BANDS`: ID plus a band column per market (or firm)."""
    out = []
    last = {t: _last(lf) for t, lf in parts.items() if t in ("markets", "firms")}
    for metric, (table, title, scale) in BANDS.items():
        frame = last.get(table)
        if frame is None or f"{metric}_mean" not in frame.columns:
            continue
        key = "market" if table == "markets" else "firm"
        live = frame.filter(
            pl.col(f"{metric}_q95").abs().max().over(key).fill_null(0.0) > 0.0)
        if live.is_empty():
            continue
        wide = live.select(*ID, key, _band(metric, scale).alias("band")).pivot(
            key, index=ID, values="band")
        out.append(wide.rename({c: f"{title} {c}" for c in wide.columns if c not in ID}))
    return out


def summary_table(batch_dir: str | Path) -> pl.DataFrame:
    """One row per variant at the last step: its inputs, the seeds behind its bands
    (``seeds``), per-market HHI, MHHI, foreclosure and unaffiliated price, per-firm
    circularity, defaults when the runs carry them, and deployed GW, as ``mean [q05, q95]``
    text (what ``summarize`` prints). Fractions are shown in percent."""
    root = Path(batch_dir)
    variants = scan_variants(root).collect()
    inputs = [c for c in variants.columns
              if c not in ("variant_id", "variant_index", "scenario", "overrides")]
    parts = compute_summaries(root)
    rows = variants.select("variant_index", "variant_id", "scenario", *inputs)
    seeds = [_last(lf).select(*ID, "n_runs") for lf in parts.values()]
    if seeds:
        n = pl.concat(seeds).group_by(ID).agg(pl.col("n_runs").min().alias("seeds"))
        rows = rows.join(n, on=ID, how="left")
    for wide in _wide_bands(parts):
        rows = rows.join(wide, on=ID, how="left")
    if "physical" in parts:
        ph = _last(parts["physical"]).select(*ID, _band("deployed_gw").alias("deployed GW"))
        rows = rows.join(ph, on=ID, how="left")
    return rows.sort("variant_index").drop("variant_index")


def summary_by_metric(frame: pl.DataFrame) -> tuple[list[str], list[list[str]]]:
    """`summary_table` turned on its side for a few variants: one row per input or metric,
    one column per variant (headers: ``""`` then the variant ids)."""
    header = ["", *(str(v) for v in frame["variant_id"])]
    rows = []
    for col in frame.columns:
        if col == "variant_id":
            continue
        rows.append([col, *(f"{v:.4g}" if isinstance(v, float) else str(v)
                            for v in frame[col])])
    return header, rows
