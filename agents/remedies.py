"""What a decision imposes: the remedy of a review, and the equity cap on an investor's offer.

The regulator decides (`agents.regulator`); `world.closing.DealClosing` carries the remedy
out. This module holds the decision side:

- Conditions (a vertical concern cleared with a behavioural remedy, 2023 Merger Guidelines
  guideline 5; FTC/DOJ consent practice): the deal loses any exclusivity, and the input
  supplier named by the screens must serve rivals on equal terms (`compute_condition_upstream`).
- An equity cap (`cap_equity`) limits the stake any firm may reach; an investor offers no more
  than the part of an investment that stays within it (`compute_capped_amount`); the rest is
  not made (the investor keeps its money, outside investors take it in the lab's round).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from world import closing
from world.view import MarketView

CONDITION_TERMS = "no_exclusivity;supply_to_rivals"
"""Behavioural remedy of a vertical concern: the deal loses any exclusivity and the input
supplier serves its contracts and rivals' open orders pro rata (equal access)."""


def compute_condition_upstream(rows: Iterable[Mapping[str, Any]]) -> str:
    """The supplier a behavioural remedy binds: the `upstream` of the first review row that
    raises a concern and names one ('' if none)."""
    return next((r["upstream"] for r in rows if r["concern"] and r["upstream"]), "")


def compute_capped_amount(view: MarketView, owner: str, firm: str, amount_usd_b: float,
                          post_usd_b: float) -> float:
    """Largest part of an `amount_usd_b` investment at `post_usd_b` post-money that keeps
    `owner`'s stake in `firm` within the equity cap (`world.closing.compute_capped_amount`
    at `MarketView.compute_allowed_stake_fraction`), USD B."""
    if amount_usd_b <= 0 or post_usd_b <= 0:
        return 0.0
    allowed = view.compute_allowed_stake_fraction(owner, firm)
    return closing.compute_capped_amount(allowed, amount_usd_b, post_usd_b)


def compute_capped_fraction(view: MarketView, owner: str, firm: str, frac: float) -> float:
    """Largest part of a grant of `frac` (post-issue fraction) within the equity cap."""
    return max(0.0, min(frac, view.compute_allowed_stake_fraction(owner, firm)))
