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
        self.exclusivity_allowed = True
        self.decided_blocks: set[tuple[DealKind, str, str]] = set()

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
        if kind is not None and (kind, source, target) in self.decided_blocks:
            return True
        if kind in (DealKind.EQUITY, DealKind.WARRANT) and self.forbids_reacquisition(
            source, target
        ):
            return True
        return False

    def update_add_block(self, kind: DealKind, source: str, target: str) -> None:
        """Remember a block decision of the regulator: the parties expect the same kind of deal
        between them to be blocked again, so they stop proposing it (their search moves on)."""
        self.decided_blocks.add((kind, source, target))

    def forbids_reacquisition(self, owner: str, firm: str) -> bool:
        """A divestiture order in force forbids `owner` to buy back into `firm` (the usual
        hold-separate term of a structural remedy)."""
        for iv in self.compute_active(InterventionKind.DIVESTITURE):
            if len(iv.parties) == 2 and (owner, firm) == (iv.parties[0], iv.parties[1]):
                return True
        return False

    def is_vendor_financing(self, kind: DealKind | None, source: str, target: str) -> bool:
        """An equity investment by a chip vendor in another firm, or a vendor's warrant to a
        customer (shares given against purchases): both finance the buyer's chip purchases."""
        return (
            kind in (DealKind.EQUITY, DealKind.WARRANT)
            and self.roles.get(source) in VENDOR_ROLES
            and source != target
        )

    def forbids_equity_deal(
        self, kind: DealKind | None, source: str, target: str, deal_id: str = ""
    ) -> bool:
        """Any deal the policy forbids: `forbids_deal`, plus vendor financing (equity or
        warrants from a chip vendor to a customer) under `no_vendor_financing`."""
        if self.forbids_deal(kind, source, target, deal_id):
            return True
        return self.is_vendor_financing(kind, source, target) and bool(
            self.compute_active(InterventionKind.NO_VENDOR_FINANCING)
        )

    def makes_nonvoting_reportable(self) -> bool:
        """True once a `nonvoting_reportable` intervention is in force."""
        return bool(self.compute_active(InterventionKind.NONVOTING_REPORTABLE))

    def compute_allowed_fraction(self, current: float) -> float:
        """Largest new fraction f of post-issue shares an owner holding `current` may take under
        the equity cap: current (1 - f) + f <= cap, so f <= (cap - current) / (1 - current)."""
        cap = self.compute_equity_cap_pct() / 100.0
        if cap >= 1.0:
            return 1.0
        if current >= cap:
            return 0.0
        return max(0.0, (cap - current) / max(1e-12, 1.0 - current))

    def forbids_financing(self, investor: str, investee: str) -> bool:
        """`no_vendor_financing`: a chip vendor may not invest in a customer; equity deals
        between the parties blocked also count."""
        if self.roles.get(investor) in VENDOR_ROLES and self.compute_active(
            InterventionKind.NO_VENDOR_FINANCING
        ):
            return True
        return self.forbids_deal(DealKind.EQUITY, investor, investee)

    def allows_exclusivity(self) -> bool:
        """False when `market.exclusivity_allowed` is off or a `ban_exclusivity` intervention
        is in force."""
        return self.exclusivity_allowed and not self.compute_active(
            InterventionKind.BAN_EXCLUSIVITY
        )

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


def compute_capped_amount(allowed_frac: float, amount_usd_b: float, post_usd_b: float) -> float:
    """Largest part of an `amount_usd_b` investment at `post_usd_b` post-money whose new shares
    stay within `allowed_frac` of the post-issue shares (`Policy.compute_allowed_fraction`):
    min(amount, allowed x post); 0 for a non-positive amount or post-money. USD B."""
    if amount_usd_b <= 0 or post_usd_b <= 0:
        return 0.0
    return min(amount_usd_b, allowed_frac * post_usd_b)
