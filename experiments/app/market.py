"""The model behind the app: a scenario, a seed and the policy levers, each lever starting at
the scenario's own value, so that the app's run of a scenario and seed is `compute-market
run`'s run of it until a lever is moved.

A lever left at ``None`` keeps the scenario's value; a value sets it (``market.cuda_lockin``,
``foundry.allocation_rule``); the two intervention levers say whether the scenario has a
``ban_exclusivity`` / ``no_vendor_financing`` intervention (ticked: kept, or added from the
start; unticked: removed). Docking scenarios (special cases checked against closed forms by
``compute-market docking``) have no market to show and are not offered.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from functools import lru_cache
from typing import Any

from experiments.errors import UserError
from experiments.figures.sources import Source, source_from_results
from experiments.run.results import REQUIRED_FROM_MODEL, Results
from experiments.run.runner import make_run_id
from experiments.scenario.loader import list_scenarios, load_scenario
from world.model import ComputeMarketModel
from world.params import (
    AllocationRule,
    InterventionKind,
    InterventionParams,
    Mode,
    ScenarioParams,
)

__all__ = ["ALLOCATION_RULES", "LEVERS", "MarketApp", "app_scenarios", "build_params",
           "compute_reference", "lever_range", "scenario_defaults", "scenario_settings"]

ALLOCATION_RULES = [rule.value for rule in AllocationRule]
LEVERS = ("cuda_lockin", "allocation_rule", "ban_exclusivity", "no_vendor_financing")
"""The policy levers, in sidebar order."""
SWITCHES = {"ban_exclusivity": InterventionKind.BAN_EXCLUSIVITY,
            "no_vendor_financing": InterventionKind.NO_VENDOR_FINANCING}
HIDDEN_PREFIX = "docking/"


def app_scenarios() -> list[str]:
    """The shipped scenarios the app offers: all but the docking cases."""
    names = [name for name, _ in list_scenarios() if not name.startswith(HIDDEN_PREFIX)]
    return names or ["baseline"]


def build_params(scenario: str = "baseline", seed: int | None = None,
                 cuda_lockin: float | None = None, allocation_rule: str | None = None,
                 ban_exclusivity: bool | None = None,
                 no_vendor_financing: bool | None = None) -> ScenarioParams:
    """The scenario's parameters with the levers applied (validated on load).

    Raises:
        UserError: a docking scenario, or a lever value the scenario's schema refuses.
    """
    overrides = []
    if cuda_lockin is not None:
        overrides.append(f"market.cuda_lockin={float(cuda_lockin)!r}")
    if allocation_rule is not None:
        overrides.append(f'foundry.allocation_rule="{allocation_rule}"')
    params = load_scenario(scenario, overrides, seed=None if seed is None else int(seed))
    if params.simulation.mode is not Mode.MARKET:
        raise UserError(f"{scenario} is a docking case (mode {params.simulation.mode.value}); "
                        "run it with `compute-market docking`, the app shows the market")
    interventions = list(params.interventions)
    for lever, on in (("ban_exclusivity", ban_exclusivity),
                      ("no_vendor_financing", no_vendor_financing)):
        kind = SWITCHES[lever]
        if on is None:
            continue
        has = any(iv.kind is kind for iv in interventions)
        if on and not has:
            interventions.append(InterventionParams(kind=kind, source="app lever"))
        elif not on and has:
            interventions = [iv for iv in interventions if iv.kind is not kind]
    if interventions != list(params.interventions):
        params = params.model_copy(update={"interventions": interventions})
    return params


def scenario_settings(params: ScenarioParams) -> dict[str, Any]:
    """Scenario name, seed and the value of every lever in `params` (the sidebar's state)."""
    kinds = {iv.kind for iv in params.interventions}
    return {
        "scenario_name": params.name,
        "seed": int(params.seed),
        "cuda_lockin": float(params.market.cuda_lockin),
        "allocation_rule": str(params.foundry.allocation_rule.value),
        "ban_exclusivity": SWITCHES["ban_exclusivity"] in kinds,
        "no_vendor_financing": SWITCHES["no_vendor_financing"] in kinds,
    }


def lever_range(value: float) -> tuple[float, float]:
    """Range of the CUDA lock-in slider: 0 to at least 6, and to twice the scenario's value
    when that is larger, so the scenario's value always lies inside."""
    return 0.0, float(max(6.0, math.ceil(2.0 * value)))


@lru_cache(maxsize=64)
def scenario_defaults(scenario: str) -> dict[str, Any]:
    """`scenario_settings` of a shipped scenario as written (its own seed and lever values)."""
    return scenario_settings(load_scenario(scenario)) | {"scenario_name": scenario}


@lru_cache(maxsize=8)
def compute_reference(scenario: str, seed: int) -> Results:
    """The scenario's own run with `seed` and no lever moved (what `compute-market run`
    gives), for the overlay."""
    from experiments.run.runner import run

    return run(load_scenario(scenario, seed=seed))


class MarketApp(ComputeMarketModel):
    """The market model built from the app's keyword levers (see the module docstring)."""

    def __init__(self, scenario_name: str = "baseline", seed: int | None = None,
                 cuda_lockin: float | None = None, allocation_rule: str | None = None,
                 ban_exclusivity: bool | None = None, no_vendor_financing: bool | None = None,
                 rng: Any = None) -> None:
        params = build_params(scenario_name, seed, cuda_lockin, allocation_rule,
                              ban_exclusivity, no_vendor_financing)
        super().__init__(params, rng=int(params.seed))
        self.seed_value = int(params.seed)
        self.scenario_name = scenario_name
        self.settings = scenario_settings(params)
        self.settings["scenario_name"] = scenario_name
        self.defaults = scenario_settings(load_scenario(scenario_name, seed=self.seed_value))
        self.error: str | None = None
        self.timings_ms: dict[str, float] = {}
        """Milliseconds of the last step's parts: model, tables, market, network figures."""
        self._cache: tuple[int, Source] | None = None
        self.painter: Any = None
        self.network_png: tuple[int, bytes] | None = None

    def compute_moved_levers(self) -> dict[str, tuple[Any, Any]]:
        """Levers set away from the scenario's value: name -> (scenario's, this run's)."""
        return {k: (self.defaults[k], self.settings[k]) for k in LEVERS
                if self.settings[k] != self.defaults[k]}

    def step(self) -> None:
        """One month; stops (``running = False``) at the horizon or on an error, which is kept
        in `error` for the page to show instead of a traceback."""
        if self.t >= self.p.simulation.steps or self.error:
            self.running = False
            return
        t0 = time.perf_counter()
        try:
            super().step()
            self.timings_ms = {"model": 1000 * (time.perf_counter() - t0)}
        except Exception as exc:  # shown on the page; the run cannot go on
            self.error = f"the model stopped at month {self.t}: {type(exc).__name__}: {exc}"
            self.running = False
            return
        if self.t >= self.p.simulation.steps:
            self.running = False

    def compute_source(self) -> Source:
        """The tables so far as a figure source (cached per step)."""
        if self._cache is None or self._cache[0] != self.t:
            t0 = time.perf_counter()
            now = dt.datetime.now(dt.UTC)
            columns = {name: {} for name in REQUIRED_FROM_MODEL}  # before the first step
            columns.update(self.compute_tables())
            results = Results.from_tables(columns, self.p, seed=self.seed_value,
                                          run_id=make_run_id(self.p, self.seed_value),
                                          started=now, finished=now)
            source = source_from_results(results)
            source.label = f"{self.p.name}, seed {self.seed_value}"
            self._cache = (self.t, source)
            self.timings_ms["tables"] = 1000 * (time.perf_counter() - t0)
        return self._cache[1]

    def compute_month(self) -> str:
        """The month last simulated (``YYYY-MM``), or the start month before any step."""
        start = self.p.simulation.start
        year, month = int(start[:4]), int(start[5:7])
        idx = year * 12 + month - 1 + max(self.t - 1, 0)
        return f"{idx // 12}-{idx % 12 + 1:02d}"
