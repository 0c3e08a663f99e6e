"""Valuation rules (world/valuation.py): closed forms, depreciation in place of purchases, the
abandonment floor, adaptive expectations, and monotonicity (hypothesis)."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.capital import CapitalMarket
from world.datacenters import DCStatus
from world.ledger import FlowKind, Ledger
from world.params import CapitalParams
from world.valuation import (
    OperatingBooks,
    compute_adaptive_expectation,
    compute_dcf_of_growth,
    compute_dcf_value_usd_b,
    compute_equity_value_from_ev_usd_b,
    compute_implied_growth,
    compute_opening_depreciation_usd_b_per_year,
    compute_operating_margin,
    compute_straight_line_depreciation_usd_b_per_year,
)

P = CapitalParams()
ACCOUNTS = ["Lab", "Customers", "Suppliers", "Nvidia", "Lenders"]


class Fleet:
    """A fleet of one powered datacenter per firm with a given capex paid (USD B)."""

    def __init__(self, capex_usd_b: list[float], powered_gw: list[float]) -> None:
        self.owner = np.arange(len(capex_usd_b), dtype=np.int32)
        self.status = np.full(len(capex_usd_b), DCStatus.POWERED, dtype=np.int8)
        self._capex = np.asarray(capex_usd_b, dtype=float)
        self._powered = np.asarray(powered_gw, dtype=float)

    def compute_capex_in_service_usd_b(self, n_owners: int) -> np.ndarray:
        return self._capex[:n_owners]

    def powered_gw(self, n_owners: int) -> np.ndarray:
        return self._powered[:n_owners]


class Firm:
    """What the books read of a firm: name, opening installed GW, installed GW, revenue history,
    cash (its ledger balance) and debt."""

    def __init__(self, ledger: Ledger, installed_gw: float = 0.0) -> None:
        self.name, self.ledger = "Lab", ledger
        self.p = SimpleNamespace(
            installed_gw=installed_gw, valuation_usd_b=100.0, cash_usd_b=50.0, debt_usd_b=0.0
        )
        self.installed_total_gw = installed_gw
        self.revenue_hist: deque[float] = deque(maxlen=12)
        self.debt_usd_b = 0.0
        self.valuation_usd_b = 100.0
        self.revenue_usd_b_per_year = 0.0
        self.burn_usd_b_per_year = 0.0

    @property
    def cash_usd_b(self) -> float:
        return self.ledger.balance(self.name)


def run_months(
    months: int,
    revenue: float,
    opex: float,
    chips_at: dict[int, float] | None = None,
    params: CapitalParams = P,
    capex_usd_b: float = 0.0,
) -> tuple[OperatingBooks, Firm]:
    """Books of a firm with `revenue` and `opex` each month (USD B) and chip purchases
    `chips_at` {month: USD B}, 4-year chips, one datacenter with `capex_usd_b` in service."""
    ledger = Ledger(ACCOUNTS)
    firm = Firm(ledger)
    books = OperatingBooks(["Lab"], 4.0, params)
    fleet = Fleet([capex_usd_b], [10.0])
    for t in range(months):
        ledger.transfer(t, "Customers", "Lab", revenue, FlowKind.REVENUE)
        ledger.transfer(t, "Lab", "Suppliers", opex, FlowKind.OPEX)
        ledger.transfer(t, "Lab", "Lenders", 0.1, FlowKind.DEBT_SERVICE)  # financing: not a cost
        if chips_at and t in chips_at:
            ledger.transfer(t, "Lab", "Nvidia", chips_at[t], FlowKind.CHIP_PAYMENT)
            firm.installed_total_gw += 1.0
        firm.revenue_hist.append(revenue)
        books.update_month_close({"Lab": firm}, ledger, fleet, {})
    return books, firm


# ----- closed forms ------------------------------------------------------------------------------
def test_no_growth_value_is_revenue_times_margin_over_rate() -> None:
    """Constant revenue R, margin m at its target, no growth (g = g_inf = 0): a perpetuity,
    EV = R m / r = 100 x 0.3 / 0.1 = 300 (Gordon with g = 0)."""
    params = CapitalParams(terminal_growth=0.0, target_margin=0.3)
    assert compute_dcf_value_usd_b(100.0, 0.0, 0.3, 0.10, params) == pytest.approx(300.0)


def test_operating_margin_closed_form_and_interest_is_not_a_cost() -> None:
    """Revenue 10 and opex 6 a month, interest 0.1 a month (financing), nothing installed:
    the trailing operating margin is (120 - 72) / 120 = 0.4."""
    books, _ = run_months(14, 10.0, 6.0)
    assert books.compute_operating_margin_of("Lab") == pytest.approx(0.4)


def test_straight_line_depreciation_closed_forms() -> None:
    """Buying X adds X / life per year while it lasts: 48 over 48 months is 12 a year; a
    purchase older than the life is written off. The opening base B bought evenly over L years
    is charged B / L now and half that after L / 2 years, 0 after L."""
    assert compute_straight_line_depreciation_usd_b_per_year([48.0], 48) == pytest.approx(12.0)
    assert compute_straight_line_depreciation_usd_b_per_year([48.0] + [0.0] * 48, 48) == 0.0
    assert compute_opening_depreciation_usd_b_per_year(40.0, 4.0, 0.0) == pytest.approx(10.0)
    assert compute_opening_depreciation_usd_b_per_year(40.0, 4.0, 2.0) == pytest.approx(5.0)
    assert compute_opening_depreciation_usd_b_per_year(40.0, 4.0, 5.0) == 0.0


def test_depreciation_replaces_purchases() -> None:
    """A chip purchase X = 96 in the trailing year (revenue 120, 4-year chips bought 6 months
    before the last close, in service) lowers the operating margin by its depreciation
    96 / 4 x 12/12 / 120 = 0.2, not by X / R = 0.8 as a cash margin would; and the datacenter
    in service is charged capex / facility life (200 / 20 = 10 a year, 10 / 120 of margin)."""
    base, _ = run_months(12, 10.0, 6.0)
    bought, _ = run_months(12, 10.0, 6.0, chips_at={5: 96.0})
    m0 = base.compute_operating_margin_of("Lab")
    m1 = bought.compute_operating_margin_of("Lab")
    assert m0 - m1 == pytest.approx(96.0 / 4.0 / 120.0)
    dc, _ = run_months(12, 10.0, 6.0, capex_usd_b=200.0)
    assert m0 - dc.compute_operating_margin_of("Lab") == pytest.approx(
        10.0 / 120.0
    )


def test_buying_chips_lowers_value_less_than_expensing_them() -> None:
    """Valued on the operating margin, a firm that buys chips worth X this year is worth less
    than without (depreciation is a cost) but more than if X were expensed (the cash margin
    the old rule used): the asset keeps earning over its life."""
    base, _ = run_months(12, 10.0, 6.0)
    bought, _ = run_months(12, 10.0, 6.0, chips_at={5: 96.0})
    m0 = base.compute_operating_margin_of("Lab")
    m1 = bought.compute_operating_margin_of("Lab")
    cash_margin = m0 - 96.0 / 120.0
    values = [compute_dcf_value_usd_b(120.0, 0.2, m, 0.12, P) for m in (m0, m1, cash_margin)]
    assert values[0] > values[1] > values[2]


# ----- abandonment and limited liability ------------------------------------------------------
def test_negative_operating_margin_is_abandoned() -> None:
    """A business whose margin stays below 0 for long has a negative DCF; its operations are
    worth 0 (abandoned), so equity = cash - debt (30 - 10 = 20), and 0 if debt exceeds cash."""
    params = CapitalParams(target_margin=0.0)
    ev = compute_dcf_value_usd_b(100.0, 0.1, -0.5, 0.10, params)
    assert ev < 0
    assert compute_equity_value_from_ev_usd_b(ev, 30.0, 10.0) == pytest.approx(20.0)
    assert compute_equity_value_from_ev_usd_b(ev, 10.0, 30.0) == 0.0


def test_capital_market_never_values_equity_below_net_cash() -> None:
    """A firm whose costs are five times its revenue, with cash 50 and no debt, is worth at
    least its cash (the old rule let a negative DCF wipe the cash out)."""
    ledger = Ledger(ACCOUNTS)
    firm = Firm(ledger)
    ledger.transfer(0, "Customers", "Lab", 50.0, FlowKind.INITIAL)
    market = CapitalMarket(P, ["Lab"], np.random.default_rng(0))
    fleet = Fleet([0.0], [0.0])
    for t in range(12):
        ledger.transfer(t, "Customers", "Lab", 1.0, FlowKind.REVENUE)
        ledger.transfer(t, "Lab", "Suppliers", 5.0, FlowKind.OPEX)
        firm.revenue_hist.append(1.0)
        market.books.update_month_close({"Lab": firm}, ledger, fleet, {})
    firm.revenue_usd_b_per_year, firm.burn_usd_b_per_year = 12.0, 48.0
    assert firm.cash_usd_b > 0
    value = market.update_appraise(firm, 12.0, 0.0)
    assert value >= firm.cash_usd_b - firm.debt_usd_b - 1e-9


# ----- adaptive expectations -------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    prior=st.floats(min_value=-0.9, max_value=1.0),
    spike=st.floats(min_value=-50.0, max_value=50.0),
    w=st.floats(min_value=0.01, max_value=1.0),
)
def test_one_month_spike_moves_belief_by_at_most_weight_times_spike(
    prior: float, spike: float, w: float
) -> None:
    """g^e' = g^e + w (x - g^e): an observation x = g^e + spike moves the belief by at most
    w |spike| (less when the clip to [-0.9, cap] bites), and never beyond the observation."""
    new = compute_adaptive_expectation(prior, prior + spike, w, P.growth_cap)
    assert abs(new - prior) <= w * abs(spike) + 1e-12
    assert min(prior, prior + spike) - 1e-12 <= new <= max(prior, prior + spike) + 1e-12


def test_belief_decays_geometrically_after_a_spike() -> None:
    """After one spike the belief returns to a steady observation x geometrically: its gap is
    w (spike) (1 - w)^k after k more months (Nerlove 1958)."""
    w, x = 0.2, 0.3
    belief = compute_adaptive_expectation(x, 1.0, w, 1.0)
    assert belief - x == pytest.approx(w * 0.7)
    for k in range(1, 6):
        belief = compute_adaptive_expectation(belief, x, w, 1.0)
        assert belief - x == pytest.approx(w * 0.7 * (1 - w) ** k)


def test_marking_twice_in_a_month_counts_one_observation() -> None:
    """The belief moves once per closed month: two marks in a month with different observations
    leave it where the last one takes it (a lab marked before its round and at month end)."""
    books, _ = run_months(1, 10.0, 6.0)
    books.expected_growth["Lab"] = 0.5
    books.update_observe_growth("Lab", 2.0)
    books.update_observe_growth("Lab", 0.0)
    assert books.compute_believed_growth("Lab") == pytest.approx(0.5 - P.expectation_weight * 0.5)
    assert books.expected_growth["Lab"] == 0.5  # not moved until the month closes


def test_implied_growth_recovers_the_growth_priced_in() -> None:
    """Reverse DCF: the growth that reproduces a value computed at g = 0.37 is 0.37."""

    def value_of(g: float) -> float:
        return compute_equity_value_from_ev_usd_b(
            compute_dcf_value_usd_b(100.0, g, 0.3, 0.10, P), 20.0, 5.0
        )

    assert compute_implied_growth(value_of(0.37), value_of, P.growth_cap) == pytest.approx(
        0.37, abs=1e-6
    )
    assert compute_implied_growth(1e9, value_of, P.growth_cap) == P.growth_cap


# ----- monotonicity ----------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(
    revenue=st.floats(min_value=0.1, max_value=1e4),
    dr=st.floats(min_value=0.0, max_value=1e3),
    g=st.floats(min_value=-0.5, max_value=1.5),
    m=st.floats(min_value=-5.0, max_value=0.9),
    dm=st.floats(min_value=0.0, max_value=1.0),
    rate=st.floats(min_value=0.05, max_value=0.4),
    drate=st.floats(min_value=0.0, max_value=0.2),
    cash=st.floats(min_value=-100.0, max_value=100.0),
    debt=st.floats(min_value=0.0, max_value=100.0),
)
def test_value_monotone_in_revenue_margin_and_rate(
    revenue: float, dr: float, g: float, m: float, dm: float, rate: float, drate: float,
    cash: float, debt: float,
) -> None:
    """Equity value is non-decreasing in revenue (the DCF is R x a factor, floored at 0) and in
    the margin (every projected margin m_k rises with m_0), and non-increasing in the discount
    rate (projected margins rise over time, so cash flows change sign at most once, from - to
    +: such a stream's value falls with the rate wherever it is positive, and the floor holds it
    at 0 elsewhere)."""

    def value(r_: float, m_: float, rate_: float) -> float:
        ev = compute_dcf_value_usd_b(r_, g, m_, rate_, P)
        return compute_equity_value_from_ev_usd_b(ev, cash, debt)

    base = value(revenue, m, rate)
    tol = 1e-9 * max(1.0, abs(base))
    assert value(revenue + dr, m, rate) >= base - tol
    assert value(revenue, m + dm, rate) >= base - tol
    assert value(revenue, m, rate + drate) <= base + tol


def test_operating_margin_without_revenue() -> None:
    """No revenue but costs: priced as a start-up at the fixed margin -2; neither: 0."""
    assert compute_operating_margin(0.0, 5.0, 0.0) == -2.0
    assert compute_operating_margin(0.0, 0.0, 0.0) == 0.0


def _dcf_as_written(revenue, growth, margin, rate, p) -> float:
    """The projection of `compute_dcf_value_usd_b`'s docstring, year by year, with every power
    computed where it is used (the reference the kept fade factors must reproduce)."""
    h, g_inf = p.horizon_years, p.terminal_growth
    g0 = min(p.growth_cap, max(-0.9, growth))
    m0 = max(-5.0, min(1.0, margin))
    m_target = max(m0, p.target_margin)
    r = max(rate, g_inf + 0.01)
    rev, value, m_k = max(0.0, revenue), 0.0, m0
    for k in range(1, h + 1):
        g_k = g_inf + (g0 - g_inf) * 0.5 ** ((k - 1) / p.growth_half_life_years)
        rev *= 1.0 + g_k
        m_k = m0 + (m_target - m0) * k / h
        value += rev * m_k / (1.0 + r) ** k
    return value + rev * m_k * (1.0 + g_inf) / (r - g_inf) / (1.0 + r) ** h


@given(
    st.floats(0.0, 500.0),
    st.floats(-2.0, 3.0),
    st.floats(-8.0, 1.5),
    st.floats(0.0, 0.4),
    st.integers(2, 30),
    st.floats(0.25, 20.0),
)
@settings(max_examples=80, deadline=None)
def test_dcf_bit_for_bit_as_written(revenue, growth, margin, rate, horizon, half_life) -> None:
    """The DCF keeps the growth fade factors per horizon and half-life; the value must be the
    very float of the year-by-year rule with every power computed in place, for any inputs and
    after other horizons were used (so a stale fade would show)."""
    p = CapitalParams(horizon_years=horizon, growth_half_life_years=half_life)
    for q in (p, P):
        want = _dcf_as_written(revenue, growth, margin, rate, q)
        assert compute_dcf_value_usd_b(revenue, growth, margin, rate, q) == want


@given(
    st.floats(0.0, 500.0),
    st.lists(st.floats(-2.0, 3.0), min_size=1, max_size=5),
    st.floats(-8.0, 1.5),
    st.floats(0.0, 0.4),
    st.integers(2, 30),
    st.floats(0.25, 20.0),
)
@settings(max_examples=80, deadline=None)
def test_dcf_of_growth_bit_for_bit_as_written(revenue, growths, margin, rate, horizon,
                                              half_life) -> None:
    """The growth search keeps a firm's margins and discount factors and repeats only the
    revenue path: each value must be the very float of the year-by-year rule."""
    p = CapitalParams(horizon_years=horizon, growth_half_life_years=half_life)
    value_of = compute_dcf_of_growth(revenue, margin, rate, p)
    for growth in growths:
        assert value_of(growth) == _dcf_as_written(revenue, growth, margin, rate, p)


@given(st.floats(0.0, 500.0), st.floats(-2.0, 3.0), st.floats(-8.0, 1.5), st.floats(0.0, 0.4),
       st.integers(0, 15))
@settings(max_examples=80, deadline=None)
def test_dcf_of_numpy_scalars_is_numpy_arithmetic(revenue, growth, margin, rate, mask) -> None:
    """The projection runs on Python floats; with numpy float64 inputs it must give the value
    and the type numpy's own scalar arithmetic gives (later sums of the value depend on the
    type: Python's `sum` compensates rounding for exact floats only)."""
    args = [revenue, growth, margin, rate]
    args = [np.float64(a) if mask >> i & 1 else a for i, a in enumerate(args)]
    want = _dcf_as_written(*args, P)
    got = compute_dcf_value_usd_b(*args, P)
    assert got == want
    assert type(got) is type(want)


@given(st.lists(st.floats(0.0, 1e3), max_size=60), st.integers(1, 48))
@settings(max_examples=80, deadline=None)
def test_straight_line_depreciation_reads_short_windows_without_a_copy(buys, life) -> None:
    """Depreciation sums the window in place when it holds at most `life` months (the books'
    deque) and copies the tail otherwise; either way the float is 12 x the sum of the last
    `life` purchases, in order, / life, for a list and for the books' bounded deque."""
    want = 12.0 * sum(list(buys)[-life:]) / life
    assert compute_straight_line_depreciation_usd_b_per_year(buys, life) == want
    kept = deque(buys, maxlen=life)
    assert compute_straight_line_depreciation_usd_b_per_year(kept, life) == want
