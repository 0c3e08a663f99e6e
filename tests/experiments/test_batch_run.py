"""Batches end to end on the real model: process pool vs Dask on loopback, SIGKILL and resume,
failures recorded, summaries and lazy frames.

One reference batch (process pool, 2 workers) is run once per module; the other executors and
the interrupted batch must give exactly its runs and table contents.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from experiments.batch.store import (
    BATCH_MANIFEST,
    RUNS_DIR,
    find_run_manifests,
    read_batch_manifest,
    scan_table,
    scan_variants,
)
from experiments.cli import main as cli
from experiments.run.results import TABLES

ROOT = Path(__file__).parent.parent.parent

SPEC = """\
[batch]
name = "t"
scenarios = ["baseline"]
steps = {steps}

[replications]
seeds = {seeds}
master_seed = 3

[levers]
"foundry.allocation_rule" = ["pro_rata", "uniform"]

[uncertainties]
sampler = "lhs"
samples = 2
[uncertainties.ranges]
"market.cuda_lockin" = [0.5, 2.0]
"""


def write_spec(path: Path, steps: int = 12, seeds: int = 2, per_partition: int = 8) -> Path:
    text = SPEC.format(steps=steps, seeds=seeds)
    text = text.replace("[batch]\n", f"[batch]\nruns_per_partition = {per_partition}\n")
    path.write_text(text, encoding="utf-8")
    return path


def run_files(batch: Path) -> dict[str, bytes]:
    """Every Parquet file of a batch's runs, by path relative to the batch, with its bytes."""
    return {
        p.relative_to(batch).as_posix(): p.read_bytes()
        for p in sorted((batch / RUNS_DIR).rglob("*.parquet"))
    }


def assert_same_batch(a: Path, b: Path) -> None:
    """Same runs, same files, bit for bit; and the same table contents."""
    fa, fb = run_files(a), run_files(b)
    assert sorted(fa) == sorted(fb)
    assert all(fa[k] == fb[k] for k in fa), [k for k in fa if fa[k] != fb[k]][:3]
    for table in TABLES:
        ta = scan_table(a, table).collect().sort("run_id")
        tb = scan_table(b, table).collect().sort("run_id")
        assert ta.equals(tb), table


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_spec(tmp_path_factory.mktemp("spec") / "spec.toml")


