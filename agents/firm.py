"""The firm: a Mesa agent with a balance sheet, chips, datacenters and stakes.

Role behaviour lives in the subclasses (`ChipVendor`, `CloudProvider`, `AILab`); this base holds
what every firm shares: booking money through the ledger, trailing revenue, debt, valuation.
Cash is never stored here: it is the firm's ledger balance, so money is conserved by
construction.

A firm reads the world only through its `view` (`world.view.MarketView`) and acts only by
submitting decisions (`world.decisions`) to its `desk` (`world.desk.Desk`). It owns its own
state (chips installed, debt, valuation, revenue history); the model tells it what the
markets did through its `update_*` methods.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

import mesa
import numpy as np

from world.decisions import Appraise, DrawDebt, Pay
from world.desk import Desk
from world.ledger import FlowKind
from world.params import FirmParams
from world.view import MarketView

EQUITY_RETURN_CAP = 0.5
"""Cap on the expected equity return a strategic investor credits (per deal horizon)."""

GROWTH_HISTORY_MONTHS = 6
"""Months of revenue history a firm needs before investors mark it on its own revenue growth
(until then its opening valuation stands)."""


class MonthHistory:
    """The last `maxlen` monthly amounts (oldest first) with their `total`, their `count` and
    their `annual` rate (12 x total / count; 0 with no months), kept as months are appended:
    the trailing revenue and burn are read thousands of times a run and change once a month.
    `total` is Python's `sum` over the months, recomputed on every change, so it is the same
    float as summing them again."""

    __slots__ = ("_months", "annual", "count", "total")

    def __init__(self, maxlen: int = 12) -> None:
        self._months: deque[float] = deque(maxlen=maxlen)
        self._update()

    def _update(self) -> None:
        self.total = sum(self._months)
        self.count = len(self._months)
        self.annual = 12.0 * self.total / self.count if self.count else 0.0

    def append(self, amount: float) -> None:
        """Add a month (the oldest drops out once `maxlen` are held)."""
        self._months.append(amount)
        self._update()

    def extend(self, amounts: Iterable[float]) -> None:
        """Add several months, oldest first."""
        self._months.extend(amounts)
        self._update()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[float]:
        return iter(self._months)

    def __getitem__(self, k: int) -> float:
        return self._months[k]


class Firm(mesa.Agent):
    """One of the six firms (docs/odd.md).

    Attributes:
        name: firm name (`Nvidia`, ...), also its ledger account.
        p: its scenario parameters.
        view: what it may see of the market (read-only).
        desk: where it submits its decisions.
        installed_gw: accelerators installed in its datacenters, GW, by chip designer
            (read-only; `update_install` changes it and keeps `installed_total_gw`).
        debt_usd_b: drawn debt, USD B.
        valuation_usd_b: current valuation, USD B.
    """

    role: str = "firm"

    def __init__(self, model: mesa.Model, name: str, params: FirmParams,
                 rng: np.random.Generator, view: MarketView, desk: Desk) -> None:
        super().__init__(model)  # Mesa registers the agent with its model; nothing else uses it
        self.name = name
        self.p = params
        self.generator = rng
        self.view = view
        self.desk = desk
        mix = params.installed_mix or {"Nvidia": 1.0}
        total = sum(mix.values()) or 1.0
        self._installed: dict[str, float] = {
            d: params.installed_gw * w / total for d, w in sorted(mix.items())
        }
        self.installed_gw: Mapping[str, float] = MappingProxyType(self._installed)
        self._installed_total_gw = sum(self._installed.values())
        self.debt_usd_b = params.debt_usd_b
        self.valuation_usd_b = params.valuation_usd_b
        self.revenue_hist = MonthHistory(12)
        self.cost_hist = MonthHistory(12)
        self.month_revenue_usd_b = 0.0
        self.month_cost_usd_b = 0.0

    # ----- money -----------------------------------------------------------------------------
    @property
    def cash_usd_b(self) -> float:
        """Cash, USD B: the firm's ledger balance."""
        return self.view.compute_cash_usd_b(self.name)

    def update_receive(
        self,
        payer: str,
        amount_usd_b: float,
        kind: FlowKind,
        deal_id: str = "",
        revenue: bool = True,
    ) -> None:
        """Book money coming in from `payer`; counts as revenue unless `revenue` is False."""
        if amount_usd_b <= 0:
            return
        self.desk.submit(Pay(payer, self.name, amount_usd_b, kind, deal_id), self.name)
        if revenue:
            self.month_revenue_usd_b += amount_usd_b

    def update_pay(
        self, payee: str, amount_usd_b: float, kind: FlowKind, deal_id: str = "", cost: bool = True
    ) -> None:
        """Book money going out to `payee`; counts as a cost unless `cost` is False."""
        if amount_usd_b <= 0:
            return
        self.desk.submit(Pay(self.name, payee, amount_usd_b, kind, deal_id), self.name)
        if cost:
            self.month_cost_usd_b += amount_usd_b

    def update_count_revenue(self, amount_usd_b: float) -> None:
        """Count a market's payment to the firm (booked by the market) in this month's
        revenue, USD B."""
        self.month_revenue_usd_b += amount_usd_b

    def update_count_cost(self, amount_usd_b: float) -> None:
        """Count a market's charge to the firm (booked by the market) in this month's costs,
        USD B."""
        self.month_cost_usd_b += amount_usd_b

    def update_install(self, designer: str, gw: float) -> None:
        """Chips of `designer` delivered to the firm this month are installed, GW."""
        self._installed[designer] = self._installed.get(designer, 0.0) + gw
        self._installed_total_gw = sum(self._installed.values())

    def update_install_all(self, deliveries: Iterable[tuple[str, float]]) -> None:
        """Install several deliveries (designer, GW), in order: the same as `update_install`
        of each in turn (each designer's GW added in the same order), with the total summed
        once at the end, as the last of those calls would sum it."""
        installed = self._installed
        for designer, gw in deliveries:
            installed[designer] = installed.get(designer, 0.0) + gw
        self._installed_total_gw = sum(installed.values())

    def update_close_month(self) -> None:
        """Roll this month's revenue and costs into the trailing-12-month history."""
        self.revenue_hist.append(self.month_revenue_usd_b)
        self.cost_hist.append(self.month_cost_usd_b)
        self.month_revenue_usd_b = 0.0
        self.month_cost_usd_b = 0.0

    @property
    def revenue_usd_b_per_year(self) -> float:
        """Trailing revenue annualised (USD B/yr) from the months seen so far."""
        return self.revenue_hist.annual

    @property
    def burn_usd_b_per_year(self) -> float:
        """Trailing net cash burn annualised (costs minus revenue, >= 0), USD B/yr."""
        cost = self.cost_hist
        if not cost.count:
            return 0.0
        return max(0.0, 12.0 * (cost.total - self.revenue_hist.total) / cost.count)

    def compute_debt_capacity_usd_b(self) -> float:
        """Debt the firm may still draw, USD B: max_debt_to_revenue x trailing annual revenue x
        min(1, investor appetite) - debt (`world.capital.compute_debt_capacity_usd_b`)."""
        return self.view.compute_debt_capacity_usd_b(self)

    def update_debt(self) -> None:
        """Draw debt to cover negative cash, within capacity (interest is not charged here).

        Rule: a negative cash balance is refinanced from `Lenders` up to the debt capacity; the
        rest stays negative and marks distress (`world.capital.CapitalMarket.update_settle`).
        Interest is charged once a month by the capital market (`update_charge_interest`), so
        calling this several times a month never charges it twice.
        """
        cash = self.cash_usd_b
        if cash < 0:
            draw = min(-cash + 1e-9, self.compute_debt_capacity_usd_b())
            if draw > 0:
                self.debt_usd_b += self.desk.submit(DrawDebt(self.name, draw), self.name)

    def compute_spendable_usd_b(self) -> float:
        """Cash plus undrawn debt capacity, USD B: the most the firm can commit now."""
        return self.cash_usd_b + self.compute_debt_capacity_usd_b()

    # ----- physical --------------------------------------------------------------------------
    @property
    def installed_total_gw(self) -> float:
        """All accelerators installed, GW (kept by `update_install`)."""
        return self._installed_total_gw

    def compute_powered_gw(self) -> float:
        """Powered datacenter capacity the firm operates, GW."""
        return self.view.compute_powered_gw(self.name)

    def compute_deployed_gw(self) -> float:
        """Deployed compute = min(installed chips, powered capacity), GW (docs/odd.md)."""
        return min(self.installed_total_gw, self.compute_powered_gw())

    def compute_deployed_gw_of(self, designer: str) -> float:
        """Deployed GW of one designer's chips (pro rata when chips exceed power)."""
        total = self.installed_total_gw
        if total <= 0:
            return 0.0
        return self.compute_deployed_gw() * self.installed_gw.get(designer, 0.0) / total

    def compute_revenue_growth(self) -> float:
        """Trailing revenue growth per year: (last 3 months / first 3 months of the history)
        ^ (12 / months between them) - 1; 0 with fewer than `GROWTH_HISTORY_MONTHS` months."""
        n = self.revenue_hist.count
        if n < GROWTH_HISTORY_MONTHS:
            return 0.0
        hist = self.revenue_hist._months  # (the class is this module's)
        first, last = sum((hist[0], hist[1], hist[2])), sum((hist[-3], hist[-2], hist[-1]))
        if first <= 0 or last <= 0:
            return 0.0
        return (last / first) ** (12.0 / (n - 3)) - 1.0

    def update_valuation(self) -> None:
        """Mark the firm at the value of its simulated cash flows, as investors appraise it
        through the desk (`world.capital.CapitalMarket.update_appraise`): trailing revenue,
        investors' expectation of its trailing growth, its operating margin, at its WACC. The
        opening valuation stands until `GROWTH_HISTORY_MONTHS` months of revenue are seen.
        Labs override the growth.
        """
        if self.revenue_hist.count < GROWTH_HISTORY_MONTHS:
            return
        self.valuation_usd_b = self.desk.submit(
            Appraise(self.name, self.revenue_usd_b_per_year, self.compute_revenue_growth()),
            self.name)

    def update_other_business(self) -> None:
        """Book the firm's non-AI business (e.g. retail, Office, gaming): its revenue from
        `Customers` and its costs, (1 - other_margin) of it, to `Suppliers`."""
        revenue = self.p.other_revenue_usd_b_per_year / 12.0
        self.update_receive("Customers", revenue, FlowKind.REVENUE)
        self.update_pay("Suppliers", revenue * (1.0 - self.p.other_margin), FlowKind.OPEX)

    def compute_financing_offer(self, lab: Firm, round_usd_b: float,
                                hurdle: float | None = None) -> float:
        """How much to invest in `lab`'s funding round (USD B), 0 if it doesn't pay.

        Rule (strategic investment, "vendor financing" for suppliers, facts fact 6): benefit per
        dollar = margin x f + g, where f is the share of the lab's compute that depends on this
        firm (`compute_dependence`: money that returns as purchases) and g the lab's expected
        equity return (half its expected revenue growth, capped at `EQUITY_RETURN_CAP`); risk
        per dollar = 0.5 x the lab's burn / revenue (capped at 0.9). Invest when benefit - risk
        exceeds `financing_hurdle`, up to `financing_appetite_frac_cash` of cash and 30% of the
        round, or more when outside investors cannot fill the rest (up to the part of the round
        the capital market's equity pool leaves unfunded): vendor money matters when outside
        money is scarce. Forbidden by a `no_vendor_financing` intervention. `hurdle` overrides
        `financing_hurdle` (a firm that already signed a letter of intent converts it as long
        as the investment still pays at all: hurdle 0).
        """
        view = self.view
        if view.forbids_financing(self.name, lab.name):
            return 0.0
        budget = self.p.financing_appetite_frac_cash * max(0.0, self.cash_usd_b)
        if budget <= 0:
            return 0.0
        f = view.compute_dependence(lab.name, self.name)
        g = 0.5 * min(EQUITY_RETURN_CAP, max(0.0, lab.compute_expected_growth()))
        rev = max(lab.revenue_usd_b_per_year, 1e-6)
        risk = min(0.9, 0.5 * lab.burn_usd_b_per_year / rev)
        net = self.compute_gross_margin() * f + g - risk
        if net <= (self.p.financing_hurdle if hurdle is None else hurdle):
            return 0.0
        outside_gap = round_usd_b - view.equity_pool_usd_b
        return min(budget, max(0.3 * round_usd_b, outside_gap))

    def compute_gross_margin(self) -> float:
        """Margin on what this firm sells to labs, in [0, 1); each role overrides."""
        return 0.0

    def step(self) -> None:
        """Monthly decisions; each role overrides."""
