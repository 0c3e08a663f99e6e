"""Uncertain product roadmaps: when later accelerator generations ship and how good they are.

The catalog lists products announced at the start. Beyond them the future is drawn from the
seed (docs/odd.md 'Roadmaps'):

1. An announced product released after `certain_until` slips: its lead time L (months from
   `certain_until` to the announced release) becomes L x max(1, X), X lognormal with mean 1
   and CV `announced_delay_cv`, rounded up to a month: announced dates are targets that slip,
   not ones that arrive early.
2. After a vendor's last announced product, generation k+1 follows generation k by a gap
   lognormal with mean `cadence_months` and CV `release_cv` (at least 3 months), until
   `through`. Its PFLOP/s per GW is the previous one's x S, S lognormal with mean
   `perf_per_gw_step` and CV `perf_cv`; its unit cost and list price are the previous one's x
   `cost_per_gw_step`. Power per accelerator and good packages per wafer are held at the
   previous generation's, so GW per packaging wafer stays constant (the model counts chips by
   the facility power they fill; only PFLOP/s per GW and cost per GW move the buyers' choice).

Draws come from one child generator per vendor, spawned in sorted vendor order, so a change to
one vendor's roadmap does not move another's draws. Each vendor first draws the delays of its
announced later products (in release order), then per generation a gap and a step.

Sources (quoted in the scenario's `roadmap` block): Nvidia's one-year rhythm (Computex
2024-06-02: "our basic philosophy is very simple... one-year rhythm"), Rubin 2026, Rubin Ultra
2027, Feynman 2028 (GTC 2025-03-18 keynote); AMD MI400 in 2026 and MI500 in 2027 (AMD Advancing
AI 2025-06-12); AWS Trainium3 available and Trainium4 announced (re:Invent 2025-12-02); Google
Ironwood (TPU v7) generally available 2025-11-06, about yearly TPU generations since v4.
"""

from __future__ import annotations

import math

import numpy as np

from world.params import Month, Product, RoadmapParams, RoadmapVendor, month_index

__all__ = ["compute_month", "draw_lognormal_factor", "draw_roadmap"]

MIN_GAP_MONTHS = 3
"""Shortest gap between two generations of one vendor."""


def compute_month(index: int) -> Month:
    """'YYYY-MM' string of a month index (inverse of `world.params.month_index`)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def draw_lognormal_factor(mean: float, cv: float, rng: np.random.Generator) -> float:
    """One lognormal draw with the given mean and CV (one normal is drawn even when cv = 0)."""
    sigma = math.sqrt(math.log1p(cv * cv))
    z = float(rng.standard_normal())
    return mean * math.exp(sigma * z - sigma * sigma / 2.0)


def _next_generation(
    prev: Product, release_idx: int, k: int, spec: RoadmapVendor, rng: np.random.Generator
) -> Product:
    step = draw_lognormal_factor(spec.perf_per_gw_step, spec.perf_cv, rng)
    # a drawn generation is derived from validated inputs, not typed by a user: the scenario
    # bounds of `Product` (plausible values for today's chips) do not apply to it
    return Product.model_construct(
        name=f"{prev.vendor} next-{k}",
        vendor=prev.vendor,
        release=compute_month(release_idx),
        pflops_dense=prev.pflops_dense * step,
        kw_per_unit=prev.kw_per_unit,
        unit_cost_usd_k=prev.unit_cost_usd_k * spec.cost_per_gw_step,
        system_price_usd_k=prev.system_price_usd_k * spec.cost_per_gw_step,
        units_per_wafer=prev.units_per_wafer,
        source=f"drawn roadmap: generation {k} after {prev.name} (world.roadmap)",
    )


def _draw_vendor(
    products: list[Product], spec: RoadmapVendor, params: RoadmapParams, rng: np.random.Generator
) -> list[Product]:
    certain = month_index(params.certain_until)
    out: list[Product] = []
    for p in products:  # announced products, in release order
        rel = month_index(p.release)
        delay = draw_lognormal_factor(1.0, params.announced_delay_cv, rng)
        if rel > certain:
            rel = certain + math.ceil((rel - certain) * max(1.0, delay))
            p = p.model_copy(update={"release": compute_month(rel)})
        out.append(p)
    last = max(out, key=lambda q: (month_index(q.release), q.name))
    through = month_index(params.through)
    rel, k = month_index(last.release), 0
    while True:
        gap = draw_lognormal_factor(spec.cadence_months, spec.release_cv, rng)
        rel += max(MIN_GAP_MONTHS, math.ceil(gap))
        if rel > through:
            break
        k += 1
        last = _next_generation(last, rel, k, spec, rng)
        out.append(last)
    return out


def draw_roadmap(
    products: list[Product], params: RoadmapParams, rng: np.random.Generator
) -> list[Product]:
    """The catalog with announced dates redrawn and later generations added (module rule).

    Vendors without a roadmap entry keep their announced products unchanged. Returns products
    in (vendor, release, name) order; the input is not modified.
    """
    by_vendor: dict[str, list[Product]] = {}
    for p in products:
        by_vendor.setdefault(p.vendor, []).append(p)
    vendors = sorted(by_vendor)
    children = rng.spawn(len(vendors))
    out: list[Product] = []
    for vendor, child in zip(vendors, children, strict=True):
        own = sorted(by_vendor[vendor], key=lambda q: (month_index(q.release), q.name))
        spec = params.vendors.get(vendor)
        out.extend(own if spec is None else _draw_vendor(own, spec, params, child))
    return out
