"""Paired what-if comparison: a reference scenario and a variant run on the same seeds.

For each seed both scenarios run with that seed (common random numbers), each run is reduced
to its outcomes at one date (`compute_outcomes`), and the per-seed differences variant minus
reference give the mean difference and its Student-t interval over seeds
(`compute_comparison`); a difference whose interval excludes zero is one the replications
resolve. `compute-market compare BASE WHAT_IF --seeds N` prints the table and writes
``compare.parquet`` (the contract of `experiments.figures.sources`), ``runs.parquet`` (the
per-seed outcomes), ``compare.json`` and ``compare.png``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl

from experiments.errors import UserError

__all__ = [
    "compute_comparison", "compute_outcomes", "format_table", "run_pair", "write_comparison"
]

SHARES = {
    "accelerators": ("Nvidia", "AMD", "Amazon", "OpenAI", "Other chips"),
    "cloud": ("Amazon", "Microsoft", "Oracle", "OpenAI", "Other clouds"),
    "frontier_ai": ("OpenAI",),
}
MARKET_COLUMNS = {
    "hhi": ("HHI", ("accelerators", "cloud", "frontier_ai")),
    "mhhi": ("MHHI", ("accelerators", "cloud", "frontier_ai")),
    "price": ("USD B/GW (cloud: per GW-year)", ("accelerators", "cloud")),
    "price_usd_k_per_pflops": ("USD k per PFLOP/s", ("accelerators", "cloud")),
    "foreclosure_share": ("fraction", ("accelerators", "cloud")),
    "unaffiliated_price": ("USD B/GW", ("accelerators",)),
}
CIRCULARITY_FIRMS = ("Nvidia", "AMD", "Amazon", "Microsoft")
FIGURE_METRICS = (
    "share accelerators Nvidia",
    "share cloud Microsoft",
    "hhi accelerators",
    "mhhi accelerators",
    "mhhi cloud",
    "price accelerators",
    "price_usd_k_per_pflops accelerators",
    "foreclosure_share accelerators",
    "deployed_gw",
    "circularity Nvidia",
    "openai_suppliers",
    "fringe_cum_gw accelerators",
    "openai_compute_gw",
)
"""Metrics drawn in compare.png (the table holds them all)."""


def _resolve_step(results: Any, date: str | None) -> int:
    steps = results.tables["physical"]["step"]
    if date is None:
        return int(steps.max())
    frame = results.tables["physical"].filter(
        pl.col("date").dt.strftime("%Y-%m") == date
    )
    if frame.is_empty():
        first, last = results.tables["physical"]["date"][[0, -1]]
        raise UserError(
            f"--date {date} is outside the runs ({first:%Y-%m} to {last:%Y-%m}); pick a month "
            "inside them"
        )
    return int(frame["step"][0])


def compute_outcomes(results: Any, date: str | None = None) -> list[tuple[str, str, float]]:
    """Outcomes of one run at `date` ('YYYY-MM'; default: its last month) as
    (metric, unit, value) rows: shares, HHI, MHHI, prices, price per PFLOP/s, foreclosure
    share, deployed GW, circularity, OpenAI's supplier count and compute, fringe capacity,
    and deals blocked or defaulted by then."""
    step = _resolve_step(results, date)
    t = results.tables
    rows: list[tuple[str, str, float]] = []
    shares = t["shares"].filter(pl.col("step") == step)
    for market, firms in SHARES.items():
        for firm in firms:
            s = shares.filter((pl.col("market") == market) & (pl.col("firm") == firm))["share"]
            rows.append((f"share {market} {firm}", "fraction", float(s[0]) if len(s) else 0.0))
    markets = t["markets"].filter(pl.col("step") == step)
    for col, (unit, names) in MARKET_COLUMNS.items():
        if col not in markets.columns:
            continue
        for market in names:
            v = markets.filter(pl.col("market") == market)[col]
            if len(v) and v[0] is not None:
                rows.append((f"{col} {market}", unit, float(v[0])))
    if "fringe_cum_gw" in markets.columns:
        v = markets.filter(pl.col("market") == "accelerators")["fringe_cum_gw"]
        rows.append(("fringe_cum_gw accelerators", "GW since start", float(v[0] or 0.0)))
        v = markets.filter(pl.col("market") == "cloud")["fringe_gw"]
        rows.append(("fringe_gw cloud", "GW", float(v[0] or 0.0)))
    phys = t["physical"].filter(pl.col("step") == step)
    rows.append(("deployed_gw", "GW", float(phys["deployed_gw"][0])))
    firms = t["firms"].filter(pl.col("step") == step)
    if "circularity" in firms.columns:
        for firm in CIRCULARITY_FIRMS:
            v = firms.filter(pl.col("firm") == firm)["circularity"]
            if len(v):
                rows.append((f"circularity {firm}", "fraction", float(v[0])))
    oai = firms.filter(pl.col("firm") == "OpenAI")
    if oai.height:
        if "n_suppliers" in oai.columns:
            rows.append(("openai_suppliers", "firms", float(oai["n_suppliers"][0])))
        rows.append(("openai_compute_gw", "GW", float(oai["compute_gw"][0])))
        rows.append(("openai_valuation_usd_b", "USD B", float(oai["valuation_usd_b"][0])))
    deals = t["deals"]
    for status in ("blocked", "defaulted"):
        n = deals.filter(
            (pl.col("status") == status) & (pl.col("step_closed").fill_null(10**9) <= step)
        ).height
        rows.append((f"deals_{status}", "deals", float(n)))
    return rows


def run_pair(
    reference: Any,
    variant: Any,
    seeds: Iterable[int],
    date: str | None = None,
    progress: Callable[[str], None] | None = None,
    ensemble: Any = None,
) -> pl.DataFrame:
    """Run both scenarios on each seed and return the tidy per-seed outcomes: columns
    role (`reference`/`variant`), scenario, seed, metric, unit, value, step, date. With an
    `ensemble` both runs of a seed use the parameter set that seed draws from it."""
    from experiments.run.runner import run

    records: list[dict[str, Any]] = []
    for seed in seeds:
        for role, params in (("reference", reference), ("variant", variant)):
            if progress:
                progress(f"{params.name} seed {seed}")
            if ensemble is not None:
                params = ensemble.apply(params, int(seed))
            results = run(params, rng=int(seed))
            step = _resolve_step(results, date)
            when = results.tables["physical"].filter(pl.col("step") == step)["date"][0]
            for metric, unit, value in compute_outcomes(results, date):
                records.append(
                    dict(role=role, scenario=params.name, seed=int(seed), metric=metric,
                         unit=unit, value=value, step=step, date=when)
                )
    return pl.DataFrame(records)


def compute_t_interval(diffs: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences and its two-sided Student-t interval (n - 1 degrees of
    freedom); with one seed the interval is undefined (NaN)."""
    from scipy import stats

    n = len(diffs)
    mean = math.fsum(diffs) / n
    if n < 2:
        return mean, math.nan, math.nan
    sd = math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def compute_comparison(runs: pl.DataFrame, level: float = 0.95) -> pl.DataFrame:
    """Per metric: reference and variant means, the mean paired difference (variant minus
    reference), its t-interval at `level`, and whether the interval excludes zero.

    An interval of zero width (the metric equal on every seed) excludes zero only when the
    difference itself is non-zero.
    """
    ref = runs.filter(pl.col("role") == "reference")
    var = runs.filter(pl.col("role") == "variant")
    keys = ["seed", "metric"]
    paired = ref.select(*keys, "unit", "step", "date", "scenario", ref=pl.col("value")).join(
        var.select(*keys, variant_name=pl.col("scenario"), var=pl.col("value")), on=keys
    )
    rows = []
    for metric in paired["metric"].unique(maintain_order=True):
        p = paired.filter(pl.col("metric") == metric).sort("seed")
        diffs = (p["var"] - p["ref"]).to_list()
        mean, lo, hi = compute_t_interval(diffs, level)
        if lo == hi == mean:
            excludes = mean != 0.0
        else:
            excludes = bool(not math.isnan(lo) and (lo > 0.0 or hi < 0.0))
        rows.append(
            dict(
                reference=p["scenario"][0],
                variant=p["variant_name"][0],
                metric=metric,
                unit=p["unit"][0],
                step=int(p["step"][0]),
                date=p["date"][0],
                n=len(diffs),
                reference_mean=float(p["ref"].mean()),
                variant_mean=float(p["var"].mean()),
                mean_diff=mean,
                ci_low=lo,
                ci_high=hi,
                level=level,
                excludes_zero=excludes,
            )
        )
    return pl.DataFrame(rows)


