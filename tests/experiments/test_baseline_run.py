"""The real model on the shipped baseline, end to end (skips until both exist)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from experiments.cli import main as cli
from experiments.run.results import ID_SCHEMA, SCHEMAS, TABLES, read_results
from world.params import MARKETS

ROOT = Path(__file__).parent.parent.parent


def test_baseline_tables_follow_the_contract(baseline_results: Any) -> None:
    res = baseline_results
    for name in TABLES:
        schema = dict(res.tables[name].schema)
        for col, dtype in {**ID_SCHEMA, **SCHEMAS[name]}.items():
            assert schema.get(col) == dtype, (name, col)
    steps = res.manifest["steps"]
    assert res.tables["physical"].height == steps
    assert sorted(res.tables["markets"]["market"].unique()) == sorted(MARKETS)


def test_baseline_shares_sum_to_one(baseline_results: Any) -> None:
    sums = baseline_results.tables["shares"].group_by("step", "market").agg(pl.col("share").sum())
    assert sums.height > 0
    assert (sums["share"] - 1.0).abs().max() < 1e-9


def test_baseline_is_deterministic_for_a_seed(shipped_baseline: Any) -> None:
    if importlib.util.find_spec("world.model") is None:
        pytest.skip("world/model.py is not written yet")
    from experiments.run.runner import run

    short = shipped_baseline.model_copy(deep=True)
    short.simulation.steps = min(12, short.simulation.steps)
    a, b = run(short, rng=5), run(short, rng=5)
    for name in TABLES:
        assert a.tables[name].equals(b.tables[name]), name


def test_cli_runs_the_real_baseline(
    shipped_baseline: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("world.model") is None:
        pytest.skip("world/model.py is not written yet")
    out = tmp_path / "run"
    assert cli.main(["run", "--steps", "6", "--out", str(out)]) == 0
    assert "Final market shares" in capsys.readouterr().out
    res = read_results(out)
    assert res.manifest["scenario"] == "baseline" and res.manifest["steps"] == 6
    assert (out / "shares.png").is_file()



def test_sparse_garbage_collection_changes_no_result_and_restores_the_collector(
    shipped_baseline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spacing out the collector's passes during a run may change when unreachable cycles are
    freed, never what the run computes (nothing in the model depends on collection timing);
    and the thresholds the caller had are back afterwards, even when the run fails."""
    import gc

    from experiments.run import runner

    short = shipped_baseline.model_copy(deep=True)
    short.simulation.steps = min(12, short.simulation.steps)
    before = gc.get_threshold()
    sparse = runner.run(short, rng=3)
    assert gc.get_threshold() == before
    monkeypatch.setattr(runner, "YOUNG_GC_THRESHOLD", 50)  # collect very often instead
    frequent = runner.run(short, rng=3)
    for name in TABLES:
        assert sparse.tables[name].equals(frequent.tables[name]), name
    with pytest.raises(RuntimeError), runner.sparse_garbage_collection():
        assert gc.get_threshold()[0] == 50
        raise RuntimeError("a run that fails")
    assert gc.get_threshold() == before
