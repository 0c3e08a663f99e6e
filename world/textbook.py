"""The textbook market of a docking case: the one market a special case with a closed form has.

A docking case (`simulation.mode` other than ``market``) is a run of the market model with the
fringe, physical layer, dated events and regulator switched off (`world.components`) and this
component added. It owns the case's market and its state; the firms play it in their monthly
decisions (`agents.textbook`), and the recorder reads it through `MarketView` as the
accelerator market (and, for double marginalisation, the cloud market):

- ``cournot``: final demand P = a - b Q (`demand.intercept`, `demand.slope`); seller i has
  constant marginal cost c_i (`vendors.marginal_costs`); each seller's quantity is its own.
- ``double_marginalization``: the vendor sells chips at a wholesale price w to the cloud, which
  resells against P = a - b Q; the state is w and the cloud's retail price.
- ``rubinstein``, ``nash``, ``outside_option``: one contract between the seller and the buyer;
  the state is what was agreed (GW and price, or the seller's payoff).

Closed forms checked by `compute-market docking` (Cournot 1838; Spengler
1950; Rubinstein 1982; Nash 1950; Binmore, Rubinstein and Wolinsky 1986).
"""

from __future__ import annotations

from world.bargaining import Buyer, Link, LinkTerms, Market, Seller
from world.params import Mode, ScenarioParams

__all__ = ["ALTERNATIVE_SUPPLIER", "TextbookMarket", "build_textbook"]

ALTERNATIVE_SUPPLIER = "Alternative supplier"
"""The buyer's outside option in ``outside_option``: a supplier posting p_alt per GW."""
UNLIMITED_GW = 1e9
"""Capacity of a seller without a capacity limit in the bargaining market, GW."""


