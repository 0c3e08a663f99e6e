"""`compute-market sensitivity`: Morris screening, then Sobol indices, of the baseline (issue 6).

Practice of validated agent-based models (Saltelli et al. 2008, "Global Sensitivity Analysis.
The Primer"; ten Broeke, van Voorn and Ligtenberg 2016, JASSS 19(1) 5): screen all main
parameters with Morris elementary effects (Morris 1991; mu* of Campolongo et al. 2007), then
estimate first-order and total Sobol indices (Saltelli 2002; Jansen 1999 estimators in SALib)
for the few that matter, the others held at their baseline values.

Every point is run with the same seed (common random numbers), so differences between points
come from the parameters, not from the draws. The runs go through the batch executors
(`experiments.batch.ensemble.map_runs`) and stop at 2028-12 (48 months), the horizon of the outputs.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from world.params import AllocationRule

__all__ = ["OUTPUTS", "PARAMETERS", "Parameter", "compute_outputs",
           "point_overrides"]

STEPS = 48
"""Months simulated per run: 2025-01 to 2028-12, the outputs' horizon."""
SEED = 1
"""The common seed of every point."""
ALLOCATION_RULES = tuple(rule.value for rule in AllocationRule)


@dataclass(frozen=True)
class Parameter:
    """A baseline parameter and its range; `kind` says how a value in [low, high] is applied.

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
              "x the CoWoS path's growth beyond 2024-12 (facts 'CoWoS capacity')"),
    Parameter("lab revenue per GW", "firms.OpenAI.revenue_usd_b_per_gw_year", 7.0, 13.0,
              source="facts ~$10B/GW-yr"),
    Parameter("diligence: min financing ratio", "negotiation.min_financing_ratio", 0.6, 1.4,
              source="baseline 1.0"),
    Parameter("diligence: max burn / revenue", "negotiation.max_burn_to_revenue", 1.0, 2.5,
              source="baseline 1.5"),
    Parameter("OpenAI discount factor", "firms.OpenAI.discount_factor", 0.85, 0.98,
              source="baseline 0.93"),
    Parameter("Nvidia discount factor", "firms.Nvidia.discount_factor", 0.90, 0.99,
              source="baseline 0.97"),
    Parameter("build time", "sites.build_months.mean", 12.0, 30.0,
              source="facts 'Build times' 12-36 months; baseline 18"),
    Parameter("grid interconnection wait", "sites.interconnect_wait_months.mean", 18.0, 60.0,
              source="facts 'Grid interconnection' median ~5 y; baseline 36"),
    Parameter("allocation rule", "foundry.allocation_rule", 0.0, 2.999, "choice",
              "pro_rata / priority / uniform"),
    Parameter("price sensitivity", "market.price_sensitivity", 2.0, 6.0, source="baseline 4.0"),
    Parameter("Nvidia base markup", "firms.Nvidia.markup", 1.5, 3.0,
              source="gross margin 70-80%; baseline 2.2"),
    Parameter("Nvidia financing appetite", "firms.Nvidia.financing_appetite_frac_cash", 0.1, 0.5,
              source="baseline 0.3"),
)
"""The screened parameters (ranges: plausible spread around the baseline calibration)."""

OUTPUTS: dict[str, str] = {
    "nvidia_share_2028": "Nvidia share of accelerator revenue, 2028",
    "accel_hhi_2028": "accelerator HHI (value shares), 2028",
    "openai_gw_2028": "OpenAI compute in use (own + leased), 2028-12, GW",
    "vendor_circularity": "vendor circularity (chip payments back / equity invested), to 2028",
}


def _toml(value: Any) -> str:
    from experiments.batch.spec import toml_value

    return toml_value(value)


def point_overrides(values: np.ndarray, params: tuple[Parameter, ...], base: Any) -> list[str]:
    """`--set` strings that put the baseline at one sample point.

    Args:
        values: one value per parameter, in `params` order.
        params: the varied parameters.
        base: the resolved baseline `ScenarioParams` (for paths that are scaled).
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


