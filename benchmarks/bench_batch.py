"""Batch benchmarks: throughput with 1 and 2 workers, ours vs `mesa.batch_run`, and
peak memory of a 2,000-run batch vs a 20-run batch. Not part of the test suite.

    .venv/bin/python benchmarks/bench_batch.py throughput --runs 240 --repeats 3
    .venv/bin/python benchmarks/bench_batch.py inprocess --runs 48 --repeats 4
    .venv/bin/python benchmarks/bench_batch.py memory

Every measurement is one whole command in a fresh Python process, timed from its start to its
exit as a user waits for it: ``compute-market batch SPEC --workers N`` for ours, a script
calling ``mesa.batch_run`` for Mesa. Both pay the interpreter start and the imports (~3 s, in
the main process or the pool's fork server). Results go to benchmarks/RESULTS.md by hand, with
the machine's load at the time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


def mesa_child(runs: int, workers: int) -> None:
    """The runs of `throughput` through `mesa.batch_run` (this is a child process's whole life)."""
    import mesa

    from experiments.batch.mesa_batch import BatchModel
    from experiments.batch.spec import derive_seeds

    rows = mesa.batch_run(BatchModel, parameters={"scenario": "baseline"},
                          rng=derive_seeds(1, runs), number_processes=workers,
                          max_steps=10_000, data_collection_period=-1, display_progress=False)
    assert len(rows) == runs


def _one_core() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def one_case(kind: str, runs: int, workers: int, tmp: Path) -> float:
    """Wall seconds of one whole command, from process start to exit (imports included)."""
    if kind == "ours":
        out = tmp / f"out-{time.monotonic_ns()}"
        cmd = [sys.executable, "-m", "experiments.cli.main", "batch", str(_spec(tmp, runs)),
               "--out", str(out), "--workers", str(workers), "--no-progress"]
    else:
        cmd = [sys.executable, __file__, "_mesa", str(runs), str(workers)]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   preexec_fn=_one_core if workers == 1 else None)
    wall = time.perf_counter() - t0
    if kind == "ours":
        shutil.rmtree(out, ignore_errors=True)
    return wall


def throughput(runs: int, repeats: int) -> None:
    """Runs per minute of whole commands: ours and mesa.batch_run, 1 and 2 workers.

    The four cases take turns in each repeat (the machine's speed drifts by several percent
    over minutes); the medians are compared. One-worker cases are pinned to one core.
    """
    print(f"load average before: {os.getloadavg()}", flush=True)
    cases = [("ours", 1), ("mesa", 1), ("ours", 2), ("mesa", 2)]
    walls: dict[tuple[str, int], list[float]] = {c: [] for c in cases}
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        for rep in range(repeats):
            for kind, workers in cases if rep % 2 == 0 else cases[::-1]:
                wall = one_case(kind, runs, workers, tmp)
                walls[kind, workers].append(wall)
                print(f"  repeat {rep + 1}: {kind} workers={workers}: {wall:.1f} s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate = {c: runs / statistics.median(w) * 60 for c, w in walls.items()}
    for (kind, workers), r in rate.items():
        spread = ", ".join(f"{x:.1f}" for x in walls[kind, workers])
        median = statistics.median(walls[kind, workers])
        print(f"{kind:5s} workers={workers}: {runs} runs in {median:.1f} s (median) = "
              f"{r:.0f} runs/min (walls {spread})")
    for kind in ("ours", "mesa"):
        print(f"{kind}: parallel efficiency with 2 workers "
              f"{rate[kind, 2] / (2 * rate[kind, 1]):.1%}")
    for w in (1, 2):
        pairs = [m / o for o, m in zip(walls["ours", w], walls["mesa", w], strict=True)]
        print(f"ours / mesa.batch_run with {w} worker(s): {rate['ours', w] / rate['mesa', w]:.3f}x"
              f" (per repeat: {', '.join(f'{p:.3f}' for p in pairs)})")
    print(f"load average after: {os.getloadavg()}")


def inprocess(runs: int, repeats: int) -> None:
    """Ours (`run_batch`, in this process) against `mesa.batch_run` (one process), alternating,
    in one interpreter pinned to one core: the cost per run without start-up or imports."""
    import mesa

    from experiments.batch.executors import make_executor
    from experiments.batch.mesa_batch import BatchModel
    from experiments.batch.runner import prepare_batch, run_batch
    from experiments.batch.spec import derive_seeds

    _one_core()
    tmp = Path(tempfile.mkdtemp(prefix="bench-inproc-"))
    try:
        for rep in range(repeats):
            plan, _ = prepare_batch(_spec(tmp, runs), tmp / f"out-{rep}")
            t0 = time.perf_counter()
            run_batch(plan, tmp / f"out-{rep}", make_executor(1, None), progress=False)
            ours = time.perf_counter() - t0
            t0 = time.perf_counter()
            mesa.batch_run(BatchModel, parameters={"scenario": "baseline"},
                           rng=derive_seeds(1, runs), number_processes=1, max_steps=10_000,
                           data_collection_period=-1, display_progress=False)
            theirs = time.perf_counter() - t0
            print(f"repeat {rep + 1}: ours {ours / runs * 1000:.1f} ms/run, mesa "
                  f"{theirs / runs * 1000:.1f} ms/run, ours/mesa speed {theirs / ours:.3f}x",
                  flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
        cmd = [sys.executable, "-m", "experiments.cli.main", "batch", str(_spec(tmp, runs, steps)),
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
    t.add_argument("--repeats", type=int, default=3)
    i = sub.add_parser("inprocess")
    i.add_argument("--runs", type=int, default=48)
    i.add_argument("--repeats", type=int, default=4)
    m = sub.add_parser("memory")
    m.add_argument("--small", type=int, default=20)
    m.add_argument("--large", type=int, default=2000)
    m.add_argument("--workers", type=int, default=2)
    m.add_argument("--steps", type=int, default=None)
    o = sub.add_parser("_mesa")
    o.add_argument("runs", type=int)
    o.add_argument("workers", type=int)
    args = parser.parse_args()
    if args.cmd == "throughput":
        throughput(args.runs, args.repeats)
    elif args.cmd == "inprocess":
        inprocess(args.runs, args.repeats)
    elif args.cmd == "memory":
        memory(args.small, args.large, args.workers, args.steps)
    else:
        mesa_child(args.runs, args.workers)


if __name__ == "__main__":
    main()
