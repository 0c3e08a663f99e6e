"""A read-only view of the markets: what firms, the regulator and the recorder may see.

The view reads the market components (`ChipMarket`, `CloudMarket`, `FrontierDemand`) and the
fringe (`world.fringe`) and never writes to them. What each market counts (docs/outputs.md
'Markets'):

- `accelerators`: GW of accelerators delivered this month by designer, merchant sales and
  in-house designs alike (Trainium to Amazon, OpenAI's chip to OpenAI): in-house designs take
  the same packaging capacity and replace purchases, as in the facts' share definitions
  ('Nvidia share of all AI chips (incl. custom)'). Value: USD B paid (in-house: 0).
- `cloud`: GW of merchant AI cloud capacity deployed (the named clouds and the fringe
  clouds); a lab's own datacenters are captive (nobody else can rent them) and are left out
  (`captive_gw` reports them). Value: GW x the lease price, USD B per year.
- `frontier_ai`: AI-services revenue by lab, USD B per year (price x served compute).

The fringe rows are split among the named fringe firms and the remainder row of small firms.
"""

from __future__ import annotations

from typing import Any

from world.contracts import Deal
from world.fringe import compute_hhi_with_fringe
from world.metrics import compute_shares
from world.params import DealKind
from world.stakes import StakeRegistry


