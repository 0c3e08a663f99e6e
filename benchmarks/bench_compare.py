"""Speed of a paired what-if comparison: N seeds x 2 scenarios on W worker processes.

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/bench_compare.py    # 500 seeds x 2, 2 workers
    python -m uv run --frozen python benchmarks/bench_compare.py --seeds 50 --repeats 5

What is measured, per repeat, in this process (imports and scenario loading excluded): the wall
time of `experiments.analysis.compare.run_pairs` (the pool's start-up, every run, each seed's
outcomes of every month paired in its worker and sent back) plus `compute_comparison` (every
metric and month, p-values and their adjustment). Reported: the median and range over
`--repeats`. Because wall time on a shared, loaded machine measures the load as much as the
code, the CPU time is measured too: the CPU seconds of one seed's work (both runs, outcomes,
pairing: `_run_seed`) in this process, median of 5 seeds, and the CPU seconds of the
statistics; from them, the wall time the comparison would take on `--workers` idle cores
(CPU per seed x seeds / workers + statistics). Results are recorded by hand in
``benchmarks/RESULTS.md``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _seed_cpu_s(base, variant, repeats: int = 5) -> float:
    """Median CPU seconds of one seed's work (two runs, outcomes, pairing) in this process."""
    from experiments.analysis.compare import _run_seed

    _run_seed(base, [variant], 999)  # warm-up
    times = []
    for seed in range(repeats):
        t0 = time.process_time()
        _run_seed(base, [variant], 1000 + seed)
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    """Time the comparison and print one line per repeat and a summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variant", default="what_if/no_vendor_financing")
    args = ap.parse_args()

    from experiments.analysis.compare import compute_comparison, run_pairs
    from experiments.scenario.loader import load_scenario

    base, variant = load_scenario("baseline"), load_scenario(args.variant)
    runs = 2 * args.seeds
    walls, projected = [], []
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    for k in range(args.repeats):
        seed_cpu = _seed_cpu_s(base, variant)
        t0 = time.perf_counter()
        frame = run_pairs(base, [variant], range(1, args.seeds + 1), workers=args.workers,
                          progress=False)
        t1, c1 = time.perf_counter(), time.process_time()
        table = compute_comparison(frame)
        t2, c2 = time.perf_counter(), time.process_time()
        walls.append(t2 - t0)
        idle = seed_cpu * args.seeds / args.workers + (c2 - c1)
        projected.append(idle)
        print(f"repeat {k + 1}: {runs} runs in {t2 - t0:.1f} s wall (runs {t1 - t0:.1f} s, "
              f"statistics {t2 - t1:.1f} s wall / {c2 - c1:.1f} s CPU over {table.height} "
              f"rows); CPU per run {seed_cpu / 2:.3f} s; on {args.workers} idle cores "
              f"~{idle:.0f} s; load {os.getloadavg()[0]:.1f}", flush=True)
    med = statistics.median(walls)
    print(f"median {med:.1f} s wall [{min(walls):.1f}, {max(walls):.1f}] for {runs} runs on "
          f"{args.workers} workers ({med * args.workers / runs:.3f} core-s of wall per run); "
          f"on idle cores ~{statistics.median(projected):.0f} s")


if __name__ == "__main__":
    main()
