"""The fleet's derived state against its rules written out: the expected-powered step per
datacenter, the kept GW-per-owner queries, and the overrun's lognormal parameters."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from world.datacenters import DCStatus, Fleet
from world.params import Distribution, SitesParams
from world.sites import generate_sites

N_OWNERS = 3

actions_st = st.lists(
    st.tuples(
        st.sampled_from(("plan", "plan", "plan", "update", "defer", "ask")),
        st.integers(0, N_OWNERS - 1),  # owner
        st.integers(0, 29),  # site
        st.floats(0.05, 1.0),  # fraction of the remaining power
        st.integers(0, 60),  # months to defer, or the step asked about
    ),
    max_size=40,
)


def _expected_by_rule(fleet: Fleet, by_step: int) -> np.ndarray:
    """GW per owner expected powered by `by_step`: powered (at its powered step) or announced
    for then, summed in row order (the rule of `Fleet.expected_powered_gw`, written out)."""
    step = np.where(fleet.status == DCStatus.POWERED, fleet.column("powered_step"),
                    fleet.column("announced_powered_step"))
    out = np.zeros(N_OWNERS)
    for owner, gw, s in zip(fleet.owner.tolist(), fleet.gw.tolist(), step.tolist(), strict=True):
        if s <= by_step:
            out[owner] += gw
    return out


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), actions_st, st.booleans())
def test_expected_powered_follows_its_rule(seed, actions, overrun) -> None:
    """Whatever the order of plans, monthly updates, deferrals and questions (a question keeps
    its answer, a plan adds to it, an update or a deferral drops it), the GW each owner
    expects powered by a step is the sum, in row order, of the GW whose powered step (once
    powered) or announced step (before) is not later: the same floats, bit for bit."""
    pool = generate_sites(SitesParams(n_sites=30), np.random.default_rng(seed))
    dist = Distribution(mean=1.0, cv=0.6, low=0.3, high=3.0) if overrun else None
    fleet = Fleet(capacity=2, overrun=dist, rng=np.random.default_rng(seed + 1))
    step = 0
    for what, owner, site, frac, months in actions:
        if what == "plan" and pool.owner[site] in (-1, owner):
            gw = frac * float(pool.compute_remaining_gw()[site])
            if gw > 1e-6:
                pool.acquire(site, owner)
                fleet.plan(site, owner, gw, step, pool)
        elif what == "update":
            step += 1 + months // 10
            fleet.update(step)
        elif what == "defer":
            fleet.update_defer(owner, months // 6, step)
        by = step + months
        got = fleet.expected_powered_gw(N_OWNERS, by)
        assert got.tolist() == _expected_by_rule(fleet, by).tolist()


def test_early_power_counts_at_its_powered_step() -> None:
    """A datacenter that is powered before its announced date (a certain overrun of 0.5: half
    the announced times) counts from its powered step once the fleet has moved to it, and
    not at its announced step before that (owners plan on announced dates)."""
    pool = generate_sites(SitesParams(n_sites=5), np.random.default_rng(3))
    fleet = Fleet(overrun=Distribution(mean=0.5, cv=0.0, low=0.1, high=1.0))
    pool.acquire(0, 1)
    fleet.plan(0, 1, 0.5, 0, pool)
    powered = int(fleet.column("powered_step")[0])
    announced = int(fleet.column("announced_powered_step")[0])
    assert powered < announced
    assert fleet.expected_powered_gw(N_OWNERS, powered)[1] == 0.0
    fleet.update(powered)
    assert fleet.status[0] == DCStatus.POWERED
    assert fleet.expected_powered_gw(N_OWNERS, powered)[1] == 0.5


def test_overrun_parameters_follow_a_changed_distribution() -> None:
    """The overrun's sigma and mu are kept for its numbers: a distribution changed in place
    (parameters are validated on assignment, not frozen) draws with the new numbers, the
    lognormal rule sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2 on the same normal."""
    pool = generate_sites(SitesParams(n_sites=5), np.random.default_rng(0))
    dist = Distribution(mean=1.2, cv=0.3, low=0.1, high=10.0)
    fleet = Fleet(overrun=dist, rng=np.random.default_rng(7))
    normals = np.random.default_rng(7).standard_normal(2).tolist()
    for z, cv in zip(normals, (0.3, 0.9), strict=True):
        dist.cv = cv
        sigma = math.sqrt(math.log(1.0 + cv * cv))
        want = math.exp(math.log(1.2) - sigma**2 / 2.0 + sigma * z)
        assert math.isclose(fleet._draw_overrun(pool), min(10.0, max(0.1, want)), rel_tol=1e-12)
