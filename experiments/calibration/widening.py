"""How much a calibrated ensemble widens what-if intervals: two `compare` outputs side by side.

`compute_widening` reads the ``compare.parquet`` and ``runs.parquet`` of a comparison run with
seed noise only and of the same comparison run with ``--ensemble``; per metric: the 5-95% range
of the reference scenario's own value over the seeds (the level) in each, the mean difference
and its interval in each, and the ratio of the interval widths. `format_widening` makes it a
markdown table (``compute-market widening SEEDS_DIR ENSEMBLE_DIR``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["DEFAULT_METRICS", "compute_widening", "format_widening"]

DEFAULT_METRICS = (
    "share accelerators Nvidia", "hhi accelerators", "mhhi cloud", "hhi cloud",
    "openai_compute_gw", "openai_valuation_usd_b", "circularity Nvidia",
)


def compute_widening(seeds_dir: Path, ensemble_dir: Path,
                     metrics: tuple[str, ...] = DEFAULT_METRICS) -> pl.DataFrame:
    """One row per metric: mean difference and interval with seeds only and with the
    ensemble, and width ratio (ensemble / seeds only; inf when the seeds-only width is 0)."""
    a = pl.read_parquet(seeds_dir / "compare.parquet")
    b = pl.read_parquet(ensemble_dir / "compare.parquet")
    joined = a.join(b, on="metric", suffix="_ens").filter(pl.col("metric").is_in(metrics))
    levels = {}
    for tag, folder in (("", seeds_dir), ("_ens", ensemble_dir)):
        runs = pl.read_parquet(folder / "runs.parquet").filter(pl.col("role") == "reference")
        levels[tag] = runs.group_by("metric").agg(
            pl.col("value").quantile(0.05, "linear").alias(f"level_q05{tag}"),
            pl.col("value").quantile(0.95, "linear").alias(f"level_q95{tag}"),
        )
    joined = joined.join(levels[""], on="metric").join(levels["_ens"], on="metric")
    order = {m: i for i, m in enumerate(metrics)}
    joined = joined.sort(pl.col("metric").replace_strict(order, default=len(order)))
    return joined.select(
        "metric", "unit", "level_q05", "level_q95", "level_q05_ens", "level_q95_ens",
        "mean_diff", "ci_low", "ci_high", "excludes_zero",
        "mean_diff_ens", "ci_low_ens", "ci_high_ens", "excludes_zero_ens",
        ((pl.col("ci_high_ens") - pl.col("ci_low_ens"))
         / (pl.col("ci_high") - pl.col("ci_low"))).alias("width_ratio"),
    )


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def format_widening(table: pl.DataFrame) -> str:
    """The table as markdown (a `*` marks an interval that excludes zero)."""
    lines = ["| metric | reference level 5-95%: seeds only | with the ensemble | difference "
             "[95% interval]: seeds only | with the ensemble | interval width ratio |",
             "|---|---|---|---|---|---|"]
    for r in table.iter_rows(named=True):
        star, star_e = ("*" if r["excludes_zero"] else ""), ("*" if r["excludes_zero_ens"] else "")
        ratio = r["width_ratio"]
        lines.append(
            f"| {r['metric']} | {_n(r['level_q05'])} - {_n(r['level_q95'])} | "
            f"{_n(r['level_q05_ens'])} - {_n(r['level_q95_ens'])} | {_n(r['mean_diff'])} "
            f"[{_n(r['ci_low'])}, {_n(r['ci_high'])}]{star} | {_n(r['mean_diff_ens'])} "
            f"[{_n(r['ci_low_ens'])}, {_n(r['ci_high_ens'])}]{star_e} | "
            f"{'-' if ratio is None or ratio != ratio else f'{ratio:.2g}'} |"
        )
    return "\n".join(lines)
