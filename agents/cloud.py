"""Cloud providers (Amazon, Microsoft, Oracle): build datacenters, lease capacity, invest."""

from __future__ import annotations

import math
from collections.abc import Sequence

from agents import contracting
from agents.builder import update_build_to_target
from agents.firm import Firm
from agents.textbook import update_play
from world.contracts import DealStatus
from world.params import DealKind

ORDER_LEAD_MONTHS = 6
"""Operators order chips for the capacity they expect to be powered this far ahead."""
PLANNING_HORIZON_MONTHS = 24
"""How far ahead a cloud plans capacity: build times are 12-36 months (facts.toml build_times)."""


class CloudProvider(Firm):
    """A hyperscaler or cloud that builds AI datacenters and leases them (docs/odd.md).

    Its capacity target is its own growth path (`build_gw_per_year`, growing at
    `build_growth_per_year`) plus the capacity it has contracted to deliver to labs.
    """

    role = "cloud"

    def compute_gross_margin(self) -> float:
        """Margin on leased capacity (`lease_margin`)."""
        return self.p.lease_margin

    def compute_base_path_gw(self, step: int) -> float:
        """Own capacity path at `step`, GW: P0 + r ((1+g)^tau - 1) / ln(1+g), tau in years.

        The integral of a build rate r (GW/yr) growing at rate g from the start of the run.
        """
        tau = step / 12.0
        r, g = self.p.build_gw_per_year, self.p.build_growth_per_year
        if abs(g) < 1e-9:
            added = r * tau
        else:
            added = r * ((1.0 + g) ** tau - 1.0) / math.log(1.0 + g)
        return self.p.powered_gw + added

    def compute_obligations_gw(self, step: int) -> float:
        """GW this cloud has contracted to labs that are live at `step` (signed or under way)."""
        total = 0.0
        for deal in self.view.live_deals():
            if deal.kind is not DealKind.CLOUD_CAPACITY or deal.source != self.name:
                continue
            if deal.status in (DealStatus.PROPOSED, DealStatus.STALLED):
                continue
            end = deal.start_step + deal.duration_months
            if deal.start_step <= step + 6 and step < end:
                total += deal.gw
        return total

    def compute_capacity_target_gw(self) -> float:
        """Powered capacity wanted `PLANNING_HORIZON_MONTHS` ahead, GW.

        Rule: its contracted obligations then, plus its own growth path scaled by the demand
        it sees: path x (AI-services demand index) x (lease price / reference)^0.5, a cloud
        building for the tenants it expects (derived demand; a weaker demand or a lower lease
        price slows the build-out).
        """
        view = self.view
        ahead = view.t + PLANNING_HORIZON_MONTHS
        ref = view.p.demand.cloud_price_usd_b_per_gw_year
        scale = view.demand_index * (view.lease_price_usd_b_per_gw_year / ref) ** 0.5
        return self.compute_base_path_gw(ahead) * scale + self.compute_obligations_gw(ahead)

    def compute_chip_need_gw(self, supply_deals) -> float:
        """Open chip orders it needs in all, GW (`compute_chip_need_gw`)."""
        return compute_chip_need_gw(self, supply_deals)

    @staticmethod
    def compute_best_response_price(
        wholesale_usd: float, intercept: float, slope: float
    ) -> float:
        """Monopoly resale price of a cloud buying at `wholesale_usd` against P = a - b Q.

        Rule: P = (a + w) / 2, the price maximising (P - w)(a - P) / b; P = a when w >= a (it
        sells nothing). The downstream half of double marginalisation (Spengler 1950).
        """
        return 0.5 * (intercept + min(wholesale_usd, intercept))

    def step(self) -> None:
        """Monthly: run the non-AI business, service debt, plan datacenters, seek chips under
        contract for them (`agents.contracting`); in a docking case, also its move in the
        case's market (`agents.textbook`)."""
        self.update_other_business()
        self.update_debt()
        update_build_to_target(self, self.compute_capacity_target_gw())
        contracting.update_seek_supply(self.view, self.desk, self)
        update_play(self)


def compute_chip_need_gw(firm: Firm, supply_deals) -> float:
    """Open chip orders an operator (cloud or lab) needs in all, GW.

    Rule: capacity it expects powered `ORDER_LEAD_MONTHS` ahead, less chips installed and
    chips still due under its supply contracts, never below 0 (operators order chips for
    the datacenters coming online; more open orders than this are cancelled).
    """
    return compute_chip_needs_gw((firm,), supply_deals)[0]


def compute_chip_needs_gw(firms: Sequence[Firm], supply_deals) -> list[float]:
    """`compute_chip_need_gw` of each of `firms` (operators sharing one view), from one pass
    over the deals: each firm's undelivered GW is collected in deal order and summed with
    Python's `sum`, as for the firm alone (the same float)."""
    if not firms:
        return []
    view = firms[0].view
    undelivered = view.compute_undelivered_gw
    due: dict[str, list[float]] = {f.name: [] for f in firms}
    for d in supply_deals:
        mine = due.get(d.target)
        if mine is not None:
            mine.append(undelivered(d))
    ahead = view.t + ORDER_LEAD_MONTHS
    return [max(0.0, view.compute_expected_powered_gw(f.name, ahead) - f.installed_total_gw
                - sum(due[f.name])) for f in firms]
