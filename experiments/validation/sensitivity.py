"""Global sensitivity analysis: Morris screening, then Sobol indices, of chosen parameters on
chosen outcomes; or, for a batch already run, moment-independent indices of its sampled inputs.

Practice of validated agent-based models (Saltelli et al. 2008, "Global Sensitivity Analysis.
The Primer"; ten Broeke, van Voorn and Ligtenberg 2016, JASSS 19(1) 5): screen the parameters
with Morris elementary effects (Morris 1991; mu* of Campolongo et al. 2007), then estimate
first-order and total Sobol indices (Saltelli 2002; Jansen 1999 estimators in SALib) for the
few that matter, the others held at their scenario values.

Seeds. Each point is run with several seeds (``seeds_per_point``) and its outcome is their
mean, so a point's value is less tied to one draw of the random events. By default every point
draws its own seeds (from the point's index and a master seed, numpy ``SeedSequence``), so seed
noise shows up as noise instead of being frozen into the indices; ``common_seeds`` gives every
point the same seeds (common random numbers: differences between points come from the
parameters only). The *noise share* reported per outcome is the variance that seed noise adds
to a point's mean (within-point variance / seeds) over the variance of the point means: near 0,
the indices measure parameters; near 1, they measure noise.

A batch already run (for example ``experiments/batches/sobol_demand.toml``, quasi-random Sobol
points crossed with seeds) has no Saltelli design, so Sobol's estimators do not apply; its
points are analysed with Borgonovo's delta and first-order S1 from the same sample (Plischke,
Borgonovo and Smith 2013, SALib ``delta``), each point's outcome averaged over its seeds.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.errors import UserError
from world.params import AllocationRule

__all__ = ["DEFAULT_OUTCOMES", "PARAMETERS", "Parameter", "analyse_batch",
           "compute_outputs", "find_parameter", "point_overrides", "point_seeds",
           "run_morris", "run_sobol", "select_top"]

STEPS = 48
"""Months simulated per run by default: 2025-01 to 2028-12."""
MASTER_SEED = 2025
"""Master seed of the samples and of the seeds drawn per point."""
ALLOCATION_RULES = tuple(rule.value for rule in AllocationRule)
DEFAULT_OUTCOMES = ("nvidia_value_share_last12", "accelerator_value_hhi_last12",
                    "openai_compute_gw", "vendor_circularity")
"""Outcomes studied unless others are named (`experiments.analysis.outcomes.OUTCOMES`)."""


@dataclass(frozen=True)
class Parameter:
    """A scenario parameter and its range; `kind` says how a value in [low, high] is applied.

    kinds: ``value`` sets `key`; ``growth`` scales the growth of a [month, value] path beyond
    its first point; ``choice`` picks ALLOCATION_RULES[int(value)].
    """

    name: str
    key: str
    low: float
    high: float
    kind: str = "value"
    source: str = ""


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("CUDA lock-in", "market.cuda_lockin", 2.0, 6.0,
              source="baseline 4.0, calibrated to Nvidia ~80%"),
    Parameter("packaging growth", "foundry.capacity_wafers_per_month", 0.5, 1.5, "growth",
              "x the CoWoS path's growth beyond 2024-12"),
    Parameter("lab revenue per GW", "firms.OpenAI.revenue_usd_b_per_gw_year", 7.0, 13.0,
              source="~$10B/GW-yr"),
    Parameter("diligence: min financing ratio", "negotiation.min_financing_ratio", 0.6, 1.4,
              source="baseline 1.0"),
    Parameter("diligence: max burn / revenue", "negotiation.max_burn_to_revenue", 1.0, 2.5,
              source="baseline 1.5"),
    Parameter("OpenAI discount factor", "firms.OpenAI.discount_factor", 0.85, 0.98,
              source="baseline 0.93"),
    Parameter("Nvidia discount factor", "firms.Nvidia.discount_factor", 0.90, 0.99,
              source="baseline 0.97"),
    Parameter("build time", "sites.build_months.mean", 12.0, 30.0,
              source="build times 12-36 months; baseline 18"),
    Parameter("grid interconnection wait", "sites.interconnect_wait_months.mean", 18.0, 60.0,
              source="grid interconnection median ~5 years; baseline 36"),
    Parameter("allocation rule", "foundry.allocation_rule", 0.0, 2.999, "choice",
              "pro_rata / priority / uniform"),
    Parameter("price sensitivity", "market.price_sensitivity", 2.0, 6.0, source="baseline 4.0"),
    Parameter("Nvidia base markup", "firms.Nvidia.markup", 1.5, 3.0,
              source="gross margin 70-80%; baseline 2.2"),
    Parameter("Nvidia financing appetite", "firms.Nvidia.financing_appetite_frac_cash", 0.1, 0.5,
              source="baseline 0.3"),
)
"""The parameters screened by default (ranges: plausible spread around the calibration)."""


def find_parameter(text: str, scenario: str = "baseline") -> Parameter:
    """A parameter from ``--param``: a key or name of `PARAMETERS`, or ``KEY=LOW:HIGH`` for
    any numeric scenario key (both ends checked against the key's bounds).

    Raises:
        UserError: unknown key or name, a malformed range, or values the scenario refuses.
    """
    if "=" not in text:
        for p in PARAMETERS:
            if text in (p.key, p.name):
                return p
        raise UserError(f"--param {text}: not one of the default parameters; give "
                        "KEY=LOW:HIGH for another scenario key (e.g. market.cuda_lockin=1:5)")
    key, _, rng = text.partition("=")
    try:
        low, high = (float(v) for v in rng.split(":"))
    except ValueError:
        raise UserError(f"--param {text}: write the range as KEY=LOW:HIGH") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise UserError(f"--param {text}: LOW must be below HIGH, both finite")
    from experiments.scenario.loader import load_scenario

    for v in (low, high):
        load_scenario(scenario, [f"{key}={v!r}"])  # ScenarioError names the key and bounds
    return Parameter(key, key, low, high)


def _toml(value: Any) -> str:
    from experiments.batch.spec import toml_value

    return toml_value(value)


def point_overrides(values: np.ndarray, params: Sequence[Parameter], base: Any) -> list[str]:
    """`--set` strings that put the scenario at one sample point.

    Args:
        values: one value per parameter, in `params` order.
        params: the varied parameters.
        base: the resolved scenario (for paths that are scaled).
    """
    out = []
    for p, v in zip(params, values, strict=True):
        if p.kind == "growth":
            path = base.foundry.capacity_wafers_per_month
            first = path[0][1]
            scaled = [[m, round(first + float(v) * (x - first), 3)] for m, x in path]
            out.append(f"{p.key}={_toml(scaled)}")
        elif p.kind == "choice":
            out.append(f'{p.key}="{ALLOCATION_RULES[min(int(v), len(ALLOCATION_RULES) - 1)]}"')
        else:
            out.append(f"{p.key}={float(v)!r}")
    return out


def point_seeds(index: int, k: int, common: bool) -> list[int]:
    """The `k` seeds of sample point `index`: 1..k at every point when `common`, else `k`
    seeds of the point's own ``SeedSequence((MASTER_SEED, index))`` (32-bit, reproducible)."""
    if common:
        return list(range(1, k + 1))
    state = np.random.SeedSequence((MASTER_SEED, int(index))).generate_state(k)
    return [int(s) for s in state]


def compute_outputs(results: Any, outcomes: Sequence[str] = DEFAULT_OUTCOMES) -> dict[str, float]:
    """The named outcomes of one run, as floats."""
    from experiments.analysis.outcomes import compute_outcomes

    row = compute_outcomes(results.tables, outcomes, [results.run_id]).row(0, named=True)
    return {n: float(row[n]) for n in outcomes}


def sensitivity_task(scenario: str, overrides: tuple[str, ...], seed: int, steps: int,
                     outcomes: tuple[str, ...]) -> dict[str, float]:
    """Worker: run the scenario at one point with one seed and return its outcomes."""
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    params = load_scenario(scenario, list(overrides), seed=seed, steps=steps)
    return compute_outputs(run(params), outcomes)


@dataclass(frozen=True)
class Setup:
    """What a sensitivity study runs: scenario, horizon, outcomes, seeds per point."""

    scenario: str = "baseline"
    steps: int = STEPS
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES
    seeds_per_point: int = 3
    common_seeds: bool = False
    workers: int | None = None


def _problem(params: Sequence[Parameter]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.name for p in params],
            "bounds": [[p.low, p.high] for p in params]}