def compute_outputs(results: Any) -> dict[str, float]:
    """The four outputs of one run (`OUTPUTS`); circularity is 0 when no vendor invested."""
    import polars as pl

    from experiments.validation.facts import compute_vendor_circularity

    t = results.tables
    acc = t["shares"].filter(
        (pl.col("market") == "accelerators") & (pl.col("date").dt.year() == 2028)
    )
    by_firm = acc.group_by("firm").agg(pl.col("value_usd_b").sum())
    total = by_firm["value_usd_b"].sum()
    shares = {f: v / total for f, v in by_firm.iter_rows()} if total > 0 else {}
    oai = t["firms"].filter(pl.col("firm") == "OpenAI").sort("step")
    circ = compute_vendor_circularity(results)
    return {
        "nvidia_share_2028": shares.get("Nvidia", 0.0),
        "accel_hhi_2028": 10_000.0 * sum(s * s for s in shares.values()),
        "openai_gw_2028": float(oai["compute_gw"][-1]) if oai.height else 0.0,
        "vendor_circularity": 0.0 if math.isnan(circ) else circ,
    }


def sensitivity_task(overrides: tuple[str, ...], seed: int, steps: int) -> dict[str, float]:
    """Worker: run the baseline at one point and return its outputs."""
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    return compute_outputs(run(load_scenario("baseline", list(overrides), seed=seed,
                                             steps=steps)))


def _problem(params: tuple[Parameter, ...]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": [p.name for p in params],
            "bounds": [[p.low, p.high] for p in params]}


def _run_points(X: np.ndarray, params: tuple[Parameter, ...], base: Any, workers: int | None,
                label: str) -> dict[str, np.ndarray]:
    from experiments.batch.ensemble import map_runs

    tasks = [(tuple(point_overrides(x, params, base)), SEED, STEPS) for x in X]
    print(f"{label}: {len(tasks)} runs of {STEPS} months", file=sys.stderr, flush=True)
    rows = map_runs(sensitivity_task, tasks, workers=workers, label=f"{label} runs")
    return {k: np.array([r[k] for r in rows], dtype=float) for k in OUTPUTS}


def run_morris(trajectories: int, workers: int | None, base: Any) -> dict[str, Any]:
    """Morris elementary effects of every parameter on every output."""
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    problem = _problem(PARAMETERS)
    X = morris_sample.sample(problem, trajectories, num_levels=4, seed=2025)
    Y = _run_points(X, PARAMETERS, base, workers, "Morris")
    res = {}
    for out, y in Y.items():
        a = morris_analyze.analyze(problem, X, y, num_levels=4, seed=2025)
        res[out] = {"mu_star": list(map(float, a["mu_star"])),
                    "sigma": list(map(float, a["sigma"])),
                    "mu_star_conf": list(map(float, a["mu_star_conf"])),
                    "y_std": float(np.std(y))}
    return {"method": "morris", "trajectories": trajectories, "runs": len(X),
            "parameters": [p.name for p in PARAMETERS], "outputs": res}


def select_top(morris: dict[str, Any], k: int) -> list[str]:
    """The `k` parameters with the largest mu* (relative to each output's largest mu*) on any
    output: the screening step."""
    names = morris["parameters"]
    score = np.zeros(len(names))
    for res in morris["outputs"].values():
        mu = np.array(res["mu_star"])
        if mu.max() > 0:
            score = np.maximum(score, mu / mu.max())
    order = np.argsort(-score, kind="stable")
    return [names[i] for i in order[:k]]


