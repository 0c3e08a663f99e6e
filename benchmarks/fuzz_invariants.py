"""Randomised invariant suite: many random scenarios, each refused in one line or run clean.

Each case takes a shipped scenario, a random horizon, and 1 to 4 random numeric keys
(`experiments.scenario.fields.numeric_fields`) set to random values: mostly inside the bounds
the schema declares, sometimes outside them or not numbers at all (``inf``, ``nan``, ``1e400``,
below the lower bound, above the upper one, a word). Then exactly one of these must happen:

- the scenario is **refused** with a `ScenarioError` whose message is one line naming the
  key (what the command line shows, exit code 2), or
- it **runs**, and every invariant of `experiments.run.invariants.check_run_invariants`
  holds.

Anything else is counted as a defect: a bad value accepted, a crash (an exception other than a
`ScenarioError`, i.e. a traceback for the user), or a broken invariant. All randomness comes
from ``SeedSequence(--seed, spawn_key=(case,))``, so a case can be replayed alone
(``--first-case N --cases 1``).

    python benchmarks/fuzz_invariants.py --cases 1000 --workers 2

The last result is recorded in benchmarks/RESULTS.md. Exit code 0 when there is no defect.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from typing import Any

import numpy as np

SCENARIOS = ("baseline", "what_if/cap_equity", "what_if/exclusivity_banned",
             "what_if/no_vendor_financing", "what_if/packaging_disruption",
             "what_if/regime_strict", "docking/cournot")
"""The scenarios the cases start from (the market mode and one docking mode)."""

BAD_VALUES = ("inf", "-inf", "nan", "1e400", "-1e400", '"lots"', "true")
"""Values that are never a valid number of a scenario."""


def _in_bounds(f: Any, rng: np.random.Generator) -> str:
    low = f.low if math.isfinite(f.low) else min(f.value, 0.0) - 10.0
    high = f.high if math.isfinite(f.high) else max(10.0 * abs(f.value), low + 10.0)
    if f.integer:
        lo, hi = math.ceil(low + (1 if f.low_open else 0)), math.floor(high - (
            1 if f.high_open else 0))
        return str(int(rng.integers(lo, hi + 1))) if hi >= lo else str(int(f.value))
    x = float(rng.uniform(low, high))
    if (f.low_open and x <= f.low) or (f.high_open and x >= f.high):
        x = f.value
    return repr(x)


def _out_of_bounds(f: Any, rng: np.random.Generator) -> str:
    choices = list(BAD_VALUES)
    if math.isfinite(f.low):
        choices.append(repr(f.low - 1.0 - abs(f.low)) if not f.integer else str(int(f.low) - 1))
    if math.isfinite(f.high):
        choices.append(repr(f.high + 1.0 + abs(f.high)) if not f.integer else str(int(f.high) + 1))
    return choices[int(rng.integers(len(choices)))]


def make_case(master: int, case: int) -> tuple[str, list[str], int, bool]:
    """Case number `case`: (scenario, ``key=value`` overrides, steps, a bad value included)."""
    from experiments.scenario.fields import numeric_fields
    from experiments.scenario.loader import load_scenario

    rng = np.random.default_rng(np.random.SeedSequence(master, spawn_key=(case,)))
    name = SCENARIOS[int(rng.integers(len(SCENARIOS)))]
    params = load_scenario(name)
    fields = [f for f in numeric_fields(params) if f.key != "simulation.steps"]
    steps = int(rng.integers(1, params.simulation.steps + 1))
    overrides, bad = [], False
    for i in rng.choice(len(fields), size=int(rng.integers(1, 5)), replace=False):
        f = fields[int(i)]
        if rng.random() < 0.2:
            overrides.append(f"{f.key}={_out_of_bounds(f, rng)}")
            bad = True
        else:
            overrides.append(f"{f.key}={_in_bounds(f, rng)}")
    return name, overrides, steps, bad


def check_case(master: int, case: int) -> dict[str, Any]:
    """Load and run one case; classify what happened (see the module docstring)."""
    from experiments.errors import ScenarioError
    from experiments.run.invariants import check_run_invariants
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    name, overrides, steps, bad = make_case(master, case)
    out = {"case": case, "scenario": name, "overrides": overrides, "steps": steps}
    try:
        params = load_scenario(name, overrides, steps=steps)
    except ScenarioError as exc:
        one_line = "\n" not in str(exc) and bool(exc.key or exc.file)
        return {**out, "outcome": "refused" if one_line else "defect: message",
                "detail": str(exc)[:300]}
    except Exception as exc:  # a traceback for the user
        return {**out, "outcome": "defect: load crash", "detail": f"{type(exc).__name__}: {exc}"}
    if bad:
        return {**out, "outcome": "defect: bad value accepted", "detail": ""}
    try:
        results = run(params)
    except Exception as exc:
        return {**out, "outcome": "defect: run crash",
                "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
    broken = check_run_invariants(results)
    if broken:
        return {**out, "outcome": "defect: invariant", "detail": "; ".join(broken)[:300]}
    return {**out, "outcome": "ran", "detail": ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="number of cases (1000)")
    parser.add_argument("--first-case", type=int, default=0, help="first case number (0)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (0)")
    parser.add_argument("--workers", type=int, default=None, help="processes (all cores)")
    args = parser.parse_args(argv)
    from experiments.batch.ensemble import map_runs

    t0 = time.perf_counter()
    tasks = [(args.seed, c) for c in range(args.first_case, args.first_case + args.cases)]
    rows = map_runs(check_case, tasks, workers=args.workers, progress=False, label="cases")
    counts = Counter(r["outcome"] for r in rows)
    elapsed = time.perf_counter() - t0
    print(f"{len(rows)} random scenarios (seed {args.seed}, cases {args.first_case}.."
          f"{args.first_case + args.cases - 1}) in {elapsed:.0f} s: "
          + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    defects = [r for r in rows if r["outcome"].startswith("defect")]
    for r in defects[:20]:
        print(f"  case {r['case']} {r['scenario']} steps={r['steps']} "
              f"{' '.join(r['overrides'])}: {r['outcome']}: {r['detail']}")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