def noise_share(per_seed: np.ndarray) -> float:
    """Seed-noise variance of a point's mean over the variance of the point means.

    Args:
        per_seed: outcomes, one row per point, one column per seed.
    """
    k = per_seed.shape[1]
    means = per_seed.mean(axis=1)
    if k < 2 or np.var(means) == 0:
        return float("nan") if k < 2 else 0.0
    return float(np.mean(np.var(per_seed, axis=1, ddof=1)) / k / np.var(means, ddof=1))


def _run_points(X: np.ndarray, params: Sequence[Parameter], base: Any, setup: Setup,
                label: str) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Mean outcome of each point over its seeds, and each outcome's noise share."""
    import sys

    from experiments.batch.ensemble import map_runs

    k = setup.seeds_per_point
    tasks = [(setup.scenario, tuple(point_overrides(x, params, base)), seed, setup.steps,
              setup.outcomes)
             for i, x in enumerate(X) for seed in point_seeds(i, k, setup.common_seeds)]
    print(f"{label}: {len(X)} points x {k} seeds = {len(tasks)} runs of {setup.steps} months",
          file=sys.stderr, flush=True)
    rows = map_runs(sensitivity_task, tasks, workers=setup.workers, label=f"{label} runs")
    means, noise = {}, {}
    for out in setup.outcomes:
        per_seed = np.array([r[out] for r in rows], dtype=float).reshape(len(X), k)
        means[out] = np.nan_to_num(per_seed.mean(axis=1), nan=0.0)
        noise[out] = noise_share(np.nan_to_num(per_seed, nan=0.0))
    return means, noise


