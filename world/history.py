"""History as an option: which dated announcements a run replays.

A scenario's `[[events]]` are the real announcements at their real dates (and what-if shocks).
With `simulation.history_cutoff = "YYYY-MM"`, deal announcements dated after the cutoff are
dropped and everything after it is left to the agents (they start seeking deals after the
cutoff); shocks are kept, since they are the scenario's what-if, not history. Without a
cutoff every event is replayed and the agents take over after the latest dated announcement.
"""

from __future__ import annotations

from collections.abc import Sequence

from world.params import EventKind, EventParams, InterventionParams, ScenarioParams, month_index


def compute_history(params: ScenarioParams) -> list[EventParams]:
    """The events a run replays: all shocks, and deal announcements up to the cutoff."""
    cutoff = params.simulation.history_cutoff
    if cutoff is None:
        return list(params.events)
    last = month_index(cutoff)
    return [e for e in params.events if e.kind is not EventKind.DEAL or month_index(e.date) <= last]


def compute_dated_by_month(
    events: Sequence[EventParams], interventions: Sequence[InterventionParams], start_idx: int
) -> tuple[dict[int, list[EventParams]], dict[int, list[InterventionParams]]]:
    """Month index -> the events dated then, in (date, id) order, and month index -> the
    interventions taking effect then, in scenario order (an undated one: `start_idx`, the
    first month)."""
    by_month: dict[int, list[EventParams]] = {}
    for ev in sorted(events, key=lambda e: (e.date, e.id)):
        by_month.setdefault(month_index(ev.date), []).append(ev)
    acts: dict[int, list[InterventionParams]] = {}
    for iv in interventions:
        acts.setdefault(start_idx if iv.date is None else month_index(iv.date), []).append(iv)
    return by_month, acts
