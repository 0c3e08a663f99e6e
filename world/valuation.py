"""How investors value a firm: operating cash flow, adaptive growth expectations, limited liability.

The rules (docs/odd.md 'Valuation'; units USD B, years, months):

- **Operating margin, not cash margin.** Over the trailing 12 closed months,
  m = (R - C_op - D) / R, where R is revenue, C_op the operating costs (`OPERATING_COST_KINDS`:
  opex, chip production costs, cloud leases; interest is financing and stays out) and D the
  depreciation of the installed base, which replaces the investment outlays. Chips bought, or
  made by a designer for its own fleet (valued at unit cost, taken out of its opex), are written
  off straight-line over the chip life L_c (`market.chip_life_years`); chips installed before
  the run are taken as bought evenly over the last L_c years at
  `capital.opening_chip_cost_usd_b_per_gw`, so their charge falls linearly to 0 over L_c; the
  chip charge counts the share of the chips in service (powered); datacenters in service are
  written off over `capital.facility_life_years`. This is the accrual (matching) principle:
  an asset's cost is spread over the years it is in use (IAS 16 'Property, Plant and
  Equipment', paragraphs 50-55); investors value operating cash flow, not lumpy purchases.
- **Adaptive expectations.** Investors hold an expected growth rate per firm and move it each
  month a fraction w (`capital.expectation_weight`) of the way to the growth they observe,
  clipped to [-0.9, `growth_cap`]: g^e_t = g^e_{t-1} + w (x_t - g^e_{t-1}) (Cagan 1956, 'The
  Monetary Dynamics of Hyperinflation'; Nerlove 1958, 'Adaptive Expectations and Cobweb
  Phenomena', QJE 72). One month's observation moves the belief by at most w x its surprise.
  Before a firm's first mark the belief is the growth its opening market value prices in on
  its first month's revenue run-rate, opening cash and debt (a reverse DCF: Mauboussin &
  Rappaport 2001, 'Expectations Investing').
- **Discount rate.** Operating cash flows are discounted at the WACC (`compute_wacc`) and
  the debt is subtracted (enterprise DCF).
- **Limited liability and the option to abandon.** A business whose projected cash flows are
  negative can be shut down, so the enterprise value of operations is max(0, DCF) (Myers & Majd
  1990, 'Abandonment Value and Project Life', Advances in Futures and Options Research 4), and
  equity = max(0, EV + cash - debt) >= max(0, cash - debt).

The pure functions hold the rules; `OperatingBooks` keeps the per-firm trailing accounts and the
beliefs, and is owned by the capital market (investors' beliefs are the market's state).
"""
from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from world.ledger import FlowKind
from world.params import CapitalParams

__all__ = [
    "OPERATING_COST_KINDS",
    "OperatingBooks",
    "compute_adaptive_expectation",
    "compute_dcf_of_growth",
    "compute_dcf_value_usd_b",
    "compute_equity_value_from_ev_usd_b",
    "compute_implied_growth",
    "compute_opening_depreciation_usd_b_per_year",
    "compute_operating_margin",
    "compute_straight_line_depreciation_usd_b_per_year",
    "compute_wacc",
]

OPERATING_COST_KINDS = (FlowKind.OPEX, FlowKind.CLOUD_PAYMENT)
"""Outflows that are operating costs: opex (staff, data, other business, chip production) and
cloud leases. Chip purchases and capex are investment (depreciated); interest, equity stakes and
warrants are financing or investments in other firms."""

_CHIP = FlowKind.CHIP_PAYMENT
_BOOKED_KINDS = (*OPERATING_COST_KINDS, _CHIP)
"""The outflow kinds whose cumulative totals the books keep each month."""

OWN_CHIPS = "own_chips"
"""Books key: production cost of chips a designer delivered to itself (cumulative, USD B)."""

_N_OPERATING = len(OPERATING_COST_KINDS)
_AT_CHIP, _AT_OWN = _N_OPERATING, _N_OPERATING + 1
"""Positions in a month's snapshot of the books (`OperatingBooks._cum`): the cumulative
outflows of `_BOOKED_KINDS` in that order (the operating kinds first), then `OWN_CHIPS`."""