def run_morris(params: Sequence[Parameter], trajectories: int, base: Any,
               setup: Setup) -> dict[str, Any]:
    """Morris elementary effects of every parameter on every outcome."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    problem = _problem(params)
    X = morris_sample.sample(problem, trajectories, num_levels=4, seed=MASTER_SEED)
    Y, noise = _run_points(X, params, base, setup, "Morris")
    res = {}
    for out, y in Y.items():
        a = morris_analyze.analyze(problem, X, y, num_levels=4, seed=MASTER_SEED)
        res[out] = {"mu_star": list(map(float, a["mu_star"])),
                    "sigma": list(map(float, a["sigma"])),
                    "mu_star_conf": list(map(float, a["mu_star_conf"])),
                    "y_std": float(np.std(y)), "noise_share": noise[out]}
    return {"method": "morris", "trajectories": trajectories, "runs": len(X) * setup.
            seeds_per_point, "points": len(X), "parameters": [p.name for p in params],
            "outputs": res}


def select_top(morris: dict[str, Any], k: int) -> list[str]:
    """The `k` parameters with the largest mu* (relative to each outcome's largest mu*) on any
    outcome: the screening step."""
    names = morris["parameters"]
    score = np.zeros(len(names))
    for res in morris["outputs"].values():
        mu = np.array(res["mu_star"])
        if mu.max() > 0:
            score = np.maximum(score, mu / mu.max())
    order = np.argsort(-score, kind="stable")
    return [names[i] for i in order[:k]]


def run_sobol(params: Sequence[Parameter], n: int, base: Any, setup: Setup) -> dict[str, Any]:
    """First-order and total Sobol indices of `params` (the rest at the scenario's values)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem = _problem(params)
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=MASTER_SEED)
    Y, noise = _run_points(X, params, base, setup, "Sobol")
    res = {}
    for out, y in Y.items():
        if np.std(y) == 0:
            zeros = [0.0] * len(params)
            res[out] = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros,
                        "noise_share": noise[out]}
            continue
        a = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=MASTER_SEED)
        res[out] = {k: [float(v) for v in a[k]] for k in ("S1", "S1_conf", "ST", "ST_conf")}
        res[out]["noise_share"] = noise[out]
    return {"method": "sobol", "n": n, "runs": len(X) * setup.seeds_per_point,
            "points": len(X), "parameters": [p.name for p in params], "outputs": res}


