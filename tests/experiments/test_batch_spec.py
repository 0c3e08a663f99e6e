"""Batch specs: shape checks, seeds, samplers, and one-line errors naming file and key."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from experiments.batch.plan import make_plan
from experiments.batch.spec import derive_seeds, load_spec, toml_value
from experiments.cli import main as cli
from experiments.errors import UserError
from experiments.scenario.loader import parse_override

ROOT = Path(__file__).parent.parent.parent
SHIPPED_SPECS = sorted((ROOT / "experiments" / "batches").glob("*.toml"))

SPEC = """\
[batch]
name = "t"
scenarios = ["baseline"]
steps = 12

[replications]
seeds = 3
master_seed = 5

[levers]
"foundry.allocation_rule" = ["pro_rata", "uniform"]

[uncertainties]
sampler = "lhs"
samples = 4
[uncertainties.ranges]
market.cuda_lockin = [0.5, 2.0]
"sites.n_sites" = { low = 400, high = 900 }
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_spec_expands_to_scenarios_levers_samples_seeds(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SPEC))
    variants = spec.compute_variants()
    assert len(variants) == 2 * 4 and len(spec.seeds) == 3
    assert len({v.variant_id for v in variants}) == 8
    first = variants[0]
    assert first.overrides[0] == 'foundry.allocation_rule="pro_rata"'
    assert {k for k in first.inputs} == {
        "foundry.allocation_rule", "market.cuda_lockin", "sites.n_sites"}
    lockin = sorted(v.inputs["market.cuda_lockin"] for v in variants[:4])
    # Latin hypercube: one point in each quarter of the range
    assert [int((x - 0.5) / 1.5 * 4) for x in lockin] == [0, 1, 2, 3]
    assert all(isinstance(v.inputs["sites.n_sites"], int) for v in variants)
    # same spec, same variants (ids and values): nothing depends on time or process
    assert [v.variant_id for v in load_spec(write(tmp_path, SPEC)).compute_variants()] == [
        v.variant_id for v in variants]


def test_shipped_specs_are_valid() -> None:
    assert SHIPPED_SPECS
    for path in SHIPPED_SPECS:
        plan = make_plan(load_spec(path))
        assert plan.tasks, path


def test_plan_validates_every_variant_and_predicts_run_ids(tmp_path: Path) -> None:
    plan = make_plan(load_spec(write(tmp_path, SPEC)))
    assert len(plan.tasks) == 24
    assert len({t.run_id for t in plan.tasks}) == 24
    assert len({t.run_key for t in plan.tasks}) == 24
    frame = plan.variants_frame()
    assert frame.height == 8 and "market.cuda_lockin" in frame.columns


def test_partitions_are_blocks_of_seeds_and_chunks_skip_done_runs(tmp_path: Path) -> None:
    text = SPEC.replace("steps = 12", "steps = 12\nruns_per_partition = 2")
    spec = load_spec(write(tmp_path, text))
    plan = make_plan(spec)  # 8 variants x 3 seeds: blocks [seed 0, seed 1] and [seed 2]
    for task in plan.tasks:
        block = spec.seeds.index(task.seed) // 2
        assert task.part_dir.endswith(f"/{task.variant_id}/part-{block:05d}")
    chunks = plan.compute_chunks()
    assert len(chunks) == 16 and [len(c.tasks) for c in chunks[:2]] == [2, 1]
    assert [t for c in chunks for t in c.tasks] == plan.tasks  # plan order, nothing twice
    first = plan.tasks[0]
    left = plan.compute_chunks({first.run_id})
    assert len(left) == 16 and left[0].tasks == (plan.tasks[1],)
    assert left[0].order == (first.run_id, plan.tasks[1].run_id)  # the whole block's order


def test_derived_seeds_are_stable_prefixes() -> None:
    assert derive_seeds(7, 3) == derive_seeds(7, 10)[:3]
    assert derive_seeds(7, 3) != derive_seeds(8, 3)
    assert all(0 <= s < 2**63 for s in derive_seeds(0, 100))


def test_sobol_and_grid_samplers(tmp_path: Path) -> None:
    sobol = SPEC.replace('sampler = "lhs"', 'sampler = "sobol"').replace("samples = 4",
                                                                         "samples = 8")
    spec = load_spec(write(tmp_path, sobol))
    assert len(spec.compute_samples()) == 8
    grid = SPEC.replace('sampler = "lhs"', 'sampler = "grid"').replace("samples = 4",
                                                                       "samples = 3")
    samples = load_spec(write(tmp_path, grid)).compute_samples()
    assert len(samples) == 9
    assert sorted({s["market.cuda_lockin"] for s in samples}) == [0.5, 1.25, 2.0]