class TextbookMarket:
    """State and rules of a docking case's market (module docstring).

    Args:
        params: the scenario (its `simulation.mode` is a docking case).
        sellers: the selling firms in the order of `vendors.marginal_costs`.
        buyer: the buying firm (the cloud in double marginalisation, the buyer in the
            bargaining cases; "" for Cournot).
    """

    def __init__(self, params: ScenarioParams, sellers: list[str], buyer: str) -> None:
        self.mode = params.simulation.mode
        self.intercept = params.demand.intercept
        self.slope = params.demand.slope
        self.costs = dict(zip(sellers, params.vendors.marginal_costs, strict=False))
        self.integrated = params.vendors.integrated
        self.negotiation = params.negotiation
        self.sellers = list(sellers)
        self.buyer = buyer
        self.quantity_gw = dict.fromkeys(self.sellers, 0.0)
        """Seller -> its quantity this month (Cournot; the contract's GW when bargaining)."""
        self.price = 0.0
        """The market's price: Cournot P, the wholesale price, or the contract's price."""
        first = self.sellers[0]
        self.wholesale_usd = self.costs[first]
        self.retail_usd = self.intercept
        self.bargained = False

    @property
    def markets(self) -> tuple[str, ...]:
        """The model's markets this component stands for (read by the view)."""
        if self.mode is Mode.DOUBLE_MARGINALIZATION:
            return ("accelerators", "cloud")
        return ("accelerators",)

    # ----- rules ---------------------------------------------------------------------------------
    def compute_price(self, total_quantity: float) -> float:
        """Linear inverse demand P = a - b Q."""
        return self.intercept - self.slope * total_quantity

    def compute_quantity_demanded(self, price: float) -> float:
        """Final demand Q = (a - P) / b, never negative."""
        return max(0.0, (self.intercept - price) / self.slope)

    def compute_rival_quantity(self, seller: str) -> float:
        """Total quantity of the other sellers this month."""
        return sum(q for name, q in self.quantity_gw.items() if name != seller)

    def compute_outside_option_market(self, link_id: str) -> Market:
        """The ``outside_option`` market: the seller (cost c, no capacity limit), an alternative
        supplier posting p_alt, one buyer of one GW worth v, and the link between the pair
        (named `link_id`, the id the bargaining code reads the link's terms by)."""
        neg, seller = self.negotiation, self.sellers[0]
        c = self.costs[seller]
        return Market(
            sellers=(Seller(seller, UNLIMITED_GW, c, c),
                     Seller(ALTERNATIVE_SUPPLIER, UNLIMITED_GW, 0.0, neg.alternative_price_usd_b)),
            buyers=(Buyer(self.buyer, 1.0, neg.buyer_value_usd_b),),
            links=(Link(link_id, seller, self.buyer, 1.0),),
        )

    def compute_nash_terms(self) -> LinkTerms:
        """The ``nash`` case as one link's terms: one contract (gw 1) whose pie is the surplus
        S (`negotiation.surplus_usd_b`, all the buyer's at price 0: A_s = 0, A_b = S) with the
        scenario's disagreement payoffs d_s, d_b, which are also the sides' outside options
        (what each gets if they do not trade). The Nash price is then
        d_s + w_s / (w_s + w_b) (S - d_s - d_b), the seller's payoff."""
        neg = self.negotiation
        d_s, d_b = neg.disagreement_usd_b
        return LinkTerms(gw=1.0, agreement_source_usd_b=0.0,
                         agreement_target_usd_b=neg.surplus_usd_b,
                         disagreement_source_usd_b=d_s, disagreement_target_usd_b=d_b,
                         outside_source_usd_b=d_s, outside_target_usd_b=d_b)

    def compute_quantities(self, market: str) -> dict[str, tuple[float, float]]:
        """Row -> (quantity, value) this month, as `MarketView.compute_quantities` gives them."""
        if market == "cloud":
            q = self.compute_quantity_demanded(self.retail_usd)
            return {self.buyer: (q, q * self.retail_usd)}
        if self.mode is Mode.DOUBLE_MARGINALIZATION:
            q = self.compute_quantity_demanded(self.retail_usd)
            return {self.sellers[0]: (q, q * self.wholesale_usd)}
        return {s: (q, q * self.price) for s, q in sorted(self.quantity_gw.items())}

    # ----- state -----------------------------------------------------------------------------
    def update_quantity(self, seller: str, quantity: float) -> None:
        """A seller's quantity for this month; the price follows from final demand."""
        self.quantity_gw[seller] = quantity
        self.price = self.compute_price(sum(self.quantity_gw.values()))

    def update_wholesale(self, price: float) -> None:
        """The vendor's wholesale price."""
        self.wholesale_usd = price
        self.price = price

    def update_retail(self, price: float) -> None:
        """The cloud's resale price."""
        self.retail_usd = price

    def update_contract(self, quantity: float, price: float) -> None:
        """What the pair agreed: the seller's one sale (GW, or one contract) at a price (or the
        seller's payoff); nothing when they did not agree."""
        self.bargained = True
        self.quantity_gw[self.sellers[0]] = quantity
        self.price = price


def build_textbook(params: ScenarioParams, firms: dict[str, str]) -> TextbookMarket | None:
    """The docking case's market (None for a market run).

    `firms`: name -> role of the run's firms in `FIRM_NAMES` order. Sellers are the vendors;
    the buyer is the cloud (double marginalisation) or the first firm that is not the seller.
    """
    mode = params.simulation.mode
    if mode is Mode.MARKET:
        return None
    sellers = [f for f, role in firms.items() if role == "vendor"]
    if mode is not Mode.COURNOT:
        sellers = sellers[:1]
    if mode is Mode.DOUBLE_MARGINALIZATION:
        buyer = next((f for f, role in firms.items() if role == "cloud"), "")
    elif mode is Mode.COURNOT:
        buyer = ""
    else:
        buyer = next((f for f in firms if f not in sellers), "")
    return TextbookMarket(params, sellers, buyer)
