"""What antitrust decisions do to the deals and to the money: conditions, refilled rounds,
capped stakes.

- Conditions (a vertical concern cleared with a behavioural remedy, 2023 Merger Guidelines
  guideline 5; FTC/DOJ consent practice): the deal loses any exclusivity, and its input
  supplier must serve rivals on equal terms: its contracted deliveries lose their priority
  over open orders (`world.clearing.compute_rationing` with `equal_access`).
- A blocked or capped investment in a lab's funding round is taken by the round's outside
  investors: the lab still raises its round, the strategic investor just isn't in it.
- An equity cap (`cap_equity`) limits the stake any firm may reach; the part of an investment
  above it is not made (the investor keeps its money, outside investors take the rest).
"""

from __future__ import annotations

from typing import Any

from world.contracts import Deal
from world.ledger import FlowKind
from world.params import DealKind


def update_apply_conditions(model: Any, deal: Deal, upstream: str) -> None:
    """Apply the behavioural remedy to `deal`: no exclusivity, equal access to `upstream`'s
    output (recorded in `model.equal_access`)."""
    if deal.exclusive:
        deal.exclusive = False
        model.network.update_remove_deal(deal.deal_id)
        model.network.update_add_deal(deal)
    if upstream:
        model.equal_access.add(upstream)


def update_refill_round(model: Any, deal: Deal, amount_usd_b: float | None = None) -> None:
    """Outside investors take a blocked (or capped) strategic investment in a lab's round.

    Applies to one-off equity investments in a lab (no milestone tranches): the lab receives
    `amount_usd_b` (default: the deal's value) from `Investors` as far as the capital market's
    outside-equity pool allows (`world.capital.CapitalMarket.update_take_equity`); they get
    the matching new shares at the deal's post-money valuation (every holder diluted).
    """
    lab = model.firms.get(deal.target)
    if deal.kind is not DealKind.EQUITY or deal.tranches or lab is None or lab.role != "lab":
        return
    amount = deal.value_usd_b if amount_usd_b is None else amount_usd_b
    amount = model.capital.update_take_equity(lab.name, amount)  # outside money is finite
    if amount <= 0:
        return
    post = max(deal.valuation_usd_b or lab.valuation_usd_b, amount)
    lab.update_receive("Investors", amount, FlowKind.FUNDING_ROUND, deal.deal_id, revenue=False)
    model.stakes.update_dilute(lab.name, min(1.0, amount / post))


def compute_capped_amount(model: Any, owner: str, firm: str, amount_usd_b: float,
                          post_usd_b: float) -> float:
    """Largest part of an `amount_usd_b` investment at `post_usd_b` post-money that keeps
    `owner`'s stake in `firm` within the equity cap (`Policy.compute_allowed_fraction`)."""
    if amount_usd_b <= 0 or post_usd_b <= 0:
        return 0.0
    allowed = model.policy.compute_allowed_fraction(model.stakes.compute_stake(owner, firm))
    return min(amount_usd_b, allowed * post_usd_b)


def compute_capped_fraction(model: Any, owner: str, firm: str, frac: float) -> float:
    """Largest part of a grant of `frac` (post-issue fraction) within the equity cap."""
    allowed = model.policy.compute_allowed_fraction(model.stakes.compute_stake(owner, firm))
    return max(0.0, min(frac, allowed))