def run_sobol(names: list[str], n: int, workers: int | None, base: Any) -> dict[str, Any]:
    """First-order and total Sobol indices of `names` (the rest at baseline values)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    params = tuple(p for p in PARAMETERS if p.name in names)
    problem = _problem(params)
    X = sobol_sample.sample(problem, n, calc_second_order=False, seed=2025)
    Y = _run_points(X, params, base, workers, "Sobol")
    res = {}
    for out, y in Y.items():
        if np.std(y) == 0:
            zeros = [0.0] * len(params)
            res[out] = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
            continue
        a = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=2025)
        res[out] = {k: [float(v) for v in a[k]] for k in ("S1", "S1_conf", "ST", "ST_conf")}
    return {"method": "sobol", "n": n, "runs": len(X), "parameters": [p.name for p in params],
            "outputs": res}


def plot_sensitivity(morris: dict[str, Any], sobol: dict[str, Any] | None, path: Path) -> None:
    """Morris mu*-sigma panels (one per output) and, if given, Sobol S1/ST bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if sobol else 1
    fig, axes = plt.subplots(rows, len(OUTPUTS), figsize=(4.2 * len(OUTPUTS), 4 * rows),
                             squeeze=False)
    names = morris["parameters"]
    for j, (out, title) in enumerate(OUTPUTS.items()):
        ax = axes[0][j]
        res = morris["outputs"][out]
        ax.scatter(res["mu_star"], res["sigma"], s=18)
        top = np.argsort(res["mu_star"])[-4:]
        for i in top:
            ax.annotate(names[i], (res["mu_star"][i], res["sigma"][i]), fontsize=7)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("Morris mu*")
        ax.set_ylabel("sigma")
        if sobol:
            ax = axes[1][j]
            s = sobol["outputs"][out]
            x = np.arange(len(sobol["parameters"]))
            ax.bar(x - 0.2, s["S1"], 0.4, yerr=s["S1_conf"], label="S1")
            ax.bar(x + 0.2, s["ST"], 0.4, yerr=s["ST_conf"], label="ST")
            ax.set_xticks(x, sobol["parameters"], rotation=60, ha="right", fontsize=7)
            ax.set_ylim(0, 1.1)
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_section(morris: dict[str, Any], sobol: dict[str, Any] | None, command: str,
                   minutes: float, figure: str) -> str:
    """The sensitivity section of docs/validation.md."""
    names = morris["parameters"]
    lines = [
        "## Sensitivity analysis",
        "",
        f"Command: `{command}` ({minutes:.1f} min on this machine; {morris['runs']} Morris runs"
        + (f" + {sobol['runs']} Sobol runs" if sobol else "") + f", {STEPS} months each, seed "
        f"{SEED} for every point). Parameters and ranges: `experiments/validation/sensitivity.py`.",
        "",
        f"![Morris mu*-sigma (top) and Sobol S1/ST (bottom) per output]({figure})",
        "",
        "| parameter | key | range |",
        "|---|---|---|",
    ]
    for p in PARAMETERS:
        rng = "pro_rata / priority / uniform" if p.kind == "choice" else f"{p.low:g} - {p.high:g}"
        if p.kind == "growth":
            rng = f"x{p.low:g} - x{p.high:g} of the growth"
        lines.append(f"| {p.name} | `{p.key}` | {rng} |")
    lines += ["", f"### Morris screening ({morris['trajectories']} trajectories, 4 levels)", "",
              "mu* (mean absolute elementary effect over the whole range), in each output's "
              "units; sigma in brackets (interactions or non-linearity).", "",
              "| parameter | " + " | ".join(OUTPUTS) + " |",
              "|---|" + "---|" * len(OUTPUTS)]
    for i, name in enumerate(names):
        cells = [f"{morris['outputs'][o]['mu_star'][i]:.3g} "
                 f"({morris['outputs'][o]['sigma'][i]:.2g})" for o in OUTPUTS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if sobol:
        lines += ["", f"### Sobol indices ({len(sobol['parameters'])} parameters kept by the "
                  f"screening, N = {sobol['n']})", "",
                  "First-order S1 and total ST (95% confidence half-width in brackets).", "",
                  "| parameter | " + " | ".join(f"{o} S1 / ST" for o in OUTPUTS) + " |",
                  "|---|" + "---|" * len(OUTPUTS)]
        for i, name in enumerate(sobol["parameters"]):
            cells = []
            for o in OUTPUTS:
                s = sobol["outputs"][o]
                cells.append(f"{s['S1'][i]:.2f} ({s['S1_conf'][i]:.2f}) / {s['ST'][i]:.2f} "
                             f"({s['ST_conf'][i]:.2f})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "### Which parameters drive which answer", ""]
    kept = set(sobol["parameters"]) if sobol else set(select_top(morris, 5))
    rel = {n: 0.0 for n in names}
    for res in morris["outputs"].values():
        top = max(res["mu_star"]) or 1.0
        for n, mu in zip(names, res["mu_star"], strict=True):
            rel[n] = max(rel[n], mu / top)
    dropped = sorted((n for n in names if n not in kept), key=lambda n: -rel[n])
    lines.append("Screened out by Morris (largest mu* relative to the top parameter, over the "
                 "four outputs): " + ", ".join(f"{n} ({rel[n]:.2f})" for n in dropped) + ".")
    lines.append("")
    for o, title in OUTPUTS.items():
        if sobol:
            st = sobol["outputs"][o]["ST"]
            order = np.argsort(st)[::-1][:3]
            top = ", ".join(f"{sobol['parameters'][i]} (ST {st[i]:.2f})" for i in order
                            if st[i] > 0.05)
        else:
            mu = morris["outputs"][o]["mu_star"]
            order = np.argsort(mu)[::-1][:3]
            top = ", ".join(f"{names[i]} (mu* {mu[i]:.3g})" for i in order)
        lines.append(f"- {title}: {top or 'no parameter above ST 0.05'}.")
    return "\n".join(lines)
