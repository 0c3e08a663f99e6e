"""Paired what-if comparison: one reference scenario and one or more variants on the same seeds.

For each seed the reference and every variant run with that seed (common random numbers);
each run is reduced to its outcomes in every month (`experiments.analysis.outcome_series`) and each
variant's outcomes are paired with the reference's in the worker that ran them. The per-seed
differences variant minus reference give, per metric, market or firm, and month,
the mean difference, its Student-t interval over seeds and a two-sided paired t-test p-value.
The p-values of one variant at one month form one family, adjusted for multiple comparisons
(Holm by default, or Benjamini-Hochberg; `statsmodels.stats.multitest.multipletests`).
A difference that is the same on every seed (zero variance) is reported as exact: its
interval is the value itself, it has no p-value and it is never starred.

With a calibrated ensemble (`experiments.calibration.ensemble`) each seed draws one parameter
set, shared by the reference and every variant of that seed, so the intervals also carry the
parameter uncertainty.

``compute-market compare BASE VARIANT [VARIANT ...] --seeds N --workers W`` (its arguments in
`experiments.cli.compare`) prints the table at one month (default: the last) and writes
``compare.parquet`` (every month), ``runs.parquet`` (the paired per-seed outcomes),
``compare.json`` and ``compare.png`` (the figure `plot --kind compare` draws from the same
folder).
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from experiments.errors import UserError

if TYPE_CHECKING:
    from experiments.analysis.outcome_series import OutcomeArrays

__all__ = [
    "ADJUST", "compute_comparison", "compute_t_interval", "label_expr", "run_pair",
    "run_pairs", "write_comparison",
]

KEYS = ["metric", "market", "firm", "unit", "step"]
ADJUST = {"holm": "holm", "bh": "fdr_bh"}
"""--adjust choice -> statsmodels method."""
EXACT_TOL = 1e-9
"""A difference whose spread over the seeds is within this fraction of the outcome's size
(at least 1) is exact: rounding, not an effect (the same number summed in another order)."""
TEXT = ["reference", "variant", "metric", "market", "firm", "unit"]
"""Text columns of the paired outcomes, kept categorical (small to send, quick to group)."""


SeedPairs = tuple[tuple[tuple[str, str, str, str], ...], list[tuple[np.ndarray, ...]]]
"""One seed's paired outcomes as `_run_seed` sends them back: the reference's outcome labels
(metric, market, firm, unit) and, per variant, the arrays label (into the labels), step,
reference_value, variant_value of the paired rows (numpy arrays pickle small and quick)."""


def _run_seed(reference: Any, variants: Sequence[Any], seed: int) -> SeedPairs:
    """One seed: the reference and every variant run, each variant's outcomes paired with the
    reference's on the same metric, market, firm and month (top-level so it pickles to the
    batch executors; the pairing happens here, in parallel, not in the parent)."""
    from experiments.analysis.outcome_series import compute_outcome_arrays
    from experiments.run.runner import run_outcome_tables

    ref = compute_outcome_arrays(run_outcome_tables(reference, rng=int(seed)))
    pairs = [_pair(ref, compute_outcome_arrays(run_outcome_tables(params, rng=int(seed))))
             for params in variants]
    return ref.labels, pairs


def _pair(ref: OutcomeArrays, var: OutcomeArrays) -> tuple[np.ndarray, ...]:
    """The rows of `ref` whose outcome and month `var` has too, in `ref`'s order, with both
    values: (label, step, reference_value, variant_value). When both runs have the same
    outcomes in the same order (the usual case: the same firms and months in both), row i is
    paired with row i (checked); otherwise by an inner join on metric, market, firm, unit and
    step (a row whose market or firm is missing pairs with nothing)."""
    if ref.has_keys_of(var) and not any(None in label for label in ref.labels):
        return ref.label, ref.step, ref.value, var.value
    left = ref.to_frame().with_row_index("row")
    right = var.to_frame().rename({"value": "variant_value"})
    hit = left.join(right, on=KEYS, how="inner", maintain_order="left_right")
    rows = hit["row"].to_numpy()
    return ref.label[rows], ref.step[rows], ref.value[rows], hit["variant_value"].to_numpy()


def run_pairs(
    reference: Any,
    variants: Sequence[Any],
    seeds: Iterable[int],
    workers: int | None = 1,
    progress: bool | None = None,
    ensemble: Any = None,
) -> pl.DataFrame:
    """Run the reference and every variant on each seed (one task per seed on the batch
    executors, `experiments.batch.ensemble.map_runs`) and return the paired per-seed
    outcomes: reference, variant, seed, metric, market, firm, unit, step, date,
    reference_value, variant_value (a row where both runs have the outcome). Rows: seed by
    seed in the order of `seeds`, each variant in turn, each in the order of the reference's
    outcome series (`experiments.analysis.outcome_series.compute_outcome_arrays`). Text
    columns are categorical. Same seeds, same bytes, whatever `workers`. With an `ensemble`
    (`experiments.calibration.ensemble.Ensemble`) the reference and the variants of a seed
    all run with the parameter set that seed draws from it."""
    from experiments.batch.ensemble import map_runs
    from experiments.batch.executors import warm_up

    warm_up(workers, None)  # the fork server imports the model (~1 s) on another core while
    _import_statistics()    # this process imports what `compute_comparison` needs (~2 s)
    seeds = [int(s) for s in seeds]
    if ensemble is None:
        tasks = [(reference, list(variants), s) for s in seeds]
    else:  # each seed's parameter set, drawn here so the workers need no ensemble
        tasks = [(ensemble.apply(reference, s), [ensemble.apply(v, s) for v in variants], s)
                 for s in seeds]
    done = map_runs(_run_seed, tasks, workers=workers, progress=progress, label="seeds")
    return _paired_frame(reference, [v.name for v in variants], seeds, done)


def _import_statistics() -> None:
    """Import SciPy's distributions and statsmodels' multiple-testing now (what
    `compute_comparison` calls), so the import does not wait until the runs are done."""
    import scipy.stats  # noqa: F401
    import statsmodels.stats.multitest  # noqa: F401


def _paired_frame(reference: Any, variants: list[str], seeds: list[int],
                  done: list[SeedPairs]) -> pl.DataFrame:
    """The paired outcomes of every seed as one frame (`run_pairs`): each seed's labels are
    numbered into one list, and the text columns gathered from it as categoricals."""
    from experiments.run.results import compute_step_dates

    index: dict[tuple[str, str, str, str], int] = {}
    parts: list[tuple[np.ndarray, ...]] = []
    for seed, (labels, pairs) in zip(seeds, done, strict=True):
        number = np.array([index.setdefault(lab, len(index)) for lab in labels], dtype=np.int64)
        for v, (label, step, ref, var) in enumerate(pairs):
            n = label.shape[0]
            parts.append((np.full(n, v, dtype=np.int64), np.full(n, seed, dtype=np.int64),
                          number[label], step, ref, var))
    cols = ([np.concatenate(c) for c in zip(*parts, strict=True)] if parts else
            [np.zeros(0, dtype=t) for t in (np.int64, np.int64, np.int64, np.int32,
                                              np.float64, np.float64)])
    variant, seed, label, step, ref, var = cols
    text = [pl.Series(name, [lab[k] for lab in index], dtype=pl.Categorical).gather(label)
            for k, name in enumerate(("metric", "market", "firm", "unit"))]
    return pl.DataFrame([
        pl.Series("reference", [reference.name], dtype=pl.Categorical).gather(
            np.zeros(step.shape[0], dtype=np.int64)),
        pl.Series("variant", variants, dtype=pl.Categorical).gather(variant),
        pl.Series("seed", seed, dtype=pl.Int64),
        *text,
        pl.Series("step", step, dtype=pl.Int32),
        compute_step_dates(reference.simulation.start, step),
        pl.Series("reference_value", ref, dtype=pl.Float64),
        pl.Series("variant_value", var, dtype=pl.Float64),
    ])


def run_pair(reference: Any, variant: Any, seeds: Iterable[int],
             workers: int | None = 1, ensemble: Any = None) -> pl.DataFrame:
    """`run_pairs` with one variant."""
    return run_pairs(reference, [variant], seeds, workers=workers, progress=False,
                     ensemble=ensemble)


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


def _group_key(runs: pl.DataFrame, groups: list[str]) -> np.ndarray | None:
    """One integer per row, equal for rows of one group (each column's codes combined in
    mixed radix); None when a key or seed is missing (null) or the codes do not fit in 62
    bits."""
    if runs["seed"].null_count():
        return None
    key = np.zeros(runs.height, dtype=np.int64)
    size = 1
    for col in groups:
        series = runs[col]
        if series.null_count():
            return None
        if series.dtype == pl.String:
            series = series.cast(pl.Categorical)
        series = series.to_physical()
        if not series.dtype.is_integer():
            return None
        codes = series.to_numpy().astype(np.int64, copy=False)
        lo, hi = int(codes.min()), int(codes.max())
        size *= hi - lo + 1
        if size >= 2**62:
            return None
        key = key * (hi - lo + 1) + (codes - lo)
    return key


def _group_rows(runs: pl.DataFrame, groups: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The order of the rows that puts each group's rows together, in seed order within the
    group, and where each group starts in that order. A row with a missing key is a group of
    its own."""
    key = _group_key(runs, groups)
    if key is not None:  # one stable numpy sort of one integer column
        order = np.lexsort((runs["seed"].to_numpy(), key))
        k = key[order]
        return order, np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    codes = [pl.col(c).to_physical() if runs.schema[c] == pl.Categorical else pl.col(c)
             for c in groups]
    srt = runs.with_row_index("_row").sort([*codes, "seed"])  # by codes: quicker than text
    first = srt.select(pl.any_horizontal(
        (pl.col(c) != pl.col(c).shift(1)).fill_null(True) for c in groups)).to_series()
    return srt["_row"].to_numpy(), np.flatnonzero(first.to_numpy())


