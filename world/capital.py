"""Outside capital: investor appetite, priced equity and debt, cash-flow valuation, distress.

Capital is finite and priced (docs/odd.md 'Capital'):

- **Investor appetite** A_t (dimensionless, 1 = normal) is a state. Its log follows an AR(1)
  around a level set by the sector's recent returns, with a seeded shock each month:
  ln A_{t+1} = rho ln A_t + (1 - rho) beta (g_t - g_ref) + sigma eps_t, where g_t is the
  year-on-year log growth of frontier-AI revenue and g_ref the growth investors already expect.
  Venture funding swings by half from peak to trough (PitchBook-NVCA Venture Monitor: US venture
  deal value $345B in 2021, ~$170B in 2023), hence the default shock and persistence.
- **Outside equity** is a pool of dry powder, full at the start: each month A_t x the path
  `outside_equity_usd_b_per_year` / 12 flows in, up to `pool_cap_months` of flow. A round takes
  at most what the pool holds, at a pre-money value that falls as the raise grows relative to
  the pool: pre = V / (1 + k x raise / pool).
- **Cost of equity** r_e = r_f + (ERP + b_e x min(2, burn / revenue)) / A: dearer with burn and
  when appetite is low.
- **Cost of debt** r_d = r_f + s_0 + s_L x min(10, debt / revenue) + s_b x min(2, burn / revenue);
  debt is limited to `max_debt_to_revenue` x revenue x min(1, A). Interest is charged once a
  month: debt x r_d / 12.
- **Valuation** (`world.valuation`): the value of projected operating cash flows
  (`compute_dcf_value_usd_b`: revenue grows at investors' expected growth, fading to the
  terminal rate; the trailing operating margin, with depreciation of the installed base in place
  of chip purchases and capex, moves to `target_margin`; discounted at the WACC), floored at 0 (the
  option to abandon); equity = max(0, EV + cash - debt). Investors' expected growth per firm is
  an adaptive expectation of the growth they observe (`expectation_weight`).
- **Distress** (a firm whose cash stays negative after drawing all the debt it may): each month
  it defers its unfinished datacenters; after `renegotiate_after_months` it cuts its newest
  supply contract by as much as it is short (the restructuring is sized by what it cannot fund);
  after `default_after_months` it defaults on its newest purchase contract and the
  counterparty's exposure (the contract's remaining value) is recorded.

The pure functions hold the rules; `CapitalMarket` holds the state and applies them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from world.catalog import cost_usd_b_per_gw
from world.contracts import DealStatus
from world.ledger import FlowKind
from world.market import compute_path_value
from world.params import CapitalParams, DealKind
from world.valuation import (
    OperatingBooks,
    compute_dcf_of_growth,
    compute_dcf_value_usd_b,
    compute_equity_value_from_ev_usd_b,
    compute_wacc,
)

__all__ = [
    "BURN_RATIO_CAP",
    "FIRM_COLUMNS",
    "CapitalMarket",
    "DefaultRecord",
    "compute_cost_of_equity",
    "compute_dcf_value_usd_b",
    "compute_debt_capacity_usd_b",
    "compute_debt_rate",
    "compute_next_log_appetite",
    "compute_round_pre_money_usd_b",
]

BURN_RATIO_CAP = 2.0
"""Burn / revenue above this adds no more to the cost of capital (a firm with almost no revenue
is priced as a start-up, not at an infinite rate)."""

LEVERAGE_CAP = 10.0
"""Debt / revenue above this adds no more to the spread."""

LOG_APPETITE_BOUND = math.log(10.0)
"""Appetite stays within [1/10, 10] of normal."""

_EPS = 1e-9


# ----- pure rules ----------------------------------------------------------------------------
def _burn_ratio(burn_usd_b_per_year: float, revenue_usd_b_per_year: float) -> float:
    if revenue_usd_b_per_year <= _EPS:
        return BURN_RATIO_CAP if burn_usd_b_per_year > 0 else 0.0
    return min(BURN_RATIO_CAP, max(0.0, burn_usd_b_per_year / revenue_usd_b_per_year))


def compute_debt_rate(
    debt_usd_b: float, revenue_usd_b_per_year: float, burn_usd_b_per_year: float, p: CapitalParams
) -> float:
    """Interest rate on a firm's debt, per year.

    Rule: r_d = r_f + s_0 + s_L x min(10, D / R) + s_b x min(2, burn / R) (a credit spread that
    rises with leverage and burn; with R = 0 both ratios sit at their caps when positive).
    Default: Amazon (D/R ~0.08) pays ~5.7%, Oracle (D/R ~1.5) ~8.5%.
    """
    burn = _burn_ratio(burn_usd_b_per_year, revenue_usd_b_per_year)
    return _debt_rate(debt_usd_b, revenue_usd_b_per_year, burn, p)


def _debt_rate(debt_usd_b: float, revenue_usd_b_per_year: float, burn: float,
               p: CapitalParams) -> float:
    """`compute_debt_rate` given the capped burn ratio `burn` (`_burn_ratio`)."""
    if revenue_usd_b_per_year <= _EPS:
        leverage = LEVERAGE_CAP if debt_usd_b > 0 else 0.0
    else:
        leverage = min(LEVERAGE_CAP, max(0.0, debt_usd_b / revenue_usd_b_per_year))
    return p.risk_free_rate + p.debt_spread + p.leverage_spread * leverage + p.burn_spread * burn


def compute_cost_of_equity(
    appetite: float, revenue_usd_b_per_year: float, burn_usd_b_per_year: float, p: CapitalParams
) -> float:
    """Return investors require on a firm's equity, per year.

    Rule: r_e = r_f + (ERP + b_e x min(2, burn / R)) / A: the premium grows with burn and
    shrinks when investors are eager (A > 1).
    """
    burn = _burn_ratio(burn_usd_b_per_year, revenue_usd_b_per_year)
    return p.risk_free_rate + (p.equity_premium + p.burn_premium * burn) / max(appetite, _EPS)


def compute_debt_capacity_usd_b(
    max_debt_to_revenue: float, revenue_usd_b_per_year: float, debt_usd_b: float, appetite: float
) -> float:
    """Debt a firm may still draw, USD B: max_debt_to_revenue x R x min(1, A) - D, at least 0
    (lenders ration credit when appetite is low, never lend more than the covenant allows)."""
    limit = max_debt_to_revenue * max(0.0, revenue_usd_b_per_year) * min(1.0, appetite)
    return max(0.0, limit - debt_usd_b)


def compute_next_log_appetite(
    log_appetite: float, sector_growth: float, p: CapitalParams, shock: float
) -> float:
    """Next month's log appetite: rho ln A + (1 - rho) beta (g - g_ref) + sigma eps, kept
    within +-ln 10 (`shock` is a standard-normal draw)."""
    rho = p.appetite_persistence
    level = p.appetite_return_weight * (sector_growth - p.reference_growth)
    nxt = rho * log_appetite + (1.0 - rho) * level + p.appetite_shock_sd * shock
    return min(LOG_APPETITE_BOUND, max(-LOG_APPETITE_BOUND, nxt))


def compute_round_pre_money_usd_b(
    value_usd_b: float, raise_usd_b: float, pool_usd_b: float, price_impact: float
) -> float:
    """Pre-money value of a round, USD B: V / (1 + k x raise / pool): the more of the available
    money a round needs, the lower the price (at k = 1 a raise equal to the pool halves it)."""
    if raise_usd_b <= 0:
        return max(0.0, value_usd_b)
    pressure = raise_usd_b / max(pool_usd_b, _EPS)
    return max(0.0, value_usd_b) / (1.0 + price_impact * min(pressure, 100.0))


FIRM_COLUMNS = ("debt_rate", "interest_usd_b", "outside_equity_usd_b", "investor_appetite",
                "distress_months", "defaults_cum", "deferred_gw_months_cum", "expected_growth",
                "operating_margin")
"""The capital columns of the firms table (`CapitalMarket.compute_firm_row`), in order."""


# ----- state ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DefaultRecord:
    """A default: month, defaulting firm, the contract and the counterparty's exposure (USD B:
    the contract's remaining value when it is walked away from)."""

    step: int
    firm: str
    deal_id: str
    counterparty: str
    exposure_usd_b: float


