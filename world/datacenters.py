"""The datacenter fleet: lifecycle and capex of every datacenter, in numpy arrays.

A datacenter is planned on a site its owner holds and moves through
`PLANNED -> PERMITTED -> UNDER_CONSTRUCTION -> POWERED` (docs/odd.md).
Durations come from the site, rounded up to whole months (a started month counts):

- permitted `permit_months` after planning;
- interconnection ready `interconnect_wait_months` after planning (facts.toml
  grid_interconnection: median queue ~5 years);
- construction lasts `build_months` (facts.toml build_times) and starts when permitted or,
  with `just_in_time` (default), as late as still finishes at the grid connection date, so
  capital is not tied up in a shell that cannot be energised; PERMITTED is the wait in between;
- powered when construction is done and interconnection is ready, i.e. at
  plan + max(interconnect, permit + build) under either construction rule.

Build delays are uncertain: when a datacenter is planned, the fleet draws a realised-over-
announced multiple of its construction and interconnection times (`SitesParams.build_overrun`,
lognormal by mean and CV, from the fleet's own seeded generator, one draw per plan). The
announced date (`announced_powered_step`) is what firms plan on (`expected_powered_gw`); the
realised date (`powered_step`) is when power arrives. A firm in financial distress defers its
unfinished datacenters (`update_defer`): their remaining schedule slips and capex pauses.

Capex = gw x the site's capex per GW (facts.toml cost_per_gw, building share), paid evenly
over the construction months. Arrays grow by doubling, so planning is amortised O(1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import IntEnum

import numpy as np

from world.params import Distribution
from world.sites import SitePool

__all__ = ["DCStatus", "Fleet"]

_TOL_GW = 1e-9
_COLUMNS: dict[str, type] = {
    "site": np.int64,
    "owner": np.int32,
    "gw": np.float64,
    "status": np.int8,
    "planned_step": np.int64,
    "permit_step": np.int64,
    "interconnect_step": np.int64,
    "build_start_step": np.int64,
    "build_done_step": np.int64,
    "powered_step": np.int64,
    "announced_powered_step": np.int64,
    "capex_usd_b": np.float64,
    "capex_paid_usd_b": np.float64,
    "expected_step": np.int64,
}
"""The fleet's columns; `expected_step` is derived (`Fleet._update_expected_steps`)."""


class DCStatus(IntEnum):
    """Lifecycle stage of a datacenter (ordered: a datacenter only moves up)."""

    PLANNED = 0
    PERMITTED = 1
    UNDER_CONSTRUCTION = 2
    POWERED = 3


