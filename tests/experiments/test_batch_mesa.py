"""The model also runs under Mesa's own batch runner (`mesa.batch_run`) through `BatchModel`."""

from __future__ import annotations

import mesa
import pytest

from experiments.batch.mesa_batch import REPORTERS, BatchModel
from experiments.run.results import TABLES
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario


def test_mesa_batch_run_drives_the_model() -> None:
    rows = mesa.batch_run(
        BatchModel,
        parameters={"scenario": "baseline", "steps": 12,
                    "foundry.allocation_rule": ["pro_rata", "uniform"]},
        rng=[1, 2],
        max_steps=1000,
        data_collection_period=1,
        display_progress=False,
        number_processes=1,
    )
    assert len(rows) == 2 * 2 * 12  # rules x seeds x months
    last = [r for r in rows if r["Step"] == 12]
    assert len(last) == 4
    for row in last:
        assert set(REPORTERS) <= set(row)
        assert 0 < row["hhi_accelerators"] <= 10_000
    by_rule = {(r["foundry.allocation_rule"], r["rng"]): r["hhi_accelerators"] for r in last}
    assert by_rule[("pro_rata", 1)] != by_rule[("uniform", 1)]


def test_batch_model_stops_at_the_horizon_and_matches_the_runner() -> None:
    model = BatchModel(scenario="baseline", rng=5, steps=12,
                       **{"foundry.allocation_rule": "uniform", "market.cuda_lockin": 1.5})
    while model.running:
        model.step()
    assert model.steps == 12 and model.t == 12
    params = load_scenario(
        "baseline", ['foundry.allocation_rule="uniform"', "market.cuda_lockin=1.5"],
        seed=5, steps=12)
    expected = run(params, rng=5)
    mine = model.results()
    assert mine.run_id == expected.run_id
    for name in TABLES:
        assert mine.tables[name].equals(expected.tables[name]), name


def test_batch_model_rejects_unknown_keys() -> None:
    from experiments.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"market\.cuda_lockn"):
        BatchModel(steps=12, **{"market.cuda_lockn": 1.0})
