"""History as an option: which dated announcements a run replays.

A scenario's `[[events]]` are the real announcements at their real dates (and what-if shocks).
With `simulation.history_cutoff = "YYYY-MM"`, deal announcements dated after the cutoff are
dropped and everything after it is left to the agents (they start seeking deals after the
cutoff); shocks are kept, since they are the scenario's what-if, not history. Without a
cutoff every event is replayed and the agents take over after the latest dated announcement.
"""

from __future__ import annotations

from world.params import EventKind, EventParams, ScenarioParams, month_index


def compute_history(params: ScenarioParams) -> list[EventParams]:
    """The events a run replays: all shocks, and deal announcements up to the cutoff."""
    cutoff = params.simulation.history_cutoff
    if cutoff is None:
        return list(params.events)
    last = month_index(cutoff)
    return [e for e in params.events if e.kind is not EventKind.DEAL or month_index(e.date) <= last]
