"""Equity stakes between firms: who owns what fraction of whom, and with what control.

State is a pair of square matrices over the firms (owner i, firm j): `owned[i, j]` the fraction
of firm j's shares held by firm i, `voting[i, j]` whether that holding carries votes. Outside
holders own the rest (1 - column sum). New money dilutes every existing holder pro rata.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

CONTROL_STAKE = 0.5
"""A voting stake of at least half the shares controls the firm (full control in MHHI; a
merger in the horizontal screen). Source: 2023 Merger Guidelines, guideline 11 and the HSR
rules' 'control' (16 CFR 801.1(b): 50% of the voting securities)."""


class StakeRegistry:
    """Cross-holdings among the model's firms (fractions in [0, 1])."""

    def __init__(self, firms: list[str]) -> None:
        self.firms = list(firms)
        self.index = {f: i for i, f in enumerate(self.firms)}
        n = len(self.firms)
        self.owned = np.zeros((n, n))
        self.voting = np.zeros((n, n), dtype=bool)
        self.owned.flags.writeable = self.voting.flags.writeable = False
        self._rows: tuple[np.ndarray, list[list[float]]] = (self.owned, self.owned.tolist())
        """(the holdings array, it as nested lists): `compute_stake` reads single holdings
        often; rebuilt whenever `owned` is another array (`_commit` replaces it on a change)."""
        self._matrices: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._derived: dict = {}
        """Values derived from the ownership and control matrices (`compute_derived`), kept
        while the matrices stay the same and dropped when they are recomputed."""
        self.version = 0
        """How many times the holdings have changed (`_commit` bumps it): readers that keep
        values derived from the holdings drop them when it moves (`compute_holdings_key`)."""

    def compute_stake(self, owner: str, firm: str) -> float:
        """Fraction of `firm` held by `owner`."""
        source, rows = self._rows
        if source is not self.owned:
            self._rows = (self.owned, rows := self.owned.tolist())
        return rows[self.index[owner]][self.index[firm]]

    def update_issue(
        self, owner: str, firm: str, amount_usd_b: float, post_money_usd_b: float, voting: bool
    ) -> float:
        """Issue new shares of `firm` to `owner` for `amount_usd_b` at `post_money_usd_b`.

        Rule: new fraction f = amount / post-money; every existing holder is diluted by (1 - f)
        (standard primary-round arithmetic). Returns f.
        """
        if post_money_usd_b <= 0 or amount_usd_b < 0:
            raise ValueError("post-money must be positive and amount non-negative")
        frac = min(1.0, amount_usd_b / post_money_usd_b)
        return self.update_grant(owner, firm, frac, voting)

    def update_grant(self, owner: str, firm: str, frac: float, voting: bool) -> float:
        """Issue `frac` of the post-issue shares of `firm` to `owner` (warrant vesting)."""
        if not 0.0 <= frac <= 1.0:
            raise ValueError(f"fraction {frac} outside [0, 1]")
        i, j = self.index[owner], self.index[firm]
        owned, votes = self._editable()
        owned[:, j] *= 1.0 - frac
        owned[i, j] += frac
        votes[i, j] = votes[i, j] or voting
        self._commit(owned, votes)
        return frac

    def update_dilute(self, firm: str, frac: float) -> None:
        """Outside investors take a fraction `frac` of `firm`'s post-issue shares: every holder
        in the registry is diluted by (1 - frac)."""
        if not 0.0 <= frac <= 1.0:
            raise ValueError(f"fraction {frac} outside [0, 1]")
        owned, votes = self._editable()
        owned[:, self.index[firm]] *= 1.0 - frac
        self._commit(owned, votes)

    def update_set(self, owner: str, firm: str, frac: float, voting: bool) -> None:
        """Set a holding directly (initial positions before the start of the run)."""
        i, j = self.index[owner], self.index[firm]
        others = self.owned[:, j].sum() - self.owned[i, j]
        if frac < 0 or others + frac > 1.0 + 1e-12:
            raise ValueError(f"stake of {owner} in {firm} would push holdings above 100%")
        owned, votes = self._editable()
        owned[i, j] = frac
        votes[i, j] = voting
        self._commit(owned, votes)

    def update_divest(self, owner: str, firm: str, keep_frac: float = 0.0) -> float:
        """Sell all but `keep_frac` of the holding to outside investors; return the part sold."""
        i, j = self.index[owner], self.index[firm]
        sold = max(0.0, self.owned[i, j] - keep_frac)
        owned, votes = self._editable()
        owned[i, j] -= sold
        if owned[i, j] <= 0:
            votes[i, j] = False
        self._commit(owned, votes)
        return sold

    def _editable(self) -> tuple[np.ndarray, np.ndarray]:
        """Writable copies of the holdings, to change and pass to `_commit`."""
        return self.owned.copy(), self.voting.copy()

    def _commit(self, owned: np.ndarray, voting: np.ndarray) -> None:
        """Install new holdings, read-only: a change is always a new pair of arrays, so the
        matrices derived from them (`compute_ownership_control`) are kept while the arrays
        are the same objects."""
        owned.flags.writeable = voting.flags.writeable = False
        self.owned, self.voting = owned, voting
        self.version += 1

    def compute_holdings_key(self) -> tuple:
        """What names the holdings as they are now, for readers that keep values derived from
        them: (this registry, its `version`, its two arrays). Every change through the update
        methods bumps the version and installs new arrays (`_commit`); an assignment of other
        arrays, bypassing them, still changes the key. Compare with `is_holdings_key`."""
        return (self, self.version, self.owned, self.voting)

    def is_holdings_key(self, key: tuple) -> bool:
        """Whether `key` (a `compute_holdings_key`, or () for none yet) names the holdings as
        they are now: the same registry and version and the very same arrays (by identity:
        `==` on arrays would compare their elements)."""
        return (bool(key) and key[0] is self and key[1] == self.version
                and key[2] is self.owned and key[3] is self.voting)

    def compute_with_stake(self, owner: str, firm: str, frac: float, voting: bool) -> StakeRegistry:
        """A copy of the registry with one more stake issued (for a reviewer's what-if)."""
        other = StakeRegistry(self.firms)
        other.owned, other.voting = self.owned, self.voting  # read-only: shared until changed
        other._rows = self._rows
        other._matrices = None
        other._derived = {}
        other.update_grant(owner, firm, frac, voting)
        return other

    def compute_snapshot(self) -> StakeRegistry:
        """A registry with the holdings as they are now, unchanged by later changes to this
        one (the arrays are read-only and replaced on every change, so they are shared)."""
        other = StakeRegistry(self.firms)
        other.owned, other.voting = self.owned, self.voting
        other._rows = self._rows
        other._matrices = self._matrices  # read-only; `compute_ownership_control` checks them
        return other

    def compute_ownership_control(self) -> tuple[np.ndarray, np.ndarray]:
        """Ownership and control matrices (owner group g, firm j), O'Brien and Salop (2000).

        Owner group g is firm g's outside shareholders, holding the residual r_g = 1 - sum of
        the firms' stakes in g. They own firm g directly (beta[g, g] = r_g) and every firm g
        holds a stake in through g (beta[g, j] = r_g x owned[g, j]).

        Control is kept apart from financial interest. Below `CONTROL_STAKE`, control of firm j
        is proportional: shared between its outside shareholders (c[j, j] = r_j) and the firms
        holding voting stakes in it (c[g, j] = owned[g, j]), O'Brien and Salop's 'proportional
        control'. A voting stake of at least `CONTROL_STAKE` is full control (c[g, j] = 1, every
        other holder 0). Silent (non-voting) stakes, including unexercised or vested warrants
        without votes, carry financial interest and no control.
        """
        cached = self._matrices
        if cached is not None and cached[0] is self.owned and cached[1] is self.voting:
            return cached[2], cached[3]  # read every month, changed rarely (`_commit`)
        resid = np.maximum(0.0, 1.0 - self.owned.sum(axis=0))
        ownership = resid[:, None] * self.owned
        np.fill_diagonal(ownership, resid)
        control = np.where(self.voting, self.owned, 0.0)
        np.fill_diagonal(control, resid)
        cols = np.arange(control.shape[1])
        holder = np.argmax(control, axis=0)  # each firm's largest controlling holder
        full = ((holder != cols) & self.voting[holder, cols]
                & (self.owned[holder, cols] >= CONTROL_STAKE))
        control[:, full] = 0.0
        control[holder[full], cols[full]] = 1.0
        ownership.flags.writeable = control.flags.writeable = False
        self._matrices = (self.owned, self.voting, ownership, control)
        self._derived = {}
        return ownership, control

    def compute_derived(self, key: Hashable, build: Callable[[np.ndarray, np.ndarray], Any]) -> Any:
        """`build(ownership, control)` (`compute_ownership_control`), kept under `key` until
        the holdings change: a market's MHHI weights are read every month and change rarely.
        `build` must depend on the matrices and on what `key` names only; its result is shared,
        so callers must not mutate it."""
        ownership, control = self.compute_ownership_control()  # drops stale values
        if key not in self._derived:
            self._derived[key] = build(ownership, control)
        return self._derived[key]

    def compute_controller(self, firm: str) -> str:
        """The firm that controls `firm` (a voting stake >= `CONTROL_STAKE`), else `firm`."""
        j = self.index[firm]
        for i, owner in enumerate(self.firms):
            if i != j and self.voting[i, j] and self.owned[i, j] >= CONTROL_STAKE:
                return owner
        return firm