class Fleet:
    """All datacenters, one row each; columns are read through `column(name)` or properties.

    Steps are model steps (months). Columns: site, owner, gw, status, planned_step,
    permit_step, interconnect_step, build_start_step, build_done_step, powered_step,
    announced_powered_step, capex_usd_b (total), capex_paid_usd_b; derived: expected_step
    (`powered_step` once powered, else `announced_powered_step`; `_update_expected_steps`).

    Args:
        just_in_time: schedule construction to end at the interconnection date (see module).
        capacity: initial number of rows allocated.
        overrun: distribution of realised / announced time to power (None: no overrun).
        rng: generator for the overrun draws (required when `overrun` has cv > 0).
    """

    def __init__(
        self,
        just_in_time: bool = True,
        capacity: int = 64,
        overrun: Distribution | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if overrun is not None and overrun.cv > 0 and rng is None:
            raise ValueError("an uncertain build overrun needs a generator (rng)")
        self.just_in_time = just_in_time
        self.overrun = overrun
        self.rng = rng
        self._n = 0
        self._cols = {k: np.zeros(max(capacity, 1), dtype=t) for k, t in _COLUMNS.items()}
        self._lognormal: tuple | None = None
        """((mean, cv, low, high) of the overrun, its lognormal sigma and mu), kept for those
        numbers (`_draw_overrun`: the distribution may be changed in place; other numbers
        compute them again)."""
        self._gw_cache: dict[tuple, np.ndarray] = {}
        """GW per owner by query (`powered_gw`, `pipeline_gw`, `expected_powered_gw`), kept
        until a datacenter moves (`update` and `update_defer` clear it; `_append` adds the new
        datacenter to each query it counts in)."""

    def __len__(self) -> int:
        return self._n

    def column(self, name: str) -> np.ndarray:
        """A read-only view of column `name` over the current datacenters."""
        view = self._cols[name][: self._n]
        view.flags.writeable = False
        return view

    @property
    def status(self) -> np.ndarray:
        """Lifecycle stage per datacenter (`DCStatus` codes, int8)."""
        return self.column("status")

    @property
    def owner(self) -> np.ndarray:
        """Owner code per datacenter (int32)."""
        return self.column("owner")

    @property
    def gw(self) -> np.ndarray:
        """Facility power per datacenter (GW)."""
        return self.column("gw")

    def _append(self, row: dict[str, float | int]) -> int:
        if self._n == self._cols["site"].shape[0]:
            for k, arr in self._cols.items():
                grown = np.zeros(2 * arr.shape[0], dtype=arr.dtype)
                grown[: self._n] = arr[: self._n]
                self._cols[k] = grown
        i = self._n
        cols = self._cols
        for k, v in row.items():
            cols[k][i] = v
        powered = row["status"] == DCStatus.POWERED
        step = row["powered_step"] if powered else row["announced_powered_step"]
        cols["expected_step"][i] = step
        self._n += 1
        self._update_kept_gw(int(row["owner"]), float(row["gw"]), powered,
                             row["status"] < DCStatus.POWERED, int(step))
        return i

    def _update_kept_gw(self, owner: int, gw: float, powered: bool, pipeline: bool,
                        step: int) -> None:
        """Add a new datacenter (the last row: `owner`, `gw`, whether it is powered or in the
        pipeline, the step its owner expects it powered) to the kept GW-per-owner queries.

        `np.bincount` sums the rows in order, one addition each (rows a query leaves out add
        0.0, which changes no sum that starts at 0.0), so adding the last row's GW to its
        owner's total gives the same float as summing all rows again. The values come from
        the row as written (the same numbers the columns hold: owner and steps are integers,
        `gw` a float64)."""
        for key, kept in self._gw_cache.items():
            if owner >= kept.shape[0] or kept.dtype != np.float64:
                # too few owners (asked again, the sum raises), or the integer zeros
                # `np.bincount` gives for an empty fleet: recompute
                self._gw_cache.clear()
                return
            what = key[0]
            if what == "powered":
                counts = powered
            elif what == "pipeline":
                counts = pipeline
            else:
                counts = step <= key[2]
            if counts:
                kept[owner] += gw

    def plan(self, site: int, owner: int, gw: float, now_step: int, pool: SitePool) -> int:
        """Plan a `gw` GW datacenter for `owner` on `site` at `now_step`; returns its index.

        Marks the power as used on the site. Raises ValueError if the site is not owned by
        `owner` (acquire it first) or `gw` exceeds its remaining grid power.
        """
        if owner < 0:
            raise ValueError(f"owner codes are >= 0, got {owner}")
        if not 0 <= site < len(pool):
            raise ValueError(f"site {site} does not exist (the pool has {len(pool)} sites)")
        if pool.owner[site] != owner:
            raise ValueError(f"site {site} is not owned by {owner}; acquire it before planning")
        remaining = pool.grid_power_gw[site] - pool.used_gw[site]
        if not 0.0 < gw <= remaining + _TOL_GW:
            raise ValueError(
                f"cannot plan {gw} GW on site {site}: {remaining:.4g} GW remain; plan less"
            )
        # the site's numbers as Python floats (the same doubles; cheaper arithmetic than numpy
        # scalars); math.ceil of a float64 is the exact integer np.ceil gives
        wait = float(pool.interconnect_wait_months[site])
        build_months = float(pool.build_months[site])
        permit = now_step + math.ceil(float(pool.permit_months[site]))
        grid = now_step + math.ceil(wait)
        build = math.ceil(build_months)
        start = max(permit, grid - build) if self.just_in_time else permit
        announced = max(start + build, grid)
        factor = self._draw_overrun(pool)
        grid = now_step + math.ceil(wait * factor)
        build = math.ceil(build_months * factor)
        start = max(permit, grid - build) if self.just_in_time else permit
        done = start + build
        pool.used_gw[site] += gw
        return self._append(
            {
                "site": site,
                "owner": owner,
                "gw": gw,
                "status": DCStatus.PLANNED,
                "planned_step": now_step,
                "permit_step": permit,
                "interconnect_step": grid,
                "build_start_step": start,
                "build_done_step": done,
                "powered_step": max(done, grid),
                "announced_powered_step": announced,
                "capex_usd_b": gw * float(pool.capex_usd_b_per_gw[site]),
                "capex_paid_usd_b": 0.0,
            }
        )

    def add_powered(self, site: int, owner: int, gw: float, now_step: int, pool: SitePool) -> int:
        """Add `gw` GW of legacy capacity already powered (and paid for) at `now_step`.

        The site must belong to `owner`; its used power is not changed (`SitePool.add_existing`
        creates legacy sites already fully used). Returns the datacenter's index.
        """
        if pool.owner[site] != owner:
            raise ValueError(f"site {site} is not owned by {owner}; use SitePool.add_existing")
        capex = gw * pool.capex_usd_b_per_gw[site]
        steps = dict.fromkeys(
            (
                "planned_step",
                "permit_step",
                "interconnect_step",
                "build_start_step",
                "build_done_step",
                "powered_step",
                "announced_powered_step",
            ),
            now_step,
        )
        return self._append(
            {
                "site": site,
                "owner": owner,
                "gw": gw,
                "status": DCStatus.POWERED,
                **steps,
                "capex_usd_b": capex,
                "capex_paid_usd_b": capex,
            }
        )

    def _draw_overrun(self, pool: SitePool) -> float:
        """Realised / announced time to power for one new datacenter (1 without uncertainty).

        One lognormal draw per planned datacenter whenever an uncertain overrun is set, so the
        sequence of draws depends only on the order of plans (`world.sites.draw_lognormal`).
        """
        dist = self.overrun
        if dist is None or dist.cv <= 0 or self.rng is None or pool.unlimited:
            return 1.0 if dist is None else float(dist.mean)
        key = (dist.mean, dist.cv, dist.low, dist.high)
        kept = self._lognormal
        if kept is None or kept[0] != key:  # computed again for other numbers
            sigma = math.sqrt(math.log1p(dist.cv**2))  # the rule of `world.sites.draw_lognormal`
            kept = self._lognormal = (key, sigma, math.log(dist.mean) - sigma**2 / 2.0)
        _key, sigma, mu = kept
        draw = math.exp(mu + sigma * float(self.rng.standard_normal()))
        return min(dist.high, max(dist.low, draw))

    def update_defer(self, owner: int, months: int, now_step: int) -> float:
        """Defer every unfinished datacenter of `owner` by `months`; returns the GW deferred.

        Rule (a cash-short owner stops spending): construction not yet started starts `months`
        later; construction under way pauses, so its end slips by `months` and its capex
        accrues more slowly (`compute_capex_due` pays nothing until the schedule catches up);
        the powered date becomes max(new end, interconnection) and the owner announces it.
        """
        if months <= 0:
            return 0.0
        c, n = self._cols, self._n
        mask = (c["owner"][:n] == owner) & (c["status"][:n] < DCStatus.POWERED)
        mask &= c["build_done_step"][:n] > now_step
        if not mask.any():
            return 0.0
        self._gw_cache.clear()
        not_started = mask & (c["build_start_step"][:n] > now_step)
        c["build_start_step"][:n][not_started] += months
        c["build_done_step"][:n][mask] += months
        c["powered_step"][:n][mask] = np.maximum(
            c["build_done_step"][:n][mask], c["interconnect_step"][:n][mask]
        )
        c["announced_powered_step"][:n][mask] = np.maximum(
            c["announced_powered_step"][:n][mask], c["powered_step"][:n][mask]
        )
        self._update_expected_steps()
        return float(c["gw"][:n][mask].sum())

    def update(self, now_step: int) -> None:
        """Move every datacenter to its stage at `now_step` (vectorised; never backwards).

        Stage = number of passed milestones among permit, construction start and power.
        """
        c, n = self._cols, self._n
        stage = (
            (now_step >= c["permit_step"][:n]).astype(np.int8)
            + (now_step >= c["build_start_step"][:n])
            + (now_step >= c["powered_step"][:n])
        )
        np.maximum(c["status"][:n], stage, out=c["status"][:n])
        self._update_expected_steps()
        self._gw_cache.clear()

    def _update_expected_steps(self) -> None:
        """Set the derived column `expected_step`: the step each datacenter's owner expects
        it powered, `powered_step` once powered, else `announced_powered_step` (what
        `expected_powered_gw` compares). Written by `_append` for a new row and here after
        whatever moves a status or a date (`update`, `update_defer`)."""
        c, n = self._cols, self._n
        np.copyto(c["expected_step"][:n], c["announced_powered_step"][:n])
        np.copyto(c["expected_step"][:n], c["powered_step"][:n],
                  where=c["status"][:n] == DCStatus.POWERED)

    def _due_per_dc(self, now_step: int) -> np.ndarray:
        c, n = self._cols, self._n
        start = c["build_start_step"][:n]
        length = np.maximum(c["build_done_step"][:n] - start, 1)
        months_in = np.minimum(np.maximum(now_step + 1 - start, 0), length)  # (clip, cheaper)
        scheduled = c["capex_usd_b"][:n] * (months_in / length)
        return np.maximum(scheduled - c["capex_paid_usd_b"][:n], 0.0)

    def compute_capex_due(self, now_step: int, n_owners: int) -> np.ndarray:
        """Capex each owner owes at `now_step` (billion USD), an array of length `n_owners`.

        Rule: capex accrues evenly over construction months [build_start, build_done) (all at
        the start month for a zero-length build); due = accrued to date - paid, so a missed
        month is caught up and the total never exceeds capex. Does not mutate.
        """
        return self._sum_by_owner(self._due_per_dc(now_step), n_owners)

    def update_capex_paid(self, now_step: int, n_owners: int) -> np.ndarray:
        """Record the capex due at `now_step` as paid; return what each owner paid (billion USD)."""
        due = self._due_per_dc(now_step)
        self._cols["capex_paid_usd_b"][: self._n] += due
        return self._sum_by_owner(due, n_owners)

    def compute_capex_in_service_usd_b(self, n_owners: int) -> np.ndarray:
        """Capex paid on each owner's powered datacenters (billion USD), an array of length
        `n_owners` (owner codes beyond it are left out)."""
        c, n = self._cols, self._n
        powered = c["status"][:n] == DCStatus.POWERED
        return np.bincount(c["owner"][:n][powered], weights=c["capex_paid_usd_b"][:n][powered],
                           minlength=n_owners)[:n_owners]

    def _sum_by_owner(self, weights: np.ndarray, n_owners: int) -> np.ndarray:
        owner = self._cols["owner"][: self._n]
        if self._n and self._compute_max_owner() >= n_owners:
            raise ValueError(f"owner code {owner.max()} >= n_owners={n_owners}; pass more owners")
        return np.bincount(owner, weights=weights, minlength=n_owners)

    def _compute_max_owner(self) -> int:
        """The largest owner code of the fleet, kept per number of rows (a row's owner never
        changes once appended, so only a new row can change it)."""
        kept = getattr(self, "_max_owner", None)
        if kept is None or kept[0] != self._n:
            kept = self._max_owner = (self._n, int(self._cols["owner"][: self._n].max()))
        return kept[1]

    def _gw_by_owner(self, mask: np.ndarray, n_owners: int) -> np.ndarray:
        return self._sum_by_owner(np.where(mask, self._cols["gw"][: self._n], 0.0), n_owners)

    def _cached_gw(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """A copy of the GW-per-owner query `key`, computed once until the fleet changes."""
        hit = self._gw_cache.get(key)
        if hit is None:
            hit = self._gw_cache[key] = compute()
        return hit.copy()

    def powered_gw(self, n_owners: int) -> np.ndarray:
        """Powered GW per owner (after the last `update`)."""
        return self._cached_gw(("powered", n_owners), lambda: self._gw_by_owner(
            self.status == DCStatus.POWERED, n_owners))

    def compute_powered_and_pipeline_gw(self, n_owners: int, owner: int) -> float:
        """Powered plus planned and building GW of one owner (from the kept queries, no copy)."""
        powered = self._gw_cache.get(("powered", n_owners))
        if powered is None:
            powered = self._gw_cache[("powered", n_owners)] = self._gw_by_owner(
                self.status == DCStatus.POWERED, n_owners)
        pipeline = self._gw_cache.get(("pipeline", n_owners))
        if pipeline is None:
            pipeline = self._gw_cache[("pipeline", n_owners)] = self._gw_by_owner(
                self.status < DCStatus.POWERED, n_owners)
        return float(powered[owner] + pipeline[owner])

    def compute_capex_outstanding_usd_b(self, owner: int) -> float:
        """Capex still to be paid on `owner`'s datacenters (total - paid), USD B. Not kept:
        each builder asks once a month and usually plans right after, so it is summed afresh
        (on the columns directly, without read-only views)."""
        c, n = self._cols, self._n
        mask = c["owner"][:n] == owner
        return float((c["capex_usd_b"][:n][mask] - c["capex_paid_usd_b"][:n][mask]).sum())

    def pipeline_gw(self, n_owners: int) -> np.ndarray:
        """GW per owner planned, permitted or under construction (not yet powered)."""
        return self._cached_gw(("pipeline", n_owners), lambda: self._gw_by_owner(
            self.status < DCStatus.POWERED, n_owners))

    def expected_powered_gw(self, n_owners: int, by_step: int) -> np.ndarray:
        """GW per owner that owners expect powered at or before `by_step`: already powered,
        or announced for then (owners plan on announced dates, not on realised overruns)."""
        return self._cached_gw(("expected", n_owners, by_step),
                               lambda: self._expected_powered_gw(n_owners, by_step))

    def _expected_powered_gw(self, n_owners: int, by_step: int) -> np.ndarray:
        """Sum of the GW whose `expected_step` (powered, or announced: the same rule as
        `np.where(status == POWERED, powered_step, announced_powered_step)`) is <= `by_step`."""
        return self._gw_by_owner(self._cols["expected_step"][: self._n] <= by_step, n_owners)

    def status_counts(self) -> dict[DCStatus, int]:
        """Number of datacenters in each stage."""
        counts = np.bincount(self.status, minlength=len(DCStatus))
        return {s: int(counts[s]) for s in DCStatus}