def _group_moments(runs: pl.DataFrame, groups: list[str]) -> pl.DataFrame:
    """Per group: date, n, reference_mean, variant_mean, mean_diff, sd (of the paired
    differences, n - 1 degrees of freedom) and spread (max - min difference).

    Each group's rows are summed in seed order, so the bytes do not depend on the order the
    seeds arrived in or on how a parallel group-by splits the rows (workers, executors); the
    groups themselves are sorted by their text at the end."""
    if runs.is_empty():  # no run finished: an empty table (the caller says so)
        return runs.select(*groups, "date").with_columns(
            *(pl.col(c).cast(pl.String) for c in groups if c != "step"),
            pl.lit(0, dtype=pl.UInt32).alias("n"),
            *(pl.lit(0.0).alias(c) for c in ("reference_mean", "variant_mean", "mean_diff",
                                              "sd", "spread")))
    order, idx = _group_rows(runs, groups)
    n = np.diff(np.append(idx, runs.height))
    ref = runs["reference_value"].to_numpy()[order]
    var = runs["variant_value"].to_numpy()[order]
    diff = var - ref
    mean = np.add.reduceat(diff, idx) / n
    dev = diff - np.repeat(mean, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(np.add.reduceat(dev * dev, idx) / (n - 1))
    return runs[order[idx]].select(*groups, "date").with_columns(
        pl.col(c).cast(pl.String) for c in groups if c != "step").with_columns(
        n=pl.Series(n, dtype=pl.UInt32),
        reference_mean=pl.Series(np.add.reduceat(ref, idx) / n),
        variant_mean=pl.Series(np.add.reduceat(var, idx) / n),
        mean_diff=pl.Series(mean),
        sd=pl.Series(np.where(n > 1, sd, np.nan), nan_to_null=True),
        spread=pl.Series(np.maximum.reduceat(diff, idx) - np.minimum.reduceat(diff, idx)),
    ).sort(groups)


def compute_comparison(
    runs: pl.DataFrame, level: float = 0.95, adjust: str = "holm"
) -> pl.DataFrame:
    """Per variant, metric, market, firm and month: means, mean paired difference (variant
    minus reference), its t-interval at `level`, the paired t-test p-value and the p-value
    adjusted within the variant's month (`adjust`: holm or bh). Columns: reference, variant,
    metric, market, firm, label, unit, step, date, n, reference_mean, variant_mean,
    mean_diff, ci_low, ci_high, p_value, p_adjusted, exact, significant, level."""
    from scipy import stats

    groups = ["reference", "variant", *KEYS]
    table = _group_moments(runs, groups)
    n = table["n"].to_numpy().astype(float)
    mean = table["mean_diff"].to_numpy()
    sd = table["sd"].fill_null(np.nan).to_numpy()
    spread = table["spread"].to_numpy()
    size = np.maximum.reduce([np.ones_like(mean), np.abs(table["reference_mean"].to_numpy()),
                              np.abs(table["variant_mean"].to_numpy())])
    exact = (spread <= EXACT_TOL * size) & (n >= 2)
    dof = np.maximum(n - 1, 1)
    se = sd / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + level / 2.0, dof) * se
        pval = 2.0 * stats.t.sf(np.abs(mean / se), dof)
    lo = np.where(exact, mean, mean - half)
    hi = np.where(exact, mean, mean + half)
    pval = np.where(exact | (n < 2), np.nan, pval)
    table = table.with_columns(
        ci_low=pl.Series(lo), ci_high=pl.Series(hi), p_value=pl.Series(pval, nan_to_null=True),
        exact=pl.Series(exact), level=pl.lit(level),
    )
    table = _adjust(table, adjust)
    return table.with_columns(
        label=label_expr(),
        significant=pl.col("p_adjusted").fill_null(1.0) < 1.0 - level,
    ).select(
        "reference", "variant", "metric", "market", "firm", "label", "unit", "step", "date",
        "n", "reference_mean", "variant_mean", "mean_diff", "ci_low", "ci_high", "p_value",
        "p_adjusted", "exact", "significant", "level",
    )


