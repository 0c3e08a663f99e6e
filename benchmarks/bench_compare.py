"""Speed of a paired what-if comparison: N seeds x 2 scenarios on W worker processes.

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/bench_compare.py                 # 500 x 2, 2 workers
    python -m uv run --frozen python benchmarks/bench_compare.py --seeds 50 --repeats 5

What is measured, per repeat, in this process (imports and scenario loading excluded): the wall
time of `experiments.analysis.compare.run_pairs` (the pool's start-up, every run, the outcomes
of every month sent back) plus `compute_comparison` (every metric and month, p-values and
their adjustment). Reported: the median and range over `--repeats`, the per-run cost
(wall x workers / runs, i.e. core-seconds per run) and, for scale, the median time of one
baseline run in this process measured just before (the machine's load shows in it).
Results are recorded by hand in ``benchmarks/RESULTS.md``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _one_run_s(params, repeats: int = 3) -> float:
    from experiments.run.runner import run

    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        run(params, rng=1000 + seed)
        times.append(time.perf_counter() - t0)
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
    walls = []
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at start")
    for k in range(args.repeats):
        single = _one_run_s(base)
        t0 = time.perf_counter()
        frame = run_pairs(base, [variant], range(1, args.seeds + 1), workers=args.workers,
                          progress=False)
        t1 = time.perf_counter()
        table = compute_comparison(frame)
        t2 = time.perf_counter()
        walls.append(t2 - t0)
        print(f"repeat {k + 1}: {runs} runs in {t2 - t0:.1f} s (runs {t1 - t0:.1f} s, "
              f"statistics {t2 - t1:.1f} s over {table.height} rows); "
              f"{(t2 - t0) * args.workers / runs:.3f} core-s per run; one run alone "
              f"{single:.3f} s; load {os.getloadavg()[0]:.1f}", flush=True)
    med = statistics.median(walls)
    print(f"median {med:.1f} s [{min(walls):.1f}, {max(walls):.1f}] for {runs} runs on "
          f"{args.workers} workers: {med * args.workers / runs:.3f} core-s per run")


if __name__ == "__main__":
    main()
