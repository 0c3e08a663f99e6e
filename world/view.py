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

from world.fringe import compute_hhi_with_fringe
from world.metrics import compute_shares


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
