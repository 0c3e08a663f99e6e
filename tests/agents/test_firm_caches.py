"""Values a firm keeps between calls instead of recomputing them (trailing revenue and burn,
chips installed): each must equal a recomputation from the state it derives from, after any
sequence of changes."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.firm import MonthHistory

months = st.lists(st.floats(-50.0, 50.0, allow_nan=False), max_size=30)


@settings(max_examples=80, deadline=None)
@given(revenue=months, cost=months, chunk=st.integers(1, 5))
def test_month_history_total_is_the_sum_of_the_months_held(revenue, cost, chunk) -> None:
    """After each append or extend the kept total is bit for bit Python's `sum` of the last 12
    months (a deque of maxlen 12 fed the same months), so the trailing revenue and burn read
    from it are the floats a fresh sum gives."""
    rev, ref = MonthHistory(12), deque(maxlen=12)
    for k in range(0, len(revenue), chunk):
        part = revenue[k:k + chunk]
        if len(part) == 1:
            rev.append(part[0])
        else:
            rev.extend(part)
        ref.extend(part)
        assert rev.total == sum(ref)
        assert list(rev) == list(ref) and len(rev) == len(ref)
        assert rev[-1] == ref[-1] and rev[0] == ref[0]
    assert MonthHistory(12).total == 0


@pytest.fixture(scope="module")
def model():
    from experiments.scenario.loader import load_scenario
    from world.model import ComputeMarketModel

    return ComputeMarketModel(load_scenario("baseline", steps=24), rng=3)


def test_firm_totals_follow_the_months_of_a_run(model) -> None:
    """Every month of a run, each firm's trailing revenue and burn equal the rule computed
    from its history afresh (12 x mean revenue; 12 x mean of costs - revenue, floored at 0),
    and its installed total equals the sum over designers; the installed mapping cannot be
    written (only `update_install` changes it, keeping the total)."""
    for _ in range(24):
        model.step()
        for firm in model.firms.values():
            rev, cost = list(firm.revenue_hist), list(firm.cost_hist)
            assert firm.revenue_usd_b_per_year == (12.0 * sum(rev) / len(rev) if rev else 0.0)
            assert firm.burn_usd_b_per_year == (
                max(0.0, 12.0 * (sum(cost) - sum(rev)) / len(cost)) if cost else 0.0)
            assert firm.installed_total_gw == sum(firm.installed_gw.values())
            with pytest.raises(TypeError):
                firm.installed_gw["Nvidia"] = 0.0  # type: ignore[index]


@settings(max_examples=40, deadline=None)
@given(installs=st.lists(st.tuples(st.sampled_from(["Nvidia", "AMD", "Amazon"]),
                                   st.floats(0.0, 5.0)), max_size=20))
def test_installed_total_equals_a_fresh_sum_after_random_installs(model, installs) -> None:
    """After any sequence of installs the kept total equals `sum` over the designers."""
    firm = model.firms["Microsoft"]
    for designer, gw in installs:
        firm.update_install(designer, gw)
        assert firm.installed_total_gw == sum(firm.installed_gw.values())


@settings(max_examples=40, deadline=None)
@given(installs=st.lists(st.tuples(st.sampled_from(["Nvidia", "AMD", "Amazon", "Google"]),
                                   st.floats(0.0, 5.0)), max_size=20))
def test_installing_a_month_at_once_equals_installing_each_delivery(installs) -> None:
    """`update_install_all` is `update_install` of each delivery in turn: the same GW per
    designer (added in the same order, so the same floats), the designers in the same order,
    and the total the last single install would sum (bit for bit; only the intermediate sums
    are skipped)."""
    from experiments.scenario.loader import load_scenario
    from world.model import ComputeMarketModel

    params = load_scenario("baseline", steps=1)
    one, many = (ComputeMarketModel(params, rng=3).firms["Microsoft"] for _ in range(2))
    for designer, gw in installs:
        one.update_install(designer, gw)
    many.update_install_all(installs)
    assert list(many.installed_gw.items()) == list(one.installed_gw.items())
    assert many.installed_total_gw == one.installed_total_gw
    assert many.installed_total_gw == sum(many.installed_gw.values())
