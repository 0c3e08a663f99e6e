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

__all__ = ["SUMMARIES", "compute_summaries", "summary_table", "write_summaries"]

SUMMARY_DIR = "summary"
ID = ["scenario", "variant_id"]
SUMMARIES: dict[str, tuple[list[str], list[str]]] = {
    "shares": (["step", "date", "market", "firm"], ["share", "quantity"]),
    "markets": (["step", "date", "market"], ["hhi", "price", "total_quantity"]),
    "firms": (
        ["step", "date", "firm"],
        ["cash_usd_b", "revenue_usd_b", "valuation_usd_b", "deployed_gw", "powered_gw"],
    ),
    "physical": (
        ["step", "date"],
        ["foundry_capacity", "produced_gw", "delivered_gw", "powered_gw", "deployed_gw",
         "energy_twh", "homes_millions"],
    ),
}
"""Summarised table -> (grouping keys besides scenario and variant, metrics)."""


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
        aggs = [pl.col("run_id").n_unique().alias("n_runs")]
        for metric in metrics:
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


def _band(metric: str) -> pl.Expr:
    """``mean [q05, q95]`` as text, one decimal."""
    return pl.format("{} [{}, {}]", *(pl.col(f"{metric}_{s}").round(1)
                                      for s in ("mean", "q05", "q95")))


def summary_table(batch_dir: str | Path) -> pl.DataFrame:
    """One row per variant at the last step: its inputs, runs, and per-market HHI and
    deployed GW as ``mean [q05, q95]`` text (what ``summarize`` prints)."""
    root = Path(batch_dir)
    variants = scan_variants(root).collect()
    inputs = [c for c in variants.columns
              if c not in ("variant_id", "variant_index", "scenario", "overrides")]
    parts = compute_summaries(root)
    rows = variants.select("variant_index", "variant_id", "scenario", *inputs)
    if "markets" in parts:
        mk = parts["markets"].filter(pl.col("step") == pl.col("step").max().over(ID)).collect()
        wide = mk.select(*ID, "market", "n_runs", _band("hhi").alias("hhi")).pivot(
            "market", index=[*ID, "n_runs"], values="hhi")
        wide = wide.rename({c: f"HHI {c}" for c in wide.columns if c not in (*ID, "n_runs")})
        rows = rows.join(wide, on=ID, how="left")
    if "physical" in parts:
        ph = parts["physical"].filter(pl.col("step") == pl.col("step").max().over(ID))
        ph = ph.select(*ID, _band("deployed_gw").alias("deployed GW")).collect()
        rows = rows.join(ph, on=ID, how="left")
    return rows.sort("variant_index").drop("variant_index")
