"""Docking cases as runs of the market model: textbook special cases with closed forms.

A run whose `simulation.mode` is not ``market`` is built here (`experiments.run.runner`): the same
`world.model.ComputeMarketModel`, with its fringe, physical layer, dated events and regulator
switched off (`[components]`, `world.components`), the case's firms present, and the case's
textbook market (`world.textbook`) as one more component. The firms play that market in their
own monthly decisions (`agents.textbook`), in the model's month loop; reaching the closed
forms checks that code (docking in the sense of Axtell, Axelrod, Epstein and Cohen 1996,
"Aligning simulation models", Comput. Math. Organ. Theory 1(2)). docs/odd.md (7.14) says
which of the games use code a market run also uses.

Firms the case needs and the scenario does not name are added with default parameters:
Cournot's N sellers (N = len(`vendors.marginal_costs`), at most six: the model's firm
names), double marginalisation's vendor and cloud, the bargaining cases' seller and buyer.
"""

from __future__ import annotations

from world.model import ComputeMarketModel
from world.params import FIRM_NAMES, ComponentsParams, FirmParams, Mode, Role, ScenarioParams

__all__ = ["OFF", "build_docking_model", "compute_docking_params"]

OFF = ComponentsParams(fringe=False, physical_layer=False, dated_events=False, regulator=False)
"""The components every docking case runs without."""
DEFAULT_PARTIES = {
    Mode.DOUBLE_MARGINALIZATION: (("Nvidia", Role.VENDOR), ("Oracle", Role.CLOUD)),
    Mode.RUBINSTEIN: (("Nvidia", Role.VENDOR), ("OpenAI", Role.LAB)),
    Mode.NASH: (("Nvidia", Role.VENDOR), ("Oracle", Role.CLOUD)),
    Mode.OUTSIDE_OPTION: (("Nvidia", Role.VENDOR), ("Oracle", Role.CLOUD)),
}
"""Who plays a two-party case when the scenario names no firm of that role."""


def compute_docking_params(params: ScenarioParams) -> ScenarioParams:
    """The scenario the market model runs for a docking case (a modified copy; pure)."""
    firms = {k: v.model_copy() for k, v in params.firms.items()}
    mode = params.simulation.mode
    if mode is Mode.COURNOT:
        needed = len(params.vendors.marginal_costs)
        vendors = [f for f in FIRM_NAMES if f in firms and firms[f].role is Role.VENDOR]
        for name in FIRM_NAMES:
            if len(vendors) >= needed:
                break
            if name not in firms:
                firms[name] = FirmParams(role=Role.VENDOR)
                vendors.append(name)
    else:
        for name, role in DEFAULT_PARTIES[mode]:
            if not any(f.role is role for f in firms.values()) and name not in firms:
                firms[name] = FirmParams(role=role)
    return params.model_copy(update={"components": OFF.model_copy(), "firms": firms})


def build_docking_model(params: ScenarioParams, rng: int | None = None) -> ComputeMarketModel:
    """The market model of a docking case (module docstring), ready to `run_steps`."""
    return ComputeMarketModel(compute_docking_params(params), rng=rng)
