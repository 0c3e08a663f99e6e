"""Tests of `agents.remedies`: behavioural conditions and the equity cap on investments.

Hand-built stand-ins for the model's network, policy and stakes: the rules under test are the
remedies' own (what a condition changes, how much of an investment fits under a cap).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.remedies import compute_capped_amount, compute_capped_fraction, update_apply_conditions


class _Network:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def update_remove_deal(self, deal_id: object) -> None:
        self.calls.append(("remove", deal_id))

    def update_add_deal(self, deal: object) -> None:
        self.calls.append(("add", deal))


def _model(cap: float, stake: float) -> SimpleNamespace:
    """A model whose policy caps post-issue stakes at `cap` (the cap arithmetic of
    `world.policy.Policy.compute_allowed_fraction`) and where the owner already holds `stake`."""

    def allowed(current: float) -> float:
        if cap >= 1.0:
            return 1.0
        if current >= cap:
            return 0.0
        return (cap - current) / (1.0 - current)

    return SimpleNamespace(
        policy=SimpleNamespace(compute_allowed_fraction=allowed),
        stakes=SimpleNamespace(compute_stake=lambda owner, firm: stake),
        network=_Network(),
        equal_access=set(),
    )


def test_conditions_drop_exclusivity_and_grant_equal_access() -> None:
    """A conditioned deal is no longer exclusive, the network edge is rebuilt from the changed
    deal, and the upstream supplier must serve rivals equally."""
    model = _model(1.0, 0.0)
    deal = SimpleNamespace(deal_id=7, exclusive=True)
    update_apply_conditions(model, deal, "Nvidia")
    assert deal.exclusive is False
    assert model.network.calls == [("remove", 7), ("add", deal)]
    assert model.equal_access == {"Nvidia"}


def test_conditions_on_a_non_exclusive_deal_leave_the_network_alone() -> None:
    """Nothing to rebuild when the deal was not exclusive; no upstream, no equal access."""
    model = _model(1.0, 0.0)
    update_apply_conditions(model, SimpleNamespace(deal_id=1, exclusive=False), "")
    assert model.network.calls == [] and model.equal_access == set()


def test_capped_amount_closed_form() -> None:
    """Holding 10 % under a 20 % cap, the new fraction may be (0.2 - 0.1)/(1 - 0.1) = 1/9 of
    post-money: at 90 USD B post-money that is 10 USD B; a smaller investment passes whole."""
    model = _model(0.2, 0.1)
    assert compute_capped_amount(model, "A", "L", 25.0, 90.0) == pytest.approx(10.0)
    assert compute_capped_amount(model, "A", "L", 4.0, 90.0) == pytest.approx(4.0)
    assert compute_capped_amount(model, "A", "L", 0.0, 90.0) == 0.0
    assert compute_capped_amount(model, "A", "L", 5.0, 0.0) == 0.0


def test_no_investment_for_an_owner_already_at_the_cap() -> None:
    """An owner at (or above) the cap may add nothing."""
    model = _model(0.2, 0.25)
    assert compute_capped_amount(model, "A", "L", 5.0, 50.0) == 0.0
    assert compute_capped_fraction(model, "A", "L", 0.1) == 0.0


@given(st.floats(0.05, 0.95), st.floats(0.0, 0.99), st.floats(0.0, 1.0))
def test_capped_fraction_keeps_the_stake_within_the_cap(cap: float, stake: float,
                                                        frac: float) -> None:
    """Invariant: after taking the capped fraction f, the stake stake (1 - f) + f never
    exceeds the cap unless it already did; f never exceeds what was asked for."""
    f = compute_capped_fraction(_model(cap, stake), "A", "L", frac)
    assert 0.0 <= f <= frac
    after = stake * (1.0 - f) + f
    assert after <= max(cap, stake) + 1e-9
