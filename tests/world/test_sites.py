"""Site pool: seeded draws, table validation, ranking and ownership."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.params import Distribution, SitesParams
from world.sites import (
    DELAY_COST_USD_B_PER_GW_MONTH,
    FLOAT_COLUMNS,
    FREE,
    SitePool,
    _median,
    draw_lognormal,
    generate_sites,
)


def pool(seed: int = 0, n: int = 200, **kw) -> SitePool:
    return generate_sites(SitesParams(n_sites=n, **kw), np.random.default_rng(seed))


def test_same_seed_same_pool_and_bounds() -> None:
    a, b, c = pool(1), pool(1), pool(2)
    params = SitesParams()
    for name in FLOAT_COLUMNS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert not np.array_equal(getattr(a, name), getattr(c, name))
        dist = getattr(params, name)
        assert (getattr(a, name) >= dist.low).all() and (getattr(a, name) <= dist.high).all()
    assert (a.owner == FREE).all() and not a.legacy.any() and (a.used_gw == 0).all()
    assert set(np.unique(a.region)) <= set(range(len(params.regions)))


def test_lognormal_has_the_requested_mean_and_cv() -> None:
    d = Distribution(mean=10.0, cv=0.5, low=0.0, high=1e4)
    x = draw_lognormal(d, 40_000, np.random.default_rng(3))
    # standard error of the mean: 10 x 0.5 / 200 = 0.025; of the sd about 0.04
    assert x.mean() == pytest.approx(10.0, abs=0.15)
    assert x.std() / x.mean() == pytest.approx(0.5, abs=0.03)
    const = draw_lognormal(Distribution(mean=4.0, cv=0.0), 5, np.random.default_rng(3))
    np.testing.assert_allclose(const, 4.0)


def test_time_to_power_closed_form() -> None:
    p = pool()
    expect = np.maximum(p.interconnect_wait_months, p.permit_months + p.build_months)
    np.testing.assert_array_equal(p.compute_time_to_power_months(), expect)


@settings(max_examples=50)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.floats(0.0, 2.0))
def test_best_free_sites_are_ranked_free_and_big_enough(seed, n, min_gw) -> None:
    p = pool(seed, n=100)
    p.acquire(np.arange(0, 100, 3), owner=1)
    best = p.best_free_sites(n, min_gw=min_gw)
    eligible = (p.owner == FREE) & (p.grid_power_gw >= min_gw)
    assert len(best) == min(n, eligible.sum())
    assert eligible[best].all()
    score = p.compute_score_usd_b_per_gw()
    assert (np.diff(score[best]) >= 0).all()
    # nothing left out scores strictly better than the worst picked
    if len(best):
        rest = np.setdiff1d(np.flatnonzero(eligible), best)
        assert (score[rest] >= score[best].max()).all()


def test_ranking_rule_and_index_tie_break() -> None:
    cols = {
        "region": np.zeros(4, np.int16),
        "grid_power_gw": np.ones(4),
        "interconnect_wait_months": np.array([0.0, 0.0, 0.0, 24.0]),
        "permit_months": np.full(4, 6.0),
        "build_months": np.full(4, 12.0),
        "capex_usd_b_per_gw": np.array([12.0, 10.0, 10.0, 8.0]),
    }
    p = SitePool.from_columns(cols, ["us"])
    # site 3 is $4B per GW cheaper than site 0 but powers 6 months later (24 vs 18):
    # 6 x $10B/12 = $5B of forgone revenue, so site 0 ranks before site 3
    assert 6 * DELAY_COST_USD_B_PER_GW_MONTH > 4.0
    np.testing.assert_array_equal(p.best_free_sites(4), [1, 2, 0, 3])
    np.testing.assert_array_equal(
        p.best_free_sites(4, delay_cost_usd_b_per_gw_month=0), [3, 1, 2, 0]
    )


def test_acquire_and_power_by_owner() -> None:
    p = pool(n=50)
    p.acquire(np.array([0, 1]), 0)
    p.acquire(2, 2)
    p.acquire(0, 0)  # re-acquiring one's own site is harmless
    assert p.free_count() == 47
    got = p.acquired_power_gw(3)
    np.testing.assert_allclose(got, [p.grid_power_gw[:2].sum(), 0.0, p.grid_power_gw[2]])
    with pytest.raises(ValueError, match="already owned"):
        p.acquire(np.array([3, 2]), 1)
    assert p.owner[3] == FREE  # a failed acquisition changes nothing
    with pytest.raises(ValueError, match=r"sites \[2\] are already owned"):
        p.acquire(2, 1)  # one site by its index: the same rule
    assert p.owner[2] == 2


def test_add_existing_is_owned_and_full() -> None:
    p = pool(n=10)
    i = p.add_existing(owner=4, gw=1.5)
    assert i == 10 and len(p) == 11
    assert p.owner[i] == 4 and p.legacy[i] and p.used_gw[i] == 1.5
    assert p.compute_remaining_gw()[i] == 0.0 and p.free_count() == 10
    assert i not in p.best_free_sites(100)
    assert p.acquired_power_gw(5)[4] == 1.5


def test_from_columns_with_region_names_and_errors() -> None:
    cols = {c: np.ones(3) for c in FLOAT_COLUMNS} | {"region": np.array(["b", "a", "b"])}
    p = SitePool.from_columns(cols, ["a", "b"])
    np.testing.assert_array_equal(p.region, [1, 0, 1])
    with pytest.raises(ValueError, match="unknown regions"):
        SitePool.from_columns(cols, ["a"])
    with pytest.raises(ValueError, match="missing columns"):
        SitePool.from_columns({"region": np.zeros(3)}, ["a"])
    with pytest.raises(ValueError, match="shape"):
        SitePool.from_columns(cols | {"permit_months": np.ones(2)}, ["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        SitePool.from_columns(cols | {"build_months": -np.ones(3)}, ["a", "b"])


def test_unlimited_pool_has_no_power_limit_or_waits() -> None:
    p = pool(n=20, unlimited=True)
    assert p.unlimited and np.isinf(p.grid_power_gw).all()
    assert (p.compute_time_to_power_months() == 0).all()
    assert len(p.best_free_sites(5, min_gw=1e6)) == 5


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 1.5, math.inf, math.nan])),
                min_size=1, max_size=80))
def test_median_of_few_sites_is_numpys(values):
    """The typical site's median (`world.sites._median`) is bit for bit numpy's median, NaN
    and infinities included: the typical capex and time to power must not change with it."""
    arr = np.array(values, dtype=np.float64)
    got, want = _median(arr), float(np.median(arr))
    assert (math.isnan(got) and math.isnan(want)) or got == want
    assert math.copysign(1.0, got) == math.copysign(1.0, want) or math.isnan(want)
