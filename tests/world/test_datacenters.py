"""Datacenter fleet: lifecycle timing, capex schedule and power invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.datacenters import DCStatus, Fleet
from world.params import Distribution, SitesParams
from world.sites import SitePool, generate_sites

N_OWNERS = 3
HORIZON = 60


def one_site(ic: float, permit: float, build: float, gw: float = 1.0, capex: float = 12.0):
    cols = {
        "region": np.zeros(1, np.int16),
        "grid_power_gw": np.array([gw]),
        "interconnect_wait_months": np.array([ic]),
        "permit_months": np.array([permit]),
        "build_months": np.array([build]),
        "capex_usd_b_per_gw": np.array([capex]),
    }
    p = SitePool.from_columns(cols, ["us"])
    p.acquire(0, 0)
    return p


plans_st = st.lists(
    st.tuples(
        st.integers(0, HORIZON - 1),  # step
        st.integers(0, N_OWNERS - 1),  # owner
        st.integers(0, 39),  # site
        st.floats(0.05, 1.0),  # fraction of the remaining power
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), plans_st, st.booleans())
def test_lifecycle_invariants(seed, plans, jit) -> None:
    params = SitesParams(n_sites=40, interconnect_wait_months=Distribution(mean=20, low=0, high=50))
    pool = generate_sites(params, np.random.default_rng(seed))
    fleet = Fleet(just_in_time=jit, capacity=2)
    prev_status = np.zeros(0, np.int8)
    paid_total = np.zeros(N_OWNERS)
    for step in range(HORIZON + 120):
        for s, owner, site, frac in plans:
            if s != step or pool.owner[site] not in (-1, owner):
                continue
            pool.acquire(site, owner)
            gw = frac * pool.compute_remaining_gw()[site]
            if gw > 1e-6:  # a full site takes no more
                fleet.plan(site, owner, gw, step, pool)
        fleet.update(step)
        status = fleet.status
        assert (status[: prev_status.size] >= prev_status).all()  # never backwards
        prev_status = status.copy()
        # stage matches the schedule exactly: no early or late transitions
        assert ((status == DCStatus.POWERED) == (fleet.column("powered_step") <= step)).all()
        assert ((status >= DCStatus.PERMITTED) == (fleet.column("permit_step") <= step)).all()
        powered = fleet.powered_gw(N_OWNERS)
        assert (powered <= pool.acquired_power_gw(N_OWNERS) + 1e-9).all()
        np.testing.assert_allclose(fleet.expected_powered_gw(N_OWNERS, step), powered)
        np.testing.assert_allclose(
            powered + fleet.pipeline_gw(N_OWNERS),
            np.bincount(fleet.owner, fleet.gw, minlength=N_OWNERS),
        )
        due = fleet.compute_capex_due(step, N_OWNERS)
        paid = fleet.update_capex_paid(step, N_OWNERS)
        np.testing.assert_allclose(paid, due)  # update_ pays what compute_ said was due
        np.testing.assert_allclose(fleet.compute_capex_due(step, N_OWNERS), 0.0, atol=1e-12)
        paid_total += paid
        assert (fleet.column("capex_paid_usd_b") <= fleet.column("capex_usd_b") + 1e-9).all()
    assert (pool.used_gw <= pool.grid_power_gw + 1e-9).all()
    # the powered date is never earlier than plan + max(interconnect, permit + build)
    site = fleet.column("site")
    earliest = fleet.column("planned_step") + np.maximum(
        pool.interconnect_wait_months[site], pool.permit_months[site] + pool.build_months[site]
    )
    assert (fleet.column("powered_step") >= earliest - 1e-9).all()
    assert (fleet.status == DCStatus.POWERED).all()  # long after the last plan: all built
    np.testing.assert_allclose(fleet.column("capex_paid_usd_b"), fleet.column("capex_usd_b"))
    np.testing.assert_allclose(paid_total.sum(), fleet.column("capex_usd_b").sum())


def test_schedule_closed_form_with_long_grid_queue() -> None:
    # permit 5.2 -> 6 months, grid 40 months, build 17.5 -> 18 months, 0.5 GW at $12B/GW
    pool = one_site(ic=40, permit=5.2, build=17.5)
    # just in time, construction starts at 50 - 18 = 32; otherwise when permitted, at 16
    expected = {
        True: [(15, 0), (16, 1), (31, 1), (32, 2), (49, 2), (50, 3)],
        False: [(15, 0), (16, 2), (49, 2), (50, 3)],
    }
    for jit, stages in expected.items():
        fleet = Fleet(just_in_time=jit)
        i = fleet.plan(0, 0, 0.5, 10, pool)
        assert fleet.column("permit_step")[i] == 16
        assert fleet.column("build_start_step")[i] == (32 if jit else 16)
        assert fleet.column("powered_step")[i] == 50  # 10 + max(40, 6 + 18)
        for step, stage in stages:
            fleet.update(step)
            assert fleet.status[i] == stage, (jit, step)
        pool.used_gw[:] = 0.0
    # capex $6B over 18 months: $1/3B a month during construction, nothing outside
    fleet = Fleet()
    fleet.plan(0, 0, 0.5, 10, pool)
    assert fleet.compute_capex_due(31, 1)[0] == 0.0
    assert fleet.compute_capex_due(32, 1)[0] == pytest.approx(6.0 / 18)
    assert fleet.compute_capex_due(32, 1)[0] == pytest.approx(6.0 / 18)  # compute_ is pure
    assert fleet.compute_capex_due(40, 1)[0] == pytest.approx(9 * 6.0 / 18)  # catches up
    assert fleet.compute_capex_due(200, 1)[0] == pytest.approx(6.0)


def test_short_queue_construction_sets_the_date() -> None:
    pool = one_site(ic=3, permit=6, build=12)
    fleet = Fleet()
    i = fleet.plan(0, 0, 1.0, 0, pool)
    assert fleet.column("build_start_step")[i] == 6
    assert fleet.column("powered_step")[i] == 18


def test_plan_checks_power_and_ownership() -> None:
    pool = one_site(ic=0, permit=1, build=1, gw=1.0)
    fleet = Fleet()
    fleet.plan(0, 0, 0.6, 0, pool)
    with pytest.raises(ValueError, match="remain"):
        fleet.plan(0, 0, 0.5, 0, pool)
    fleet.plan(0, 0, 0.4, 0, pool)
    assert pool.used_gw[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="acquire"):
        fleet.plan(0, 1, 0.1, 0, pool)
    with pytest.raises(ValueError, match="does not exist"):
        fleet.plan(5, 0, 0.1, 0, pool)
    assert fleet.status_counts() == {s: (2 if s is DCStatus.PLANNED else 0) for s in DCStatus}
    fleet.update(1)
    assert fleet.status_counts()[DCStatus.UNDER_CONSTRUCTION] == 2
    fleet.update(2)
    np.testing.assert_allclose(fleet.powered_gw(2), [1.0, 0.0])
    with pytest.raises(ValueError, match="n_owners"):
        fleet.powered_gw(0)


def test_legacy_capacity_is_powered_and_paid() -> None:
    pool = one_site(ic=30, permit=6, build=18)
    site = pool.add_existing(owner=2, gw=1.9)
    fleet = Fleet()
    fleet.add_powered(site, 2, 1.9, 0, pool)
    np.testing.assert_allclose(fleet.powered_gw(3), [0.0, 0.0, 1.9])
    np.testing.assert_allclose(fleet.compute_capex_due(0, 3), 0.0)
    np.testing.assert_allclose(fleet.expected_powered_gw(3, -1), 0.0)
    fleet.update(0)
    assert fleet.status[0] == DCStatus.POWERED


def test_unlimited_pool_powers_at_once() -> None:
    pool = generate_sites(SitesParams(n_sites=3, unlimited=True), np.random.default_rng(0))
    pool.acquire(1, 0)
    fleet = Fleet()
    fleet.plan(1, 0, 50.0, 7, pool)
    fleet.update(7)
    np.testing.assert_allclose(fleet.powered_gw(1), [50.0])
    assert fleet.compute_capex_due(7, 1)[0] == pytest.approx(fleet.column("capex_usd_b")[0])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), plans_st)
def test_capex_accrues_to_its_total_and_in_service_counts_powered(seed, plans) -> None:
    """Capex paid never exceeds a datacenter's total and reaches it once it is built; capex
    in service per owner is the capex paid on that owner's powered datacenters (summed here
    row by row) and nothing of the others."""
    params = SitesParams(n_sites=40, interconnect_wait_months=Distribution(mean=10, low=0, high=30))
    pool = generate_sites(params, np.random.default_rng(seed))
    fleet = Fleet(capacity=2)
    for step in range(HORIZON + 60):
        for s, owner, site, frac in plans:
            if s == step and pool.owner[site] in (-1, owner):
                pool.acquire(site, owner)
                gw = frac * pool.compute_remaining_gw()[site]
                if gw > 1e-6:
                    fleet.plan(site, owner, gw, step, pool)
        fleet.update(step)
        fleet.update_capex_paid(step, N_OWNERS)
        paid, total = fleet.column("capex_paid_usd_b"), fleet.column("capex_usd_b")
        assert (paid <= total * (1 + 1e-12)).all()
        built = fleet.column("build_done_step") <= step
        np.testing.assert_allclose(paid[built], total[built], rtol=1e-12)
        want = np.zeros(N_OWNERS)
        for i in range(len(fleet)):
            if fleet.status[i] == DCStatus.POWERED:
                want[fleet.owner[i]] += paid[i]
        np.testing.assert_allclose(fleet.compute_capex_in_service_usd_b(N_OWNERS), want,
                                   rtol=1e-12)