class CapitalMarket:
    """The outside capital market: appetite, equity pool, prices of capital, distress.

    Args:
        params: the scenario's `capital` block.
        firm_names: the named firms, in model order.
        rng: a generator spawned for this component (one normal draw per month).
        chip_life_years: years over which investors write chips off (`market.chip_life_years`).
    """

    def __init__(
        self,
        params: CapitalParams,
        firm_names: list[str],
        rng: np.random.Generator,
        chip_life_years: float = 4.0,
    ) -> None:
        self.p = params
        self.books = OperatingBooks(firm_names, chip_life_years, params)
        """Firms' trailing operating accounts and investors' expected growth (`world.valuation`)."""
        self.rng = rng
        self.log_appetite = 0.0
        self.equity_pool_usd_b = 0.0
        self._opened = False
        self._sector_revenue: deque[float] = deque(maxlen=13)
        self.distress_months = dict.fromkeys(firm_names, 0)
        self.defaults: list[DefaultRecord] = []
        self.exposure_by_deal: dict[str, float] = {}
        self.renegotiated_gw_by_deal: dict[str, float] = {}
        self.deferred_gw = dict.fromkeys(firm_names, 0.0)
        self.interest_usd_b = dict.fromkeys(firm_names, 0.0)
        self.raised_usd_b = dict.fromkeys(firm_names, 0.0)

    @property
    def appetite(self) -> float:
        """Investor appetite A_t (1 = normal)."""
        return math.exp(self.log_appetite)

    def compute_sector_growth(self) -> float:
        """Year-on-year log growth of frontier-AI revenue; g_ref until a year of history."""
        hist = self._sector_revenue
        if len(hist) < 13 or hist[0] <= 0 or hist[-1] <= 0:
            return self.p.reference_growth
        return math.log(hist[-1] / hist[0])

    def update_month_open(self, month_idx: int, sector_revenue_usd_b_per_year: float) -> None:
        """Open the month: record last month's sector revenue, move appetite (one normal draw,
        always), and pour this month's outside equity into the pool (capped). The first month
        starts with a full pool (`pool_cap_months` of flow: the dry powder investors hold)."""
        self._sector_revenue.append(max(0.0, sector_revenue_usd_b_per_year))
        shock = float(self.rng.standard_normal())
        self.log_appetite = compute_next_log_appetite(
            self.log_appetite, self.compute_sector_growth(), self.p, shock
        )
        flow = self.appetite * compute_path_value(self.p.outside_equity_usd_b_per_year, month_idx)
        cap = self.p.pool_cap_months * flow / 12.0
        if not self._opened:  # investors hold their dry powder when the run starts
            self.equity_pool_usd_b, self._opened = cap, True
        self.equity_pool_usd_b = min(self.equity_pool_usd_b + flow / 12.0, cap)
        for name in self.raised_usd_b:
            self.raised_usd_b[name] = 0.0
            self.interest_usd_b[name] = 0.0

    def update_take_equity(self, firm: str, ask_usd_b: float) -> float:
        """Outside investors fill up to `ask_usd_b` from the pool; returns what they put in."""
        filled = min(max(0.0, ask_usd_b), self.equity_pool_usd_b)
        self.equity_pool_usd_b -= filled
        self.raised_usd_b[firm] = self.raised_usd_b.get(firm, 0.0) + filled
        return filled

    # ----- prices of capital for one firm ------------------------------------------------------
    def compute_debt_rate_of(self, firm: Any) -> float:
        """`compute_debt_rate` for a firm (debt, trailing revenue, trailing burn)."""
        return compute_debt_rate(
            firm.debt_usd_b, firm.revenue_usd_b_per_year, firm.burn_usd_b_per_year, self.p
        )

    def compute_cost_of_equity_of(self, firm: Any) -> float:
        """`compute_cost_of_equity` for a firm at today's appetite."""
        return compute_cost_of_equity(
            self.appetite, firm.revenue_usd_b_per_year, firm.burn_usd_b_per_year, self.p
        )

    def compute_debt_capacity_of(self, firm: Any) -> float:
        """`compute_debt_capacity_usd_b` for a firm at today's appetite."""
        return compute_debt_capacity_usd_b(
            firm.p.max_debt_to_revenue, firm.revenue_usd_b_per_year, firm.debt_usd_b, self.appetite
        )

    def compute_wacc_of(self, firm: Any) -> float:
        """The firm's WACC (`world.valuation.compute_wacc`): its cost of equity at today's
        appetite and its cost of debt (the same floats as `compute_cost_of_equity_of` and
        `compute_debt_rate_of`; its trailing revenue and burn read once), weighted by its
        last mark and its debt."""
        p, revenue = self.p, firm.revenue_usd_b_per_year
        burn = _burn_ratio(firm.burn_usd_b_per_year, revenue)
        equity = p.risk_free_rate + (p.equity_premium + p.burn_premium * burn) / max(
            self.appetite, _EPS)
        debt = firm.debt_usd_b
        return compute_wacc(firm.valuation_usd_b, debt, equity, _debt_rate(debt, revenue, burn, p))

    def update_appraise(
        self, firm: Any, revenue_usd_b_per_year: float, growth_per_year: float
    ) -> float:
        """Equity value, USD B (`world.valuation`): max(0, max(0, DCF) + cash - debt), the DCF
        of `revenue_usd_b_per_year` growing at investors' expected growth after seeing
        `growth_per_year` this month, from the firm's trailing operating margin, at its WACC
        (its cost of equity and of debt weighted by its last mark and its debt). Notes the
        observed growth; the belief moves once, when the month closes (`update_month_close`),
        so marking a firm twice in a month counts one observation.
        """
        books, name, p = self.books, firm.name, self.p
        margin = books.compute_operating_margin_of(name)
        rate = self.compute_wacc_of(firm)
        if name not in books.expected_growth:  # first mark: the opening value's beliefs
            opening = firm.p
            first_revenue = 12.0 * firm.revenue_hist[0] if firm.revenue_hist else 0.0
            dcf_of = compute_dcf_of_growth(first_revenue, margin, rate, p)
            books.update_prior(name, lambda growth: compute_equity_value_from_ev_usd_b(
                dcf_of(growth), opening.cash_usd_b, opening.debt_usd_b), opening.valuation_usd_b)
        books.update_observe_growth(name, growth_per_year)
        growth = books.compute_expected_growth(name, growth_per_year)
        ev = compute_dcf_value_usd_b(revenue_usd_b_per_year, growth, margin, rate, p)
        return compute_equity_value_from_ev_usd_b(ev, firm.cash_usd_b, firm.debt_usd_b)

    def update_month_close(
        self, firms: Mapping[str, Any], ledger: Any, fleet: Any, chips: Any
    ) -> None:
        """Close the month's books: trailing operating accounts and investors' beliefs
        (`world.valuation.OperatingBooks.update_month_close`); `chips` is the accelerator
        market, whose deliveries of a designer's chips to itself are valued at unit cost."""
        own: dict[str, float] = {}
        for item in chips.deliveries:
            if item.buyer == item.designer and item.buyer in firms:
                product = chips.compute_product(item.designer)
                if product is not None:
                    cost = float(item.gw * cost_usd_b_per_gw(product))
                    own[item.buyer] = own.get(item.buyer, 0.0) + cost
        self.books.update_month_close(firms, ledger, fleet, own)

    # ----- the month's debt service and distress --------------------------------------------------
    def update_charge_interest(self, firms: Mapping[str, Any], step: int, ledger: Any) -> None:
        """Charge each firm its month's interest once: debt x r_d / 12, paid to `Lenders`."""
        for name in sorted(firms):
            firm = firms[name]
            interest = firm.debt_usd_b * self.compute_debt_rate_of(firm) / 12.0
            if interest > 0:
                firm.update_pay("Lenders", interest, FlowKind.DEBT_SERVICE)
                self.interest_usd_b[name] = interest

    def update_settle(
        self,
        firms: Mapping[str, Any],
        firm_index: Mapping[str, int],
        step: int,
        deals: Any,
        network: Any,
        fleet: Any,
        undelivered_gw: Callable[[Any], float],
    ) -> None:
        """Draw debt for negative cash, then run the distress ladder (module docstring)."""
        for name in sorted(firms):
            firm = firms[name]
            firm.update_debt()
            if firm.cash_usd_b >= 0:
                self.distress_months[name] = 0
                continue
            self.distress_months[name] += 1
            months = self.distress_months[name]
            short = -firm.cash_usd_b
            if self.p.defer_months > 0:
                self.deferred_gw[name] += fleet.update_defer(
                    firm_index[name], self.p.defer_months, step
                )
            owed = sorted(
                (
                    d
                    for d in deals.live()
                    if d.target == name
                    and d.status is DealStatus.ACTIVE
                    and d.kind in (DealKind.SUPPLY, DealKind.CLOUD_CAPACITY)
                ),
                key=lambda d: (d.step_proposed, d.deal_id),
            )
            if months >= self.p.default_after_months and owed:
                self._default(owed[-1], step, network, undelivered_gw)
                self.distress_months[name] = self.p.renegotiate_after_months
            elif months >= self.p.renegotiate_after_months:
                supply = [
                    d
                    for d in owed
                    if d.kind is DealKind.SUPPLY
                    and d.price_usd_b_per_gw > 0
                    and undelivered_gw(d) > 0
                ]
                if supply:
                    self._renegotiate(supply[-1], short, undelivered_gw)

    def _renegotiate(self, deal: Any, short_usd_b: float, undelivered_gw: Callable) -> None:
        """Cut the contract's undelivered GW by what the buyer is short: short / price GW."""
        left = undelivered_gw(deal)
        cut = min(left, short_usd_b / deal.price_usd_b_per_gw)
        if cut <= 0:
            return
        deal.value_usd_b = max(0.0, deal.value_usd_b - cut * deal.price_usd_b_per_gw)
        deal.gw -= cut
        self.renegotiated_gw_by_deal[deal.deal_id] = (
            self.renegotiated_gw_by_deal.get(deal.deal_id, 0.0) + cut
        )

    def _default(self, deal: Any, step: int, network: Any, undelivered_gw: Callable) -> None:
        """Default on `deal`: record the counterparty's exposure (remaining contract value)."""
        if deal.kind is DealKind.SUPPLY:
            exposure = undelivered_gw(deal) * deal.price_usd_b_per_gw
        else:
            left = max(0, deal.start_step + deal.duration_months - max(step, deal.start_step))
            exposure = deal.gw * deal.price_usd_b_per_gw * left / 12.0
        deal.update_status(DealStatus.DEFAULTED, step)
        network.update_remove_deal(deal.deal_id)
        self.exposure_by_deal[deal.deal_id] = exposure
        self.defaults.append(DefaultRecord(step, deal.target, deal.deal_id, deal.source, exposure))

    def compute_defaults_of(self, firm: str) -> int:
        """Number of defaults `firm` has made so far."""
        if not self.defaults:  # (most runs: no default at all)
            return 0
        return sum(1 for d in self.defaults if d.firm == firm)

    def compute_firm_columns(self, firm: Any) -> dict[str, float]:
        """This month's capital columns of the firms table (docs/outputs.md 'firms'):
        `FIRM_COLUMNS` -> `compute_firm_row`."""
        return dict(zip(FIRM_COLUMNS, self.compute_firm_row(firm), strict=True))

    def compute_firm_row(self, firm: Any) -> tuple:
        """The values of `compute_firm_columns`, in `FIRM_COLUMNS` order (the recorder keeps
        rows)."""
        name, books = firm.name, self.books
        return (
            self.compute_debt_rate_of(firm),
            self.interest_usd_b.get(name, 0.0),
            self.raised_usd_b.get(name, 0.0),
            self.appetite,
            self.distress_months.get(name, 0),
            self.compute_defaults_of(name),
            self.deferred_gw.get(name, 0.0),
            books.compute_believed_growth(name),
            books.compute_operating_margin_of(name),
        )

    def compute_deal_columns(self, deal_id: str) -> dict[str, float]:
        """A deal's distress columns of the deals table (docs/outputs.md 'deals')."""
        return {
            "renegotiated_gw": self.renegotiated_gw_by_deal.get(deal_id, 0.0),
            "default_exposure_usd_b": self.exposure_by_deal.get(deal_id, 0.0),
        }
