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

import os
import shutil
import uuid
from pathlib import Path

import polars as pl

from experiments.batch.store import (
    REDO,
    VARIANT_ID_COLUMNS,
    find_missing_runs,
    planned_runs,
    read_batch_manifest,
    read_variants,
    scan_table,
    table_files,
    write_parquet_atomic,
)
from experiments.errors import UserError
from experiments.run.files import read_parquet_file

__all__ = [
    "SUMMARIES",
    "check_complete",
    "collect_checked",
    "compute_summaries",
    "summary_by_metric",
    "summary_table",
    "write_summaries",
]

SUMMARY_DIR = "summary"
ID = ["scenario", "variant_id"]
SUMMARIES: dict[str, tuple[list[str], list[str]]] = {
    "shares": (["step", "date", "market", "firm"], ["share", "quantity"]),
    "markets": (
        ["step", "date", "market"],
        ["hhi", "price", "total_quantity", "mhhi", "foreclosure_share", "unaffiliated_gw",
         "unaffiliated_price", "price_usd_k_per_pflops", "fringe_gw", "fringe_cum_gw"],
    ),
    "firms": (
        ["step", "date", "firm"],
        ["cash_usd_b", "revenue_usd_b", "valuation_usd_b", "deployed_gw", "powered_gw",
         "circularity", "circular_usd_b", "n_suppliers", "debt_usd_b", "defaults_cum",
         "distress_months"],
    ),
    "physical": (
        ["step", "date"],
        ["foundry_capacity", "produced_gw", "delivered_gw", "powered_gw", "deployed_gw",
         "energy_twh", "homes_millions"],
    ),
}
"""Summarised table -> (grouping keys besides scenario and variant, metrics). The market-power
metrics (MHHI, foreclosure, unaffiliated buyers, circularity, defaults) are summarised; a metric
the runs lack (older runs) is skipped."""


def _stats(metric: str) -> list[pl.Expr]:
    col = pl.col(metric)
    return [
        col.mean().alias(f"{metric}_mean"),
        col.median().alias(f"{metric}_median"),
        col.quantile(0.05, interpolation="linear").alias(f"{metric}_q05"),
        col.quantile(0.95, interpolation="linear").alias(f"{metric}_q95"),
    ]


def check_complete(batch_dir: str | Path, partial: bool = False) -> list[str]:
    """The planned runs missing from a batch (`experiments.batch.store.find_missing_runs`).

    Raises:
        UserError: some are missing and `partial` is False: the line says how many, names the
            first, and how to complete them (or to pass ``--partial``).
    """
    root = Path(batch_dir)
    missing = find_missing_runs(root)
    if missing and not partial:
        total = len(planned_runs(root))
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise UserError(
            f"{root}: {len(missing)} of {total} planned runs are missing ({shown}; failed, not "
            "run yet, or their files deleted); run the same `compute-market batch` command "
            "again to make them, or pass --partial to summarise the runs that are there"
        )
    return missing


def compute_summaries(batch_dir: str | Path) -> dict[str, pl.LazyFrame]:
    """Lazy ensemble statistics of a batch, one frame per summarised table.

    Only the runs the batch's spec plans now are read (`experiments.batch.store.scan_table`).

    Args:
        batch_dir: a directory written by ``compute-market batch``.

    Returns:
        ``shares``, ``markets``, ``firms``, ``physical`` (those the batch kept) -> lazy frame
        with ``scenario, variant_id``, the table's keys, ``n_runs`` and the statistics.

    Raises:
        UserError: not a batch, no complete run, or a damaged file (named).
    """
    root = Path(batch_dir)
    manifest = read_batch_manifest(root)
    kept = manifest.get("outcomes", list(SUMMARIES))
    out: dict[str, pl.LazyFrame] = {}
    for table, (keys, metrics) in SUMMARIES.items():
        if table not in kept or not table_files(root, table):
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


