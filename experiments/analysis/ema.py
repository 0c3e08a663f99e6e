"""The bridge to EMA Workbench: a batch as EMA's experiments and outcomes, and the model as an
EMA model.

`batch_to_ema` turns any batch directory (``compute-market batch``) into the pair EMA
Workbench's analysis functions take: an *experiments* frame (pandas, one row per run, one column
per varied scenario key, plus ``scenario_name``, ``seed``, ``policy`` (the variant) and
``model``) and an *outcomes* dict (outcome name -> numpy array, aligned with the rows). The
outcomes are the named scalars of `experiments.analysis.outcomes`.

`make_ema_model` wraps the pure entry point ``experiments.run.runner.run(scenario, rng)`` as an
EMA ``Model`` (one seed) or ``ReplicatorModel`` (several seeds, outcomes averaged), so EMA's
samplers and evaluators can drive the simulation directly::

    from ema_workbench import RealParameter, SequentialEvaluator
    lockin = RealParameter("cuda_lockin", 0.0, 6.0, variable_name="market.cuda_lockin")
    model = make_ema_model(uncertainties=[lockin], outcomes=["hhi_accelerators"], steps=24,
                           seeds=[1, 2])
    with SequentialEvaluator(model) as ev:
        experiments, outcomes = ev.perform_experiments(scenarios=16)

A parameter's ``variable_name`` is the scenario key it sets (``market.cuda_lockin``, applied as
a ``--set`` override); its ``name`` a Python identifier, as EMA Workbench 3.0 asks.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from experiments.analysis.outcomes import OUTCOMES, compute_outcomes, outcome_tables
from experiments.batch.store import (
    VARIANT_ID_COLUMNS,
    read_batch_manifest,
    read_run_manifests,
    scan_table,
    scan_variants,
)
from experiments.errors import UserError

__all__ = ["BOOKKEEPING", "batch_to_ema", "check_outcomes", "ema_inputs", "make_ema_model",
           "run_outcomes"]

BOOKKEEPING = ("run_id", "seed", "policy", "model")
"""Columns of the experiments frame that are not inputs of the runs."""
VARIANT_META = VARIANT_ID_COLUMNS
"""Columns of ``variants.parquet`` that are not inputs (ids, overrides, merged points)."""


def check_outcomes(names: Iterable[str]) -> list[str]:
    """The outcome names, checked against `OUTCOMES`.

    Raises:
        UserError: an unknown name (the message lists where to find the known ones).
    """
    names = list(names)
    unknown = [n for n in names if n not in OUTCOMES]
    if unknown:
        raise UserError(f"unknown outcome {unknown[0]!r}; `compute-market discover "
                        "--list-outcomes` lists them (e.g. hhi_accelerators, deployed_gw)")
    if not names:
        raise UserError("give at least one outcome (--outcome NAME)")
    return names


def _experiments(root: Path) -> pl.DataFrame:
    """One row per complete run: its inputs (variant columns), scenario, seed, variant."""
    runs = read_run_manifests(root)
    if not runs:
        raise UserError(f"{root}: the batch has no complete run yet; run `compute-market batch` "
                        "on its spec first")
    variants = scan_variants(root).collect()
    inputs = [c for c in variants.columns if c not in VARIANT_META]
    frame = pl.DataFrame({
        "run_id": [m["run_id"] for m in runs],
        "variant_id": [m["variant_id"] for m in runs],
        "seed": [int(m["seed"]) for m in runs],
    })
    frame = frame.join(variants.select("variant_id", "variant_index", "scenario", *inputs),
                       on="variant_id", how="left")
    frame = frame.sort(["variant_index", "seed"], maintain_order=True)
    return frame.select(*inputs, pl.col("scenario").alias("scenario_name"), "seed", "run_id",
                        pl.col("variant_id").alias("policy"),
                        pl.lit("compute-market").alias("model"))


def batch_to_ema(batch_dir: str | Path, outcomes: Sequence[str]) -> tuple[Any, dict[str,
                                                                                 np.ndarray]]:
    """A batch as EMA Workbench's ``(experiments, outcomes)`` pair.

    Args:
        batch_dir: a directory written by ``compute-market batch``.
        outcomes: names of `experiments.analysis.outcomes.OUTCOMES`.

    Returns:
        ``experiments``: pandas frame, one row per complete run (variants in plan order, seeds
        ascending), with the varied keys, ``scenario_name``, ``seed``, ``run_id``, ``policy``
        (the variant id) and ``model``; ``outcomes``: name -> float array aligned with it.

    Raises:
        UserError: not a batch, no complete run, an unknown outcome or one whose table the
            batch did not keep.
    """
    root = Path(batch_dir)
    names = check_outcomes(outcomes)
    kept = read_batch_manifest(root).get("outcomes") or []
    for name in names:
        for table in OUTCOMES[name].tables:
            if kept and table not in kept:
                raise UserError(f"{root}: outcome {name!r} needs the {table!r} table, which "
                                "this batch did not keep; add it to [outcomes] tables of the "
                                "spec and run the batch again")
    frame = _experiments(root)
    tables = {t: scan_table(root, t) for t in outcome_tables(names)}
    values = compute_outcomes(tables, names, frame["run_id"].to_list())
    return frame.to_pandas(), {n: values[n].to_numpy() for n in names}


def ema_inputs(experiments: Any) -> Any:
    """The input columns of an experiments frame: the varied keys, plus ``scenario_name`` when
    the batch ran several scenarios (bookkeeping columns and constant columns dropped)."""
    keep = [c for c in experiments.columns if c not in BOOKKEEPING
            and experiments[c].nunique(dropna=False) > 1]
    return experiments[keep]


def run_outcomes(scenario: str = "baseline", overrides: Sequence[str] = (),
                 seed: int | None = None, steps: int | None = None,
                 outcomes: Sequence[str] = ("hhi_accelerators",)) -> dict[str, float]:
    """Run one scenario with `overrides` and `seed` and return the named outcomes.

    Raises:
        ScenarioError: an override names an unknown key or a value out of its bounds.
    """
    from experiments.run.runner import run
    from experiments.scenario.loader import load_scenario

    params = load_scenario(scenario, list(overrides), seed=seed, steps=steps)
    results = run(params)
    return compute_outcomes(results.tables, outcomes, [results.run_id]).row(0, named=True)


class _RunFunction:
    """The function EMA calls: keyword inputs (scenario keys and ``seed``) -> outcome dict.

    A class rather than a closure so that EMA's multiprocessing evaluator can pickle it.
    """

    def __init__(self, scenario: str, outcomes: Sequence[str], steps: int | None,
                 seed: int | None) -> None:
        self.scenario, self.outcomes, self.steps, self.seed = scenario, list(outcomes), steps, seed

    def __call__(self, **inputs: Any) -> dict[str, float]:
        from experiments.batch.spec import toml_value

        seed = inputs.pop("seed", self.seed)
        overrides = [f"{key}={toml_value(_plain(v))}" for key, v in sorted(inputs.items())]
        row = run_outcomes(self.scenario, overrides, seed, self.steps, self.outcomes)
        return {n: float(row[n]) for n in self.outcomes}


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (for the TOML writer)."""
    return value.item() if isinstance(value, np.generic) else value


