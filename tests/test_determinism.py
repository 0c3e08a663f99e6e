"""Determinism (docs/odd.md): same scenario + same seed = identical outputs, bit for
bit, whichever process ran it; another seed gives another run.

The Parquet files of two runs are compared byte for byte (their bytes depend only on the table
contents, `experiments.run.results`); the manifests are compared except for their timestamps.
Runs in fresh interpreters with different ``PYTHONHASHSEED`` catch any dependence on the
iteration order of sets or dicts keyed by strings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.run.results import MANIFEST, TABLES, Results
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world.params import ScenarioParams

ROOT = Path(__file__).parent.parent
TIMES = ("started", "finished", "duration_s")
"""Manifest fields that record when the run happened (the only ones allowed to differ)."""


def _files(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(run_dir.glob("*.parquet"))}


def _manifest(run_dir: Path) -> dict:
    data = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in TIMES}


def _write(results: Results, out: Path) -> Path:
    return results.write(out)


@pytest.fixture(scope="module")
def baseline() -> ScenarioParams:
    """The shipped baseline scenario (full horizon)."""
    return load_scenario("baseline")


def assert_same_run(a: Path, b: Path) -> None:
    """Two run directories hold byte-identical tables and the same manifest but for times."""
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(f"{t}.parquet" for t in TABLES)
    assert sorted(fa) == sorted(fb)
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs between two runs with the same seed"
    assert _manifest(a) == _manifest(b)


def test_same_seed_gives_identical_parquet_bytes(baseline: ScenarioParams, tmp_path: Path) -> None:
    a = _write(run(baseline, rng=7), tmp_path / "a")
    b = _write(run(baseline, rng=7), tmp_path / "b")
    assert_same_run(a, b)


def test_default_seed_is_the_scenario_seed(baseline: ScenarioParams, tmp_path: Path) -> None:
    a = _write(run(baseline), tmp_path / "a")
    b = _write(run(baseline, rng=baseline.seed), tmp_path / "b")
    assert_same_run(a, b)


def test_different_seeds_give_different_runs(baseline: ScenarioParams, tmp_path: Path) -> None:
    runs = {seed: run(baseline, rng=seed) for seed in (1, 2, 3)}
    ids = {res.run_id for res in runs.values()}
    assert len(ids) == 3
    for s1, s2 in ((1, 2), (1, 3), (2, 3)):
        a, b = runs[s1], runs[s2]
        differs = [
            name
            for name in ("shares", "markets", "firms", "flows", "physical")
            if not a.tables[name]
            .drop("run_id", "seed")
            .equals(b.tables[name].drop("run_id", "seed"))
        ]
        assert differs, f"seeds {s1} and {s2} gave the same tables"
    a = _write(runs[1], tmp_path / "s1")
    b = _write(runs[2], tmp_path / "s2")
    assert _files(a)["physical.parquet"] != _files(b)["physical.parquet"]


def test_perturbed_scenario_is_deterministic(tmp_path: Path) -> None:
    """Determinism also holds off the baseline (other allocation rule, regime, intervention)."""
    params = load_scenario(
        "baseline",
        [
            "foundry.allocation_rule=uniform",
            "regulator.regime=strict",
            "sites.n_sites=300",
            'interventions=[{kind = "no_vendor_financing"}]',
        ],
        steps=36,
    )
    a = _write(run(params, rng=11), tmp_path / "a")
    b = _write(run(params, rng=11), tmp_path / "b")
    assert_same_run(a, b)


SCRIPT = """
import sys
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
run(load_scenario("baseline"), rng=int(sys.argv[2])).write(sys.argv[1])
"""


def _run_in_fresh_process(out: Path, seed: int, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out), str(seed)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_same_bytes_across_processes_and_hash_seeds(
    baseline: ScenarioParams, tmp_path: Path
) -> None:
    """A run in this process and in two fresh interpreters with different string hashing
    write the same bytes (no dependence on set order, id() or process state)."""
    here = _write(run(baseline, rng=5), tmp_path / "here")
    for hash_seed in ("1", "2"):
        other = tmp_path / f"hash{hash_seed}"
        _run_in_fresh_process(other, 5, hash_seed)
        assert_same_run(here, other)
