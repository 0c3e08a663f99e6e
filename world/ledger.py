"""Double-entry ledger: every money flow of a run, between named accounts (docs/odd.md).

All accounts start at zero and money only moves between accounts, so the sum of all balances is
zero at every moment (conservation). External parties ('Customers', 'Investors', 'Lenders',
'Suppliers', the fringe) are ordinary accounts whose balances go negative as they pay in; a
firm's opening cash is an `initial` transfer from 'Investors'. Flows are stored as plain tuples
(one list) so tens of thousands of them per run stay cheap, and cumulative totals per
(source, target, kind) are kept in a running dict so `compute_cumulative` of one kind is O(1)
(the model reads only those); a pair's total over all kinds, asked only by reports, is added
up from the flows when asked, in booking order (the float a running total would hold).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum


class FlowKind(StrEnum):
    """What a money flow pays for."""

    CHIP_PAYMENT = "chip_payment"
    CLOUD_PAYMENT = "cloud_payment"
    EQUITY_INVESTMENT = "equity_investment"
    WARRANT = "warrant"
    REVENUE = "revenue"
    OPEX = "opex"
    CAPEX = "capex"
    FUNDING_ROUND = "funding_round"
    DEBT_DRAW = "debt_draw"
    DEBT_SERVICE = "debt_service"
    DIVESTITURE = "divestiture"
    INITIAL = "initial"


_KIND_VALUES: dict[FlowKind, str] = {k: k.value for k in FlowKind}
"""Each kind's plain string, as stored in the flows (a dict read is cheaper than `.value`)."""


