"""The component switches of a run (`[components]`): which parts of the market model exist.

The market model is built from the same components in every run. A switch that is off removes
a part of the world before the components are built, by configuring them:

- ``fringe = false``: no fringe chip designer (its catalog products and roadmap are dropped),
  no fringe chip buyers (no order flow, no opening backlog), no fringe clouds and no cloud
  tenants outside the named labs, no fringe labs (`ComputeMarketModel` keeps their compute at
  0). The named fringe firms of `[fringe]` have nothing to split.
- ``physical_layer = false``: unlimited packaging and sites (`foundry.unlimited`,
  `sites.unlimited`: every request served, no power limit, no build, permit or
  interconnection months) and no build overruns.
- ``dated_events = false``: the scenario's `events` are ignored (announcements, shocks, and
  the deals signed before the start).
- ``regulator = false``: the regulator reviews nothing (`agents.regulator.Regulator.enabled`).

With every switch on (the default) the scenario is returned unchanged, the same object, so a
market run is exactly what it was without the switches.
"""

from __future__ import annotations

from world.chip_market import FRINGE_CHIPS
from world.params import ComponentsParams, Distribution, ScenarioParams

__all__ = ["compute_switched_params"]

NO_OVERRUN = Distribution(mean=1.0, cv=0.0, low=0.5, high=3.0)
"""Build overrun without uncertainty: realised time to power equals the announced one."""


def compute_switched_params(params: ScenarioParams) -> ScenarioParams:
    """The scenario the components are built from, given its `[components]` switches.

    Pure: returns `params` itself when every switch is on, else a modified deep copy.
    """
    on: ComponentsParams = params.components
    if on.fringe and on.physical_layer and on.dated_events:
        return params
    out = params.model_copy(deep=True)
    if not on.fringe:
        demand = out.demand
        demand.fringe_accel_gw_per_year = []
        demand.fringe_cloud_gw = []
        demand.fringe_lab_revenue_usd_b_per_year = []
        demand.cloud_tenant_gw = []
        demand.opening_backlog_gw = {}
        out.catalog.products = [p for p in out.catalog.products if p.vendor != FRINGE_CHIPS]
        out.roadmap.vendors = {k: v for k, v in out.roadmap.vendors.items() if k != FRINGE_CHIPS}
        out.fringe.chips, out.fringe.clouds, out.fringe.labs = {}, {}, {}
    if not on.physical_layer:
        out.foundry.unlimited = True
        out.sites.unlimited = True
        out.sites.build_overrun = NO_OVERRUN
    if not on.dated_events:
        out.events = []
    return out
