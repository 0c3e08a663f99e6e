"""Candidate datacenter sites: a numpy table, one row per site (docs/odd.md).

The default pool has ~800 sites, as many as OpenAI screened for power, permits and financing
(facts.toml sites). Each site has a region, the grid power it can get (GW), a wait for grid
interconnection (facts.toml grid_interconnection: median queue ~5 years), a permitting time, a
construction time (facts.toml build_times) and a capital cost per GW (facts.toml cost_per_gw,
building share). Firms acquire sites (`owner`) and plan datacenters on them (`used_gw`, kept by
`world.datacenters.Fleet`).

Time to power: construction runs once permitted while the grid connection is pending, so a
site is powered `max(interconnect_wait, permit + build)` months after planning; this is the
rule of `world.datacenters.Fleet`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from world.params import Distribution, SitesParams

__all__ = [
    "DELAY_COST_USD_B_PER_GW_MONTH",
    "FREE",
    "SitePool",
    "draw_lognormal",
    "generate_sites",
]

FREE = -1
"""Owner code of a site nobody owns."""

DELAY_COST_USD_B_PER_GW_MONTH = 10.0 / 12.0
"""Revenue forgone per GW per month of delay (billion USD): ~$10B a year per GW of deployed
compute (facts.toml openai_compute_revenue). Weighs time against capex in site ranking."""

FLOAT_COLUMNS = (
    "grid_power_gw",
    "interconnect_wait_months",
    "permit_months",
    "build_months",
    "capex_usd_b_per_gw",
)
"""Drawn site attributes, in the fixed order they are drawn by `generate_sites`."""


def draw_lognormal(dist: Distribution, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `n` values lognormal with mean `dist.mean` and coefficient of variation `dist.cv`.

    Rule: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2 (so E[X] = mean before clipping),
    then clip to [low, high]. cv = 0 gives the mean for every draw; n normals are drawn
    either way.
    """
    sigma = float(np.sqrt(np.log1p(dist.cv**2)))
    mu = float(np.log(dist.mean)) - sigma**2 / 2.0
    draws = np.exp(mu + sigma * rng.standard_normal(n))  # n draws whatever cv is
    return np.clip(draws, dist.low, dist.high)


TYPICAL_SITES = 20
"""How many of the best free sites make the typical new build (median capex, time to power)."""


