"""The model under Mesa's own batch runner, for users who expect `mesa.batch_run`.

`mesa.batch_run` builds ``model_cls(**params, rng=seed)``, calls ``step()`` while
``model.running`` and ``model.steps < max_steps``, then reads ``model.datacollector``.
`BatchModel` gives it exactly that over `world.model.ComputeMarketModel`: a scenario name (or
path), a seed, the horizon, and any scenario key as a keyword argument, the dotted keys of
``run --set`` included (``**{"foundry.allocation_rule": "uniform"}``)::

    import mesa
    from experiments.batch.mesa_batch import BatchModel

    rows = mesa.batch_run(
        BatchModel,
        parameters={"scenario": "baseline", "steps": 24,
                    "foundry.allocation_rule": ["pro_rata", "uniform"]},
        rng=[1, 2, 3],
        max_steps=1000,
        data_collection_period=1,
    )

The DataCollector records a few model-level outcomes each month (HHI of each market, the
leaders' shares, deployed GW, OpenAI's valuation); `results` returns the full tables, the same
ones `experiments.run.runner.run` gives for the same scenario and seed. For large ensembles use
``compute-market batch``: it streams tables to disk and resumes (docs/batches.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from mesa import DataCollector

from experiments.batch.spec import toml_value
from experiments.run.results import Results
from experiments.run.runner import make_run_id
from experiments.scenario.loader import load_scenario
from world.metrics import compute_hhi
from world.model import ComputeMarketModel
from world.params import MARKETS

__all__ = ["BatchModel"]


def _hhi(model: BatchModel, market: str) -> float:
    shares = model.latest_shares.get(market, {})
    return float(compute_hhi(np.array([shares[k] for k in sorted(shares)]))) if shares else 0.0


def _share(model: BatchModel, market: str, firm: str) -> float:
    return float(model.latest_shares.get(market, {}).get(firm, 0.0))


REPORTERS: dict[str, Any] = {
    **{f"hhi_{m}": (lambda mdl, m=m: _hhi(mdl, m)) for m in MARKETS},
    "share_Nvidia_accelerators": lambda mdl: _share(mdl, "accelerators", "Nvidia"),
    "share_OpenAI_frontier_ai": lambda mdl: _share(mdl, "frontier_ai", "OpenAI"),
    "deployed_gw": lambda mdl: float(sum(
        min(f.installed_total_gw, float(p))
        for f, p in zip(mdl.firms.values(), mdl.fleet.powered_gw(mdl.n_firms), strict=True)
    )),
    "valuation_OpenAI_usd_b": lambda mdl: float(mdl.firms["OpenAI"].valuation_usd_b)
    if "OpenAI" in mdl.firms else 0.0,
}
"""Model-level outcomes the DataCollector records each month (HHI on the 0-10,000 scale)."""


class BatchModel(ComputeMarketModel):
    """`ComputeMarketModel` built from keyword arguments, stopping itself at the horizon.

    Args:
        scenario: a shipped scenario name or a path to a scenario file.
        rng: the seed (Mesa's keyword); None uses the scenario's seed.
        steps: months to run (default: the scenario's horizon); ``running`` turns False after.
        **overrides: scenario keys and values, dotted as for ``run --set``
            (``**{"firms.Nvidia.cash_usd_b": 50}``); values are Python values, not TOML text.
    """

    def __init__(
        self,
        scenario: str = "baseline",
        rng: int | None = None,
        steps: int | None = None,
        **overrides: Any,
    ) -> None:
        sets = [f"{key}={toml_value(value)}" for key, value in sorted(overrides.items())]
        params = load_scenario(scenario, sets, seed=rng, steps=steps)
        super().__init__(params, rng=params.seed)
        self.horizon = params.simulation.steps
        self.running = True
        self.datacollector = DataCollector(model_reporters=REPORTERS)

    def step(self) -> None:
        """One month, then record the outcomes; stop at the horizon."""
        super().step()
        self.datacollector.collect(self)
        if self.t >= self.horizon:
            self.running = False

    def results(self) -> Results:
        """The run's full tables and manifest (as `experiments.run.runner.run` builds them)."""
        import datetime as dt

        now = dt.datetime.now(dt.UTC)
        seed = int(self.p.seed)
        return Results.from_tables(self.compute_tables(), self.p, seed=seed,
                                   run_id=make_run_id(self.p, seed), started=now, finished=now)
