"""Deals: the contracts firms sign, their terms and their lifecycle (docs/odd.md).

Party convention: `source` is the seller or investor (the chip vendor for `supply`, the cloud
provider for `cloud_capacity`, the investor for `equity`, the issuer for `warrant`), `target` is
the buyer or investee. Money flows target -> source for supply and cloud capacity (the buyer
pays), source -> target for equity (the investor pays). Money itself is booked by
`world.ledger`; a deal only carries the terms.

Lifecycle (facts.toml D1-D1c: letter of intent, stall, restructuring; docs/odd.md):
`proposed -> loi -> definitive -> under_review -> active -> completed`, with the side exits in
`TRANSITIONS`. `renegotiated` is terminal: the deal is replaced by a child deal whose
`parent_id` names it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from world.params import DealKind


class DealStatus(StrEnum):
    """Stage of a deal in its lifecycle."""

    PROPOSED = "proposed"
    LOI = "loi"
    DEFINITIVE = "definitive"
    UNDER_REVIEW = "under_review"
    ACTIVE = "active"
    COMPLETED = "completed"
    STALLED = "stalled"
    RENEGOTIATED = "renegotiated"
    ABANDONED = "abandoned"
    BLOCKED = "blocked"
    DEFAULTED = "defaulted"


_S = DealStatus
TRANSITIONS: dict[DealStatus, frozenset[DealStatus]] = {
    _S.PROPOSED: frozenset({_S.LOI, _S.DEFINITIVE, _S.ABANDONED, _S.BLOCKED}),
    _S.LOI: frozenset(
        {_S.DEFINITIVE, _S.STALLED, _S.RENEGOTIATED, _S.ABANDONED, _S.UNDER_REVIEW, _S.BLOCKED}
    ),
    _S.DEFINITIVE: frozenset(
        {_S.UNDER_REVIEW, _S.ACTIVE, _S.STALLED, _S.RENEGOTIATED, _S.ABANDONED, _S.BLOCKED}
    ),
    _S.UNDER_REVIEW: frozenset(
        {_S.ACTIVE, _S.BLOCKED, _S.DEFINITIVE, _S.RENEGOTIATED, _S.ABANDONED}
    ),
    _S.STALLED: frozenset({_S.DEFINITIVE, _S.RENEGOTIATED, _S.ABANDONED}),
    _S.ACTIVE: frozenset({_S.COMPLETED, _S.DEFAULTED, _S.RENEGOTIATED}),
    _S.COMPLETED: frozenset(),
    _S.RENEGOTIATED: frozenset(),
    _S.ABANDONED: frozenset(),
    _S.BLOCKED: frozenset(),
    _S.DEFAULTED: frozenset(),
}
"""Allowed moves from each status. Terminal statuses have none (they are final)."""

TERMINAL: frozenset[DealStatus] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
"""Statuses a deal never leaves: completed, renegotiated, abandoned, blocked, defaulted."""

SIGNED: frozenset[DealStatus] = frozenset({_S.DEFINITIVE, _S.ACTIVE, _S.COMPLETED, _S.DEFAULTED})
"""Statuses that imply a definitive (signed) agreement exists."""


@dataclass(slots=True)
class Tranche:
    """One milestone payment: `amount_usd_b` is due once `milestone_gw` GW are deployed.

    Source: facts.toml D1 ($100B in ten $10B tranches, one per GW deployed).
    `paid_step` is None until paid.
    """

    milestone_gw: float
    amount_usd_b: float
    paid_step: int | None = None


_DUE_TERMS = frozenset(("deal_id", "source", "gw", "duration_months", "start_step"))
"""The terms that fix how much of a supply contract falls due when (`Deal.term_changes`)."""


@dataclass(slots=True, init=False)
class Deal:
    """An agreement between two parties with its terms and lifecycle.

    Attributes:
        deal_id: unique id (event id or `DealBook.next_id`).
        kind: supply, cloud_capacity, equity or warrant.
        source: seller / investor / issuer (see the module docstring).
        target: buyer / investee / holder.
        status: current `DealStatus`.
        step_proposed: step (month) the deal entered the book.
        step_signed: step it became definitive (None until then).
        step_closed: step it reached a terminal status (None until then).
        value_usd_b: total contract value, USD B.
        gw: facility power covered, GW.
        price_usd_b_per_gw: USD B per GW (per GW-year for cloud capacity).
        duration_months: term of delivery or lease, months (0 = one-off).
        start_step: first step of delivery or lease.
        equity_pct: stake, percent of the investee (0-100).
        voting: whether the stake carries votes.
        exclusive: the target may deal in this kind only with the source while live.
        binding: a definitive, enforceable commitment (False for a letter of intent).
        valuation_usd_b: post-money valuation of an equity deal, USD B.
        tranches: milestone payments (facts.toml D1).
        parent_id: the deal this one restructures ('' if none).
        origin: 'event' (a dated announcement) or 'endogenous' (struck by the agents).
        surplus_usd_b: the Nash-in-Nash surplus of a negotiated deal, S = A_s + A_b - d_s -
            d_b (`world.bargaining`); None for deals not negotiated in the model.
        disagreement_source_usd_b, disagreement_target_usd_b: d_s and d_b, each party's
            payoff over the contract window if the deal fails and the market is re-solved
            without it; None for deals not negotiated in the model.
        history: (step, status) entries, oldest first; starts with the initial status.
    """

    deal_id: str
    kind: DealKind
    source: str
    target: str
    status: DealStatus = DealStatus.PROPOSED
    step_proposed: int = 0
    step_signed: int | None = None
    step_closed: int | None = None
    value_usd_b: float = 0.0
    gw: float = 0.0
    price_usd_b_per_gw: float = 0.0
    duration_months: int = 0
    start_step: int = 0
    equity_pct: float = 0.0
    voting: bool = True
    exclusive: bool = False
    binding: bool = False
    valuation_usd_b: float = 0.0
    tranches: list[Tranche] = field(default_factory=list)
    parent_id: str = ""
    origin: str = "endogenous"
    surplus_usd_b: float | None = None
    disagreement_source_usd_b: float | None = None
    disagreement_target_usd_b: float | None = None
    history: list[tuple[int, DealStatus]] = field(default_factory=list)
    changes: ClassVar[int] = 0
    """How many times any deal's status or kind has been set (in this process): lists that
    filter deals by them (`DealBook.live_supply`) are kept while it is unchanged."""

    term_changes: ClassVar[int] = 0
    """How many times any deal's id, seller, GW or delivery schedule has been set (in this
    process): the chip market's contracted GW due per designer is kept while it is unchanged."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status" or name == "kind":
            Deal.changes += 1
        elif name in _DUE_TERMS:
            Deal.term_changes += 1
        object.__setattr__(self, name, value)

    def __init__(self, deal_id: str, kind: DealKind, source: str, target: str,
                 status: DealStatus = DealStatus.PROPOSED, step_proposed: int = 0,
                 step_signed: int | None = None, step_closed: int | None = None,
                 value_usd_b: float = 0.0, gw: float = 0.0, price_usd_b_per_gw: float = 0.0,
                 duration_months: int = 0, start_step: int = 0, equity_pct: float = 0.0,
                 voting: bool = True, exclusive: bool = False, binding: bool = False,
                 valuation_usd_b: float = 0.0, tranches: list[Tranche] | None = None,
                 parent_id: str = "", origin: str = "endogenous",
                 surplus_usd_b: float | None = None,
                 disagreement_source_usd_b: float | None = None,
                 disagreement_target_usd_b: float | None = None,
                 history: list[tuple[int, DealStatus]] | None = None) -> None:
        """The fields as declared above (`tranches`, `history`: a new empty list when not
        given). Checks the parties and the origin, starts the history with the initial status
        and dates a deal entered signed or terminal at `step_proposed`.

        Fields are written with `object.__setattr__` (one call each, not `__setattr__`'s
        counting per field): a new deal counts as one change of the statuses and one of the
        due terms (`changes`, `term_changes`), which readers only compare for equality.

        Raises:
            ValueError: source and target are the same firm (other than a designer's supply
                to itself), or `origin` is not 'event' or 'endogenous'.
        """
        if type(kind) is not DealKind:  # a name given: the enum member (raises if unknown)
            kind = DealKind(kind)
        if type(status) is not DealStatus:
            status = DealStatus(status)
        if source == target and kind is not DealKind.SUPPLY:
            # a designer's order for its own chips (facts.toml D3) is the only self-deal
            raise ValueError(f"deal {deal_id!r}: source and target are both {source!r}")
        if origin not in ("event", "endogenous"):
            raise ValueError(f"deal {deal_id!r}: origin must be 'event' or 'endogenous'")
        if history is None:
            history = []
        if not history:
            history.append((step_proposed, status))
        if status in SIGNED and step_signed is None:
            step_signed = step_proposed
        if status in TERMINAL and step_closed is None:
            step_closed = step_proposed
        put = object.__setattr__
        put(self, "deal_id", deal_id)
        put(self, "kind", kind)
        put(self, "source", source)
        put(self, "target", target)
        put(self, "status", status)
        put(self, "step_proposed", step_proposed)
        put(self, "step_signed", step_signed)
        put(self, "step_closed", step_closed)
        put(self, "value_usd_b", value_usd_b)
        put(self, "gw", gw)
        put(self, "price_usd_b_per_gw", price_usd_b_per_gw)
        put(self, "duration_months", duration_months)
        put(self, "start_step", start_step)
        put(self, "equity_pct", equity_pct)
        put(self, "voting", voting)
        put(self, "exclusive", exclusive)
        put(self, "binding", binding)
        put(self, "valuation_usd_b", valuation_usd_b)
        put(self, "tranches", [] if tranches is None else tranches)
        put(self, "parent_id", parent_id)
        put(self, "origin", origin)
        put(self, "surplus_usd_b", surplus_usd_b)
        put(self, "disagreement_source_usd_b", disagreement_source_usd_b)
        put(self, "disagreement_target_usd_b", disagreement_target_usd_b)
        put(self, "history", history)
        Deal.changes += 1
        Deal.term_changes += 1

    @property
    def is_terminal(self) -> bool:
        """True once the deal can never change status again."""
        return self.status in TERMINAL

    def compute_lease_usd_b(self, start_step: int, end_step: int) -> float:
        """What a cloud-capacity contract charges over months [`start_step`, `end_step`), USD B:
        price per GW-year x GW x the months of its term inside the window / 12."""
        end = self.start_step + self.duration_months
        months = max(0, min(end, end_step) - max(self.start_step, start_step))
        return self.price_usd_b_per_gw * self.gw * months / 12.0

    @property
    def is_live(self) -> bool:
        """True while the deal is not terminal (proposed through active, stalled included)."""
        return self.status not in TERMINAL

    @property
    def months(self) -> int:
        """Months over which the terms are spread: `duration_months`, or 1 for a one-off."""
        return max(1, self.duration_months)

    @property
    def gw_per_month(self) -> float:
        """GW delivered (or leased anew) per month: gw / months (a one-off delivers it all)."""
        return self.gw / self.months

    @property
    def usd_b_per_month(self) -> float:
        """Money due per month, USD B: value_usd_b / months (a one-off is due at once)."""
        return self.value_usd_b / self.months

    def compute_runs_at(self, step: int) -> bool:
        """True if `step` lies in the delivery window [start_step, start_step + months)."""
        return self.start_step <= step < self.start_step + self.months

    def update_status(self, new: DealStatus, step: int) -> None:
        """Move to `new` at `step` if `TRANSITIONS` allows it.

        Sets `step_signed` on first reaching a signed status, `step_closed` on reaching a
        terminal one, and appends (step, new) to `history`.

        Raises:
            ValueError: the transition is not allowed, or `step` is earlier than the last entry.
        """
        if type(new) is not DealStatus:  # a name given: the member (raises if unknown)
            new = DealStatus(new)
        if new not in TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(TRANSITIONS[self.status])) or "none (terminal)"
            raise ValueError(
                f"deal {self.deal_id!r}: cannot go from {self.status} to {new}; allowed: {allowed}"
            )
        if self.history and step < self.history[-1][0]:
            raise ValueError(
                f"deal {self.deal_id!r}: step {step} is before the last change "
                f"(step {self.history[-1][0]}); time only moves forward"
            )
        self.status = new
        if new in SIGNED and self.step_signed is None:
            self.step_signed = step
        if new in TERMINAL:
            self.step_closed = step
        self.history.append((step, new))