MARGIN_FLOOR = -5.0
"""Lowest starting margin the projection takes (costs five times revenue)."""

NO_REVENUE_MARGIN = -2.0
"""Margin of a firm with costs but no revenue yet (priced as a start-up, not at -infinity)."""

GROWTH_FLOOR = -0.9
"""Lowest growth investors extrapolate (a 90% fall a year)."""


# ----- pure rules ----------------------------------------------------------------------------
def compute_dcf_value_usd_b(
    revenue_usd_b_per_year: float,
    growth_per_year: float,
    margin: float,
    rate_per_year: float,
    p: CapitalParams,
) -> float:
    """Value of projected operating cash flows, USD B (may be negative; see the abandonment
    floor in `compute_equity_value_from_ev_usd_b`).

    Rule: over years k = 1..H, growth g_k = g_inf + (g_0 - g_inf) 0.5^((k - 1) / h) with g_0 =
    min(growth, growth_cap) and h the half-life `growth_half_life_years` (high growth fades
    fast: Mauboussin, Callahan & Majd 2016, 'The Base Rate Book', Credit Suisse), revenue
    R_k = R_{k-1}(1 + g_k), margin m_k = m_0 + (m_T - m_0) k/H with m_T = max(m_0,
    target_margin); DCF = sum_k R_k m_k / (1 + r)^k + R_H m_H (1 + g_inf) / (r - g_inf) /
    (1 + r)^H. The rate is floored at g_inf + 1% so the terminal value is finite. At g = g_inf
    and m = m_T this is Gordon's growing perpetuity R m (1 + g) / (r - g).

    The projection runs on Python floats (numpy scalars are several times slower at scalar
    arithmetic; the operations are the same IEEE ones); a numpy float64 input gives a numpy
    float64 value, as numpy's arithmetic would (sums of the value elsewhere depend on it).
    """
    h = p.horizon_years
    g_inf = p.terminal_growth
    g0 = min(p.growth_cap, max(GROWTH_FLOOR, growth_per_year))
    m0 = max(MARGIN_FLOOR, min(1.0, margin))
    m_target = max(m0, p.target_margin)
    r = max(rate_per_year, g_inf + 0.01)
    revenue = max(0.0, revenue_usd_b_per_year)
    numpy_in = np.float64 in {type(g0), type(m0), type(m_target), type(r), type(revenue)}
    g0, m0, m_target, r, revenue = float(g0), float(m0), float(m_target), float(r), float(revenue)
    value = 0.0
    m_k = m0
    excess, span, one_r = g0 - g_inf, m_target - m0, 1.0 + r
    for k, fade in _growth_steps(h, p.growth_half_life_years):
        revenue *= 1.0 + (g_inf + excess * fade)
        m_k = m0 + span * k / h
        value += revenue * m_k / one_r**k
    terminal = revenue * m_k * (1.0 + g_inf) / (r - g_inf) / one_r**h
    return np.float64(value + terminal) if numpy_in else value + terminal


def compute_dcf_of_growth(
    revenue_usd_b_per_year: float, margin: float, rate_per_year: float, p: CapitalParams
) -> Callable[[float], float]:
    """`compute_dcf_value_usd_b` of a firm as a function of the growth alone, USD B: the
    margins m_k and discount factors (1 + r)^k, which do not depend on the growth, are worked
    out once, so a search over the growth (`compute_implied_growth`) repeats only the revenue
    path. Each value is the same number as `compute_dcf_value_usd_b` (the same operations in
    the same order), as a Python float."""
    h = p.horizon_years
    g_inf, cap = p.terminal_growth, p.growth_cap
    m0 = float(max(MARGIN_FLOOR, min(1.0, margin)))
    span = float(max(m0, p.target_margin)) - m0
    r = float(max(rate_per_year, g_inf + 0.01))
    start = float(max(0.0, revenue_usd_b_per_year))
    one_r = 1.0 + r
    years = _growth_steps(h, p.growth_half_life_years)
    steps = tuple((fade, m0 + span * k / h, one_r**k) for k, fade in years)
    m_h, tail, spread, last = steps[-1][1], 1.0 + g_inf, r - g_inf, one_r**h

    def value_of(growth_per_year: float) -> float:
        excess = min(cap, max(GROWTH_FLOOR, growth_per_year)) - g_inf
        revenue, value = start, 0.0
        for fade, m_k, discount in steps:
            revenue *= 1.0 + (g_inf + excess * fade)
            value += revenue * m_k / discount
        return value + revenue * m_h * tail / spread / last

    return value_of