@given(st.one_of(
    st.booleans(), st.integers(-(2**62), 2**62),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
    st.lists(st.integers(-100, 100), max_size=4),
))
def test_toml_value_round_trips_through_set(value: object) -> None:
    _, back = parse_override(f"a.b={toml_value(value)}")
    if isinstance(value, float):
        assert math.isclose(back, value, rel_tol=0, abs_tol=0) or back == value
    else:
        assert back == value


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("[levers]", "[lever]"), "spec.toml: lever: unknown section"),
        (("seeds = 3", "seeds = 0"), "spec.toml: replications.seeds:"),
        (("seeds = 3", "seeds = [1, 1]"), "spec.toml: replications.seeds: a seed is listed"),
        (('= ["pro_rata", "uniform"]', "= []"), "spec.toml: levers.foundry.allocation_rule:"),
        (("[0.5, 2.0]", "[2.0, 0.5]"), "spec.toml: uncertainties.ranges.market.cuda_lockin:"),
        (('"lhs"\nsamples = 4', '"sobol"\nsamples = 6'), "Sobol samples must be a power of 2"),
        (('sampler = "lhs"', 'sampler = "random"'), "spec.toml: uncertainties.sampler:"),
        (('"sites.n_sites"', '"sites.n_sitez"'),
         "spec.toml: uncertainties.ranges.sites.n_sitez: scenario 'baseline'"),
        (('"pro_rata", "uniform"', '"pro_rata", "random"'),
         "spec.toml: levers.foundry.allocation_rule: scenario 'baseline' with "
         'foundry.allocation_rule="random"'),
        (('["baseline"]', '["no_such_scenario"]'), "spec.toml: batch.scenarios: unknown scenario"),
        (("steps = 12", "steps = 0"), "spec.toml: batch.steps:"),
        (("steps = 12", "steps = 12\nruns_per_partition = 0"),
         "spec.toml: batch.runs_per_partition:"),
        (("[outcomes]\n", ""), None),
    ],
)
def test_bad_spec_fails_with_one_line_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], expected: str | None
) -> None:
    text = SPEC.replace(*change)
    path = write(tmp_path, text)
    if expected is None:
        make_plan(load_spec(path))
        return
    with pytest.raises(UserError) as info:
        make_plan(load_spec(path))
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_bad_spec_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, SPEC.replace('"sites.n_sites"', '"sites.n_sitez"'))
    out = tmp_path / "out"
    assert cli.main(["batch", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("compute-market: error: ") and "sites.n_sitez" in err
    assert err.count("\n") == 1
    assert not out.exists()
    assert cli.main(["batch", str(tmp_path / "missing.toml")]) == 2


def test_seed_list_and_lhs_values_are_reproducible(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, SPEC.replace("seeds = 3", "seeds = [4, 5]")))
    assert spec.seeds == [4, 5]
    a = [v.inputs for v in spec.compute_variants()]
    b = [v.inputs for v in load_spec(write(tmp_path, SPEC)).compute_variants()]
    assert a == b
    assert np.isfinite([x["market.cuda_lockin"] for x in a]).all()


def test_chunk_queue_never_splits_a_partition_across_workers(tmp_path: Path) -> None:
    from experiments.batch.runner import ChunkQueue

    text = SPEC.replace("steps = 12", "steps = 12\nruns_per_partition = 3")
    plan = make_plan(load_spec(write(tmp_path, text)))  # 8 variants x 3 seeds: 8 blocks of 3
    queue = ChunkQueue(plan.compute_chunks(), slow_run_s=0.5)
    first = [queue.pop() for _ in range(3)]
    assert all(c is not None and len(c.tasks) == 1 for c in first)  # nothing measured yet
    assert len({c.part_dir for c in first if c}) == 3  # three different partitions
    for chunk in first:
        assert chunk is not None
        queue.finish(chunk, [0.1])  # fast runs: the rest of each block goes at once
    handed = [t for c in first if c for t in c.tasks]
    busy: set[str] = set()
    while (chunk := queue.pop()) is not None:
        assert chunk.part_dir not in busy
        busy.add(chunk.part_dir)
        handed += chunk.tasks
        assert len(chunk.tasks) in (2, 3)
    assert sorted(t.run_id for t in handed) == sorted(t.run_id for t in plan.tasks)
    slow = ChunkQueue(plan.compute_chunks(), slow_run_s=0.5)
    chunk = slow.pop()
    assert chunk is not None
    slow.finish(chunk, [2.0])  # slow runs: one at a time from now on
    assert [len(c.tasks) for c in (slow.pop(), slow.pop()) if c] == [1, 1]