def write_comparison(
    out: Path, runs: pl.DataFrame, table: pl.DataFrame, base: str, what_if: str, seeds: list[int]
) -> None:
    """Write the comparison files into `out` (created if needed)."""
    from experiments.figures.compare import figure_compare
    from experiments.figures.sources import Source
    from experiments.figures.style import save_figure

    out.mkdir(parents=True, exist_ok=True)
    table.write_parquet(out / "compare.parquet")
    runs.write_parquet(out / "runs.parquet")
    meta = {"reference": base, "variants": [what_if], "seeds": seeds}
    (out / "compare.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    shown = table.filter(pl.col("metric").is_in(FIGURE_METRICS))
    label = f"{what_if} vs {base}, {len(seeds)} seeds"
    fig = figure_compare(Source("compare", out, label, meta, compare=shown))
    save_figure(fig, out / "compare.png")


def format_table(table: pl.DataFrame) -> list[str]:
    """The comparison as fixed-width text lines; '*' marks intervals that exclude zero."""
    if table.is_empty():
        return ["no metrics"]
    r0 = table.row(0, named=True)
    lines = [
        f"{r0['variant']} minus {r0['reference']} at {r0['date']:%Y-%m}, {r0['n']} seeds, "
        f"{r0['level']:.0%} t-intervals (* excludes zero)",
        f"{'metric':<38}{'reference':>11}{'what-if':>11}{'diff':>11}{'interval':>24}",
    ]
    for r in table.iter_rows(named=True):
        lo, hi = r["ci_low"], r["ci_high"]
        ci = "" if math.isnan(lo) else f"[{_num(lo)}, {_num(hi)}]"
        flag = " *" if r["excludes_zero"] else ""
        lines.append(
            f"{r['metric']:<38}{_num(r['reference_mean']):>11}{_num(r['variant_mean']):>11}"
            f"{_num(r['mean_diff']):>11}{ci:>24}{flag}"
        )
    return lines


def _num(x: float) -> str:
    if x == 0 or math.isnan(x):
        return f"{x:.0f}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.4f}"