@functools.cache
def _growth_steps(horizon_years: int, half_life_years: float) -> tuple[tuple[int, float], ...]:
    """(k, 0.5^((k - 1) / h)) for k = 1..H: each year and the share of the excess growth left
    in it (the projection's fade; kept per horizon and half-life, the same floats as computing
    them)."""
    return tuple(
        (k, 0.5 ** ((k - 1) / half_life_years)) for k in range(1, horizon_years + 1)
    )


def compute_wacc(
    equity_usd_b: float, debt_usd_b: float, cost_of_equity: float, cost_of_debt: float
) -> float:
    """Weighted average cost of capital, per year: (E r_e + D r_d) / (E + D), at market-value
    weights (the last mark of the equity, the drawn debt; no taxes in the model); r_e when
    both are 0. Operating cash flows belong to all capital holders, so they are discounted at
    the WACC and the debt is then subtracted (Modigliani & Miller 1958; Koller, Goedhart &
    Wessels, 'Valuation', McKinsey, 'enterprise DCF')."""
    e, d = max(0.0, equity_usd_b), max(0.0, debt_usd_b)
    if e + d <= 0:
        return cost_of_equity
    return (e * cost_of_equity + d * cost_of_debt) / (e + d)


def compute_operating_margin(
    revenue_usd_b: float, operating_cost_usd_b: float, depreciation_usd_b: float
) -> float:
    """Operating margin (R - C_op - D) / R over one window (all USD B over the same months);
    `NO_REVENUE_MARGIN` when there is no revenue but some cost, 0 when there is neither."""
    if revenue_usd_b <= 1e-9:
        return NO_REVENUE_MARGIN if operating_cost_usd_b + depreciation_usd_b > 0 else 0.0
    return (revenue_usd_b - operating_cost_usd_b - depreciation_usd_b) / revenue_usd_b


def compute_straight_line_depreciation_usd_b_per_year(
    purchases_usd_b_by_month: Sequence[float], life_months: int
) -> float:
    """Straight-line depreciation, USD B per year, of monthly purchases: each month's purchase
    is written off in equal parts over `life_months`, so the charge is the sum of the purchases
    of the last `life_months` months / (life_months / 12). Buying X adds X / life per year."""
    recent = purchases_usd_b_by_month
    if len(recent) > life_months:  # (a deque of `life_months` months needs no copy)
        recent = list(recent)[-life_months:]
    return 12.0 * sum(recent) / life_months


def compute_opening_depreciation_usd_b_per_year(
    book_usd_b: float, life_years: float, years_since_start: float
) -> float:
    """Depreciation, USD B per year, of assets bought evenly over the `life_years` before the
    start at a gross cost `book_usd_b`: B / L x max(0, 1 - t / L) (the oldest vintages retire
    first, the last at t = L)."""
    return book_usd_b / life_years * max(0.0, 1.0 - years_since_start / life_years)


def compute_adaptive_expectation(
    prior: float | None, observed: float, weight: float, cap: float
) -> float:
    """Next expected growth: prior + w (x - prior), x = observed clipped to [-0.9, cap]; with no
    prior (a firm's first mark) the belief starts at x (Nerlove 1958)."""
    x = min(cap, max(GROWTH_FLOOR, observed))
    if prior is None:
        return x
    return prior + weight * (x - prior)


