"""`summarize` carries the market-power metrics and the seeds behind each band."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from experiments.batch.summary import summary_table, write_summaries
from experiments.cli.main import main

SPEC = """\
[batch]
name = "power"
description = "baseline vs no vendor financing, 2 seeds, 72 months"
scenarios = ["baseline", "what_if/no_vendor_financing"]
steps = 72

[replications]
seeds = 2
master_seed = 3
"""


def test_summary_has_market_power_and_seed_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without vendor financing no accelerator contract is tied to the vendor's equity, so
    the foreclosure band of that variant is 0 while the baseline's is positive: the summary
    must tell the two apart (it printed identical rows when it kept HHI and price only). The
    whole horizon: in the bargaining market OpenAI's own Nvidia supply contracts, the ones tied
    to Nvidia's stake, come after 2028."""
    spec = tmp_path / "power.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "batch"
    assert main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    write_summaries(out)
    markets = pl.read_parquet(out / "summary" / "markets.parquet")
    for metric in ("mhhi", "foreclosure_share", "unaffiliated_price"):
        assert f"{metric}_q95" in markets.columns
    firms = pl.read_parquet(out / "summary" / "firms.parquet")
    assert "circularity_mean" in firms.columns and "n_suppliers_mean" in firms.columns
    table = summary_table(out)
    assert table["seeds"].to_list() == [2, 2]
    base = table.filter(pl.col("scenario") == "baseline")["foreclosure % accelerators"][0]
    none = table.filter(pl.col("scenario") != "baseline")["foreclosure % accelerators"][0]
    assert base != none and none.startswith("0.0 [0.0, 0.0]")
    assert "MHHI cloud" in table.columns and "circularity % Nvidia" in table.columns
    capsys.readouterr()
    assert main(["summarize", str(out)]) == 0
    text = capsys.readouterr().out
    assert "seeds" in text and "MHHI" in text


def test_every_summarised_and_compared_metric_is_a_column_runs_write(baseline_results) -> None:
    """A metric named in `summarize`'s or `compare`'s lists but written by no run is silently
    skipped (defaults once were: they were looked up under names the model never wrote). Every
    name in those lists must be a column of the shipped baseline's tables."""
    from experiments.analysis.outcome_series import FIRM_METRICS, MARKET_METRICS, PHYSICAL_METRICS
    from experiments.batch.summary import BANDS, SUMMARIES

    tables = baseline_results.tables
    for table, (_, metrics) in SUMMARIES.items():
        missing = set(metrics) - set(tables[table].columns)
        assert not missing, f"summary of {table} names columns no run writes: {missing}"
    for metric, (table, _, _) in BANDS.items():
        assert metric in tables[table].columns, f"band {metric} is not a {table} column"
    derived = {"mhhi_minus_hhi", "n_sellers"}  # computed from the markets and shares tables
    for table, metrics in (("markets", MARKET_METRICS), ("firms", FIRM_METRICS),
                           ("physical", PHYSICAL_METRICS)):
        missing = set(metrics) - set(tables[table].columns) - derived
        assert not missing, f"compare names {table} columns no run writes: {missing}"


def test_summary_prints_defaults_per_firm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A firm that defaults on a purchase contract shows a non-zero `defaults` band. With the
    lab's outside money nearly gone (a tiny equity pool, no debt), OpenAI cannot pay what its
    contracts bring due, so it defaults in every seed."""
    scenario = tmp_path / "starved.toml"
    scenario.write_text(
        'extends = "baseline"\nname = "starved"\n[capital]\n'
        'outside_equity_usd_b_per_year = [["2025-01", 0.5]]\n'
        '[firms.OpenAI]\nmax_debt_to_revenue = 0.0\n', encoding="utf-8")
    spec = tmp_path / "starved-batch.toml"
    spec.write_text(
        f'[batch]\nname = "starved"\ndescription = "defaults"\nscenarios = ["{scenario}"]\n'
        'steps = 48\n[replications]\nseeds = 2\nmaster_seed = 1\n', encoding="utf-8")
    out = tmp_path / "batch"
    assert main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    table = summary_table(out)
    assert "defaults OpenAI" in table.columns
    assert not table["defaults OpenAI"][0].startswith("0.0 [0.0, 0.0]")