class MarketView:
    """Read-only access to this month's market outcomes (prices, quantities, shares).

    Args:
        model: the model whose components are read (never mutated).
    """

    def __init__(self, model: Any) -> None:
        self._m = model
        self._last_shares: dict[str, dict[str, float]] = {}

    # ----- prices ---------------------------------------------------------------------------
    @property
    def lease_price_usd_b_per_gw_year(self) -> float:
        """This month's cloud lease price, USD B per GW-year."""
        return self._m.cloud.price_usd_b_per_gw_year

    @property
    def ai_price_usd_b_per_gw_year(self) -> float:
        """This month's end-user price of a GW-year of served AI compute, USD B."""
        return self._m.frontier.price_usd_b_per_gw_year

    @property
    def demand_index(self) -> float:
        """AI-services demand relative to its reference path (1 = as expected)."""
        return self._m.frontier.compute_demand_index()

    def compute_chip_price_usd_b_per_gw(self, designer: str) -> float:
        """This month's price of a designer's newest chips, USD B per GW (inf: none)."""
        return self._m.chips.price_usd_b_per_gw.get(designer, float("inf"))

    # ----- quantities and shares ------------------------------------------------------------
    def compute_quantities(self, market: str) -> dict[str, tuple[float, float]]:
        """Row -> (quantity, value) this month in `market` (module docstring for units)."""
        m = self._m
        if m.textbook is not None and market in m.textbook.markets:  # a docking case's market
            return m.textbook.compute_quantities(market)
        fringe = m.fringe[market]
        if market == "accelerators":
            rows = dict.fromkeys(m.designers, 0.0)
            paid = dict.fromkeys(m.designers, 0.0)
            for item in m.chips.deliveries:
                rows[item.designer] += item.gw
                if item.buyer != item.designer:
                    paid[item.designer] += item.gw * item.price_usd_b_per_gw
            out = {d: (rows[d], paid[d]) for d in m.designers if d != fringe.remainder}
            base = rows.get(fringe.remainder, 0.0)
            price = paid.get(fringe.remainder, 0.0) / base if base > 0 else 0.0
        elif market == "cloud":
            price = m.cloud.price_usd_b_per_gw_year
            out = {c.name: (c.compute_deployed_gw(), c.compute_deployed_gw() * price)
                   for c in m.clouds}
            base = m.cloud.fringe_supply_gw
        else:
            revenue = dict(m.frontier.revenue_usd_b_per_year)
            out = {k: (v, v) for k, v in revenue.items() if k != fringe.remainder}
            base = revenue.get(fringe.remainder, 0.0)
            price = 1.0
        if m.has_fringe:  # `[components] fringe = false`: no fringe rows
            for name, q in fringe.compute_split(base).items():
                out[name] = (q, q * price)
        return dict(sorted(out.items()))

    def compute_shares(
        self, market: str, quantities: dict[str, tuple[float, float]] | None = None
    ) -> dict[str, float]:
        """Row -> share of `market` this month (sums to 1); a month with nothing traded keeps
        the last shares (equal shares before any trade). `quantities`: this month's
        `compute_quantities(market)` if already at hand."""
        q = self.compute_quantities(market) if quantities is None else quantities
        total = sum(v[0] for v in q.values())
        if total > 0:
            shares = compute_shares({k: v[0] for k, v in q.items()})
            self._last_shares[market] = shares
        else:
            shares = self._last_shares.get(market) or {k: 1.0 / len(q) for k in q}
        return shares

    def compute_hhi(self, market: str, shares: dict[str, float] | None = None) -> float:
        """HHI of `market` (0-10,000), the fringe's small firms counted as firms (`shares`:
        this month's `compute_shares(market)` if already at hand)."""
        shares = self.compute_shares(market) if shares is None else shares
        return compute_hhi_with_fringe(shares, self._m.fringe[market])

    def compute_firms_in_row(self, market: str, row: str) -> int:
        """Firms a row of `market` stands for (the remainder row: its small firms)."""
        return self._m.fringe[market].compute_firms_in_row(row)

    def compute_captive_gw(self, market: str) -> float:
        """GW outside the merchant market: labs' own deployed datacenters (cloud), chips
        delivered to their own designer (accelerators); 0 for frontier AI."""
        m = self._m
        if market == "cloud":
            return float(sum(lab.compute_deployed_gw() for lab in m.labs))
        if market == "accelerators":
            return float(sum(i.gw for i in m.chips.deliveries if i.buyer == i.designer))
        return 0.0

    # ===== deals, stakes and policy ==========================================================
    # What the deal pipeline and the regulator read. Deals and the stake registry are handed
    # out as they are (no copy: they are read every month); the deal pipeline and the
    # regulator change them only through `world.closing.DealClosing`.
    @property
    def t(self) -> int:
        """This month's step (0 = the first simulated month)."""
        return self._m.t

    def compute_step_of(self, month: str) -> int:
        """Step index of a 'YYYY-MM' month (negative before the start)."""
        return self._m.step_of(month)

    def live_deals(self) -> list[Deal]:
        """Deals not yet terminal, in id order (read only)."""
        return self._m.deals.live()

    def get_deal(self, deal_id: str) -> Deal:
        """The deal with this id (KeyError naming it if absent; read only)."""
        return self._m.deals.get(deal_id)

    @property
    def stakes(self) -> StakeRegistry:
        """The stake registry (read only: its `compute_*` methods)."""
        return self._m.stakes

    def compute_stake(self, owner: str, firm: str) -> float:
        """Fraction of `firm` held by `owner`."""
        return self._m.stakes.compute_stake(owner, firm)

    def compute_capped_amount_usd_b(self, owner: str, firm: str, amount_usd_b: float,
                                    post_usd_b: float) -> float:
        """Largest part of an `amount_usd_b` investment at `post_usd_b` post-money that keeps
        `owner`'s stake in `firm` within the equity cap (`Policy.compute_allowed_fraction`)."""
        if amount_usd_b <= 0 or post_usd_b <= 0:
            return 0.0
        allowed = self._m.policy.compute_allowed_fraction(self.compute_stake(owner, firm))
        return min(amount_usd_b, allowed * post_usd_b)

    def forbids_equity_deal(self, kind: DealKind | None, source: str, target: str,
                            deal_id: str = "") -> bool:
        """Whether an intervention forbids the deal (`Policy.forbids_equity_deal`)."""
        return self._m.policy.forbids_equity_deal(kind, source, target, deal_id)

    def forbids_deal(self, kind: DealKind | None, source: str, target: str,
                     deal_id: str = "") -> bool:
        """Whether an intervention forbids the deal (`Policy.forbids_deal`)."""
        return self._m.policy.forbids_deal(kind, source, target, deal_id)

    def is_vendor_financing(self, kind: DealKind | None, source: str, target: str) -> bool:
        """Equity or a warrant from a chip vendor to another firm (`Policy`)."""
        return self._m.policy.is_vendor_financing(kind, source, target)

    def makes_nonvoting_reportable(self) -> bool:
        """Whether a `nonvoting_reportable` intervention is in force."""
        return self._m.policy.makes_nonvoting_reportable()

    def allows_exclusivity(self) -> bool:
        """Whether exclusive terms are allowed (market switch and interventions)."""
        return self._m.policy.allows_exclusivity()

    def compute_roles(self) -> dict[str, str]:
        """Firm -> role ('vendor', 'cloud', 'lab')."""
        return {name: firm.role for name, firm in self._m.firms.items()}

    def compute_role(self, firm: str) -> str:
        """The firm's role ('' for a name that is not one of the firms)."""
        named = self._m.firms.get(firm)
        return named.role if named is not None else ""

    def designs_chips(self, firm: str) -> bool:
        """Whether the firm designs accelerators (a designer in the chip market)."""
        return firm in self._m.designers

    def compute_cash_usd_b(self, firm: str) -> float:
        """The firm's cash (ledger balance), USD B (negative while it draws on debt)."""
        return self._m.firms[firm].cash_usd_b

    def compute_spendable_usd_b(self, firm: str) -> float:
        """Cash plus undrawn debt capacity, USD B."""
        return self._m.firms[firm].compute_spendable_usd_b()

    def compute_expected_funding_usd_b(self, firm: str) -> float:
        """Funding a lab can expect (its round under way), USD B; 0 for other firms."""
        named = self._m.firms[firm]
        return getattr(named, "compute_expected_funding_usd_b", lambda: 0.0)()

    def compute_frontier_share_of(self, firm: str) -> float:
        """A lab's share of frontier AI; 1 for firms that are not labs (no such test)."""
        named = self._m.firms[firm]
        return named.compute_frontier_share() if hasattr(named, "compute_frontier_share") else 1.0

    def compute_burn_usd_b_per_year(self, firm: str) -> float:
        """The firm's trailing cash burn, USD B per year."""
        return self._m.firms[firm].burn_usd_b_per_year

    def compute_revenue_usd_b_per_year(self, firm: str) -> float:
        """The firm's trailing revenue, USD B per year."""
        return self._m.firms[firm].revenue_usd_b_per_year

    def compute_valuation_usd_b(self, firm: str) -> float:
        """The firm's current equity valuation, USD B."""
        return self._m.firms[firm].valuation_usd_b

    def compute_list_price_usd_b_per_gw(self, firm: str) -> float:
        """A chip vendor's list price, USD B per GW (0 for a firm that sells no chips)."""
        return getattr(self._m.firms[firm], "price_usd_b_per_gw", 0.0)

    def compute_deployed_gw(self, firm: str) -> float:
        """GW of accelerators the firm has deployed in powered datacenters."""
        return self._m.firms[firm].compute_deployed_gw()

    def compute_deployed_gw_of(self, firm: str, designer: str) -> float:
        """GW of `designer`'s accelerators the firm has deployed."""
        return self._m.firms[firm].compute_deployed_gw_of(designer)

    def compute_pipeline_gw_by_firm(self) -> dict[str, float]:
        """Firm -> GW of datacenters planned or under construction."""
        pipeline = self._m.fleet.pipeline_gw(self._m.n_firms)
        return {name: float(pipeline[i]) for name, i in self._m.firm_index.items()}

    def compute_commitments_usd_b(self, firm: str, months: int) -> float:
        """Payments the firm has contracted as a buyer over the next `months`, USD B."""
        return self._m.compute_commitments_usd_b(firm, months)
