"""The policy regime in force: which antitrust interventions apply at a given month.

Pure queries over the scenario's `[[interventions]]`; agents ask before they act (may this
deal be signed, may this vendor invest in its customer, is exclusivity allowed).
"""

from __future__ import annotations

from world.params import DealKind, InterventionKind, InterventionParams, month_index

VENDOR_ROLES = ("vendor",)


class Policy:
    """Interventions of a scenario, each in force from its `date` (default: the start)."""

    def __init__(
        self, interventions: list[InterventionParams], start_idx: int, roles: dict[str, str]
    ) -> None:
        self.items = list(interventions)
        self.start_idx = start_idx
        self.roles = roles
        self.now_idx = start_idx

    def update_month(self, month_idx: int) -> None:
        """Advance the policy clock."""
        self.now_idx = month_idx

    def compute_active(self, kind: InterventionKind) -> list[InterventionParams]:
        """Interventions of `kind` in force now."""
        return [
            iv
            for iv in self.items
            if iv.kind is kind and (iv.date is None or month_index(iv.date) <= self.now_idx)
        ]

    def forbids_deal(
        self, kind: DealKind | None, source: str, target: str, deal_id: str = ""
    ) -> bool:
        """A `block_deal` intervention matching this deal's id, or its kind and parties."""
        for iv in self.compute_active(InterventionKind.BLOCK_DEAL):
            if iv.deal_id and iv.deal_id == deal_id:
                return True
            if iv.deal_id:
                continue
            kind_ok = iv.deal_kind is None or iv.deal_kind is kind
            parties_ok = (
                not iv.parties
                or {source, target} <= set(iv.parties)
                or (len(iv.parties) == 1 and iv.parties[0] in (source, target))
            )
            if kind_ok and parties_ok:
                return True
        return False

    def forbids_financing(self, investor: str, investee: str) -> bool:
        """`no_vendor_financing`: a chip vendor may not invest in a customer; equity deals
        between the parties blocked also count."""
        if self.roles.get(investor) in VENDOR_ROLES and self.compute_active(
            InterventionKind.NO_VENDOR_FINANCING
        ):
            return True
        return self.forbids_deal(DealKind.EQUITY, investor, investee)

    def allows_exclusivity(self) -> bool:
        """False once a `ban_exclusivity` intervention is in force."""
        return not self.compute_active(InterventionKind.BAN_EXCLUSIVITY)

    def compute_equity_cap_pct(self) -> float:
        """Largest stake one firm may hold in another, percent (100 without a cap)."""
        caps = [iv.max_equity_pct for iv in self.compute_active(InterventionKind.CAP_EQUITY)]
        return min(caps) if caps else 100.0

    def compute_lockin_factor(self) -> float:
        """Multiplier on software lock-in (interoperability remedy), 1 without one."""
        factors = [
            iv.lockin_factor for iv in self.compute_active(InterventionKind.INTEROPERABILITY)
        ]
        return min(factors) if factors else 1.0