def collect_checked(lf: pl.LazyFrame, root: Path, table: str) -> pl.DataFrame:
    """Collect a frame over a batch table; a file damaged inside (its footer whole) is found
    and named in one line rather than a polars traceback."""
    try:
        return lf.collect(engine="streaming")
    except (OSError, pl.exceptions.PolarsError) as exc:
        for file in table_files(root, table):
            read_parquet_file(file, REDO)  # raises, naming the damaged file
        raise UserError(f"{root}: the {table!r} table cannot be read ({exc}); {REDO}") \
            from None


def write_summaries(batch_dir: str | Path, partial: bool = False) -> dict[str, Path]:
    """Compute the summaries and write ``summary/<table>.parquet``.

    Everything is computed before anything is written, and the folder is replaced as a
    whole, so a damaged or incomplete batch leaves ``summary/`` as it was.

    Args:
        batch_dir: the batch directory.
        partial: summarise even if planned runs are missing (`check_complete`).
    """
    root = Path(batch_dir)
    check_complete(root, partial)
    frames = {t: collect_checked(lf, root, t) for t, lf in compute_summaries(root).items()}
    final = root / SUMMARY_DIR
    tmp = root / f".tmp-{SUMMARY_DIR}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        for table, frame in frames.items():
            write_parquet_atomic(frame, tmp / f"{table}.parquet")
        trash = root / f".tmp-old-{SUMMARY_DIR}-{uuid.uuid4().hex[:8]}"
        if final.exists():
            os.replace(final, trash)
        os.replace(tmp, final)
        shutil.rmtree(trash, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {table: final / f"{table}.parquet" for table in frames}


def _band(metric: str, scale: float = 1.0) -> pl.Expr:
    """``mean [q05, q95]`` as text, one decimal (values x `scale`)."""
    return pl.format("{} [{}, {}]", *((pl.col(f"{metric}_{s}") * scale).round(1)
                                      for s in ("mean", "q05", "q95")))


BANDS: dict[str, tuple[str, str, float]] = {
    "hhi": ("markets", "HHI", 1.0),
    "mhhi": ("markets", "MHHI", 1.0),
    "foreclosure_share": ("markets", "foreclosure %", 100.0),
    "unaffiliated_price": ("markets", "unaffil. price", 1.0),
    "circularity": ("firms", "circularity %", 100.0),
    "defaults_cum": ("firms", "defaults", 1.0),
}
"""Printed bands: metric -> (table, column title, scale), one column per market or firm
where the metric is not zero in every run."""


def _last(lf: pl.LazyFrame, root: Path, table: str) -> pl.DataFrame:
    """The last step of each variant of a summary (a damaged run file is named)."""
    return collect_checked(lf.filter(pl.col("step") == pl.col("step").max().over(ID)), root,
                           table)


def _wide_bands(last: dict[str, pl.DataFrame]) -> list[pl.DataFrame]:
    """One frame per metric of `BANDS`: ID plus a band column per market (or firm), from the
    last step of each summary table (`_last`)."""
    out = []
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
    circularity, contracts defaulted on so far (per firm), and deployed GW, as ``mean [q05, q95]``
    text (what ``summarize`` prints). Fractions are shown in percent."""
    root = Path(batch_dir)
    variants = read_variants(root)
    inputs = [c for c in variants.columns if c not in VARIANT_ID_COLUMNS]
    parts = compute_summaries(root)
    rows = variants.select("variant_index", "variant_id", "scenario", *inputs)
    last = {t: _last(lf, root, t) for t, lf in parts.items()}
    seeds = [frame.select(*ID, "n_runs") for frame in last.values()]
    if seeds:
        n = pl.concat(seeds).group_by(ID).agg(pl.col("n_runs").min().alias("seeds"))
        rows = rows.join(n, on=ID, how="left")
    for wide in _wide_bands(last):
        rows = rows.join(wide, on=ID, how="left")
    if "physical" in last:
        ph = last["physical"].select(*ID, _band("deployed_gw").alias("deployed GW"))
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
