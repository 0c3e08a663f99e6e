"""Cloud providers (Amazon, Microsoft, Oracle): build datacenters, lease capacity, invest."""

from __future__ import annotations

import math

from agents.builder import update_build_to_target
from agents.firm import Firm
from world.contracts import DealStatus
from world.params import DealKind

PLANNING_HORIZON_MONTHS = 24
"""How far ahead a cloud plans capacity: build times are 12-36 months (facts.toml build_times)."""


class CloudProvider(Firm):
    """A hyperscaler or cloud that builds AI datacenters and leases them (DESIGN 'CloudProvider').

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
        for deal in self.model.deals.live():
            if deal.kind is not DealKind.CLOUD_CAPACITY or deal.source != self.name:
                continue
            if deal.status in (DealStatus.PROPOSED, DealStatus.STALLED):
                continue
            end = deal.start_step + deal.duration_months
            if deal.start_step <= step + 6 and step < end:
                total += deal.gw
        return total

    def compute_capacity_target_gw(self) -> float:
        """Powered capacity wanted `PLANNING_HORIZON_MONTHS` ahead, GW."""
        ahead = self.model.t + PLANNING_HORIZON_MONTHS
        return self.compute_base_path_gw(ahead) + self.compute_obligations_gw(ahead)

    def compute_reservation_usd_b_per_gw_year(self, lab: Firm) -> float:
        """Lowest lease price the cloud accepts from `lab` (USD B per GW-year).

        Rule: market lease price x (1 - lease_margin) (its cost of capacity) plus a risk premium
        of 5% per unit of the lab's burn-to-revenue ratio (capped at 30%).
        """
        rev = max(lab.revenue_usd_b_per_year, 1e-6)
        premium = min(0.3, 0.05 * lab.burn_usd_b_per_year / rev)
        return (
            self.model.cloud_price_usd_b_per_gw_year * (1.0 - self.p.lease_margin) * (1 + premium)
        )

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
        """Monthly: run the non-AI business, service debt, plan datacenters."""
        self.update_other_business()
        self.update_debt()
        update_build_to_target(self, self.compute_capacity_target_gw())
