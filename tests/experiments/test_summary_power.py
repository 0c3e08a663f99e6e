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
description = "baseline vs no vendor financing, 2 seeds, 48 months"
scenarios = ["baseline", "what_if/no_vendor_financing"]
steps = 48

[replications]
seeds = 2
master_seed = 3
"""


def test_summary_has_market_power_and_seed_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without vendor financing no accelerator contract is tied to the vendor's equity, so
    the foreclosure band of that variant is 0 while the baseline's is positive: the summary
    must tell the two apart (it printed identical rows when it kept HHI and price only)."""
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
