"""The posterior of an ABC-SMC calibration: its accepted parameter sets as a table, weighted
quantiles per parameter, and the calibration section of docs/validation.md.

A posterior is the last generation of pyabc's History: one row per accepted parameter set
(one column per key of `experiments.calibration.abc.PARAMETERS`, in the key's unit), with its
importance ``weight`` (the weights sum to 1 within a generation) and its ``distance`` to the
facts. Quantiles are of the weighted sample: the smallest value whose cumulative weight share
reaches q.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from experiments.calibration.abc import CALIBRATION_FACTS, PARAMETERS
from experiments.calibration.ensemble import _get
from experiments.scenario.loader import load_scenario

__all__ = [
    "compute_posterior_frame", "compute_posterior_table", "format_calibration",
    "weighted_quantile",
]


def compute_posterior_frame(history: Any) -> pl.DataFrame:
    """The last generation of a pyabc History: one row per accepted parameter set, with
    ``weight``, ``distance``, ``generation`` and ``particle`` (its index)."""
    t = history.max_t
    pop = history.get_population(t=t)
    rows = []
    for i, particle in enumerate(pop.particles):
        row = {p.key: float(particle.parameter[p.key]) for p in PARAMETERS}
        rows.append({**row, "weight": float(particle.weight), "distance": float(particle.distance),
                     "generation": int(t), "particle": i})
    return pl.DataFrame(rows)


def weighted_quantile(values: Sequence[float], weights: Sequence[float], q: float) -> float:
    """The q-quantile of a weighted sample: the smallest value whose cumulative share of the
    total weight reaches q (the largest value when rounding leaves it short)."""
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights)[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cum, q)), len(v) - 1)])


def compute_posterior_table(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Per parameter: prior range, baseline value, weighted posterior mean and 5-50-95%, and
    the posterior's 90% width as a share of the prior's range."""
    base = load_scenario("baseline").model_dump(mode="json")
    w = frame["weight"].to_numpy()
    out = []
    for p in PARAMETERS:
        v = frame[p.key].to_numpy()
        q05, q50, q95 = (weighted_quantile(v, w, q) for q in (0.05, 0.5, 0.95))
        out.append({
            "key": p.key, "label": p.label, "prior": (p.low, p.high),
            "baseline": float(_get(base, p.key)), "mean": float(np.average(v, weights=w)),
            "q05": q05, "q50": q50, "q95": q95, "shrink": (q95 - q05) / (p.high - p.low),
        })
    return out


def format_calibration(table: list[dict[str, Any]], meta: dict[str, Any], command: str) -> str:
    """The calibration section of docs/validation.md (markdown)."""
    facts = ", ".join(f"{k} ({fid})" for k, fid, _, _ in CALIBRATION_FACTS)
    eps = ", ".join(f"{e:.2f}" for e in meta["epsilons"])
    lines = [
        "## Calibration: a posterior ensemble (ABC-SMC)",
        "",
        f"Command: `{command}` ({meta['simulations']} simulations, {meta['duration_s']:.0f} s, "
        f"{meta['executor']}). Calibration statistics: {facts}. Epsilon by generation: {eps}. "
        f"The last generation's {meta['accepted']} accepted parameter sets are "
        "`runs/calibration/posterior.parquet`.",
        "",
        "| parameter | key | prior (uniform) | baseline | posterior mean "
        "| posterior 5% - 50% - 95% | 90% width / prior range |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lo, hi = r["prior"]
        lines.append(
            f"| {r['label']} | `{r['key']}` | {lo:g} - {hi:g} | {r['baseline']:g} | "
            f"{r['mean']:.3g} | {r['q05']:.3g} - {r['q50']:.3g} - {r['q95']:.3g} | "
            f"{r['shrink']:.0%} |"
        )
    return "\n".join(lines)
