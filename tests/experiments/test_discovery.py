"""Scenario discovery and feature scoring: known answers on synthetic experiments, the bridge
from a batch to EMA's experiments and outcomes, and `discover` / `feature-scores` end to end on
a real 2-lever x 3-seed batch (boxes, scores and figures written; coverage and density
recomputed from the written boxes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from experiments.analysis.discovery import compute_feature_scores, discover
from experiments.analysis.ema import batch_to_ema, ema_inputs, make_ema_model
from experiments.analysis.outcomes import OUTCOMES, compute_outcomes
from experiments.cli.main import main

TWO_LEVERS = """\
[batch]
name = "two_levers"
description = "CUDA lock-in x allocation rule, 3 seeds, 24 months (discovery tests)"
scenarios = ["baseline"]
steps = 24

[replications]
seeds = 3
master_seed = 5

[levers]
"market.cuda_lockin" = [0.0, 2.0, 4.0]
"foundry.allocation_rule" = ["pro_rata", "uniform"]
"""


@pytest.fixture(scope="module")
def two_levers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real batch: 3 CUDA lock-in values x 2 allocation rules x 3 seeds = 18 runs."""
    root = tmp_path_factory.mktemp("two_levers")
    spec = root / "two.toml"
    spec.write_text(TWO_LEVERS, encoding="utf-8")
    out = root / "out"
    assert main(["batch", str(spec), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    return out


def _synthetic(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "a": rng.uniform(0.0, 1.0, n),
        "b": rng.choice(["x", "y", "z"], n),
        "c": rng.uniform(0.0, 1.0, n),
        "seed": np.arange(n), "run_id": [f"r{i}" for i in range(n)],
        "policy": "p", "model": "m",
    })


def test_prim_finds_a_box_known_in_advance() -> None:
    """Runs of interest are exactly a > 0.7 and b == "x" (c is irrelevant): PRIM's box must
    restrict a from near 0.7 upward and b to {x}, leave c free, and reach density 1."""
    x = _synthetic()
    y = ((x["a"] > 0.7) & (x["b"] == "x")).to_numpy()
    d = discover(x, y, "a > 0.7 and b = x", max_boxes=1, cart=True, min_density=0.95)
    prim = d.boxes.filter(pl.col("method") == "prim")
    assert set(prim["input"]) == {"a", "b"}
    a = prim.filter(pl.col("input") == "a").row(0, named=True)
    assert 0.6 <= a["low"] <= 0.75
    assert prim.filter(pl.col("input") == "b")["values"][0] == "x"
    st = d.stats.filter(pl.col("method") == "prim").row(0, named=True)
    assert st["density"] == pytest.approx(1.0) and st["coverage"] >= 0.9
    cart = d.boxes.filter((pl.col("method") == "cart") & (pl.col("box") == 1))
    assert cart.filter(pl.col("input") == "b")["values"][0] == "x"


def test_feature_scores_rank_the_input_that_drives_the_outcome() -> None:
    """y depends on a only (y = 10 a): a must get most of the score, and the scores of each
    outcome sum to 1 (extra-trees importances are normalised)."""
    x = _synthetic()
    scores = compute_feature_scores(x, {"y": 10 * x["a"].to_numpy(),
                                        "z": x["c"].to_numpy() + (x["b"] == "z").to_numpy()})
    by_input = dict(zip(scores["input"], scores["y"], strict=True))
    assert by_input["a"] > 0.8
    assert scores["y"].sum() == pytest.approx(1.0) and scores["z"].sum() == pytest.approx(1.0)
    assert set(scores["input"]) == {"a", "b", "c"}  # bookkeeping columns are not inputs


def test_batch_to_ema_rows_match_the_runs(two_levers: Path) -> None:
    """One experiment row per run with its levers; outcomes equal those computed from the
    run's own tables (the batch path and the single-run path agree)."""
    from experiments.batch.store import find_run_manifests, read_partition_run

    experiments, outcomes = batch_to_ema(two_levers, ["hhi_accelerators", "deals"])
    assert len(experiments) == 18 and len(outcomes["hhi_accelerators"]) == 18
    assert list(ema_inputs(experiments).columns) == ["market.cuda_lockin",
                                                     "foundry.allocation_rule"]
    assert experiments.groupby(["market.cuda_lockin", "foundry.allocation_rule"]).size().eq(
        3).all()
    one = read_partition_run(find_run_manifests(two_levers)[0])
    row = compute_outcomes(one.tables, ["hhi_accelerators", "deals"], [one.run_id])
    i = experiments.index[experiments["run_id"] == one.run_id][0]
    assert outcomes["hhi_accelerators"][i] == pytest.approx(row["hhi_accelerators"][0])
    assert outcomes["deals"][i] == one.tables["deals"].height


def test_discover_command_on_a_two_lever_batch(two_levers: Path, tmp_path: Path) -> None:
    """High accelerator HHI comes with high CUDA lock-in (locked-in buyers stay with Nvidia, so
    its share and the HHI rise): the PRIM box must exclude the lowest lock-in. The written
    boxes are checked against the data: coverage and density recomputed from boxes.csv and the
    outcome values equal stats.csv."""
    experiments, outcomes = batch_to_ema(two_levers, ["hhi_accelerators"])
    hhi = outcomes["hhi_accelerators"]
    threshold = float(np.quantile(hhi, 0.75))
    out = tmp_path / "disc"
    code = main(["discover", str(two_levers), "--outcome", "hhi_accelerators", "--above",
                 str(threshold), "--out", str(out)])
    assert code == 0
    for name in ("boxes.csv", "stats.csv", "peeling.csv", "discovery.png"):
        assert (out / name).stat().st_size > 0
    boxes, stats = pl.read_csv(out / "boxes.csv"), pl.read_csv(out / "stats.csv")
    prim = boxes.filter((pl.col("method") == "prim") & (pl.col("box") == 1))
    lock = prim.filter(pl.col("input") == "market.cuda_lockin")
    assert lock.height == 1 and lock["low"][0] > 0.0
    inside = np.ones(len(experiments), dtype=bool)
    for r in prim.iter_rows(named=True):
        col = experiments[r["input"]]
        if r["values"] is not None:
            inside &= col.astype(str).isin(r["values"].split("|")).to_numpy()
        else:
            inside &= ((col >= r["low"]) & (col <= r["high"])).to_numpy()
    interest = hhi > threshold
    st = stats.filter((pl.col("method") == "prim") & (pl.col("box") == 1)).row(0, named=True)
    assert st["coverage"] == pytest.approx((interest & inside).sum() / interest.sum())
    assert st["density"] == pytest.approx((interest & inside).sum() / inside.sum())


def test_feature_scores_command(two_levers: Path, tmp_path: Path) -> None:
    out = tmp_path / "fs"
    code = main(["feature-scores", str(two_levers), "--outcome", "hhi_accelerators",
                 "--outcome", "deployed_gw", "--out", str(out)])
    assert code == 0
    scores = pl.read_csv(out / "feature_scores.csv")
    assert set(scores["input"]) == {"market.cuda_lockin", "foundry.allocation_rule"}
    assert scores["hhi_accelerators"].sum() == pytest.approx(1.0)
    assert (out / "feature_scores.png").stat().st_size > 0


def test_user_mistakes_are_one_line(two_levers: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["discover", str(two_levers), "--outcome", "nope", "--above", "1"]) == 2
    assert main(["discover", str(two_levers), "--outcome", "hhi_accelerators"]) == 2
    assert main(["discover", str(two_levers), "--outcome", "hhi_accelerators", "--above",
                 "1e9"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 3
    assert not (two_levers / "discovery").exists()


def test_ema_model_runs_the_pure_entry_point() -> None:
    """EMA's evaluator drives `run` through the model: a seeded replication's outcome equals
    the mean over the same seeds run directly (ReplicatorModel averages)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import RealParameter, SequentialEvaluator
    from experiments.analysis.ema import run_outcomes

    lockin = RealParameter("cuda_lockin", 0.0, 6.0, variable_name="market.cuda_lockin")
    model = make_ema_model(uncertainties=[lockin],
                           outcomes=["hhi_accelerators"], steps=6, seeds=[1, 2])
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=2)
    lock = float(experiments["cuda_lockin"].iloc[0])
    direct = [run_outcomes("baseline", [f"market.cuda_lockin={lock!r}"], s, 6,
                           ["hhi_accelerators"])["hhi_accelerators"] for s in (1, 2)]
    assert outcomes["hhi_accelerators"][0] == pytest.approx(np.mean(direct))
    assert "hhi_accelerators" in OUTCOMES
