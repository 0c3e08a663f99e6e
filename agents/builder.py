"""Datacenter building: how an operator (cloud or lab) turns a capacity target into sites.

Shared by `CloudProvider` and `AILab`: pick the best free sites of the pool (fastest to power,
cheapest per GW), plan datacenters on them until the pipeline covers the target, as far as
money allows.
"""

from __future__ import annotations

from typing import Any

UPFRONT_CAPEX_FRAC = 0.25
"""Share of a datacenter's capex a builder must be able to fund when it commits (the rest is
paid over construction; assumption, project-finance practice)."""

MIN_PLAN_GW = 0.05
"""Smallest shortfall worth a new datacenter, GW."""


def update_build_to_target(firm: Any, target_gw: float, max_sites: int = 8) -> float:
    """Plan datacenters so that powered + pipeline capacity reaches `target_gw`.

    Rule: while the shortfall exceeds `MIN_PLAN_GW`, take the best free site (ranked by the
    pool: time to power, then capex per GW), plan min(shortfall, free site power) on it, if the
    firm can fund `UPFRONT_CAPEX_FRAC` of its capex from cash and undrawn debt capacity.

    Returns:
        GW newly planned this month.
    """
    model = firm.model
    owner = model.firm_index[firm.name]
    have = float(
        model.fleet.powered_gw(model.n_firms)[owner] + model.fleet.pipeline_gw(model.n_firms)[owner]
    )
    shortfall = target_gw - have
    planned = 0.0
    budget = firm.compute_spendable_usd_b() - model.compute_capex_outstanding_usd_b(owner)
    for site in model.sites.best_free_sites(max_sites, min_gw=MIN_PLAN_GW):
        if shortfall <= MIN_PLAN_GW:
            break
        site = int(site)
        gw = float(min(shortfall, model.sites.grid_power_gw[site] - model.sites.used_gw[site]))
        capex = gw * float(model.sites.capex_usd_b_per_gw[site])
        if budget < UPFRONT_CAPEX_FRAC * capex:
            break
        model.sites.acquire(site, owner)
        model.fleet.plan(site, owner, gw, model.t, model.sites)
        budget -= capex
        shortfall -= gw
        planned += gw
    return planned
