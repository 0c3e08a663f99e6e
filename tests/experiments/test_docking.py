"""Docking: the model's agents reach the textbook closed forms, within 0.5%."""

from __future__ import annotations

import pytest

from experiments.scenario.loader import load_scenario
from experiments.validation.docking import (
    CASES,
    TOLERANCE,
    cournot_closed_form,
    double_marginalization_closed_form,
    nash_closed_form,
    rubinstein_closed_form,
    simulate_case,
)


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_docking_case_reaches_closed_form(case):
    rows = simulate_case(case)
    assert rows
    for row in rows:
        assert row["rel_error"] <= TOLERANCE, row


def test_closed_forms_textbook_numbers():
    # Tirole (1988) ch. 5: duopoly a=100, b=1, c=10 -> q=30 each, P=40
    cf = cournot_closed_form(100, 1, [10, 10])
    assert cf["quantities"] == [30, 30] and cf["price"] == 40
    assert double_marginalization_closed_form(100, 1, 20, False)["price"] == 80
    assert double_marginalization_closed_form(100, 1, 20, True)["total_quantity"] == 40
    assert rubinstein_closed_form(100, 0.9, 0.9) == pytest.approx(100 / 1.9)
    assert nash_closed_form(100, (0.7, 0.3), (10, 20)) == pytest.approx(59)


def test_docking_keys_are_scenario_keys():
    p = load_scenario(
        "docking/cournot",
        ["vendors.marginal_costs=[10,20,30]", "demand.intercept=150", "demand.slope=2"],
    )
    assert p.vendors.marginal_costs == [10, 20, 30]
    assert (p.demand.intercept, p.demand.slope) == (150, 2)
    p = load_scenario("docking/rubinstein", ["negotiation.discount_factors=[0.8,0.7]"])
    assert p.negotiation.discount_factors == (0.8, 0.7)


def test_baseline_is_market_mode_with_defaults():
    p = load_scenario("baseline")
    assert p.simulation.mode.value == "market"