def label_expr() -> pl.Expr:
    """The printed name of an outcome: ``metric market firm`` without the empty parts
    (``share accelerators Nvidia``, ``hhi cloud``, ``deals_blocked``)."""
    return pl.concat_str([pl.col("metric"), pl.col("market"), pl.col("firm")],
                         separator=" ").str.strip_chars().str.replace_all("  +", " ")


def _adjust(table: pl.DataFrame, adjust: str) -> pl.DataFrame:
    """p_adjusted within each (variant, step): the family of tests one table shows."""
    from statsmodels.stats.multitest import multipletests

    if adjust not in ADJUST:
        raise UserError(f"--adjust {adjust!r}: choose one of {', '.join(ADJUST)}")
    out = np.full(table.height, np.nan)
    pvals = table["p_value"].fill_null(np.nan).to_numpy()
    family = table.select(pl.struct("variant", "step").rank("dense")).to_series().to_numpy()
    order = np.argsort(family, kind="stable")
    bounds = np.flatnonzero(np.diff(family[order])) + 1
    ours = gc.get_freeze_count() == 0  # a caller's own freeze is left as it was
    gc.freeze()  # statsmodels' Holm calls gc.collect() per family: make it scan nothing
    try:
        for idx in np.split(order, bounds):
            ok = idx[~np.isnan(pvals[idx])]
            if ok.size:
                out[ok] = multipletests(pvals[ok], method=ADJUST[adjust])[1]
    finally:
        if ours:
            gc.unfreeze()
    return table.with_columns(p_adjusted=pl.Series(out, nan_to_null=True))


