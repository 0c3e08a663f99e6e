"""The capital market's rules (world/capital.py) against closed forms, signs and properties."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.capital import (
    BURN_RATIO_CAP,
    CapitalMarket,
    compute_cost_of_equity,
    compute_dcf_value_usd_b,
    compute_debt_capacity_usd_b,
    compute_debt_rate,
    compute_next_log_appetite,
    compute_round_pre_money_usd_b,
)
from world.ledger import FlowKind, Ledger
from world.params import CapitalParams

P = CapitalParams()
amount = st.floats(min_value=0.0, max_value=1e4, allow_nan=False)
positive = st.floats(min_value=0.1, max_value=1e4, allow_nan=False)


class DebtOnlyFirm:
    """A firm with debt and nothing else: no revenue, no costs, cash in the ledger."""

    def __init__(self, ledger: Ledger, name: str, debt_usd_b: float) -> None:
        self.name, self.ledger, self.debt_usd_b = name, ledger, debt_usd_b
        self.revenue_usd_b_per_year = 0.0
        self.burn_usd_b_per_year = 0.0
        self.revenue_hist: deque[float] = deque()
        self.cost_hist: deque[float] = deque()
        self.step = 0

    def update_pay(self, payee: str, amount_usd_b: float, kind: FlowKind) -> None:
        self.ledger.transfer(self.step, self.name, payee, amount_usd_b, kind)


# ----- cost of debt --------------------------------------------------------------------------
def test_debt_rate_closed_form() -> None:
    """r_d = r_f + s_0 + s_L D/R + s_b burn/R: 0.04 + 0.015 + 0.02 x 0.5 + 0.03 x 0.2 = 7.1%."""
    assert compute_debt_rate(50.0, 100.0, 20.0, P) == pytest.approx(0.071)


def test_debt_rate_without_revenue_sits_at_the_caps() -> None:
    """No revenue: leverage counts at its cap (10) and burn at 2: 0.055 + 0.2 + 0.06."""
    assert compute_debt_rate(5.0, 0.0, 1.0, P) == pytest.approx(0.055 + 0.2 + 0.06)
    assert compute_debt_rate(0.0, 0.0, 0.0, P) == pytest.approx(0.055)


@settings(max_examples=200, deadline=None)
@given(debt=amount, extra=positive, revenue=positive, burn=amount)
def test_more_leverage_never_cheapens_debt(
    debt: float, extra: float, revenue: float, burn: float
) -> None:
    """Lenders charge for default risk, which rises with debt per unit of revenue: the rate is
    non-decreasing in debt and strictly higher while leverage is below its cap."""
    low = compute_debt_rate(debt, revenue, burn, P)
    high = compute_debt_rate(debt + extra, revenue, burn, P)
    assert high >= low
    if (debt + extra) / revenue < 10.0:
        assert high > low


@settings(max_examples=200, deadline=None)
@given(debt=amount, revenue=positive, burn=amount, more=positive)
def test_more_burn_never_cheapens_debt(
    debt: float, revenue: float, burn: float, more: float
) -> None:
    """A firm burning more cash is a worse credit: the rate is non-decreasing in burn."""
    assert compute_debt_rate(debt, revenue, burn + more, P) >= compute_debt_rate(
        debt, revenue, burn, P
    )


# ----- cost of equity and debt capacity -------------------------------------------------------
def test_cost_of_equity_closed_form() -> None:
    """r_e = r_f + (ERP + b burn/R) / A: 0.04 + (0.06 + 0.08 x 0.5) / 2 = 9%."""
    assert compute_cost_of_equity(2.0, 100.0, 50.0, P) == pytest.approx(0.09)


@settings(max_examples=200, deadline=None)
@given(
    a=st.floats(min_value=0.1, max_value=10.0),
    b=st.floats(min_value=0.1, max_value=10.0),
    revenue=positive,
    burn=amount,
)
def test_eager_investors_ask_less(a: float, b: float, revenue: float, burn: float) -> None:
    """Higher appetite means a lower required return (the premium is divided by it)."""
    lo, hi = sorted((a, b))
    assert compute_cost_of_equity(hi, revenue, burn, P) <= compute_cost_of_equity(
        lo, revenue, burn, P
    )


def test_debt_capacity_closed_form_and_rationing() -> None:
    """Capacity = ratio x R x min(1, A) - D: 0.5 x 100 - 20 = 30 at A >= 1; at A = 0.5 lenders
    lend only 0.5 x 100 x 0.5 - 20 = 5; never negative."""
    assert compute_debt_capacity_usd_b(0.5, 100.0, 20.0, 1.7) == pytest.approx(30.0)
    assert compute_debt_capacity_usd_b(0.5, 100.0, 20.0, 0.5) == pytest.approx(5.0)
    assert compute_debt_capacity_usd_b(0.5, 100.0, 80.0, 1.0) == 0.0


# ----- valuation from cash flows ---------------------------------------------------------------
def test_dcf_reduces_to_gordon_growth() -> None:
    """With growth already at the terminal rate and the margin at its target, the projection is
    a growing perpetuity: EV = R m (1 + g) / (r - g) = 100 x 0.35 x 1.03 / 0.07 = 515."""
    assert compute_dcf_value_usd_b(100.0, 0.03, 0.35, 0.10, P) == pytest.approx(515.0)


def test_dcf_growth_fades_geometrically_by_hand() -> None:
    """Two projected years, half-life 1 year: g_1 = 50%, g_2 = 3% + 47% x 0.5 = 26.5%;
    R_1 = 150, R_2 = 189.75; at a 35% margin and 10%: 52.5 / 1.1 + 66.4125 / 1.21 plus the
    terminal value 66.4125 x 1.03 / 0.07 / 1.21."""
    params = CapitalParams(horizon_years=2, growth_half_life_years=1.0)
    by_hand = 52.5 / 1.1 + 66.4125 / 1.21 + 66.4125 * 1.03 / 0.07 / 1.21
    assert compute_dcf_value_usd_b(100.0, 0.5, 0.35, 0.10, params) == pytest.approx(by_hand)


def test_dcf_is_not_a_revenue_multiple() -> None:
    """Two firms with the same revenue but different growth and margins get different
    multiples (the rule the constant multiple it replaces could not express)."""
    slow = compute_dcf_value_usd_b(100.0, 0.05, 0.35, 0.10, P)
    fast = compute_dcf_value_usd_b(100.0, 0.80, 0.35, 0.10, P)
    burning = compute_dcf_value_usd_b(100.0, 0.80, -1.0, 0.10, P)
    assert fast > slow > 0
    assert burning < fast


@settings(max_examples=200, deadline=None)
@given(
    revenue=positive,
    g=st.floats(min_value=-0.5, max_value=1.5),
    dg=st.floats(min_value=0.01, max_value=0.5),
    m=st.floats(min_value=0.0, max_value=0.8),
    r=st.floats(min_value=0.05, max_value=0.3),
    dr=st.floats(min_value=0.01, max_value=0.2),
)
def test_dcf_signs(revenue: float, g: float, dg: float, m: float, r: float, dr: float) -> None:
    """With non-negative margins, value rises with growth (more future revenue, up to the cap)
    and falls with the discount rate (later cash is worth less)."""
    base = compute_dcf_value_usd_b(revenue, g, m, r, P)
    assert compute_dcf_value_usd_b(revenue, g + dg, m, r, P) >= base - 1e-9 * abs(base)
    assert compute_dcf_value_usd_b(revenue, g, m, r + dr, P) <= base + 1e-9 * abs(base)


# ----- appetite and the equity pool -------------------------------------------------------------
def test_appetite_ar1_closed_form() -> None:
    """ln A' = rho ln A + (1 - rho) beta (g - g_ref) + sigma eps:
    0.9 x 0.2 + 0.1 x 1 x (0.8 - 0.5) + 0.08 x 1 = 0.29."""
    assert compute_next_log_appetite(0.2, 0.8, P, 1.0) == pytest.approx(0.29)


@settings(max_examples=200, deadline=None)
@given(
    log_a=st.floats(min_value=-2.0, max_value=2.0),
    g=st.floats(min_value=-1.0, max_value=3.0),
    dg=st.floats(min_value=0.01, max_value=1.0),
    eps=st.floats(min_value=-4.0, max_value=4.0),
)
def test_appetite_follows_sector_returns(log_a: float, g: float, dg: float, eps: float) -> None:
    """Investors chase returns: faster sector growth never lowers next month's appetite, and
    appetite stays within its bounds."""
    lo = compute_next_log_appetite(log_a, g, P, eps)
    hi = compute_next_log_appetite(log_a, g + dg, P, eps)
    assert hi >= lo
    assert abs(hi) <= math.log(10.0) + 1e-12


def _market(log_appetite: float, flow: float = 60.0) -> CapitalMarket:
    params = CapitalParams(
        outside_equity_usd_b_per_year=[("2025-01", flow)],
        appetite_persistence=0.999,
        appetite_return_weight=0.0,
        appetite_shock_sd=0.0,
    )
    market = CapitalMarket(params, ["OpenAI"], np.random.default_rng(0))
    market.log_appetite = log_appetite
    return market


def test_pool_fills_with_appetite_times_flow() -> None:
    """The pool starts full (12 months of flow: $60B at A ~ 1 and $60B/yr); drained, it gains
    A x flow / 12 a month: 6 months give $30B and 24 months stop at the cap, $60B."""
    market = _market(0.0)
    market.update_month_open(24300, 0.0)
    assert market.equity_pool_usd_b == pytest.approx(60.0)
    assert market.update_take_equity("OpenAI", 1000.0) == pytest.approx(60.0)
    for _ in range(6):
        market.update_month_open(24300, 0.0)
    assert market.equity_pool_usd_b == pytest.approx(30.0)
    for _ in range(18):
        market.update_month_open(24300, 0.0)
    assert market.equity_pool_usd_b == pytest.approx(60.0)


def test_higher_appetite_raises_more() -> None:
    """Direction: with more eager investors (appetite 2 against 0.5) the same ask raises more,
    because each month more outside money flows into the pool the round draws on."""
    raised = []
    for log_a in (math.log(0.5), math.log(2.0)):
        market = _market(log_a)
        market.update_month_open(24300, 0.0)
        market.update_take_equity("OpenAI", 1e6)  # drain the opening dry powder
        for _ in range(6):
            market.update_month_open(24300, 0.0)
        raised.append(market.update_take_equity("OpenAI", 100.0))
        # no shocks, no return signal: ln A_k = 0.999^k ln A_0, pool = sum_k A_k x 60 / 12
        expected = sum(5.0 * math.exp(0.999**k * log_a) for k in range(2, 8))
        assert raised[-1] == pytest.approx(expected)
    assert raised[1] > raised[0]


@settings(max_examples=100, deadline=None)
@given(ask=amount, months=st.integers(min_value=0, max_value=30))
def test_raise_never_exceeds_pool_or_ask(ask: float, months: int) -> None:
    """Outside equity is finite: a round gets min(ask, pool) and the pool falls by as much."""
    market = _market(0.0)
    for _ in range(months):
        market.update_month_open(24300, 0.0)
    pool = market.equity_pool_usd_b
    got = market.update_take_equity("OpenAI", ask)
    assert got == pytest.approx(min(ask, pool))
    assert market.equity_pool_usd_b == pytest.approx(pool - got)


def test_pre_money_closed_form() -> None:
    """pre = V / (1 + k raise / pool): 800 / (1 + 0.5 x 50 / 100) = 640."""
    assert compute_round_pre_money_usd_b(800.0, 50.0, 100.0, 0.5) == pytest.approx(640.0)
    assert compute_round_pre_money_usd_b(800.0, 0.0, 100.0, 0.5) == pytest.approx(800.0)


@settings(max_examples=200, deadline=None)
@given(value=positive, ask=positive, more=positive, pool=positive)
def test_bigger_raise_lower_price(value: float, ask: float, more: float, pool: float) -> None:
    """A round that needs more of the available money sells at a lower pre-money."""
    assert compute_round_pre_money_usd_b(value, ask + more, pool, 0.5) <= (
        compute_round_pre_money_usd_b(value, ask, pool, 0.5)
    )


# ----- interest once a month --------------------------------------------------------------------
def test_debt_only_firm_pays_debt_times_rate_over_twelve_each_month() -> None:
    """A firm with only debt pays D x r_d / 12 a month, once, to Lenders: with no revenue its
    rate is r_f + s_0 + s_L x 10 (leverage at its cap) = 25.5%, so $100B of debt costs
    $2.125B a month and $25.5B over a year (not twice that)."""
    ledger = Ledger(["Firm", "Lenders"])
    firm = DebtOnlyFirm(ledger, "Firm", 100.0)
    market = CapitalMarket(P, ["Firm"], np.random.default_rng(0))
    for month in range(12):
        firm.step = month
        market.update_charge_interest({"Firm": firm}, month, ledger)
        assert market.interest_usd_b["Firm"] == pytest.approx(100.0 * 0.255 / 12.0)
    flows = ledger.flows_columns()
    assert flows["step"] == list(range(12))
    assert ledger.compute_cumulative("Firm", "Lenders", FlowKind.DEBT_SERVICE) == pytest.approx(
        25.5
    )
    assert ledger.total() == pytest.approx(0.0, abs=1e-12)


def test_burn_ratio_cap_is_used() -> None:
    """The cap named in the module is the one the rate uses."""
    assert compute_debt_rate(0.0, 1.0, 1e6, P) == pytest.approx(
        P.risk_free_rate + P.debt_spread + P.burn_spread * BURN_RATIO_CAP
    )


@given(amount, amount, amount, amount, st.floats(-2.0, 2.0))
@settings(max_examples=80, deadline=None)
def test_wacc_of_a_firm_reads_its_rates_once(debt, revenue, burn, valuation, log_appetite) -> None:
    """`compute_wacc_of` reads a firm's revenue and burn once; it must be the very float of the
    WACC of the firm's cost of equity and debt rate computed one by one."""
    from types import SimpleNamespace

    from world.valuation import compute_wacc

    market = _market(log_appetite)
    firm = SimpleNamespace(debt_usd_b=debt, revenue_usd_b_per_year=revenue,
                           burn_usd_b_per_year=burn, valuation_usd_b=valuation)
    want = compute_wacc(valuation, debt, market.compute_cost_of_equity_of(firm),
                        market.compute_debt_rate_of(firm))
    assert market.compute_wacc_of(firm) == want
