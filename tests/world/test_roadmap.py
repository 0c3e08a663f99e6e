"""Uncertain roadmaps (world/roadmap.py): closed forms at zero uncertainty, properties, seeds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.catalog import cost_usd_b_per_gw, gw_per_wafer, pflops_per_gw
from world.params import Product, RoadmapParams, RoadmapVendor, month_index
from world.roadmap import compute_month, draw_roadmap


def product(name: str, vendor: str, release: str, pflops: float = 2.0) -> Product:
    return Product(
        name=name,
        vendor=vendor,
        release=release,
        pflops_dense=pflops,
        kw_per_unit=2.0,
        unit_cost_usd_k=20.0,
        system_price_usd_k=60.0,
        units_per_wafer=5.0,
    )


CATALOG = [
    product("A1", "Alpha", "2025-06"),
    product("A2", "Alpha", "2027-06", pflops=3.0),
    product("B1", "Beta", "2026-01"),
]


def roadmap(**vendor_kw: float) -> RoadmapParams:
    spec = RoadmapVendor(**vendor_kw)
    return RoadmapParams(
        certain_until="2026-12",
        announced_delay_cv=0.0,
        through="2030-12",
        vendors={"Alpha": spec, "Beta": spec},
    )


def test_month_round_trip() -> None:
    """compute_month is the inverse of month_index."""
    for m in ("2025-01", "2026-12", "2030-07"):
        assert compute_month(month_index(m)) == m


def test_zero_uncertainty_gives_the_cadence_and_step_exactly() -> None:
    """With CVs at 0: generations every 12 months after the last announced product (A2,
    2027-06 -> 2028-06, 2029-06, 2030-06), PFLOP/s per GW x 1.5 each, cost per GW x 1.1 each,
    GW per packaging wafer unchanged."""
    params = roadmap(
        cadence_months=12.0, release_cv=0.0, perf_per_gw_step=1.5, perf_cv=0.0, cost_per_gw_step=1.1
    )
    out = draw_roadmap(CATALOG, params, np.random.default_rng(3))
    alpha = [p for p in out if p.vendor == "Alpha"]
    assert [p.release for p in alpha] == ["2025-06", "2027-06", "2028-06", "2029-06", "2030-06"]
    a2 = alpha[1]
    for k, p in enumerate(alpha[2:], start=1):
        assert pflops_per_gw(p) == pytest.approx(pflops_per_gw(a2) * 1.5**k)
        assert cost_usd_b_per_gw(p) == pytest.approx(cost_usd_b_per_gw(a2) * 1.1**k)
        assert gw_per_wafer(p) == pytest.approx(gw_per_wafer(a2))
    beta = [p.release for p in out if p.vendor == "Beta"]
    assert beta == ["2026-01", "2027-01", "2028-01", "2029-01", "2030-01"]


def test_announced_products_slip_but_never_come_early() -> None:
    """Products due by `certain_until` keep their dates; later ones (A2) only slip."""
    params = roadmap().model_copy(update={"announced_delay_cv": 0.8})
    for seed in range(30):
        out = {p.name: p for p in draw_roadmap(CATALOG, params, np.random.default_rng(seed))}
        assert out["A1"].release == "2025-06"
        assert out["B1"].release == "2026-01"
        assert month_index(out["A2"].release) >= month_index("2027-06")


def test_same_seed_same_roadmap_and_seeds_differ() -> None:
    """All randomness comes from the generator: same seed, same catalog; seeds differ."""
    params = roadmap()
    a = draw_roadmap(CATALOG, params, np.random.default_rng(11))
    b = draw_roadmap(CATALOG, params, np.random.default_rng(11))
    c = draw_roadmap(CATALOG, params, np.random.default_rng(12))
    assert a == b
    assert a != c


def test_one_vendors_roadmap_does_not_move_anothers_draws() -> None:
    """Each vendor draws from its own spawned generator: changing Beta's cadence leaves
    Alpha's drawn generations identical."""
    base = roadmap()
    other = base.model_copy(
        update={
            "vendors": {"Alpha": base.vendors["Alpha"], "Beta": RoadmapVendor(cadence_months=30.0)}
        }
    )
    a = [p for p in draw_roadmap(CATALOG, base, np.random.default_rng(5)) if p.vendor == "Alpha"]
    b = [p for p in draw_roadmap(CATALOG, other, np.random.default_rng(5)) if p.vendor == "Alpha"]
    assert a == b


def test_vendor_without_roadmap_is_unchanged() -> None:
    """A vendor with no roadmap entry keeps its announced products only."""
    params = RoadmapParams(vendors={"Alpha": RoadmapVendor()})
    out = draw_roadmap(CATALOG, params, np.random.default_rng(0))
    assert [p.name for p in out if p.vendor == "Beta"] == ["B1"]


@settings(max_examples=60, deadline=None)
@given(
    cadence=st.floats(min_value=3.0, max_value=40.0),
    release_cv=st.floats(min_value=0.0, max_value=1.5),
    perf_cv=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_generations_are_ordered_and_within_the_horizon(
    cadence: float, release_cv: float, perf_cv: float, seed: int
) -> None:
    """Whatever the draws: each vendor's releases strictly increase by at least 3 months,
    none falls after `through`, names are unique and performance stays positive."""
    params = roadmap(cadence_months=cadence, release_cv=release_cv, perf_cv=perf_cv)
    out = draw_roadmap(CATALOG, params, np.random.default_rng(seed))
    names = [p.name for p in out]
    assert len(names) == len(set(names))
    for vendor in ("Alpha", "Beta"):
        rel = [month_index(p.release) for p in out if p.vendor == vendor]
        drawn = rel[2:] if vendor == "Alpha" else rel[1:]
        assert all(b - a >= 3 for a, b in itertools.pairwise(rel))
        assert all(r <= month_index("2030-12") for r in drawn)
    assert all(p.pflops_dense > 0 for p in out)


def test_roadmap_for_an_unknown_vendor_is_a_scenario_error() -> None:
    """A roadmap for a designer with no catalog product is a typo: the scenario is refused
    with the key named (the command line turns it into one line and exit code 2)."""
    from experiments.errors import ScenarioError
    from experiments.scenario.loader import load_scenario

    with pytest.raises(ScenarioError, match=r"roadmap\.vendors\.Nvidea"):
        load_scenario("baseline", overrides=["roadmap.vendors.Nvidea.cadence_months=12"])
