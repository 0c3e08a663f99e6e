"""Due diligence: each branch of the verdict rule, and monotonicity in cash."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.diligence import Verdict, assess
from world.params import NegotiationParams

P = NegotiationParams(min_financing_ratio=0.5, max_burn_to_revenue=1.5, min_frontier_share=0.2)
HEALTHY = dict(cash_usd_b=50.0, expected_funding_usd_b=50.0, commitments_usd_b=100.0,
               burn_usd_b_per_year=10.0, revenue_usd_b_per_year=20.0, frontier_share=0.5)


def test_all_pass() -> None:
    r = assess(**HEALTHY, params=P)
    assert r.verdict is Verdict.PASSED and r.failed == ()
    assert r.financing_ratio == pytest.approx(1.0)
    assert r.burn_to_revenue == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("change", "failed"),
    [({"cash_usd_b": 0.0, "expected_funding_usd_b": 40.0}, ("financing",)),
     ({"burn_usd_b_per_year": 40.0}, ("discipline",)),
     ({"frontier_share": 0.1}, ("competitive_position",))],
)
def test_one_failure_restructures(change, failed) -> None:
    r = assess(**{**HEALTHY, **change}, params=P)
    assert r.failed == failed and r.verdict is Verdict.RESTRUCTURE


def test_two_failures_stall() -> None:
    # facts D1b: doubts on financing and discipline together -> the deal stalls
    r = assess(**{**HEALTHY, "cash_usd_b": 10.0, "expected_funding_usd_b": 0.0,
                  "burn_usd_b_per_year": 40.0}, params=P)
    assert r.failed == ("financing", "discipline") and r.verdict is Verdict.STALL
    r = assess(**{**HEALTHY, "cash_usd_b": 0.0, "expected_funding_usd_b": 0.0,
                  "revenue_usd_b_per_year": 0.0, "frontier_share": 0.0}, params=P)
    assert len(r.failed) == 3 and r.verdict is Verdict.STALL


def test_edge_ratios() -> None:
    r = assess(**{**HEALTHY, "commitments_usd_b": 0.0, "revenue_usd_b_per_year": 0.0},
               params=P)
    assert r.financing_ratio == math.inf and r.burn_to_revenue == math.inf
    assert r.failed == ("discipline",)
    r = assess(**{**HEALTHY, "burn_usd_b_per_year": 0.0, "revenue_usd_b_per_year": 0.0},
               params=P)
    assert r.burn_to_revenue == 0.0 and r.verdict is Verdict.PASSED


def test_perceived_noise_scales_the_ratios() -> None:
    r = assess(**HEALTHY, params=P, perceived_noise=0.2)
    assert r.financing_ratio == pytest.approx(1.2) and r.burn_to_revenue == pytest.approx(0.6)
    # a pessimistic reading of a borderline burn rate fails discipline
    border = {**HEALTHY, "burn_usd_b_per_year": 29.0}  # 1.45 < 1.5
    assert assess(**border, params=P).verdict is Verdict.PASSED
    assert assess(**border, params=P, perceived_noise=0.1).failed == ("discipline",)
    with pytest.raises(ValueError):
        assess(**HEALTHY, params=P, perceived_noise=-1.0)


def test_invalid_inputs() -> None:
    with pytest.raises(ValueError):
        assess(**{**HEALTHY, "cash_usd_b": -1.0}, params=P)
    with pytest.raises(ValueError):
        assess(**{**HEALTHY, "frontier_share": 1.5}, params=P)


@pytest.mark.parametrize("name", ["cash_usd_b", "expected_funding_usd_b", "commitments_usd_b",
                                  "burn_usd_b_per_year", "revenue_usd_b_per_year"])
@pytest.mark.parametrize("bad", [-1e-9, math.nan])
def test_a_negative_or_missing_amount_is_named(name: str, bad: float) -> None:
    """Every amount is checked, NaN included (it fails every comparison, so it would pass a
    test written as `value < 0`), and the error names the amount that is wrong."""
    with pytest.raises(ValueError, match=f"diligence: {name} must be >= 0"):
        assess(**{**HEALTHY, name: bad}, params=P)


amounts = st.floats(min_value=0.0, max_value=1e3)


@settings(max_examples=100, deadline=None)
@given(amounts, amounts, amounts, amounts, amounts, st.floats(0.0, 1.0), amounts,
       st.floats(-0.5, 0.5))
def test_more_cash_never_worsens_the_verdict(cash, funding, commits, burn, revenue, share,
                                             extra, noise) -> None:
    rank = {Verdict.PASSED: 0, Verdict.RESTRUCTURE: 1, Verdict.STALL: 2}
    poor = assess(cash, funding, commits, burn, revenue, share, P, noise)
    rich = assess(cash + extra, funding, commits, burn, revenue, share, P, noise)
    assert set(rich.failed) <= set(poor.failed)
    assert rank[rich.verdict] <= rank[poor.verdict]
    assert rich.verdict is Verdict(
        "passed" if not rich.failed else "restructure" if len(rich.failed) == 1 else "stall")
