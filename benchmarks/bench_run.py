"""Speed and memory of one model run: the baseline, and the baseline with 10x the site pool.

Usage (from the repository root):

    python -m uv run --frozen python benchmarks/bench_run.py            # both cases
    python -m uv run --frozen python benchmarks/bench_run.py --repeats 9 --case baseline
    python -m uv run --frozen python benchmarks/bench_run.py --json     # machine-readable

What is measured, per case, each in a fresh interpreter pinned to one CPU core (BLAS threads 1):

- wall time of ``experiments.run.runner.run(params, seed)`` in-process: interpreter start, imports
  and scenario loading excluded; one warm-up run, then the median (and min, max) of
  ``--repeats`` runs (>= 5); beside it the CPU time of the same runs (``time.process_time``,
  median and min), which a loaded machine inflates far less than wall time, and the load
  average when the runs ended;
- peak Python heap during one run, with ``tracemalloc`` started just before ``run`` (a separate
  run: tracing slows the code, so it is not timed);
- the process's max resident set size (``ru_maxrss``) after imports and after all the runs;
- the time to write the run directory (``Results.write``: Parquet + manifest), for reference.

Targets: <= 0.2 s per baseline run on one core (median); <= 5x that with 10x the sites.
Results are recorded by hand in ``benchmarks/RESULTS.md``. Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES: dict[str, list[str]] = {
    "baseline": [],
    "baseline_10x_sites": ["sites.n_sites=8000"],
}
"""Benchmark cases: name -> ``--set`` overrides of the baseline."""
TARGET_BASELINE_S = 0.2
TARGET_10X_FACTOR = 5.0


def _pin_one_core() -> int | None:
    """Pin this process to one CPU (the first allowed); return it, or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _max_rss_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0 if sys.platform != "darwin" else rss / 2**20  # KiB on Linux


def measure_case(name: str, repeats: int, seed: int) -> dict[str, Any]:
    """Run one case in this process and return its figures (see the module docstring)."""
    import statistics
    import tracemalloc

    cpu = _pin_one_core()
    rss_start = _max_rss_mb()
    t0 = time.perf_counter()
    import world.model  # noqa: F401  (what `run` imports lazily: mesa, numpy, networkx...)
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    import_s = time.perf_counter() - t0
    params = load_scenario("baseline", CASES[name])
    rss_imports = _max_rss_mb()
    results = run(params, rng=seed)  # warm-up: first-call caches, lazy imports
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        results = run(params, rng=seed)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    rss_runs = _max_rss_mb()
    tracemalloc.start()
    run(params, rng=seed)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        results.write(Path(tmp) / "run")
        write_s = time.perf_counter() - t0
    return {
        "case": name,
        "overrides": CASES[name],
        "steps": params.simulation.steps,
        "n_sites": params.sites.n_sites,
        "seed": seed,
        "cpu": cpu,
        "repeats": repeats,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "cpu_median_s": statistics.median(cpu),
        "cpu_min_s": min(cpu),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "ms_per_step": 1000.0 * statistics.median(times) / params.simulation.steps,
        "tracemalloc_peak_mb": peak / 2**20,
        "import_s": import_s,
        "max_rss_at_start_mb": rss_start,
        "max_rss_after_timed_runs_mb": rss_runs,
        "max_rss_after_imports_mb": rss_imports,
        "max_rss_mb": _max_rss_mb(),
        "write_s": write_s,
        "rows": {k: v.height for k, v in results.tables.items()},
    }


def _run_in_child(name: str, repeats: int, seed: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "POLARS_MAX_THREADS": "1",
    }
    cmd = [sys.executable, __file__, "--child", name, "--repeats", str(repeats)]
    cmd += ["--seed", str(seed)]
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    """A description of the machine and software the figures come from."""
    import mesa
    import numpy as np
    import polars as pl

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_visible": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "polars": pl.__version__,
    }


def _report(rows: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        f"machine: {info['cpu']}, {info['cores_visible']} cores visible (runs pinned to one), "
        f"{info['os']}, Python {info['python']}, Mesa {info['mesa']}, numpy {info['numpy']}, "
        f"polars {info['polars']}",
        "",
        "| case | n_sites | steps | median s/run (min-max) | CPU s/run median (min) | ms/step "
        "| tracemalloc peak MB | max RSS MB: imports / runs / +write | write s | import s "
        "| load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['n_sites']} | {r['steps']} | {r['median_s']:.3f} "
            f"({r['min_s']:.3f}-{r['max_s']:.3f}) | {r['cpu_median_s']:.3f} "
            f"({r['cpu_min_s']:.3f}) | {r['ms_per_step']:.2f} | "
            f"{r['tracemalloc_peak_mb']:.1f} | {r['max_rss_after_imports_mb']:.0f} / "
            f"{r['max_rss_after_timed_runs_mb']:.0f} / {r['max_rss_mb']:.0f} | "
            f"{r['write_s']:.3f} | {r['import_s']:.2f} | {r['load_average'] or 0:.1f} |"
        )
    by = {r["case"]: r for r in rows}
    if "baseline" in by:
        base = by["baseline"]["median_s"]
        ok = "met" if base <= TARGET_BASELINE_S else "MISSED"
        lines += ["", f"target baseline <= {TARGET_BASELINE_S} s: {ok} ({base:.3f} s)"]
        if "baseline_10x_sites" in by:
            ratio = by["baseline_10x_sites"]["median_s"] / base
            ok = "met" if ratio <= TARGET_10X_FACTOR else "MISSED"
            lines.append(
                f"target 10x sites <= {TARGET_10X_FACTOR:g}x baseline: {ok} ({ratio:.2f}x)"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: run the cases (each in a fresh pinned interpreter) and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=sorted(CASES), action="append", help="default: all")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per case (>= 5)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--child", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.repeats < 5:
        ap.error("--repeats must be at least 5 (the figure is a median)")
    if args.child:
        print(json.dumps(measure_case(args.child, args.repeats, args.seed)))
        return 0
    rows = []
    for name in args.case or list(CASES):
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        rows.append(_run_in_child(name, args.repeats, args.seed))
    info = machine()
    if args.json:
        print(json.dumps({"machine": info, "cases": rows}, indent=2))
    else:
        print(_report(rows, info))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
