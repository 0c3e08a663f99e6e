"""The month's dated inputs (`world.history.compute_dated_by_month`, through
`ComputeMarketModel._dated_inputs_at`): grouped by month once,
they must be the events and interventions the month's filter over the whole list picks."""

from __future__ import annotations

import pytest

from experiments.scenario.loader import load_scenario
from world.model import ComputeMarketModel
from world.params import month_index


@pytest.mark.parametrize("name", ["baseline", "what_if/no_vendor_financing",
                                  "what_if/fair_packaging"])
def test_dated_inputs_are_the_months_events_in_date_and_id_order(name: str) -> None:
    """Every month from two years before the start to the horizon: the events dated that
    month in (date, id) order and the interventions dated that month (undated: the start) in
    scenario order, as filtering the full lists month by month gives them."""
    model = ComputeMarketModel(load_scenario(name))
    assert model.events or model.p.interventions, "nothing dated: the test proves nothing"
    ordered = sorted(model.events, key=lambda e: (e.date, e.id))
    for idx in range(model.start_idx - 24, model.start_idx + model.p.simulation.steps):
        events, interventions = model._dated_inputs_at(idx)
        assert events == [e for e in ordered if month_index(e.date) == idx]
        assert interventions == [
            iv for iv in model.p.interventions
            if (model.start_idx if iv.date is None else month_index(iv.date)) == idx
        ]


def test_dated_inputs_follow_a_replaced_event_list() -> None:
    """The grouping is redone when the model's event list is replaced (what invalidates it)."""
    model = ComputeMarketModel(load_scenario("baseline"))
    some = next(e for e in model.events if month_index(e.date) >= model.start_idx)
    assert model._dated_inputs_at(month_index(some.date))[0]
    model.events = []
    assert model._dated_inputs_at(month_index(some.date)) == ([], [])
