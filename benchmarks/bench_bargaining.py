"""Cost of Nash-in-Nash bargaining in one baseline run.

Prints the CPU time per run (median of 7 after a warm-up; `time.process_time`, so a loaded
machine inflates it less than wall time), how many links the firms weighed and how many market
re-solves that took, and the share of the run spent seeking and pricing contracts (cProfile).

Run from the repository root: `python -m uv run --frozen python benchmarks/bench_bargaining.py`.
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time

from agents import contracting
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
from world import bargaining

ENTRY_POINTS = ("update_seek_supply", "update_offer_supply", "seek_compute")
"""The three ways a firm starts a negotiation (their cumulative times do not overlap)."""


def main() -> None:
    """Measure and print."""
    params = load_scenario("baseline", [], seed=42)
    run(params)
    cpu = []
    for _ in range(7):
        start = time.process_time()
        run(params)
        cpu.append(time.process_time() - start)
    print(f"baseline CPU s/run: median {statistics.median(cpu):.3f} "
          f"(min {min(cpu):.3f}, max {max(cpu):.3f})")

    calls = {"links": 0, "clearings": 0}
    terms, clear = contracting.compute_link_terms, bargaining.clear_market

    def count_terms(*args, **kwargs):
        calls["links"] += 1
        return terms(*args, **kwargs)

    def count_clear(*args, **kwargs):
        calls["clearings"] += 1
        return clear(*args, **kwargs)

    contracting.compute_link_terms, bargaining.clear_market = count_terms, count_clear
    try:
        run(params)
    finally:
        contracting.compute_link_terms, bargaining.clear_market = terms, clear
    print(f"links weighed: {calls['links']}, market re-solves: {calls['clearings']}")

    profile = cProfile.Profile()
    profile.enable()
    run(params)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt
    spent = sum(ct for fn, (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
                if fn[2] in ENTRY_POINTS)
    print(f"seeking and pricing contracts: {100 * spent / total:.1f}% of the profiled run")


if __name__ == "__main__":
    main()
