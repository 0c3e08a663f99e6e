"""How much a calibrated ensemble widens what-if intervals: two `compare` outputs side by side.

``python -m experiments.calibration.widening SEEDS_DIR ENSEMBLE_DIR [METRIC ...]`` reads the
``compare.parquet`` of a comparison run with seed noise only and of the same comparison run
with ``--ensemble``, and prints a markdown table: per metric, the mean difference and its
interval in each, and the ratio of the interval widths.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

__all__ = ["compute_widening", "format_widening"]

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
    return joined.select(
        "metric", "unit", "mean_diff", "ci_low", "ci_high", "excludes_zero",
        "mean_diff_ens", "ci_low_ens", "ci_high_ens", "excludes_zero_ens",
        ((pl.col("ci_high_ens") - pl.col("ci_low_ens"))
         / (pl.col("ci_high") - pl.col("ci_low"))).alias("width_ratio"),
    )


def format_widening(table: pl.DataFrame) -> str:
    """The table as markdown (a `*` marks an interval that excludes zero)."""
    lines = ["| metric | seeds only: difference [95% interval] | with the ensemble | width "
             "ratio |", "|---|---|---|---|"]
    for r in table.iter_rows(named=True):
        star, star_e = ("*" if r["excludes_zero"] else ""), ("*" if r["excludes_zero_ens"] else "")
        lines.append(
            f"| {r['metric']} | {r['mean_diff']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
            f"{star} | {r['mean_diff_ens']:.3g} [{r['ci_low_ens']:.3g}, {r['ci_high_ens']:.3g}]"
            f"{star_e} | {r['width_ratio']:.2g} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        raise SystemExit(2)
    extra = tuple(sys.argv[3:]) or DEFAULT_METRICS
    print(format_widening(compute_widening(Path(sys.argv[1]), Path(sys.argv[2]), extra)))
