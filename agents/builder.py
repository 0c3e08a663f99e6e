"""Datacenter building: how an operator (cloud or lab) turns a capacity target into sites.

Shared by `CloudProvider` and `AILab`: pick the best free sites of the pool (fastest to power,
cheapest per GW), plan datacenters on them until the pipeline covers the target, as far as
money allows.
"""

from __future__ import annotations

from agents.firm import Firm
from world.decisions import PlanDatacenter

UPFRONT_CAPEX_FRAC = 0.25
"""Share of a datacenter's capex a builder must be able to fund when it commits (the rest is
paid over construction; assumption, project-finance practice)."""

MIN_PLAN_GW = 0.05
"""Smallest shortfall worth a new datacenter, GW."""


def update_build_to_target(firm: Firm, target_gw: float, max_sites: int = 8) -> float:
    """Plan datacenters so that powered + pipeline capacity reaches `target_gw`.

    Rule: while the shortfall exceeds `MIN_PLAN_GW`, take the best free site (ranked by the
    pool: time to power, then capex per GW), plan min(shortfall, free site power) on it, if the
    firm can fund `UPFRONT_CAPEX_FRAC` of its capex from cash and undrawn debt capacity.

    Returns:
        GW newly planned this month.
    """
    view = firm.view
    shortfall = target_gw - view.compute_powered_and_pipeline_gw(firm.name)
    planned = 0.0
    if shortfall <= MIN_PLAN_GW:  # nothing to build: no need to price the budget or rank sites
        return planned
    budget = firm.compute_spendable_usd_b() - view.compute_capex_outstanding_usd_b(firm.name)
    for site in view.compute_best_free_sites(max_sites, min_gw=MIN_PLAN_GW):
        if shortfall <= MIN_PLAN_GW:
            break
        site = int(site)
        gw = min(shortfall, view.compute_site_free_gw(site))
        capex = gw * view.compute_site_capex_usd_b_per_gw(site)
        if budget < UPFRONT_CAPEX_FRAC * capex:
            break
        firm.desk.submit(PlanDatacenter(firm.name, site, gw), firm.name)
        budget -= capex
        shortfall -= gw
        planned += gw
    return planned
