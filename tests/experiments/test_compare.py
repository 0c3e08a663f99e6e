"""The paired what-if comparison: statistics checked against independent computations.

Expected values: the paired t-test p-value from `scipy.stats.ttest_rel` (an implementation
the comparison does not call) and Holm's step-down adjustment written out by hand
(Holm 1979: the i-th smallest of m p-values is multiplied by m - i + 1, then made monotone).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from scipy import stats

from experiments.analysis.compare import compute_comparison, run_pairs
from experiments.analysis.compare_text import format_table, resolve_step
from experiments.analysis.outcome_series import compute_outcome_series
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario

REF = [1.0, 2.0, 3.0, 4.0, 5.0]
DIFFS = {"a": [0.5, 1.5, 0.7, 1.1, 0.9], "b": [0.1, -0.2, 0.3, 0.0, 0.05],
         "c": [2.0, 2.5, 1.0, 3.0, 2.2], "d": [1.0] * 5}


def _runs(steps=(0, 1)) -> pl.DataFrame:
    """Paired outcomes as `run_pairs` returns them: reference values REF, variant REF + diff."""
    rows = []
    for step in steps:
        for metric, diffs in DIFFS.items():
            for seed, (r, d) in enumerate(zip(REF, diffs, strict=True)):
                rows.append(dict(reference="ref", variant="var", seed=seed, metric=metric,
                                 market="", firm="", unit="u", step=step,
                                 date=dt.date(2025, 1 + step, 1), reference_value=r,
                                 variant_value=r + d))
    return pl.DataFrame(rows).with_columns(pl.col("step").cast(pl.Int32))


def _holm(pvals: list[float]) -> list[float]:
    m = len(pvals)
    order = sorted(range(m), key=lambda i: pvals[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvals[i]))
        out[i] = running
    return out


def test_p_values_and_holm_adjustment_by_hand() -> None:
    table = compute_comparison(_runs(), adjust="holm").filter(pl.col("step") == 1)
    by = {r["metric"]: r for r in table.iter_rows(named=True)}
    tested = ["a", "b", "c"]
    pvals = [stats.ttest_rel([r + d for r, d in zip(REF, DIFFS[m], strict=True)], REF).pvalue
             for m in tested]
    for m, p, adj in zip(tested, pvals, _holm(pvals), strict=True):
        assert by[m]["p_value"] == pytest.approx(p, rel=1e-9)
        assert by[m]["p_adjusted"] == pytest.approx(adj, rel=1e-9)
        assert by[m]["mean_diff"] == pytest.approx(sum(DIFFS[m]) / 5)
    assert table.height == 4 and set(table["step"]) == {1}


def test_zero_variance_difference_is_exact_not_starred() -> None:
    """'d' moves by exactly 1.0 on every seed: an exact difference, no test, no star."""
    table = compute_comparison(_runs())
    d = table.filter(pl.col("metric") == "d").row(0, named=True)
    assert d["exact"] and d["mean_diff"] == pytest.approx(1.0)
    assert d["ci_low"] == d["ci_high"] == pytest.approx(1.0)
    assert d["p_value"] is None and d["p_adjusted"] is None and not d["significant"]
    lines = format_table(table, 1)
    row = next(line for line in lines if line.startswith("d "))
    assert "exact" in row and row.rstrip().endswith("=") and "*" not in row


def test_every_month_has_a_row_and_the_date_picks_one() -> None:
    table = compute_comparison(_runs(steps=(0, 1, 2)))
    assert table.group_by("step").len()["len"].to_list() == [4, 4, 4]
    assert resolve_step(table, None) == 2 and resolve_step(table, "2025-02") == 1
    with pytest.raises(UserError, match="outside the runs"):
        resolve_step(table, "2031-01")


def test_outcomes_shares_in_percentage_points(baseline_results) -> None:
    """Shares are reported x 100: every market's shares sum to 100 pp each month."""
    out = compute_outcome_series(baseline_results.tables)
    sums = out.filter(pl.col("metric") == "share").group_by("market", "step").agg(
        pl.col("value").sum())
    assert sums["value"].to_list() == pytest.approx([100.0] * sums.height)
    assert set(out.filter(pl.col("metric") == "share")["unit"]) == {"pp"}
    firms = set(baseline_results.tables["shares"]["firm"])
    assert set(out.filter(pl.col("metric") == "share")["firm"]) == firms  # from the data