def compute_implied_growth(
    target_usd_b: float,
    value_of_growth: Callable[[float], float],
    cap: float,
    iterations: int = 40,
) -> float:
    """The growth, in [-0.9, cap], at which `value_of_growth(g)` equals `target_usd_b`: the
    expectations priced into an observed market value (a reverse DCF: Mauboussin & Rappaport
    2001, 'Expectations Investing'). Bisection; `value_of_growth` is taken as non-decreasing
    (it is when the projected margins are non-negative); the nearer bound if out of reach."""
    lo, hi = GROWTH_FLOOR, cap
    if value_of_growth(hi) <= target_usd_b:
        return hi
    if value_of_growth(lo) >= target_usd_b:
        return lo
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if value_of_growth(mid) < target_usd_b:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def compute_equity_value_from_ev_usd_b(
    ev_usd_b: float, cash_usd_b: float, debt_usd_b: float
) -> float:
    """Equity value, USD B: max(0, max(0, EV) + cash - debt). Operations with negative value
    are abandoned (EV floored at 0) and shareholders owe nothing beyond their stake (limited
    liability), so equity >= max(0, cash - debt)."""
    return max(0.0, max(0.0, ev_usd_b) + cash_usd_b - debt_usd_b)


# ----- state ---------------------------------------------------------------------------------
class OperatingBooks:
    """Each firm's trailing operating accounts and investors' growth expectations.

    Updated once per month after the month's flows (`update_month_close`); read by the capital
    market's valuation. Operating costs are read from the ledger's cumulative flows by kind, so
    they agree with the money that moved.

    Args:
        firm_names: the named firms, in model order (the fleet's owner codes).
        chip_life_years: years over which chips are written off.
        p: the scenario's `capital` block.
    """

    def __init__(self, firm_names: list[str], chip_life_years: float, p: CapitalParams) -> None:
        self.p = p
        self.firm_names = list(firm_names)
        self.chip_life_years = chip_life_years
        self.chip_life_months = max(1, round(12.0 * chip_life_years))
        zero = (0.0,) * (len(_BOOKED_KINDS) + 1)
        self._cum: dict[str, deque[tuple[float, ...]]] = {
            n: deque([zero], maxlen=13) for n in firm_names
        }
        """Firm -> its snapshots at the last 13 closes (and the opening zeros): the cumulative
        outflows of `_BOOKED_KINDS`, then of `OWN_CHIPS`, USD B (positions `_AT_CHIP`,
        `_AT_OWN`)."""
        self._own_chips_usd_b = dict.fromkeys(firm_names, 0.0)
        self._in_service = dict.fromkeys(firm_names, 1.0)
        self._chip_buys: dict[str, deque[float]] = {
            n: deque(maxlen=self.chip_life_months) for n in firm_names
        }
        self._opening_chips_usd_b: dict[str, float] = {}
        self._dc_in_service_usd_b = dict.fromkeys(firm_names, 0.0)
        self._months = 0
        self._depreciation: dict[str, float] = {}
        self._margin: dict[str, float] = {}
        self.expected_growth: dict[str, float] = {}
        """Investors' expected revenue growth per firm (per year), after the last closed month."""
        self._observed_growth: dict[str, float] = {}

    def update_month_close(
        self,
        firms: Mapping[str, Any],
        ledger: Any,
        fleet: Any,
        own_chips_usd_b: Mapping[str, float],
    ) -> None:
        """Close the month: record each firm's cumulative operating and chip outflows, its
        datacenters' capex in service and the share of its chips in service, and fold the
        month's observed growth into the belief. `own_chips_usd_b`: production cost of the chips
        each firm delivered to itself this month (booked as opex by the chip market, but an
        investment in its own fleet)."""
        self._months += 1
        n = len(self.firm_names)
        in_service = fleet.compute_capex_in_service_usd_b(n).tolist()
        powered = fleet.powered_gw(n).tolist()
        paid = ledger.compute_paid_usd_b
        for i, name in enumerate(self.firm_names):
            firm = firms[name]
            if name not in self._opening_chips_usd_b:
                book = firm.p.installed_gw * self.p.opening_chip_cost_usd_b_per_gw
                self._opening_chips_usd_b[name] = book
            own = self._own_chips_usd_b[name] = (
                self._own_chips_usd_b[name] + own_chips_usd_b.get(name, 0.0))
            cum = (*[paid(name, kind) for kind in _BOOKED_KINDS], own)
            snaps = self._cum[name]
            prev = snaps[-1]
            bought = sum((cum[_AT_CHIP] - prev[_AT_CHIP], own - prev[_AT_OWN]))
            self._chip_buys[name].append(max(0.0, bought))
            snaps.append(cum)
            self._dc_in_service_usd_b[name] = in_service[i]
            installed = firm.installed_total_gw
            share = min(1.0, powered[i] / installed) if installed > 0 else 1.0
            self._in_service[name] = share
            self._depreciation[name] = self._compute_depreciation(name)
            self._margin[name] = self._compute_margin(name, firm.revenue_hist)
            if name in self._observed_growth:
                self.expected_growth[name] = self.compute_expected_growth(
                    name, self._observed_growth.pop(name)
                )

    def update_observe_growth(self, name: str, observed: float) -> None:
        """Note the growth investors see in a firm this month (the last note of the month is
        folded into the belief when the month closes)."""
        self._observed_growth[name] = observed

    def compute_expected_growth(self, name: str, observed: float) -> float:
        """The belief after seeing `observed` this month (`compute_adaptive_expectation`)."""
        return compute_adaptive_expectation(
            self.expected_growth.get(name), observed, self.p.expectation_weight, self.p.growth_cap
        )

    def update_prior(
        self, name: str, value_of_growth: Callable[[float], float], value_usd_b: float
    ) -> None:
        """Before a firm's first mark, set investors' belief to the growth a market value
        prices in (`compute_implied_growth`; `value_of_growth` values the firm as it was when
        `value_usd_b` was observed), so the first mark continues the market's view instead of
        restarting from one month's observation."""
        if name not in self.expected_growth:
            self.expected_growth[name] = compute_implied_growth(
                value_usd_b, value_of_growth, self.p.growth_cap
            )

    def compute_believed_growth(self, name: str) -> float:
        """Expected growth investors hold now (after this month's observation, if any), per
        year; 0 before the firm's first mark."""
        if name in self._observed_growth:
            return self.compute_expected_growth(name, self._observed_growth[name])
        return self.expected_growth.get(name, 0.0)

    def compute_depreciation_usd_b_per_year(self, name: str) -> float:
        """Depreciation of the firm's installed base at the last close, USD B per year
        (`_compute_depreciation`)."""
        return self._depreciation.get(name, 0.0)

    def compute_operating_margin_of(self, name: str) -> float:
        """Trailing operating margin of a firm over its closed months, at the last close (0
        before the first)."""
        return self._margin.get(name, 0.0)

    def _compute_depreciation(self, name: str) -> float:
        """Depreciation of the firm's installed base now, USD B per year: chips bought (or made
        for itself) in the run over the chip life and chips installed before it (evenly aged),
        times the share of its chips in service (powered: chips waiting for a datacenter are not
        yet in use, IAS 16.55), plus datacenters in service over the facility life."""
        chips = compute_straight_line_depreciation_usd_b_per_year(
            self._chip_buys[name], self.chip_life_months
        )
        opening = compute_opening_depreciation_usd_b_per_year(
            self._opening_chips_usd_b.get(name, 0.0), self.chip_life_years, self._months / 12.0
        )
        facilities = self._dc_in_service_usd_b[name] / self.p.facility_life_years
        return (chips + opening) * self._in_service[name] + facilities

    def _compute_margin(self, name: str, revenue_hist: Sequence[float]) -> float:
        """Trailing operating margin of a firm over its closed months (`revenue_hist`: monthly
        revenue, USD B, the same months as the books)."""
        snaps = self._cum[name]
        months = min(len(revenue_hist), len(snaps) - 1)
        if months <= 0:
            return 0.0
        first, last = snaps[-1 - months], snaps[-1]
        op_cost = sum([last[k] - first[k] for k in range(_N_OPERATING)])
        op_cost = max(0.0, op_cost - (last[_AT_OWN] - first[_AT_OWN]))
        if months == len(revenue_hist):  # a firm's history keeps this sum as its `total`
            revenue = getattr(revenue_hist, "total", None)
            if revenue is None:
                revenue = sum(revenue_hist)
        else:
            revenue = sum(list(revenue_hist)[-months:])
        depreciation = self._depreciation[name] * months / 12.0
        return compute_operating_margin(revenue, op_cost, depreciation)