@pytest.fixture(scope="module")
def reference(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch on the local process pool (2 workers), uninterrupted."""
    out = tmp_path_factory.mktemp("pool") / "batch"
    assert cli.main(["batch", str(spec_file), "--out", str(out), "--workers", "2"]) == 0
    return out


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A real Dask scheduler with two worker processes on loopback."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        host="127.0.0.1", n_workers=2, processes=True, threads_per_worker=1,
        dashboard_address=None,
    )
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_reference_batch_is_complete(reference: Path) -> None:
    manifest = read_batch_manifest(reference)
    assert manifest["status"] == "complete"
    assert manifest["n_runs"] == manifest["runs_done"] == 8 and manifest["failures"] == []
    runs = find_run_manifests(reference)
    assert len(runs) == 8
    assert len({p.parent for p in runs}) == 4  # one partition per variant (2 seeds each)
    run = json.loads(runs[0].read_text())
    for key in ("resolved_scenario", "scenario_hash", "seed", "package_version", "duration_s",
                "variant_id", "overrides"):
        assert key in run


def test_batch_rows_equal_a_single_run(reference: Path) -> None:
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    variants = scan_variants(reference).collect()
    row = variants.row(1, named=True)
    shares = scan_table(reference, "shares", variant=row["variant_id"]).collect()
    seed = int(shares["seed"][0])
    params = load_scenario("baseline", row["overrides"], seed=seed, steps=12)
    alone = run(params, rng=seed).tables["shares"]
    mine = shares.filter(pl.col("seed") == seed).drop("variant_id")
    assert mine.equals(alone)


def test_dask_on_loopback_gives_identical_tables(
    reference: Path, spec_file: Path, dask_address: str, tmp_path: Path
) -> None:
    out = tmp_path / "dask"
    assert cli.main(["batch", str(spec_file), "--out", str(out), "--dask", dask_address]) == 0
    assert read_batch_manifest(out)["executor"].startswith("dask tcp://127.0.0.1")
    assert_same_batch(reference, out)


def test_in_process_gives_identical_tables(
    reference: Path, spec_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "inline"
    assert cli.main(["batch", str(spec_file), "--out", str(out), "--workers", "1"]) == 0
    assert_same_batch(reference, out)


def test_rerun_skips_finished_runs(reference: Path, spec_file: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.stat().st_mtime_ns for p in (reference / RUNS_DIR).rglob("*.parquet")}
    assert cli.main(["batch", str(spec_file), "--out", str(reference), "--workers", "1"]) == 0
    assert "8 were already done, 0 ran now" in capsys.readouterr().out
    assert before == {p: p.stat().st_mtime_ns for p in (reference / RUNS_DIR).rglob("*.parquet")}


def test_sigkill_mid_batch_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec.toml", steps=36, seeds=6, per_partition=2)
    out, ref = tmp_path / "killed", tmp_path / "ref"
    cmd = [sys.executable, "-m", "experiments.cli.main", "batch", str(spec), "--out", str(out),
           "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(find_run_manifests(out))
        if done >= 2:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its worker processes
    proc.wait()
    proc.stderr.close()
    killed_at = len(find_run_manifests(out))
    assert 0 < killed_at < 24, f"the kill did not land mid-batch ({killed_at} runs done)"
    assert json.loads((out / BATCH_MANIFEST).read_text())["status"] == "running"
    assert cli.main(["batch", str(spec), "--out", str(out), "--workers", "2"]) == 0
    assert cli.main(["batch", str(spec), "--out", str(ref), "--workers", "1"]) == 0
    assert_same_batch(ref, out)
    assert not [p for p in out.rglob(".tmp-*")]
    assert read_batch_manifest(out)["runs_done"] == 24


def test_failed_run_is_recorded_and_batch_goes_on(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import experiments.run.runner
    from world.model import ComputeMarketModel

    spec = write_spec(tmp_path / "spec.toml")
    bad_seed = None

    class Flaky(ComputeMarketModel):
        def run_steps(self, steps: int | None = None) -> None:
            if self.p.seed == bad_seed:
                raise RuntimeError("boom in the model")
            super().run_steps(steps)

    from experiments.batch.spec import load_spec

    bad_seed = load_spec(spec).seeds[1]
    monkeypatch.setattr(experiments.run.runner, "_model_class", lambda: Flaky)
    out = tmp_path / "out"
    assert cli.main(["batch", str(spec), "--out", str(out), "--workers", "1"]) == 1
    text = capsys.readouterr().out
    assert "4 failed" in text and "RuntimeError: boom in the model" in text
    manifest = read_batch_manifest(out)
    assert manifest["status"] == "failed" and manifest["runs_failed"] == 4
    assert manifest["runs_done"] == 4 and len(list((out / "failures").glob("*.json"))) == 4
    # fixed: the same command reruns only the failed runs and clears their records
    monkeypatch.setattr(experiments.run.runner, "_model_class", lambda: ComputeMarketModel)
    assert cli.main(["batch", str(spec), "--out", str(out), "--workers", "1"]) == 0
    assert "4 were already done, 4 ran now" in capsys.readouterr().out
    assert not list((out / "failures").glob("*.json"))
    # each partition held one good run; the retried one was merged in: same bytes as uninterrupted
    assert_same_batch(reference, out)


def test_adding_seeds_keeps_the_runs_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, fresh = tmp_path / "grown", tmp_path / "fresh"
    assert cli.main(["batch", str(write_spec(tmp_path / "a.toml", seeds=2, per_partition=4)),
                     "--out", str(out), "--workers", "1"]) == 0
    more = write_spec(tmp_path / "b.toml", seeds=3, per_partition=4)
    capsys.readouterr()
    assert cli.main(["batch", str(more), "--out", str(out), "--workers", "1"]) == 0
    assert "8 were already done, 4 ran now" in capsys.readouterr().out
    assert cli.main(["batch", str(more), "--out", str(fresh), "--workers", "1"]) == 0
    assert_same_batch(fresh, out)


def test_summarize_writes_bands_and_prints_a_table(
    reference: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from experiments.batch.summary import compute_summaries

    assert cli.main(["summarize", str(reference)]) == 0
    text = capsys.readouterr().out
    assert "HHI accelerators" in text and "deployed GW" in text
    markets = pl.read_parquet(reference / "summary" / "markets.parquet")
    assert markets.height == 4 * 12 * 3  # variants x steps x markets
    assert (markets["n_runs"] == 2).all()
    assert (markets["hhi_q05"] <= markets["hhi_median"]).all()
    assert (markets["hhi_median"] <= markets["hhi_q95"]).all()
    lazy: dict[str, Any] = compute_summaries(reference)
    assert isinstance(lazy["firms"], pl.LazyFrame)
    shares = lazy["shares"].collect()
    assert {"scenario", "variant_id", "step", "market", "firm", "share_mean"} <= set(
        shares.columns)


def test_scan_reads_one_variant_alone(reference: Path) -> None:
    vid = scan_variants(reference).collect()["variant_id"][0]
    one = scan_table(reference, "markets", variant=vid).collect()
    assert set(one["variant_id"]) == {vid} and one["run_id"].n_unique() == 2
    scen = scan_table(reference, "markets", scenario="baseline").collect()
    assert scen["run_id"].n_unique() == 8


def test_out_dir_holding_something_else_is_refused(
    spec_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.txt").write_text("mine")
    assert cli.main(["batch", str(spec_file), "--out", str(tmp_path)]) == 2
    assert "not a batch directory" in capsys.readouterr().err


def test_runs_sent_one_by_one_give_the_same_files(
    reference: Path, spec_file: Path, tmp_path: Path
) -> None:
    """Slow runs go out one at a time and each partition is rewritten run by run (merged in
    plan order); the files must be the ones a batch writing whole blocks gives."""
    from experiments.batch.executors import make_executor
    from experiments.batch.runner import prepare_batch, run_batch

    plan, out = prepare_batch(spec_file, tmp_path / "one_by_one")
    report = run_batch(plan, out, make_executor(1, None), progress=False, slow_run_s=0.0)
    assert report.ok and report.done == 8
    assert_same_batch(reference, out)


def test_a_scenario_file_changed_after_planning_fails_its_runs(tmp_path: Path) -> None:
    from experiments.batch.executors import make_executor
    from experiments.batch.runner import prepare_batch, run_batch

    scenario = tmp_path / "mine.toml"
    scenario.write_text('name = "mine"\nextends = "baseline"\n', encoding="utf-8")
    spec = tmp_path / "spec.toml"
    spec.write_text('[batch]\nname = "changed"\nscenarios = ["mine.toml"]\nsteps = 3\n'
                    "[replications]\nseeds = 2\n", encoding="utf-8")
    plan, out = prepare_batch(spec, tmp_path / "out")
    scenario.write_text('name = "mine"\nextends = "baseline"\n[market]\ncuda_lockin = 0.1\n',
                        encoding="utf-8")
    report = run_batch(plan, out, make_executor(1, None), progress=False)
    assert not report.ok and len(report.failures) == 2
    assert all("changed while the batch ran" in error for _, error in report.failures)


def _frozen_objects() -> int:
    import gc

    return gc.get_freeze_count()


def test_pool_workers_freeze_what_they_start_with() -> None:
    """Each pool worker moves its start-up objects out of the collector's generations
    (`start_worker`), so a full collection in a run does not scan the imported modules."""
    from experiments.batch.executors import PoolExecutor

    pool = PoolExecutor(2)
    try:
        counts = [pool.submit(_frozen_objects).result() for _ in range(2)]
    finally:
        pool.close()
    assert min(counts) > 1000
