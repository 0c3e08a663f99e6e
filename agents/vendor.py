"""Chip vendors (Nvidia, AMD): Bertrand-Nash pricing, packaging requests, vendor financing."""

from __future__ import annotations

from agents import contracting
from agents.firm import Firm
from agents.textbook import update_play
from world.catalog import cost_usd_b_per_gw, gw_per_wafer
from world.ledger import FlowKind

CLEAR_BACKLOG_MONTHS = 3.0
"""A vendor asks for enough packaging to clear its open backlog in this many months."""


class ChipVendor(Firm):
    """An accelerator designer selling to clouds, labs and the fringe (docs/odd.md).

    Its price each month is its Bertrand-Nash best response with its packaging capacity as a
    constraint (`world.chip_market`); it asks the foundry for packaging, and, when a customer
    raises money, weighs investing in it ("vendor financing") against the chip margin that
    the money brings back.
    """

    role = "vendor"

    @property
    def price_usd_b_per_gw(self) -> float:
        """This month's price of its newest chips, USD B/GW (inf before its first release)."""
        return self.view.compute_chip_price_usd_b_per_gw(self.name)

    def compute_product(self):
        """Newest released product of this vendor (None before its first release)."""
        return self.view.compute_latest_product(self.name)

    def compute_chip_need_gw(self, supply_deals) -> float:
        """A vendor operates no datacenters: it orders no chips."""
        return 0.0

    def compute_gross_margin(self) -> float:
        """(price - cost) / price of the newest product, in [0, 1)."""
        product = self.compute_product()
        if product is None or not self.price_usd_b_per_gw:
            return 0.0
        cost = cost_usd_b_per_gw(product)
        return max(0.0, 1.0 - cost / self.price_usd_b_per_gw)

    def compute_wafer_request(self) -> float:
        """Packaging wafers per month asked of the foundry: enough to clear the backlog (open
        orders plus contracted deliveries due) in `CLEAR_BACKLOG_MONTHS`."""
        product = self.compute_product()
        if product is None:
            return 0.0
        need_gw = self.view.compute_backlog_gw(self.name) / CLEAR_BACKLOG_MONTHS
        return need_gw / gw_per_wafer(product)

    @staticmethod
    def compute_best_response_quantity(
        rivals_quantity: float, intercept: float, slope: float, marginal_cost: float
    ) -> float:
        """Cournot best response to the rivals' total quantity under P = a - b Q.

        Rule: q = max(0, (a - c - b Q_-i) / (2 b)), the quantity that maximises
        (a - b (q + Q_-i) - c) q (Cournot 1838; Tirole 1988, ch. 5). Played in the docking
        case `cournot` (`agents.textbook`).
        """
        return max(0.0, (intercept - marginal_cost - slope * rivals_quantity) / (2.0 * slope))

    @staticmethod
    def compute_monopoly_price(
        demand_intercept: float, demand_slope: float, marginal_cost: float
    ) -> float:
        """Profit-maximising price against a linear demand Q = A - B p (A, B > 0).

        Rule: p = (A / B + c) / 2 (max of (p - c)(A - B p)); never below cost. A vendor facing a
        cloud's derived demand uses it to set its wholesale price (double marginalisation,
        Spengler 1950).
        """
        return max(marginal_cost, 0.5 * (demand_intercept / demand_slope + marginal_cost))

    def step(self) -> None:
        """Monthly: pay interest / draw debt, run the non-AI business, offer spare capacity
        under contract (`agents.contracting`); its price is set in the market's price phase.
        In a docking case it also makes its move in the case's market (`agents.textbook`)."""
        self.update_other_business()
        self.update_debt()
        contracting.update_offer_supply(self.view, self.desk, self)
        update_play(self)


def book_production_cost(vendor: Firm, produced_gw: float, product) -> None:
    """The designer pays its suppliers (foundry, HBM, board makers) the unit cost of output."""
    vendor.update_pay("Suppliers", produced_gw * cost_usd_b_per_gw(product), FlowKind.OPEX)
