"""A firm's exposure through its contracts: what it has committed to pay, and how much of a
lab's compute depends on one partner.

Pure functions over the live deals (read through `world.view.MarketView`, which supplies the
chip market's delivery schedule): investors weigh the dependence when they decide whether to
finance a lab (vendor financing, `agents.firm.Firm.compute_financing_offer`), and a lab counts
its commitments when it decides to raise money (`agents.lab.AILab.update_funding`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from world.contracts import Deal, DealStatus
from world.params import DealKind

UNSIGNED = (DealStatus.STALLED, DealStatus.PROPOSED)
"""Statuses of deals that commit nobody yet."""


def compute_commitments_usd_b(
    firm: str, months: int, step: int, deals: Iterable[Deal],
    due_gw: Callable[[Deal, int], float],
) -> float:
    """Payments `firm` has contracted as a buyer over the `months` after `step`, USD B.

    Rule: cloud capacity: price per GW-year x GW x the months of the lease within the window /
    12; chip supply: the GW falling due by the window's end and not yet delivered (`due_gw`,
    the chip market's linear delivery schedule) x the price per GW. Unsigned deals count 0.
    """
    total = 0.0
    for d in deals:
        if d.target != firm or d.status in UNSIGNED:
            continue
        if d.kind is DealKind.CLOUD_CAPACITY:
            total += d.compute_lease_usd_b(step, step + months)
        elif d.kind is DealKind.SUPPLY:
            total += due_gw(d, step + months) * d.price_usd_b_per_gw
    return total


def compute_dependence(
    lab: str, partner: str, installed_gw: Mapping[str, Mapping[str, float]],
    roles: Mapping[str, str], deals: Iterable[Deal], undelivered_gw: Callable[[Deal], float],
) -> float:
    """Share of `lab`'s secured compute that depends on `partner`, in [0, 1].

    Secured compute = chips installed + chips contracted and undelivered + capacity leased
    (GW). A cloud's part is what the lab leases from it; a chip designer's part is its chips
    in the lab's own datacenters plus its share of the chips installed at each cloud the lab
    leases from (that cloud's leased GW x the designer's share of the cloud's chips).

    Args:
        installed_gw: firm -> designer -> GW installed (every named firm).
        roles: firm -> role ('vendor', 'cloud', 'lab'), in the scenario's firm order.
    """
    parts: dict[str, float] = dict(installed_gw[lab])
    for d in deals:
        if d.target != lab or d.status in UNSIGNED:
            continue
        if d.kind is DealKind.SUPPLY:
            parts[d.source] = parts.get(d.source, 0.0) + undelivered_gw(d)
        elif d.kind is DealKind.CLOUD_CAPACITY:
            parts[d.source] = parts.get(d.source, 0.0) + d.gw
    total = sum(v for k, v in parts.items() if roles.get(k) != "cloud")
    total += sum(v for k, v in parts.items() if roles.get(k) == "cloud")
    if total <= 0:
        return 0.0
    share = parts.get(partner, 0.0)
    if roles.get(partner) != "cloud":
        for cloud in (k for k, role in roles.items() if role == "cloud"):
            installed = sum(installed_gw[cloud].values())
            if installed > 0 and parts.get(cloud):
                share += parts[cloud] * installed_gw[cloud].get(partner, 0.0) / installed
    return min(1.0, share / total)