class Ledger:
    """Balances (USD B) of named accounts and the log of every transfer between them.

    Args:
        accounts: account names (firms, fringe and external parties); duplicates are errors.
    """

    def __init__(self, accounts: list[str]) -> None:
        if len(set(accounts)) != len(accounts):
            raise ValueError("Ledger accounts must be unique; remove the duplicate names")
        self._balances: dict[str, float] = {a: 0.0 for a in accounts}
        self._flows: list[tuple[int, str, str, str, float, str]] = []
        """Every flow as (step, source, target, kind, amount_usd_b, deal_id), in booking
        order (`flows_columns` turns them into columns)."""
        self._cum: dict[tuple[str, str, FlowKind], float] = {}
        """(source, target, kind) -> cumulative amount, a running sum in booking order."""
        self._payers: dict[str, tuple[str, ...]] = {}
        """Account -> the accounts that ever paid it, in sorted order (replaced by a longer
        tuple in `transfer` when a new payer appears)."""
        self._payees: dict[tuple[str, FlowKind], tuple[str, ...]] = {}
        """(account, kind) -> the accounts it ever paid for that kind, in sorted order
        (replaced by a longer tuple in `transfer` when a new payee appears)."""
        self._accounts: tuple[str, ...] = tuple(sorted(self._balances))
        """The account names, sorted: kept, since accounts are opened only by
        `update_add_account` (which re-sorts them)."""

    @property
    def accounts(self) -> tuple[str, ...]:
        """Account names, sorted."""
        return self._accounts

    def __len__(self) -> int:
        """Number of flows booked."""
        return len(self._flows)

    def update_add_account(self, name: str) -> None:
        """Open a new account at zero. Raises ValueError if it exists."""
        if name in self._balances:
            raise ValueError(f"ledger account {name!r} already exists")
        self._balances[name] = 0.0
        self._accounts = tuple(sorted(self._balances))

    def transfer(
        self,
        step: int,
        source: str,
        target: str,
        amount_usd_b: float,
        kind: FlowKind,
        deal_id: str = "",
    ) -> None:
        """Move `amount_usd_b` from `source` to `target` at `step` and record the flow.

        Raises:
            ValueError: amount not finite or not > 0, source == target, or an unknown account.
        """
        if not (math.isfinite(amount_usd_b) and amount_usd_b > 0.0):
            raise ValueError(
                f"transfer {source}->{target} ({kind}): amount must be finite and > 0, "
                f"got {amount_usd_b!r}; skip zero flows before calling"
            )
        if source == target:
            raise ValueError(f"transfer from {source!r} to itself ({kind}); nothing to book")
        balances = self._balances
        if source not in balances or target not in balances:
            name = source if source not in balances else target
            raise ValueError(f"unknown ledger account {name!r}; open it with update_add_account")
        if kind.__class__ is not FlowKind:  # a plain string: check it names a kind
            kind = FlowKind(kind)
        amount = float(amount_usd_b)
        balances[source] -= amount
        balances[target] += amount
        self._flows.append((step if step.__class__ is int else int(step), source, target,
                            _KIND_VALUES[kind], amount, deal_id))
        cum = self._cum
        key = (source, target, kind)
        prev = cum.get(key)
        if prev is None:  # a new payee of `source` for this kind (0.0 + amount is amount)
            payees = self._payees.get((source, kind), ())
            self._payees[(source, kind)] = tuple(sorted([*payees, target]))
            payers = self._payers.get(target, ())
            if source not in payers:  # (a pair's first flow is always a new kind for it)
                self._payers[target] = tuple(sorted([*payers, source]))
            cum[key] = amount
        else:
            cum[key] = prev + amount

    def balance(self, account: str) -> float:
        """Balance of `account`, USD B (KeyError naming it if unknown)."""
        try:
            return self._balances[account]
        except KeyError:
            raise KeyError(f"unknown ledger account {account!r}") from None

    def total(self) -> float:
        """Sum of all balances, USD B (fsum). Conservation keeps it at 0 up to float rounding
        of the running balances (~1e-16 of the gross flows)."""
        return math.fsum(self._balances.values())

    def compute_cumulative(self, source: str, target: str, kind: FlowKind | None = None) -> float:
        """Total paid so far by `source` to `target` (of one kind, or of all kinds), USD B.
        Of one kind: kept (O(1)); of all kinds: the pair's flows added up in booking order
        (O(flows); the model never asks)."""
        if kind is None:
            total = 0.0
            for _, src, tgt, _, amount, _ in self._flows:
                if src == source and tgt == target:
                    total += amount
            return total
        if kind.__class__ is not FlowKind:
            kind = FlowKind(kind)
        return self._cum.get((source, target, kind), 0.0)

    def compute_received_usd_b(self, target: str, kinds: Iterable[FlowKind]) -> float:
        """Total paid so far to `target` by every account over `kinds`, USD B.

        Rule: the sum, in the order of the sorted accounts and then of `kinds`, of
        `compute_cumulative(account, target, kind)` (Python's `sum`, so the float is the
        same as summing those calls; accounts that never paid `target` add exact zeros and
        are skipped).
        """
        kinds = [k if k.__class__ is FlowKind else FlowKind(k) for k in kinds]
        cum = self._cum
        payers = self._payers.get(target, ())
        return float(sum([cum.get((a, target, k), 0.0) for a in payers for k in kinds]))

    def compute_paid_usd_b(self, source: str, kind: FlowKind) -> float:
        """Total paid so far by `source` to every account for `kind`, USD B.

        Rule: the running sum, from 0.0 in the order of the sorted payees, of
        `compute_cumulative(source, payee, kind)`: the same float as adding up
        `compute_pair_totals((kind,))` over the pairs whose payer is `source`, in key order.
        """
        if kind.__class__ is not FlowKind:
            kind = FlowKind(kind)
        cum = self._cum
        total = 0.0
        for payee in self._payees.get((source, kind), ()):
            total += cum[(source, payee, kind)]
        return total

    def compute_payees(self, source: str, kind: FlowKind) -> tuple[str, ...]:
        """The accounts `source` has ever paid for `kind` (a positive amount), sorted; empty
        if none. Exactly the payees whose `compute_cumulative(source, payee, kind)` is > 0."""
        if kind.__class__ is not FlowKind:
            kind = FlowKind(kind)
        return self._payees.get((source, kind), ())

    def compute_pair_totals(
        self, kinds: Iterable[FlowKind] | None = None
    ) -> dict[tuple[str, str], float]:
        """Cumulative paid per (payer, payee) pair over `kinds` (all kinds if None), USD B.

        Keys are sorted; this is the `paid` argument of `DealNetwork.compute_money_cycles`.
        """
        out: dict[tuple[str, str], float] = {}
        if kinds is None:  # each pair's flows in booking order (0.0 + amount is amount)
            for _, src, tgt, _, amount, _ in self._flows:
                out[(src, tgt)] = out.get((src, tgt), 0.0) + amount
        else:
            wanted = {FlowKind(k) for k in kinds}
            for (src, tgt, k), amount in self._cum.items():
                if k in wanted:
                    out[(src, tgt)] = out.get((src, tgt), 0.0) + amount
        return dict(sorted(out.items()))

    def flows_columns(self) -> dict[str, list]:
        """Every flow as columns (copies): step, source, target, kind, amount_usd_b, deal_id."""
        names = ("step", "source", "target", "kind", "amount_usd_b", "deal_id")
        if not self._flows:
            return {name: [] for name in names}
        columns = zip(*self._flows, strict=True)
        return {name: list(col) for name, col in zip(names, columns, strict=True)}
