"""Calibration of the uncertain parameters by ABC-SMC (pyabc) on the batch executors.

Approximate Bayesian computation with sequential Monte Carlo (Toni et al. 2009, J. R. Soc.
Interface 6: 187; Beaumont et al. 2009, Biometrika 96: 983; the `pyabc` library, Schälte et al.
2022, JOSS 7: 4304): draw parameter sets from the prior, simulate, keep those whose summary
statistics lie within epsilon of the observed facts, then perturb the kept ones and shrink
epsilon generation by generation. The result is a weighted sample of the posterior: an ensemble
of parameter sets all consistent with the facts, which `compare --ensemble` and
`batch --ensemble` draw from so that what-if intervals carry parameter uncertainty.

Observed facts: the *input* rows of `experiments/calibration/facts.toml` the hand calibration
used (`CALIBRATION_FACTS`), so the *target* rows stay out of the fit and remain a test.
Distance: the root of the sum of squared standardised gaps, (model - fact) / scale, where
scale is half the fact's band (or a stated spread). Simulations are 36 months (2025-01 to
2027-12), one seed each, the seed derived from the parameter values (same values, same run).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["CALIBRATION_FACTS", "PARAMETERS", "Prior", "compute_distance", "simulate_stats"]


@dataclass(frozen=True)
class Prior:
    """A uniform prior on [low, high] for a scenario key (unit of the key)."""

    key: str
    low: float
    high: float
    label: str


PARAMETERS: tuple[Prior, ...] = (
    Prior("market.cuda_lockin", 2.0, 6.0, "CUDA lock-in"),
    Prior("market.price_sensitivity", 2.0, 6.0, "price sensitivity"),
    Prior("firms.OpenAI.revenue_usd_b_per_gw_year", 7.0, 13.0, "OpenAI revenue per GW-year"),
    Prior("firms.OpenAI.valuation_multiple", 10.0, 20.0, "OpenAI valuation multiple"),
    Prior("firms.OpenAI.opex_growth_per_year", 0.2, 0.6, "OpenAI opex growth"),
    Prior("negotiation.min_financing_ratio", 0.6, 1.4, "diligence: min financing ratio"),
)
"""Uncertain parameters and their prior ranges (the sensitivity ranges of docs/validation.md;
valuation multiple and opex growth: +-1/3 around the hand-set values)."""

CALIBRATION_FACTS: tuple[tuple[str, str, float, float], ...] = (
    # (metric of experiments.validation.facts, fact id, observed value, scale)
    ("nvidia_value_share_2025", "nvidia_ai_chip_share", 0.80, 0.05),
    ("nvidia_value_share_2026", "share_outlook_2026", 0.75, 0.05),
    ("amd_value_share_2026", "amd_share_2026", 0.065, 0.015),
    ("openai_revenue_2025_12", "openai_compute_revenue", 20.0, 3.0),
    ("openai_valuation_2026_02", "openai_valuation_2026_02", 730.0, 100.0),
    ("openai_loss_2026", "openai_burn", 17.0, 4.0),
    ("openai_loss_2027", "openai_burn", 35.0, 7.0),
)
"""Observed summary statistics: the figure of each fact row and the spread (half its band, or
about +-25% of a point estimate) that one unit of distance stands for."""

STEPS = 36
"""Months simulated per particle (to 2027-12, the last calibration fact)."""


def _seed_of(values: dict[str, float]) -> int:
    text = ",".join(f"{k}={values[k]:.12g}" for k in sorted(values))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def to_overrides(values: dict[str, float]) -> list[str]:
    """``--set`` strings for a parameter set (keys as in `PARAMETERS`)."""
    return [f"{k}={float(v)!r}" for k, v in sorted(values.items())]


def simulate_stats(values: dict[str, float], scenario: str = "baseline") -> dict[str, float]:
    """One run of `scenario` with the parameter set; its calibration statistics (nan-free: a
    missing statistic is returned as a large value so the particle is rejected)."""
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario
    from experiments.validation.facts import compute_fact_metrics

    values = {k: float(v) for k, v in values.items()}
    params = load_scenario(scenario, to_overrides(values), seed=_seed_of(values), steps=STEPS)
    metrics = compute_fact_metrics(run(params))
    return {key: (metrics[key] if math.isfinite(metrics[key]) else 1e9)
            for key, _, _, _ in CALIBRATION_FACTS}


def compute_distance(stats: dict[str, Any], observed: dict[str, Any]) -> float:
    """Root of the sum of squared standardised gaps over `CALIBRATION_FACTS`."""
    total = 0.0
    for key, _, _, scale in CALIBRATION_FACTS:
        total += ((float(stats[key]) - float(observed[key])) / scale) ** 2
    return math.sqrt(total)


def observed_stats() -> dict[str, float]:
    """The observed value of each calibration statistic."""
    return {key: value for key, _, value, _ in CALIBRATION_FACTS}


class ExecutorClient:
    """A concurrent.futures-like client over the batch executors (process pool or Dask), for
    pyabc's `ConcurrentFutureSampler`: `submit` returns the executor's own futures, which
    have `done`, `result` and `cancel`."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor

    def submit(self, fn: Any, *args: Any) -> Any:
        return self.executor.submit(fn, *args)


def run_abc(
    population: int, generations: int, executor: Any, db_path: str, seed: int = 1,
    min_epsilon: float = 0.0,
) -> Any:
    """Run ABC-SMC and return pyabc's History.

    `executor` from `experiments.batch.executors.make_executor` (its `InlineExecutor` runs
    pyabc's single-core sampler: byte-reproducible for a given `seed`; on a pool or Dask the
    accepted set depends on which simulations finish first).
    """
    import numpy as np
    import pyabc
    from pyabc.sampler import ConcurrentFutureSampler, SingleCoreSampler

    np.random.seed(seed)  # noqa: NPY002  (pyabc draws from numpy's global generator)
    prior = pyabc.Distribution(**{
        p.key: pyabc.RV("uniform", p.low, p.high - p.low) for p in PARAMETERS
    })
    if getattr(executor, "name", "") == "inline":
        sampler = SingleCoreSampler()
    else:
        sampler = ConcurrentFutureSampler(ExecutorClient(executor),
                                          client_max_jobs=2 * executor.slots)
    abc = pyabc.ABCSMC(simulate_stats, prior, compute_distance, population_size=population,
                       sampler=sampler)
    abc.new(f"sqlite:///{db_path}", observed_stats())
    return abc.run(max_nr_populations=generations, minimum_epsilon=min_epsilon)