def _quiet_delta(delta: Any, problem: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Any:
    """SALib's delta analysis without its binning notices (it prints them and resets the
    warning filters and formatter for the whole process; both are restored here)."""
    import warnings

    fmt = warnings.formatwarning
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            return delta.analyze(problem, X, y, num_resamples=100, seed=MASTER_SEED)
    finally:
        warnings.formatwarning = fmt


def analyse_batch(batch_dir: Any, outcomes: Sequence[str]) -> dict[str, Any]:
    """Delta and S1 indices of a batch's sampled uncertainties, per outcome.

    Each variant (sample point) counts once, its outcome the mean over its seeds; the input
    ranges are the spec's. Runs of a batch that also varies levers would mix policies into
    the indices, so such a batch is refused.

    Raises:
        UserError: the batch varies levers, has no sampled ranges, or too few points.
    """
    from SALib.analyze import delta

    from experiments.analysis.ema import batch_to_ema
    from experiments.batch.store import read_batch_manifest

    manifest = read_batch_manifest(batch_dir)
    ranges = manifest.get("uncertainties", {}).get("ranges", {})
    if any(len(v) > 1 for v in (manifest.get("levers") or {}).values()):
        raise UserError(f"{batch_dir}: the batch varies levers as well; sensitivity indices "
                        "need a batch of sampled uncertainties only (feature-scores handles "
                        "levers)")
    if not ranges:
        raise UserError(f"{batch_dir}: the batch samples no uncertainty ranges")
    experiments, values = batch_to_ema(batch_dir, outcomes)
    keys = list(ranges)
    points = experiments.groupby("policy", sort=False)
    X = points[keys].first().to_numpy(dtype=float)
    if len(X) < 16:
        raise UserError(f"{batch_dir}: {len(X)} sample points; delta indices need 16 or more")
    problem = {"num_vars": len(keys), "names": keys,
               "bounds": [[float(ranges[k][0]), float(ranges[k][1])] for k in keys]}
    res = {}
    for out in outcomes:
        frame = experiments.assign(_y=values[out])
        per_point = frame.groupby("policy", sort=False)["_y"]
        y = np.nan_to_num(per_point.mean().to_numpy(dtype=float), nan=0.0)
        seeds = per_point.count().min()
        per_seed = np.vstack([g.to_numpy()[:seeds] for _, g in per_point])
        noise = noise_share(np.nan_to_num(per_seed, nan=0.0))
        if np.std(y) == 0:
            zeros = [0.0] * len(keys)
            res[out] = {"delta": zeros, "delta_conf": zeros, "S1": zeros, "S1_conf": zeros,
                        "noise_share": noise}
            continue
        a = _quiet_delta(delta, problem, X, y)
        res[out] = {k: [float(v) for v in a[src]] for k, src in (
            ("delta", "delta_raw"), ("delta_conf", "delta_raw_conf"), ("S1", "S1"),
            ("S1_conf", "S1_conf"))}
        res[out]["noise_share"] = noise
    return {"method": "delta", "batch": str(batch_dir), "points": len(X),
            "runs": len(experiments), "parameters": keys, "outputs": res}