def test_parallel_pairs_equal_serial_and_several_variants() -> None:
    """Common random numbers: the same seeds give the same outcomes, in the same row order,
    in 1 or 2 processes; two variants against one reference give one block of rows each."""
    base = load_scenario("baseline", steps=6)
    variants = [load_scenario("what_if/no_vendor_financing", steps=6),
                load_scenario("what_if/regime_strict", steps=6)]
    serial = run_pairs(base, variants, [1, 2], workers=1, progress=False)
    parallel = run_pairs(base, variants, [1, 2], workers=2, progress=False)
    assert serial.equals(parallel)
    blocks = serial.select("seed", "variant").unique(maintain_order=True)
    assert blocks.rows() == [(s, v.name) for s in (1, 2) for v in variants]
    table = compute_comparison(serial)
    assert set(table["variant"]) == {v.name for v in variants}
    assert table.filter(pl.col("step") == 5).group_by("variant").len()["len"].n_unique() == 1


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    """A user's mistake: one line naming the option or file, exit code 2, nothing written."""
    from experiments.cli.main import main

    folder = tmp_path / "docs"
    folder.mkdir()
    assert main(["whatifs", "--seeds", "2", "--write-docs", str(folder)]) == 2
    err = capsys.readouterr().err
    assert str(folder) in err and "folder" in err and err.count("\n") == 1
    assert not any(folder.iterdir())
    assert main(["whatifs", "--seeds", "1"]) == 2
    assert "--seeds" in capsys.readouterr().err
    out = tmp_path / "cmp"
    assert main(["compare", "baseline", "what_if/cap_equity", "--workers", "0",
                 "--out", str(out)]) == 2
    assert "--workers" in capsys.readouterr().err and not out.exists()
    assert main(["compare", "baseline", "what_if/cap_equity", "--adjust", "bonferroni"]) == 2


def test_whatif_section_marks_resolved_and_exact_effects() -> None:
    """The docs section: a resolved effect is bold with its interval, an exact one says so,
    noise is plain; the theory of harm and the model's reading follow the table."""
    from experiments.docgen.antitrust import COLUMNS, WHATIFS, build_section

    ref, var, harm = WHATIFS[1]
    base = dict(reference=ref, variant=var, step=71, date=dt.date(2030, 12, 1), n=10,
                reference_mean=1.0, level=0.95)
    rows = [
        dict(base, label=COLUMNS[0][1], variant_mean=3.0, mean_diff=2.0, ci_low=1.5,
             ci_high=2.5, exact=False, significant=True),
        dict(base, label=COLUMNS[1][1], variant_mean=1.1, mean_diff=0.1, ci_low=-0.5,
             ci_high=0.7, exact=False, significant=False),
        dict(base, label="deals_blocked", variant_mean=4.0, mean_diff=3.0, ci_low=3.0,
             ci_high=3.0, exact=True, significant=False),
    ]
    text = build_section(pl.DataFrame(rows), 10, "abc1234")
    line = next(t for t in text.splitlines() if t.startswith(f"| `{var}`"))
    assert "**2.00** [1.50, 2.50]" in line and "| 0.1 |" in line and "**3.00** (exact)" in line
    assert harm in text and "deals blocked 3.00 (from 1.00)" in text


def test_same_bytes_whatever_order_the_seeds_arrive_in() -> None:
    """Workers return seeds in another order than one process does; the statistics must not
    depend on it (summing floats in another order changes the last bits)."""
    runs = _runs().with_columns(reference_value=pl.col("reference_value") * 0.1 + 1e-3,
                                variant_value=pl.col("variant_value") * 0.1 + 7e-4)
    one = compute_comparison(runs)
    for seed in (1, 2, 3):
        shuffled = compute_comparison(runs.sample(fraction=1.0, shuffle=True, seed=seed))
        assert shuffled.equals(one)


def test_integer_key_grouping_equals_the_sort_of_every_column(monkeypatch) -> None:
    """The groups found by one numpy sort of an integer key (categorical or text columns)
    give the same table, to the bit, as a polars sort of every key column (the way taken
    when a key is missing): same groups, each summed in seed order."""
    import numpy as np

    from experiments.analysis import compare

    rng = np.random.default_rng(7)
    runs = pl.concat([_runs(steps=(0, 1, 2)).with_columns(
        seed=pl.col("seed") + 10 * k, variant=pl.lit(f"v{k % 2}"),
        reference_value=pl.Series(rng.normal(size=60)),
        variant_value=pl.Series(rng.normal(size=60))) for k in range(4)])
    runs = runs.sample(fraction=1.0, shuffle=True, seed=3)
    text = compute_comparison(runs)
    categorical = compute_comparison(runs.with_columns(
        pl.col("reference", "variant", "metric", "unit").cast(pl.Categorical)))
    monkeypatch.setattr(compare, "_group_key", lambda runs, groups: None)
    sorted_all = compute_comparison(runs)
    assert text.equals(sorted_all) and categorical.equals(sorted_all)
    assert set(text["n"]) == {10}  # 2 variants x 3 steps x 4 metrics, 2 x 5 seeds each
    assert text.height == 24


def test_rounding_noise_is_exact_not_tested() -> None:
    """Two runs that agree up to the last bits of a large number (an HHI near 5,000 summed in
    another order) have no effect to test: the difference is reported as exact."""
    noise = [4.5e-13, -9.1e-13, 0.0, 1.8e-12, -4.5e-13]
    runs = _runs().with_columns(reference_value=pl.col("reference_value") + 5_000.0)
    runs = runs.with_columns(
        variant_value=pl.when(pl.col("metric") == "d")
        .then(pl.col("reference_value") + pl.Series([noise[s] for s in runs["seed"]]))
        .otherwise(pl.col("variant_value") + 5_000.0))
    d = compute_comparison(runs).filter((pl.col("metric") == "d") & (pl.col("step") == 0)).row(
        0, named=True)
    assert d["exact"] and d["p_value"] is None and not d["significant"]
