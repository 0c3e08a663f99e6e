"""Calibration: the ABC distance, the ensemble draw and its use by compare and batch, and a
tiny `calibrate` run (CI-sized; the documented run is `compute-market calibrate`)."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from experiments.calibration.abc import CALIBRATION_FACTS, PARAMETERS, compute_distance
from experiments.calibration.ensemble import load_ensemble
from experiments.calibration.posterior import weighted_quantile
from experiments.cli.main import main
from experiments.errors import UserError
from experiments.scenario.loader import load_scenario

KEY = "negotiation.min_financing_ratio"


def _observed() -> dict[str, float]:
    return {key: value for key, _, value, _ in CALIBRATION_FACTS}


def test_distance_is_the_norm_of_standardised_gaps():
    """0 at the facts; one statistic off by one scale gives 1; two give sqrt(2)."""
    obs = _observed()
    assert compute_distance(obs, obs) == 0.0
    (k1, _, v1, s1), (k2, _, v2, s2) = CALIBRATION_FACTS[:2]
    assert compute_distance({**obs, k1: v1 + s1}, obs) == pytest.approx(1.0)
    assert compute_distance({**obs, k1: v1 - s1, k2: v2 + s2}, obs) == pytest.approx(math.sqrt(2))


def test_priors_contain_the_baseline_values():
    """The hand-set baseline must be a possible answer of the calibration."""
    data = load_scenario("baseline").model_dump(mode="json")
    for p in PARAMETERS:
        node = data
        for part in p.key.split("."):
            node = node[part]
        assert p.low <= node <= p.high, p.key


def _write(tmp_path, values, weights, name="ens.parquet"):
    path = tmp_path / name
    pl.DataFrame({KEY: values, "weight": weights, "distance": [0.0] * len(values)}).write_parquet(
        path)
    return path


def test_draw_follows_the_weights_and_the_seed(tmp_path):
    ens = load_ensemble(_write(tmp_path, [0.7, 0.9, 1.1], [0.0, 1.0, 0.0]))
    assert {ens.draw(s)[KEY] for s in range(20)} == {0.9}
    ens = load_ensemble(_write(tmp_path, list(np.linspace(0.6, 1.4, 50)), [1.0] * 50, "u.parquet"))
    assert ens.draw(3) == ens.draw(3)
    assert len({ens.draw(s)[KEY] for s in range(20)}) > 5


def test_apply_varies_only_what_the_scenario_leaves_at_the_baseline(tmp_path):
    """A what-if that sets the key (a lever) keeps its value; the baseline takes the draw."""
    ens = load_ensemble(_write(tmp_path, [1.3], [1.0]))
    assert getattr(ens.apply(load_scenario("baseline"), 1).negotiation, KEY.split(".")[1]) == 1.3
    lever = load_scenario("baseline", [f"{KEY}=0.7"])
    assert ens.apply(lever, 1).negotiation.min_financing_ratio == 0.7
    assert ens.overrides_for(1, lever) == []
    at_baseline = load_scenario("baseline", [f"{KEY}=1.0"])  # a lever equal to the baseline's
    assert ens.overrides_for(1, at_baseline) == [f"{KEY}=1.3"]
    assert ens.overrides_for(1, at_baseline, fixed={KEY}) == []


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        ({KEY: [1.0]}, "weight"),
        ({"market.no_such_key": [1.0], "weight": [1.0]}, "no_such_key"),
        ({KEY: [1.0], "weight": [-1.0]}, "weight"),
        ({KEY: ["a"], "weight": [1.0]}, "not numeric"),
    ],
)
def test_bad_ensemble_files_are_user_errors(tmp_path, frame, match):
    path = tmp_path / "bad.parquet"
    pl.DataFrame(frame).write_parquet(path)
    with pytest.raises(UserError, match=match):
        load_ensemble(path)


def test_compare_and_batch_refuse_a_missing_ensemble(tmp_path, capsys):
    missing = str(tmp_path / "none.parquet")
    out = tmp_path / "out"
    assert main(["compare", "baseline", "baseline", "--seeds", "2", "--ensemble", missing,
                 "--out", str(out)]) == 2
    assert main(["batch", "experiments/batches/smoke.toml", "--ensemble", missing,
                 "--out", str(out), "--workers", "1"]) == 2
    assert not out.exists()


def test_batch_seeds_draw_their_own_parameter_sets(tmp_path):
    """Every run of a batch with --ensemble records the drawn value among its overrides, and
    different seeds get different values from a spread-out ensemble."""
    from experiments.batch.plan import make_plan
    from experiments.batch.spec import load_spec

    ens = load_ensemble(_write(tmp_path, list(np.linspace(0.6, 1.4, 50)), [1.0] * 50))
    plan = make_plan(load_spec("experiments/batches/smoke.toml"), ens)
    drawn = [[o for o in t.overrides if o.startswith(KEY)] for t in plan.tasks]
    assert all(len(d) == 1 for d in drawn)
    assert len({d[0] for d in drawn}) > 1
    same_seed = [t for t in plan.tasks if t.seed == plan.tasks[0].seed]
    assert len({next(o for o in t.overrides if o.startswith(KEY)) for t in same_seed}) == 1


def test_weighted_quantile():
    assert weighted_quantile([3.0, 1.0, 2.0], [1.0, 1.0, 1.0], 0.5) == 2.0
    assert weighted_quantile([1.0, 2.0], [0.0, 1.0], 0.05) == 2.0


def test_calibrate_writes_an_ensemble_compare_can_use(tmp_path, monkeypatch):
    """Without --write-docs no document is written: only --out appears in the folder."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cal"
    assert main(["calibrate", "--population", "4", "--generations", "1", "--workers", "1",
                 "--out", str(out)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["cal"]
    post = pl.read_parquet(out / "posterior.parquet")
    assert post.height == 4
    assert {p.key for p in PARAMETERS} | {"weight", "distance"} <= set(post.columns)
    assert (post["weight"] > 0).all() and (post["distance"] >= 0).all()
    for p in PARAMETERS:
        assert post[p.key].is_between(p.low, p.high).all()
    ens = load_ensemble(out / "posterior.parquet")
    assert set(ens.keys) == {p.key for p in PARAMETERS}


def _write_comparison(folder, lo, hi, values, step=3):
    """A comparison folder as `compare` writes it: outcome `m` of variant `v`, the interval
    [lo, hi] at month `step` (and a wider one a month earlier that must not be read), the
    reference's values over the seeds at `step`."""
    folder.mkdir()
    base = {"reference": "r", "variant": "v", "metric": "m", "market": "", "firm": "",
            "label": "m", "unit": "-", "mean_diff": 0.0}
    pl.DataFrame([dict(base, step=step - 1, ci_low=-100.0, ci_high=100.0),
                  dict(base, step=step, ci_low=lo, ci_high=hi)]).write_parquet(
        folder / "compare.parquet")
    rows = [{"reference": "r", "variant": "v", "seed": i, "metric": "m", "market": "",
             "firm": "", "unit": "-", "step": step, "reference_value": x, "variant_value": 9.0}
            for i, x in enumerate(values)]
    rows.append(dict(rows[0], step=step - 1, reference_value=-50.0))
    pl.DataFrame(rows).write_parquet(folder / "runs.parquet")
    (folder / "compare.json").write_text(json.dumps({"step": step}), encoding="utf-8")


def test_widening_ratio_of_interval_widths(tmp_path):
    """Width ratio = ensemble interval width / seeds-only width at the month the comparison
    shows; levels are the reference's 5-95% over seeds (linear quantiles of [1, 2]: 1.05 and
    1.95; of [0, 4]: 0.2 and 3.8)."""
    from experiments.calibration.widening import compute_widening, format_widening

    _write_comparison(tmp_path / "a", -1.0, 1.0, [1.0, 2.0])
    _write_comparison(tmp_path / "b", -3.0, 3.0, [0.0, 4.0])
    table = compute_widening(tmp_path / "a", tmp_path / "b", ("m",))
    row = table.row(0, named=True)
    assert table.height == 1 and row["width_ratio"] == pytest.approx(3.0)
    assert row["level_q05"] == pytest.approx(1.05) and row["level_q95_ens"] == pytest.approx(3.8)
    assert not row["excludes_zero"]
    assert "| m (-) |" in format_widening(table)


def test_widening_command_prints_the_table_and_refuses_a_wrong_folder(tmp_path, capsys):
    """The command prints the same table as the functions; a folder without compare's output,
    or no metric in common, is the user's one-line error (exit 2)."""
    for name in ("a", "b"):
        _write_comparison(tmp_path / name, -1.0, 1.0, [1.0])
    assert main(["widening", str(tmp_path / "a"), str(tmp_path / "b"), "--metric", "m"]) == 0
    assert "| m (-) |" in capsys.readouterr().out
    assert main(["widening", str(tmp_path / "a"), str(tmp_path)]) == 2
    assert "no compare.parquet" in capsys.readouterr().err
    assert main(["widening", str(tmp_path / "a"), str(tmp_path / "b"), "--metric", "x"]) == 2
    assert "none of the metrics" in capsys.readouterr().err
    old = tmp_path / "old"
    old.mkdir()
    pl.DataFrame({"metric": ["m"], "mean_diff": [0.0]}).write_parquet(old / "compare.parquet")
    pl.DataFrame({"metric": ["m"]}).write_parquet(old / "runs.parquet")
    assert main(["widening", str(tmp_path / "a"), str(old)]) == 2
    assert "older" in capsys.readouterr().err


def test_compare_runs_every_scenario_of_a_seed_with_its_draw(tmp_path):
    """With an ensemble, the reference and the variant of each seed run with the parameter
    set that seed draws (here the only set with weight: CUDA lock-in 2, the baseline's 4),
    exactly as if both scenarios had set it; without the ensemble the outcomes differ (so the
    draw really reaches the runs)."""
    from experiments.analysis.compare import run_pairs

    path = tmp_path / "e.parquet"
    pl.DataFrame({"market.cuda_lockin": [2.0, 5.0], "weight": [1.0, 0.0]}).write_parquet(path)
    ens = load_ensemble(path)
    steps, seeds = 6, [1, 2]
    base = load_scenario("baseline", steps=steps)
    nvf = load_scenario("what_if/no_vendor_financing", steps=steps)
    lock = ["market.cuda_lockin=2.0"]
    drawn = run_pairs(base, [nvf], seeds, progress=False, ensemble=ens)
    by_hand = run_pairs(load_scenario("baseline", lock, steps=steps),
                        [load_scenario("what_if/no_vendor_financing", lock, steps=steps)],
                        seeds, progress=False)
    plain = run_pairs(base, [nvf], seeds, progress=False)
    key = ["seed", "metric", "market", "firm", "step"]

    def values(runs: pl.DataFrame) -> pl.DataFrame:
        text = runs.with_columns(pl.col(pl.Categorical).cast(pl.String))
        return text.sort(key).select("reference_value", "variant_value")

    assert values(drawn).equals(values(by_hand))
    assert not values(drawn)["reference_value"].equals(values(plain)["reference_value"])
