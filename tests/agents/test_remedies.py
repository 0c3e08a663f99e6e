"""Tests of `agents.remedies`: which supplier a behavioural remedy binds, and the equity cap
on an investor's offer.

A hand-built view gives the allowed fraction by the cap arithmetic of
`world.policy.Policy.compute_allowed_fraction`; the rules under test are the remedies' own.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.remedies import (
    compute_capped_amount,
    compute_capped_fraction,
    compute_condition_upstream,
)


def _view(cap: float, stake: float) -> SimpleNamespace:
    """A view whose policy caps post-issue stakes at `cap` and where the owner already holds
    `stake`: the new fraction allowed is (cap - stake) / (1 - stake), 0 at or above the cap."""

    def allowed(owner: str, firm: str) -> float:
        if cap >= 1.0:
            return 1.0
        if stake >= cap:
            return 0.0
        return (cap - stake) / (1.0 - stake)

    return SimpleNamespace(compute_allowed_stake_fraction=allowed)


def test_the_remedy_binds_the_first_supplier_with_a_concern() -> None:
    """The supplier named by the first row that raises a concern; rows without a concern or
    without a supplier name none."""
    rows = [{"concern": False, "upstream": "AMD"}, {"concern": True, "upstream": ""},
            {"concern": True, "upstream": "Nvidia"}, {"concern": True, "upstream": "AMD"}]
    assert compute_condition_upstream(rows) == "Nvidia"
    assert compute_condition_upstream(rows[:2]) == ""


def test_capped_amount_closed_form() -> None:
    """Holding 10 % under a 20 % cap, the new fraction may be (0.2 - 0.1)/(1 - 0.1) = 1/9 of
    post-money: at 90 USD B post-money that is 10 USD B; a smaller investment passes whole."""
    view = _view(0.2, 0.1)
    assert compute_capped_amount(view, "A", "L", 25.0, 90.0) == pytest.approx(10.0)
    assert compute_capped_amount(view, "A", "L", 4.0, 90.0) == pytest.approx(4.0)
    assert compute_capped_amount(view, "A", "L", 0.0, 90.0) == 0.0
    assert compute_capped_amount(view, "A", "L", 5.0, 0.0) == 0.0


def test_no_investment_for_an_owner_already_at_the_cap() -> None:
    """An owner at (or above) the cap may add nothing."""
    view = _view(0.2, 0.25)
    assert compute_capped_amount(view, "A", "L", 5.0, 50.0) == 0.0
    assert compute_capped_fraction(view, "A", "L", 0.1) == 0.0


@given(st.floats(0.05, 0.95), st.floats(0.0, 0.99), st.floats(0.0, 1.0))
def test_capped_fraction_keeps_the_stake_within_the_cap(cap: float, stake: float,
                                                        frac: float) -> None:
    """Invariant: after taking the capped fraction f, the stake stake (1 - f) + f never
    exceeds the cap unless it already did; f never exceeds what was asked for."""
    f = compute_capped_fraction(_view(cap, stake), "A", "L", frac)
    assert 0.0 <= f <= frac
    after = stake * (1.0 - f) + f
    assert after <= max(cap, stake) + 1e-9
