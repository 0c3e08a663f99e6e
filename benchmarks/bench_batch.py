"""Batch benchmarks (issue 3): throughput with 1 and 2 workers, ours vs `mesa.batch_run`, and
peak memory of a 2,000-run batch vs a 20-run batch. Not part of the test suite.

    .venv/bin/python benchmarks/bench_batch.py throughput --runs 240
    .venv/bin/python benchmarks/bench_batch.py memory

Each measurement runs in a fresh Python process (``mesa.batch_run`` changes the global process
start method, so it must not share a process with ours). Results go to benchmarks/RESULTS.md
by hand, with the machine's load at the time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
SPEC = """\
[batch]
name = "bench"
scenarios = ["baseline"]
{steps}
[replications]
seeds = {seeds}
master_seed = 1
"""


def _spec(tmp: Path, runs: int, steps: int | None = None) -> Path:
    path = tmp / f"bench-{runs}.toml"
    steps_line = f"steps = {steps}\n" if steps else ""
    path.write_text(SPEC.format(seeds=runs, steps=steps_line), encoding="utf-8")
    return path


def one_ours(runs: int, workers: int) -> dict[str, float]:
    """Our batch of `runs` baseline runs (72 months, all tables written) in this process."""
    from experiments.batch.executors import make_executor
    from experiments.batch.runner import prepare_batch, run_batch
    from world.model import ComputeMarketModel  # noqa: F401  (imported before the clock, as mesa's)

    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        plan, _ = prepare_batch(_spec(tmp, runs), tmp / "out")
        t0 = time.perf_counter()
        report = run_batch(plan, tmp / "out", make_executor(workers, None), progress=False)
        wall = time.perf_counter() - t0
        assert report.ok, report.failures
        from experiments.store import read_run_manifests

        busy = sum(m["duration_s"] for m in read_run_manifests(tmp / "out"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # utilisation: share of the workers' wall time spent inside runs (model + tables)
    return {"wall_s": wall, "runs_per_min": runs / wall * 60,
            "utilisation": busy / (workers * wall)}


def one_mesa(runs: int, workers: int) -> dict[str, float]:
    """The same runs (same seeds) through `mesa.batch_run` with `BatchModel`."""
    import mesa

    from experiments.batch.spec import derive_seeds
    from experiments.mesa_batch import BatchModel

    seeds = derive_seeds(1, runs)
    t0 = time.perf_counter()
    rows = mesa.batch_run(BatchModel, parameters={"scenario": "baseline"}, rng=seeds,
                          number_processes=workers, max_steps=10_000,
                          data_collection_period=-1, display_progress=False)
    wall = time.perf_counter() - t0
    assert len(rows) == runs
    return {"wall_s": wall, "runs_per_min": runs / wall * 60}


def _child(kind: str, runs: int, workers: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "_one", kind, str(runs), str(workers)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def throughput(runs: int) -> None:
    """Runs per minute: ours with 1 and 2 workers, mesa.batch_run with 1 and 2 processes."""
    print(f"load average before: {os.getloadavg()}")
    res = {}
    for kind in ("ours", "mesa"):
        for workers in (1, 2):
            res[kind, workers] = r = _child(kind, runs, workers)
            util = f", worker utilisation {r['utilisation']:.0%}" if "utilisation" in r else ""
            print(f"{kind:5s} workers={workers}: {runs} runs in {r['wall_s']:.1f} s = "
                  f"{r['runs_per_min']:.0f} runs/min{util}", flush=True)
    for kind in ("ours", "mesa"):
        eff = res[kind, 2]["runs_per_min"] / (2 * res[kind, 1]["runs_per_min"])
        print(f"{kind}: parallel efficiency with 2 workers {eff:.0%}")
    for w in (1, 2):
        ratio = res["ours", w]["runs_per_min"] / res["mesa", w]["runs_per_min"]
        print(f"ours / mesa.batch_run with {w} worker(s): {ratio:.2f}x")
    print(f"load average after: {os.getloadavg()}")


def _tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of the process, RSS of it and all its descendants), bytes."""
    import psutil

    proc = psutil.Process(pid)
    own = proc.memory_info().rss
    total = own
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return own, total


def peak_memory(runs: int, workers: int, steps: int | None) -> dict[str, float]:
    """Run ``compute-market batch`` on `runs` runs; sample RSS of the command and its tree."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-mem-"))
    try:
        cmd = [sys.executable, "-m", "experiments.cli", "batch", str(_spec(tmp, runs, steps)),
               "--out", str(tmp / "out"), "--workers", str(workers), "--no-progress"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        peak_own = peak_tree = 0
        while proc.poll() is None:
            try:
                own, tree = _tree_rss(proc.pid)
            except Exception:  # the process ended between poll and sample
                break
            peak_own, peak_tree = max(peak_own, own), max(peak_tree, tree)
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        assert proc.wait() == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runs": runs, "wall_s": wall, "parent_mb": peak_own / 2**20,
            "tree_mb": peak_tree / 2**20}


def memory(small: int, large: int, workers: int, steps: int | None) -> None:
    """Peak memory of a `large`-run batch against a `small`-run batch."""
    a = peak_memory(small, workers, steps)
    b = peak_memory(large, workers, steps)
    for r in (a, b):
        print(f"{r['runs']:>5} runs in {r['wall_s']:.0f} s: peak RSS parent {r['parent_mb']:.0f} "
              f"MB, parent + workers {r['tree_mb']:.0f} MB", flush=True)
    print(f"ratio {large}/{small} runs: parent {b['parent_mb'] / a['parent_mb']:.2f}x, "
          f"parent + workers {b['tree_mb'] / a['tree_mb']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--runs", type=int, default=240)
    m = sub.add_parser("memory")
    m.add_argument("--small", type=int, default=20)
    m.add_argument("--large", type=int, default=2000)
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--steps", type=int, default=None)
    o = sub.add_parser("_one")
    o.add_argument("kind")
    o.add_argument("runs", type=int)
    o.add_argument("workers", type=int)
    args = parser.parse_args()
    if args.cmd == "throughput":
        throughput(args.runs)
    elif args.cmd == "memory":
        memory(args.small, args.large, args.workers, args.steps)
    else:
        fn = one_ours if args.kind == "ours" else one_mesa
        print(json.dumps(fn(args.runs, args.workers)))


if __name__ == "__main__":
    main()