def make_ema_model(scenario: str = "baseline", uncertainties: Sequence[Any] = (),
                   levers: Sequence[Any] = (), outcomes: Sequence[str] = ("hhi_accelerators",),
                   steps: int | None = None, seeds: Sequence[int] | None = None,
                   name: str = "compute_market") -> Any:
    """compute-market as an EMA Workbench model over ``run(scenario, rng)``.

    Args:
        scenario: shipped scenario name or TOML path the experiments start from.
        uncertainties, levers: EMA parameters (``RealParameter``, ``IntegerParameter``,
            ``CategoricalParameter``, ``BooleanParameter``) whose ``variable_name`` is a
            scenario key.
        outcomes: names of `experiments.analysis.outcomes.OUTCOMES`.
        steps: months per run (default: the scenario's).
        seeds: None runs each experiment once with the scenario's seed (an EMA ``Model``);
            a list runs it once per seed (a ``ReplicatorModel``) and each outcome is the mean
            over the seeds.

    Returns:
        The EMA model, ready for an evaluator's ``perform_experiments``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ipyparallel missing: not needed here
        from ema_workbench import Model, ReplicatorModel, ScalarOutcome

    names = check_outcomes(outcomes)
    function = _RunFunction(scenario, names, steps, None)
    if seeds is None:
        model = Model(name, function=function)
        model.outcomes = [ScalarOutcome(n) for n in names]
    else:
        model = ReplicatorModel(name, function=function)
        model.replications = [{"seed": int(s)} for s in seeds]
        model.outcomes = [ScalarOutcome(n, function=np.mean) for n in names]
    model.uncertainties = list(uncertainties)
    model.levers = list(levers)
    return model
