"""CPU time of one baseline run at two commits, measured in turns: is a change faster?

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/bench_cpu_ab.py 21703de          # vs the tree
    python -m uv run --frozen python benchmarks/bench_cpu_ab.py 21703de HEAD --turns 6

On a machine shared with other jobs wall time measures the load; CPU time
(`time.process_time`) much less so, but it still drifts by several percent over minutes. So
the two versions take turns: each turn runs version A, then version B, each in a fresh
interpreter pinned to one core (BLAS and polars threads 1) doing one warm-up run and
`--runs` timed runs of `experiments.run.runner.run(baseline, seed)` (with `--pair`: of one
seed of the paired comparison, `experiments.analysis.compare._run_seed`, seeds seed,
seed + 1, ...). A version is a commit
(exported with `git archive` to a temporary folder) or `tree` (the working tree); both use
this checkout's environment. Reported per turn: the min and median CPU seconds per run of
each version; at the end the median over turns of B / A. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import json, os, statistics, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
sys.path.insert(0, os.getcwd())
from experiments.run.runner import run
from experiments.scenario.loader import load_scenario
params = load_scenario("baseline")
if "PAIR":
    from experiments.analysis.compare import _run_seed
    variant = load_scenario("what_if/no_vendor_financing")
    work = lambda seed: _run_seed(params, [variant], seed)
else:
    work = lambda seed: run(params, rng=seed)
work(SEED)
cpu = []
for k in range(RUNS):
    c0 = time.process_time()
    work(SEED + k * STRIDE)
    cpu.append(time.process_time() - c0)
print(json.dumps({"min": min(cpu), "median": statistics.median(cpu)}))
"""


def _export(rev: str, into: Path) -> Path:
    """The files of commit `rev` in a folder under `into` (`tree`: this checkout)."""
    if rev == "tree":
        return ROOT
    out = into / rev
    out.mkdir()
    archive = into / f"{rev}.tar"
    subprocess.run(["git", "archive", "-o", str(archive), rev], cwd=ROOT, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(out, filter="data")
    return out


def _measure(folder: Path, runs: int, seed: int, pair: bool) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "POLARS_MAX_THREADS": "1"}
    code = CHILD.replace("RUNS", str(runs)).replace("SEED", str(seed))
    code = code.replace('"PAIR"', str(pair)).replace("STRIDE", str(int(pair)))
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Command line: measure A and B in turns and print one line per turn and the ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", help="commit of version A")
    ap.add_argument("b", nargs="?", default="tree", help="commit of version B (default: tree)")
    ap.add_argument("--turns", type=int, default=4)
    ap.add_argument("--runs", type=int, default=8, help="timed runs per version and turn")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pair", action="store_true",
                    help="time one seed of the paired comparison instead (`_run_seed`: baseline "
                         "and what_if/no_vendor_financing, outcomes, pairing; seeds seed..)")
    args = ap.parse_args()
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        a, b = _export(args.a, Path(tmp)), _export(args.b, Path(tmp))
        for turn in range(1, args.turns + 1):
            ra = _measure(a, args.runs, args.seed, args.pair)
            rb = _measure(b, args.runs, args.seed, args.pair)
            ratios.append(rb["min"] / ra["min"])
            print(f"turn {turn}: A {args.a} min {ra['min']:.4f} median {ra['median']:.4f} | "
                  f"B {args.b} min {rb['min']:.4f} median {rb['median']:.4f} | B/A (min) "
                  f"{ratios[-1]:.3f} | load {os.getloadavg()[0]:.1f} | "
                  f"{time.strftime('%H:%M:%S')}", flush=True)
    print(f"B / A, median over {len(ratios)} turns of the per-turn min CPU s/run: "
          f"{statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