@dataclass
class SitePool:
    """Candidate sites as parallel numpy arrays (one row per site).

    Attributes:
        region: int16 codes into `regions`.
        grid_power_gw: grid power the site can take (GW; inf in unlimited mode).
        interconnect_wait_months: wait for grid interconnection from planning (months).
        permit_months: permitting time from planning (months).
        build_months: construction time (months).
        capex_usd_b_per_gw: building cost per GW, chips excluded (billion USD per GW).
        owner: int32 owner code, `FREE` (-1) if nobody owns the site.
        legacy: True for pre-start capacity added by `add_existing`.
        used_gw: power already taken by planned or built datacenters (GW).
        regions: region names.
        unlimited: no power limit, no waits (`[components] physical_layer = false`).
    """

    region: np.ndarray
    grid_power_gw: np.ndarray
    interconnect_wait_months: np.ndarray
    permit_months: np.ndarray
    build_months: np.ndarray
    capex_usd_b_per_gw: np.ndarray
    owner: np.ndarray
    legacy: np.ndarray
    used_gw: np.ndarray
    regions: list[str] = field(default_factory=list)
    unlimited: bool = False
    _ranking: tuple[float, int, np.ndarray] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _typical: tuple[bytes, bytes, dict[str, float | None]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        n = self.region.shape[0]
        for name in ("region", *FLOAT_COLUMNS, "owner", "legacy", "used_gw"):
            col = getattr(self, name)
            if col.ndim != 1 or col.shape[0] != n:
                raise ValueError(f"sites: column {name!r} has shape {col.shape}, expected ({n},)")
        for name in (*FLOAT_COLUMNS, "used_gw"):
            col = getattr(self, name)
            if np.isnan(col).any() or (col < 0).any():
                raise ValueError(f"sites: column {name!r} must be non-negative numbers")
        if n and (self.region.min() < 0 or self.region.max() >= max(len(self.regions), 1)):
            raise ValueError(f"sites: region codes must index the regions {self.regions}")

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, np.ndarray], regions: Sequence[str], unlimited: bool = False
    ) -> SitePool:
        """Build a pool from a shipped table's columns (read by `experiments`, not here).

        Args:
            columns: `region` (codes or names) and the `FLOAT_COLUMNS`; optional `owner`,
                `legacy`, `used_gw` (default free, not legacy, unused).
            regions: region names; names in `columns['region']` must be among them.
            unlimited: no power limit, no waits.

        Raises:
            ValueError: naming the missing column, the unknown region or the bad shape.
        """
        missing = [c for c in ("region", *FLOAT_COLUMNS) if c not in columns]
        if missing:
            raise ValueError(f"sites table: missing columns {missing}; add them to the table")
        regions = list(regions)
        raw = np.asarray(columns["region"])
        if raw.dtype.kind in "UOS":
            unknown = sorted({str(r) for r in raw} - set(regions))
            if unknown:
                raise ValueError(
                    f"sites table: unknown regions {unknown}; list them in sites.regions"
                )
            lookup = {r: i for i, r in enumerate(regions)}
            raw = np.array([lookup[str(r)] for r in raw], dtype=np.int16)
        n = raw.shape[0]
        return cls(
            region=raw.astype(np.int16),
            **{c: np.asarray(columns[c], dtype=np.float64) for c in FLOAT_COLUMNS},
            owner=np.asarray(columns.get("owner", np.full(n, FREE)), dtype=np.int32),
            legacy=np.asarray(columns.get("legacy", np.zeros(n, bool)), dtype=bool),
            used_gw=np.asarray(columns.get("used_gw", np.zeros(n)), dtype=np.float64),
            regions=regions,
            unlimited=unlimited,
        )

    def __len__(self) -> int:
        return int(self.region.shape[0])

    def add_existing(self, owner: int, gw: float, region: int = 0) -> int:
        """Append a legacy site owned by `owner` and fully used by `gw` GW already powered.

        Its waits are 0 and its capex per GW is the pool median (sunk; for asset value only).
        Returns the new site's index. Rare (start-up only), so appending copies the arrays.
        """
        if gw < 0 or owner < 0:
            raise ValueError(f"add_existing needs owner >= 0 and gw >= 0, got {owner}, {gw}")
        capex = float(np.median(self.capex_usd_b_per_gw)) if len(self) else 0.0
        row = {
            "region": region,
            "grid_power_gw": gw,
            "interconnect_wait_months": 0.0,
            "permit_months": 0.0,
            "build_months": 0.0,
            "capex_usd_b_per_gw": capex,
            "owner": owner,
            "legacy": True,
            "used_gw": gw,
        }
        for name, value in row.items():
            col = getattr(self, name)
            setattr(self, name, np.append(col, np.array([value], dtype=col.dtype)))
        return len(self) - 1

    def compute_remaining_gw(self) -> np.ndarray:
        """Grid power not yet taken by datacenters, per site (GW)."""
        return self.grid_power_gw - self.used_gw

    def compute_time_to_power_months(self) -> np.ndarray:
        """Months from planning to power per site: max(interconnect_wait, permit + build).

        Construction proceeds while the grid queue runs (facts.toml grid_interconnection,
        build_times); the same rule sets `Fleet` schedules.
        """
        return np.maximum(self.interconnect_wait_months, self.permit_months + self.build_months)

    def compute_score_usd_b_per_gw(
        self, delay_cost_usd_b_per_gw_month: float = DELAY_COST_USD_B_PER_GW_MONTH
    ) -> np.ndarray:
        """Site cost per GW: capex_per_gw + delay_cost x time_to_power_months (lower is better)."""
        return self.capex_usd_b_per_gw + delay_cost_usd_b_per_gw_month * (
            self.compute_time_to_power_months()
        )

    def best_free_sites(
        self,
        n: int,
        min_gw: float = 0.0,
        delay_cost_usd_b_per_gw_month: float = DELAY_COST_USD_B_PER_GW_MONTH,
    ) -> np.ndarray:
        """Indices of up to `n` best free sites with more than 0 and at least `min_gw` GW left.

        Rule: rank by `compute_score_usd_b_per_gw` (capex per GW plus forgone revenue while
        waiting for power), ascending; ties go to the lower index.
        """
        remaining = self.compute_remaining_gw()
        ok = (self.owner == FREE) & (remaining >= min_gw) & (remaining > 0)
        order = self.compute_ranking(delay_cost_usd_b_per_gw_month)
        return order[ok[order]][: max(int(n), 0)]

    def compute_ranking(
        self, delay_cost_usd_b_per_gw_month: float = DELAY_COST_USD_B_PER_GW_MONTH
    ) -> np.ndarray:
        """All sites ranked by score, ties to the lower index (a stable sort).

        Scores depend only on columns that never change once the pool exists, so the ranking
        is computed once per delay cost and pool size and reused: filtering it by what is
        free gives the same order as sorting the free sites each time.
        """
        key = (float(delay_cost_usd_b_per_gw_month), len(self))
        if self._ranking is None or self._ranking[:2] != key:
            score = self.compute_score_usd_b_per_gw(delay_cost_usd_b_per_gw_month)
            self._ranking = (*key, np.argsort(score, kind="stable"))
        return self._ranking[2]

    def compute_typical_capex_usd_b_per_gw(self) -> float:
        """Median capex per GW of the `TYPICAL_SITES` best free sites (what a new build would
        cost), USD B per GW; of all sites when none is free."""
        return self._typical_of("capex")

    def compute_typical_time_to_power_months(self) -> float | None:
        """Median months from planning to power of the `TYPICAL_SITES` best free sites (None:
        none free)."""
        return self._typical_of("time_to_power")

    def _typical_of(self, what: str) -> float | None:
        """The medians of the best free sites, kept while the owners and the used power (the
        columns that decide which sites are free; the others never change) are the same
        bytes: firms ask ~500 times a run, sites change a few times a month."""
        owner, used = self.owner.tobytes(), self.used_gw.tobytes()
        hit = self._typical
        if hit is None or hit[0] != owner or hit[1] != used:
            hit = self._typical = (owner, used, {})
        memo = hit[2]
        if what not in memo:
            best = self.best_free_sites(TYPICAL_SITES)
            if what == "capex":
                capex = self.capex_usd_b_per_gw
                memo[what] = _median(capex[best] if len(best) else capex)
            else:
                memo[what] = (_median(self.compute_time_to_power_months()[best])
                              if len(best) else None)
        return memo[what]

    def acquire(self, idx: int | np.ndarray, owner: int) -> None:
        """Give the site(s) `idx` to `owner`.

        Raises:
            ValueError: if a site is owned by someone else (pick from `best_free_sites`).
        """
        if owner < 0:
            raise ValueError(f"owner codes are >= 0, got {owner}")
        if type(idx) is int:  # one site (a firm's plan): the same check without index arrays
            held = self.owner[idx]
            if held != FREE and held != owner:
                raise ValueError(f"sites {[idx]} are already owned; pick free sites")
            self.owner[idx] = owner
            return
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        taken = idx[(self.owner[idx] != FREE) & (self.owner[idx] != owner)]
        if taken.size:
            raise ValueError(f"sites {taken.tolist()} are already owned; pick free sites")
        self.owner[idx] = owner

    def acquired_power_gw(self, n_owners: int) -> np.ndarray:
        """Grid power of the sites each owner holds (GW), an array of length `n_owners`; a site
        without a power limit (`sites.unlimited`) counts the GW its owner uses on it."""
        held = self.owner >= 0
        if held.any() and self.owner[held].max() >= n_owners:
            raise ValueError(f"owner code {self.owner.max()} >= n_owners={n_owners}")
        grid = self.grid_power_gw[held]
        power = np.where(np.isfinite(grid), grid, self.used_gw[held])
        return np.bincount(self.owner[held], weights=power, minlength=n_owners)

    def free_count(self) -> int:
        """Number of sites nobody owns."""
        return int(np.count_nonzero(self.owner == FREE))


