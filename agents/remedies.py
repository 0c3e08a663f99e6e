"""What a review decision imposes: the behavioural remedy of a vertical concern.

The regulator decides (`agents.regulator`); `world.closing.DealClosing` carries the remedy out
(`update_apply_conditions`), as it carries out the equity cap (the part of an investment above
it is not made; outside investors take it in the lab's round, `update_refill_round`).

Conditions (a vertical concern cleared with a behavioural remedy, 2023 Merger Guidelines
guideline 5; FTC/DOJ consent practice): the deal loses any exclusivity, and the input supplier
named by the screens must serve rivals on equal terms (`compute_condition_upstream`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CONDITION_TERMS = "no_exclusivity;supply_to_rivals"
"""Behavioural remedy of a vertical concern: the deal loses any exclusivity and the input
supplier serves its contracts and rivals' open orders pro rata (equal access)."""


def compute_condition_upstream(rows: Iterable[Mapping[str, Any]]) -> str:
    """The supplier a behavioural remedy binds: the `upstream` of the first review row that
    raises a concern and names one ('' if none)."""
    return next((r["upstream"] for r in rows if r["concern"] and r["upstream"]), "")
