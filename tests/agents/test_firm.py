"""Tests of `agents.firm`: trailing revenue and burn, growth, deployed compute, financing.

The rules are called on hand-built stand-ins (`SimpleNamespace`) that carry only the
attributes each rule reads.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agents.firm import GROWTH_HISTORY_MONTHS, Firm, MonthHistory


def _history(months: list[float]) -> MonthHistory:
    hist = MonthHistory(12)
    hist.extend(months)
    return hist


def _firm(revenue: list[float], cost: list[float] | None = None) -> SimpleNamespace:
    return SimpleNamespace(revenue_hist=_history(revenue), cost_hist=_history(cost or []))


def test_trailing_revenue_is_annualised_mean() -> None:
    """12 x mean monthly revenue: months of 1, 2, 3 give 24 USD B/yr; no history gives 0."""
    assert Firm.revenue_usd_b_per_year.fget(_firm([1.0, 2.0, 3.0])) == pytest.approx(24.0)
    assert Firm.revenue_usd_b_per_year.fget(_firm([])) == 0.0


def test_burn_is_net_cost_annualised_and_never_negative() -> None:
    """Burn = 12 x (costs - revenue) / months: costs 3+3 against revenue 1+1 is 24 USD B/yr;
    a profitable firm burns nothing."""
    assert Firm.burn_usd_b_per_year.fget(_firm([1.0, 1.0], [3.0, 3.0])) == pytest.approx(24.0)
    assert Firm.burn_usd_b_per_year.fget(_firm([5.0, 5.0], [3.0, 3.0])) == 0.0


def test_revenue_growth_closed_form() -> None:
    """Revenue growing 1 % a month for 12 months: (last 3 / first 3)^(12/9) - 1 is exactly
    1.01^12 - 1, the annual rate (the ratio of the two windows is 1.01^9)."""
    hist = [1.01**k for k in range(12)]
    assert Firm.compute_revenue_growth(_firm(hist)) == pytest.approx(1.01**12 - 1.0)


def test_revenue_growth_needs_history_and_positive_revenue() -> None:
    """Fewer than GROWTH_HISTORY_MONTHS months, or a zero window, gives 0."""
    assert Firm.compute_revenue_growth(_firm([1.0] * (GROWTH_HISTORY_MONTHS - 1))) == 0.0
    assert Firm.compute_revenue_growth(_firm([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])) == 0.0


def _deployed_firm(installed: dict[str, float], powered: float) -> SimpleNamespace:
    view = SimpleNamespace(compute_powered_gw=lambda name: {"Amazon": powered}[name])
    firm = SimpleNamespace(name="Amazon", installed_gw=installed, view=view)
    firm.installed_total_gw = sum(installed.values())
    firm.compute_powered_gw = lambda: Firm.compute_powered_gw(firm)
    firm.compute_deployed_gw = lambda: Firm.compute_deployed_gw(firm)
    return firm


def test_deployed_is_min_of_chips_and_power_and_split_pro_rata() -> None:
    """Deployed = min(installed, powered) (docs/odd.md); with 3 GW of chips (2 Nvidia, 1 AMD)
    in 1.5 GW of power, Nvidia's deployed share is 1.5 x 2/3 = 1.0 GW."""
    firm = _deployed_firm({"Nvidia": 2.0, "AMD": 1.0}, 1.5)
    assert Firm.compute_deployed_gw(firm) == pytest.approx(1.5)
    assert Firm.compute_deployed_gw_of(firm, "Nvidia") == pytest.approx(1.0)
    assert Firm.compute_deployed_gw_of(firm, "AMD") == pytest.approx(0.5)
    assert Firm.compute_deployed_gw_of(firm, "Intel") == 0.0
    spare = _deployed_firm({"Nvidia": 1.0}, 4.0)
    assert Firm.compute_deployed_gw(spare) == pytest.approx(1.0)
    assert Firm.compute_deployed_gw_of(_deployed_firm({}, 4.0), "Nvidia") == 0.0


def _investor(margin: float, dependence: float, cash: float = 100.0, forbid: bool = False,
              pool: float = 1000.0) -> SimpleNamespace:
    view = SimpleNamespace(
        forbids_financing=lambda a, b: forbid,
        compute_dependence=lambda lab, firm: dependence,
        equity_pool_usd_b=pool,
    )
    return SimpleNamespace(
        name="Nvidia", view=view, cash_usd_b=cash,
        p=SimpleNamespace(financing_appetite_frac_cash=0.5, financing_hurdle=0.1),
        compute_gross_margin=lambda: margin,
    )


LAB = SimpleNamespace(name="OpenAI", revenue_usd_b_per_year=10.0, burn_usd_b_per_year=4.0,
                      compute_expected_growth=lambda: 0.2)


def test_financing_offer_closed_form() -> None:
    """margin x f + g - risk = 0.7 x 0.5 + 0.1 - 0.2 = 0.25 > hurdle 0.1: invest
    min(0.5 x cash, max(0.3 x round, round - outside pool)) = min(50, 12) = 12 of a 40 round."""
    assert Firm.compute_financing_offer(_investor(0.7, 0.5), LAB, 40.0) == pytest.approx(12.0)


def test_financing_rises_with_dependence_and_stops_below_hurdle() -> None:
    """The money that returns as chip purchases is the vendor-financing motive: with no
    dependence the benefit (0.1 - 0.2 < 0.1) misses the hurdle, with high dependence it pays."""
    assert Firm.compute_financing_offer(_investor(0.7, 0.0), LAB, 40.0) == 0.0
    assert Firm.compute_financing_offer(_investor(0.7, 0.9), LAB, 40.0) > 0.0


def test_financing_fills_the_gap_outside_money_leaves() -> None:
    """When the outside equity pool (5) cannot fill a 40 round, the offer rises to the gap (35)
    within half of cash; a ban on vendor financing or no cash gives 0."""
    assert Firm.compute_financing_offer(_investor(0.7, 0.5, pool=5.0), LAB, 40.0) == \
        pytest.approx(35.0)
    assert Firm.compute_financing_offer(_investor(0.7, 0.5, pool=5.0, cash=20.0), LAB, 40.0) == \
        pytest.approx(10.0)
    assert Firm.compute_financing_offer(_investor(0.7, 0.5, forbid=True), LAB, 40.0) == 0.0
    assert Firm.compute_financing_offer(_investor(0.7, 0.5, cash=-5.0), LAB, 40.0) == 0.0
