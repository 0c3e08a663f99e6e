"""Cost of each phase of a month: where one baseline run spends its time.

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/bench_phases.py              # 5 runs
    python -m uv run --frozen python benchmarks/bench_phases.py --repeats 9 --case baseline

Each phase of `ComputeMarketModel.step` (section 3 of docs/odd.md) is timed by wrapping the
method or component call that runs it on the model instance (perf_counter around each call,
or CPU time with `--cpu`),
in a process pinned to one CPU core. One warm-up run, then the median over `--repeats` runs of
the seconds each phase takes in a whole run; "other" is the rest of `step` (bookkeeping
between the phases). The wrapping adds a few microseconds per call. Not a test: nothing here
asserts. Results are recorded by hand in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHASES: dict[str, tuple[str, str]] = {
    "1 dated inputs": ("model", "_apply_dated_inputs"),
    "1 capital opens": ("capital", "update_month_open"),
    "2 physical layer": ("fleet", "update"),
    "2 capex": ("model", "_pay_capex"),
    "3 AI demand draw": ("frontier", "update_demand"),
    "5a chips: production": ("chips", "update_produce"),
    "5b chips: Bertrand-Nash prices": ("chips", "update_prices"),
    "5c chips: orders, deliveries": ("chips", "update_deliver"),
    "6 cloud market": ("model", "_lease_capacity"),
    "7 AI services market": ("model", "_sell_ai_services"),
    "8 deal pipeline": ("pipeline", "update_month"),
    "9 capital: interest": ("capital", "update_charge_interest"),
    "9 capital: distress": ("capital", "update_settle"),
    "10 records": ("recorder", "update_record"),
}
"""Phase -> (owner attribute of the model, or 'model'; method name)."""


CLOCK: list[Callable[[], float]] = [time.perf_counter]
"""The clock phases are timed with: wall (`perf_counter`) or, with `--cpu`, CPU time."""


def _wrap(obj: Any, name: str, acc: dict[str, float], label: str) -> None:
    fn: Callable = getattr(obj, name)
    clock = CLOCK[0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = clock()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[label] += clock() - t0

    setattr(obj, name, timed)


def run_once(params: Any) -> dict[str, float]:
    """One run with every phase timed; returns seconds per phase (and 'total')."""
    from world.model import ComputeMarketModel

    model = ComputeMarketModel(params)
    acc: dict[str, float] = defaultdict(float)
    for label, (owner, name) in PHASES.items():
        _wrap(model if owner == "model" else getattr(model, owner), name, acc, label)
    firms_t = 0.0
    for firm in model.firms.values():
        _wrap(firm, "step", acc, "4 firm decisions (incl. bargaining)")
    clock = CLOCK[0]
    t0 = clock()
    model.run_steps()
    acc["total"] = clock() - t0
    inner = sum(v for k, v in acc.items() if k != "total")
    acc["other (between phases)"] = acc["total"] - inner + firms_t
    return dict(acc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--case", default="baseline")
    parser.add_argument("--cpu", action="store_true",
                        help="time with CPU time (time.process_time): steadier on a busy machine")
    args = parser.parse_args()
    if args.cpu:
        CLOCK[0] = time.process_time
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from experiments.scenario.loader import load_scenario

    params = load_scenario(args.case)
    run_once(params)  # warm-up
    runs = [run_once(params) for _ in range(max(1, args.repeats))]
    labels = sorted({k for r in runs for k in r}, key=lambda k: (k == "total", k))
    clock = "CPU" if args.cpu else "wall"
    print(f"{'phase':40s} {'median s':>9s} {'share':>6s}   ({clock} time; load "
          f"{os.getloadavg()[0]:.1f})")
    total = statistics.median(r["total"] for r in runs)
    for label in labels:
        med = statistics.median(r.get(label, 0.0) for r in runs)
        print(f"{label:40s} {med:9.4f} {med / total:6.1%}")


if __name__ == "__main__":
    main()