def write_comparison(
    out: Path,
    runs: pl.DataFrame,
    table: pl.DataFrame,
    base: str,
    variants: list[str],
    seeds: list[int],
    step: int | None = None,
    adjust: str = "holm",
) -> None:
    """Write the comparison files into `out` (created if needed); compare.png is drawn from
    the written folder exactly as ``plot --kind compare`` draws it."""
    from concurrent.futures import ThreadPoolExecutor

    from experiments.figures.render import render_figure
    from experiments.figures.sources import load_source
    from experiments.figures.style import save_figure

    out.mkdir(parents=True, exist_ok=True)
    table.write_parquet(out / "compare.parquet")
    # the figure does not read the per-seed runs: write them (polars, off the interpreter's
    # lock) while the figure is drawn
    pool = ThreadPoolExecutor(max_workers=1)
    written = pool.submit(
        runs.with_columns(pl.col(TEXT).cast(pl.String)).write_parquet, out / "runs.parquet")
    pool.shutdown(wait=False)
    chosen = table.filter(pl.col("step") == step)["date"] if step is not None else None
    meta = {
        "reference": base, "variants": variants, "seeds": seeds, "adjust": adjust,
        "step": step, "date": f"{chosen[0]:%Y-%m}" if chosen is not None and len(chosen) else None,
    }
    (out / "compare.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    try:
        save_figure(render_figure(load_source(out), "compare"), out / "compare.png")
    finally:
        written.result()