class DealBook:
    """All deals of a run, by id; iteration is always in id order (deterministic)."""

    def __init__(self) -> None:
        self._deals: dict[str, Deal] = {}
        self._order: list[str] | None = []
        self._live: list[Deal] | None = []
        self._live_changes = Deal.changes
        self._supply: tuple[int, int, tuple[Deal, ...]] = (-1, -1, ())
        self._counters: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._deals)

    def __contains__(self, deal_id: object) -> bool:
        return deal_id in self._deals

    def __iter__(self) -> Iterator[Deal]:
        return iter([self._deals[i] for i in self._sorted_ids()])

    def _sorted_ids(self) -> list[str]:
        if self._order is None:
            self._order = sorted(self._deals)
        return self._order

    def add(self, deal: Deal) -> None:
        """Add a deal. Raises ValueError if its id is already in the book."""
        if deal.deal_id in self._deals:
            raise ValueError(f"deal id {deal.deal_id!r} already exists; use DealBook.next_id")
        self._deals[deal.deal_id] = deal
        self._order = None
        self._live = None

    def update_open(self, kind: DealKind, source: str, target: str, status: DealStatus,
                    step: int, origin: str, terms: Mapping[str, Any], deal_id: str = "",
                    id_prefix: str = "") -> Deal:
        """Enter a new deal proposed at `step`: id `deal_id`, else a fresh one from `next_id`
        with `id_prefix` (default: the kind's first three letters, e.g. `SUP`)."""
        deal = Deal(deal_id=deal_id or self.next_id(id_prefix or kind.value[:3].upper()),
                    kind=kind, source=source, target=target, status=status,
                    step_proposed=step, origin=origin, **terms)
        self.add(deal)
        return deal

    def get(self, deal_id: str) -> Deal:
        """The deal with this id. Raises KeyError naming the id if absent."""
        try:
            return self._deals[deal_id]
        except KeyError:
            raise KeyError(f"no deal with id {deal_id!r} in the book") from None

    def live(self, kind: DealKind | None = None) -> list[Deal]:
        """Non-terminal deals (optionally of one kind), in id order.

        Terminal statuses are absorbing, so the live deals are kept between calls and only
        pruned, and only looked at again once a status has been set (`Deal.changes`); adding
        a deal rebuilds them: the model asks ~3,000 times a run.
        """
        if self._live is None:
            self._live = [d for d in self if d.is_live]
            self._live_changes = Deal.changes
        elif self._live_changes != Deal.changes:  # a status was set since: prune
            if any(d.status in TERMINAL for d in self._live):
                self._live = [d for d in self._live if d.is_live]
            self._live_changes = Deal.changes
        if kind is None:
            return list(self._live)
        return [d for d in self._live if d.kind is kind]

    def live_supply(self) -> tuple[Deal, ...]:
        """Active supply contracts in id order (`world.chip_market.active_supply_deals`), kept
        while no deal is added and no deal's status or kind is set (`Deal.changes`): the
        chip market, the view and the recorder ask ~400 times a run."""
        key = (Deal.changes, len(self._deals))
        if self._supply[:2] != key:
            supply = tuple(d for d in self.live() if d.kind is DealKind.SUPPLY
                           and d.status is DealStatus.ACTIVE)
            self._supply = (*key, supply)
        return self._supply[2]

    def by_status(self, *statuses: DealStatus) -> list[Deal]:
        """Deals whose status is one of `statuses`, in id order."""
        wanted = {DealStatus(s) for s in statuses}
        return [d for d in self if d.status in wanted]

    def next_id(self, prefix: str) -> str:
        """A fresh id `'{prefix}-{n:04d}'`, n counting up per prefix from 1, skipping used ids.

        Deterministic: the same sequence of calls gives the same ids.
        """
        n = self._counters.get(prefix, 0)
        while True:
            n += 1
            candidate = f"{prefix}-{n:04d}"
            if candidate not in self._deals:
                self._counters[prefix] = n
                return candidate
