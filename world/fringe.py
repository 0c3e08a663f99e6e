"""The fringe: the many firms outside the named six, split into named firms and small ones.

Each market's fringe quantity (the fringe designers' accelerators, the fringe clouds'
capacity, the fringe labs' compute) is the sum over its firms. A few named firms take fixed
shares of it (`[fringe]` in the scenario: e.g. Google's TPUs among the chips, Google Cloud
and CoreWeave among the clouds, Anthropic among the labs); the remainder is spread over
`small_firms` small firms whose sizes follow a Zipf law, size_k proportional to k^-z
(Axtell 2001, Science 293, firm sizes are Zipf-distributed with z close to 1).

The fringe firms are price takers: the markets clear on the fringe's total, and this module
only splits that total among them for the shares and concentration the recorder reports.
The remainder appears as one row (named `Other chips`, `Other clouds`, `Other labs`) with
its number of firms; `compute_hhi_with_fringe` counts each small firm as a firm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from world.metrics import HHI_SCALE
from world.params import FringeParams

REMAINDER = {"accelerators": "Other chips", "cloud": "Other clouds", "frontier_ai": "Other labs"}
"""Name of each market's row of small fringe firms (also the fringe's account name)."""


def compute_zipf_sizes(n_firms: int, exponent: float) -> np.ndarray:
    """Shares of `n_firms` small firms with size_k proportional to k^-exponent (sum to 1)."""
    sizes = np.arange(1, n_firms + 1, dtype=float) ** -exponent
    return sizes / sizes.sum()


@dataclass(frozen=True)
class FringeMarket:
    """The fringe of one market: named firms' shares of the fringe and the small remainder.

    Attributes:
        named: fringe firm -> share of the fringe quantity (sorted by name).
        remainder: name of the row of small firms.
        n_small: number of small firms in the remainder.
        small_hhi_frac: sum of the small firms' squared shares within the remainder (in (0, 1]).
        small_sizes: the small firms' shares within the remainder (Zipf, sum to 1).
    """

    named: Mapping[str, float]
    remainder: str
    n_small: int
    small_hhi_frac: float
    small_sizes: tuple[float, ...] = ()
    small_names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """`<remainder> k` for k = 1 .. len(small_sizes): the small firms' names."""

    def __post_init__(self) -> None:
        names = tuple(f"{self.remainder} {k}" for k in range(1, len(self.small_sizes) + 1))
        object.__setattr__(self, "small_names", names)

    @property
    def remainder_share(self) -> float:
        """Share of the fringe held by the small firms."""
        return max(0.0, 1.0 - sum(self.named.values()))

    def compute_split(self, fringe_quantity: float) -> dict[str, float]:
        """The fringe's quantity by row: each named firm's share, the rest to the remainder."""
        out = {name: fringe_quantity * s for name, s in self.named.items()}
        out[self.remainder] = fringe_quantity * self.remainder_share
        return out

    def compute_firm_shares(self, shares: Mapping[str, float]) -> dict[str, float]:
        """`shares` with the remainder row replaced by its small firms (`<remainder> k`, share
        s_rem x z_k): one entry per firm, for screens that must see firms, not rows (an MHHI
        counting the remainder as one firm would overstate concentration)."""
        if self.remainder not in shares or not self.small_sizes:
            return dict(shares)
        out = {name: s for name, s in shares.items() if name != self.remainder}
        rem = shares[self.remainder]
        for name, z in zip(self.small_names, self.small_sizes, strict=True):
            out[name] = rem * z
        return out

    def compute_firms_in_row(self, row: str) -> int:
        """Firms a row of this fringe stands for (1 for a named firm)."""
        return self.n_small if row == self.remainder else 1


def build_fringe(params: FringeParams) -> dict[str, FringeMarket]:
    """The fringe of each market from the scenario's `[fringe]` section."""
    small = compute_zipf_sizes(params.small_firms, params.zipf_exponent)
    hhi_frac = float(np.dot(small, small))
    by_market = {"accelerators": params.chips, "cloud": params.clouds, "frontier_ai": params.labs}
    return {
        market: FringeMarket(
            dict(sorted(named.items())), REMAINDER[market], params.small_firms, hhi_frac,
            tuple(float(z) for z in small),
        )
        for market, named in by_market.items()
    }


def compute_hhi_with_fringe(shares: Mapping[str, float], fringe: FringeMarket) -> float:
    """HHI (0-10,000) counting the remainder row as the small firms it stands for.

    Rule: HHI = 10,000 x (sum over single-firm rows of s_i^2 + s_rem^2 x sum_k z_k^2), z_k the
    small firms' shares within the remainder (`compute_zipf_sizes`).
    """
    total = 0.0
    for name, s in shares.items():
        total += s * s * (fringe.small_hhi_frac if name == fringe.remainder else 1.0)
    return HHI_SCALE * total
