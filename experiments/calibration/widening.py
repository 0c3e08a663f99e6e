"""How much a calibrated ensemble widens what-if intervals: two `compare` outputs side by side.

`compute_widening` reads the ``compare.parquet``, ``runs.parquet`` and ``compare.json`` of a
comparison run with seed noise only and of the same comparison run with ``--ensemble``; at the
month each comparison shows (``compare.json`` ``step``, default its last month), per variant
and outcome label (``share accelerators Nvidia``, ``hhi cloud``, ...): the 5-95% range of the
reference scenario's own value over the seeds (the level) in each, the mean difference and its
interval in each, and the ratio of the interval widths. `format_widening` makes it a markdown
table (``compute-market widening SEEDS_DIR ENSEMBLE_DIR``).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from experiments.analysis.compare import label_expr

__all__ = ["DEFAULT_METRICS", "compute_widening", "format_widening", "read_step"]

DEFAULT_METRICS = (
    "share accelerators Nvidia", "hhi accelerators", "mhhi cloud", "hhi cloud",
    "compute_gw OpenAI", "valuation_usd_b OpenAI", "circularity Nvidia",
)
"""Outcome labels shown by default (`compare.parquet` ``label``)."""


def read_step(folder: Path) -> int:
    """The month a comparison folder shows: ``compare.json`` ``step``, else its last month."""
    meta = folder / "compare.json"
    step = json.loads(meta.read_text(encoding="utf-8")).get("step") if meta.is_file() else None
    if step is None:
        step = pl.scan_parquet(folder / "compare.parquet").select(pl.col("step").max()).collect()
        return int(step.item())
    return int(step)


def _at_step(folder: Path, metrics: tuple[str, ...], tag: str) -> pl.DataFrame:
    """One comparison at its month: the difference and interval per variant and label, with
    the 5-95% range of the reference's value over the seeds."""
    step = read_step(folder)
    table = pl.read_parquet(folder / "compare.parquet").filter(
        (pl.col("step") == step) & pl.col("label").is_in(metrics))
    runs = pl.read_parquet(folder / "runs.parquet").filter(pl.col("step") == step)
    levels = runs.with_columns(label=label_expr()).unique(["seed", "label"]).group_by(
        "label").agg(
        pl.col("reference_value").quantile(0.05, "linear").alias("level_q05"),
        pl.col("reference_value").quantile(0.95, "linear").alias("level_q95"),
    )
    out = table.join(levels, on="label").select(
        "variant", pl.col("label").alias("metric"), "unit", "level_q05", "level_q95",
        "mean_diff", "ci_low", "ci_high",
        ((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)).alias("excludes_zero"),
    )
    return out.rename({c: f"{c}{tag}" for c in out.columns if c not in ("variant", "metric")})


def compute_widening(seeds_dir: Path, ensemble_dir: Path,
                     metrics: tuple[str, ...] = DEFAULT_METRICS) -> pl.DataFrame:
    """One row per variant and metric (label) in both comparisons: reference level, mean
    difference and interval with seeds only and with the ensemble, and the width ratio
    (ensemble / seeds only; inf when the seeds-only width is 0, NaN when both are)."""
    joined = _at_step(seeds_dir, metrics, "").join(
        _at_step(ensemble_dir, metrics, "_ens"), on=["variant", "metric"])
    order = {m: i for i, m in enumerate(metrics)}
    joined = joined.sort("variant", pl.col("metric").replace_strict(order, default=len(order)))
    return joined.select(
        "variant", "metric", "unit", "level_q05", "level_q95", "level_q05_ens", "level_q95_ens",
        "mean_diff", "ci_low", "ci_high", "excludes_zero",
        "mean_diff_ens", "ci_low_ens", "ci_high_ens", "excludes_zero_ens",
        ((pl.col("ci_high_ens") - pl.col("ci_low_ens"))
         / (pl.col("ci_high") - pl.col("ci_low"))).alias("width_ratio"),
    )


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def format_widening(table: pl.DataFrame) -> str:
    """The table as markdown (a `*` marks an interval that excludes zero; the variant is named
    before the metric when the comparisons hold several)."""
    several = table["variant"].n_unique() > 1
    lines = ["| metric | reference level 5-95%: seeds only | with the ensemble | difference "
             "[95% interval]: seeds only | with the ensemble | interval width ratio |",
             "|---|---|---|---|---|---|"]
    for r in table.iter_rows(named=True):
        star, star_e = ("*" if r["excludes_zero"] else ""), ("*" if r["excludes_zero_ens"] else "")
        ratio = r["width_ratio"]
        name = f"{r['variant']}: {r['metric']}" if several else r["metric"]
        lines.append(
            f"| {name} ({r['unit']}) | {_n(r['level_q05'])} - {_n(r['level_q95'])} | "
            f"{_n(r['level_q05_ens'])} - {_n(r['level_q95_ens'])} | {_n(r['mean_diff'])} "
            f"[{_n(r['ci_low'])}, {_n(r['ci_high'])}]{star} | {_n(r['mean_diff_ens'])} "
            f"[{_n(r['ci_low_ens'])}, {_n(r['ci_high_ens'])}]{star_e} | "
            f"{'-' if ratio is None or ratio != ratio else f'{ratio:.2g}'} |"
        )
    return "\n".join(lines)
