"""Tests of `agents.remedies`: which supplier a behavioural remedy binds.

The remedy itself (no exclusivity, equal access) is carried out by `world.closing` and tested
in tests/world/test_closing.py, with the equity cap.
"""

from __future__ import annotations

from agents.remedies import CONDITION_TERMS, compute_condition_upstream


def test_the_remedy_binds_the_first_supplier_with_a_concern() -> None:
    """The supplier named by the first row that raises a concern; rows without a concern or
    without a supplier name none."""
    rows = [{"concern": False, "upstream": "AMD"}, {"concern": True, "upstream": ""},
            {"concern": True, "upstream": "Nvidia"}, {"concern": True, "upstream": "AMD"}]
    assert compute_condition_upstream(rows) == "Nvidia"
    assert compute_condition_upstream(rows[:2]) == ""
    assert compute_condition_upstream([]) == ""


def test_the_conditions_are_the_two_behavioural_terms() -> None:
    """The terms recorded on a conditioned review row: no exclusivity, supply to rivals."""
    assert set(CONDITION_TERMS.split(";")) == {"no_exclusivity", "supply_to_rivals"}