def _median(values: np.ndarray) -> float:
    """`float(np.median(values))` of a few values without numpy's overhead: the middle value,
    or the two middle values' sum / 2 (the same float as numpy's mean of the two); numpy
    itself when a value is not finite (its NaN rule) or for long arrays."""
    n = len(values)
    if n == 0 or n > 64:
        return float(np.median(values))
    ordered = sorted(values.tolist())
    if not all(map(math.isfinite, ordered)):
        return float(np.median(values))
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def generate_sites(params: SitesParams, rng: np.random.Generator) -> SitePool:
    """Draw a pool of `params.n_sites` sites from the scenario's distributions.

    Draw order (fixed, so a seed always gives the same pool): the `FLOAT_COLUMNS` in order,
    each with `draw_lognormal`, then regions uniformly over `params.regions`.
    Unlimited mode (docking): every site has infinite grid power and zero interconnection,
    permit and build times, so power never binds; capex is drawn as usual.
    """
    n = params.n_sites
    cols = {c: draw_lognormal(getattr(params, c), n, rng) for c in FLOAT_COLUMNS}
    cols["region"] = rng.integers(0, len(params.regions), size=n).astype(np.int16)
    if params.unlimited:
        cols["grid_power_gw"] = np.full(n, np.inf)
        for c in ("interconnect_wait_months", "permit_months", "build_months"):
            cols[c] = np.zeros(n)
    return SitePool.from_columns(cols, params.regions, unlimited=params.unlimited)
