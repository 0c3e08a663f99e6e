"""Foundry: capacity path, allocation rules (invariants and closed forms), wafers -> GW."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world.foundry import Foundry, allocate, capacity_at, gw_to_wafers, wafers_to_gw
from world.params import AllocationRule, FoundryParams, Product, month_index

RULES = list(AllocationRule)
requests_st = st.lists(st.floats(0.0, 1e5, allow_nan=False), min_size=1, max_size=8).map(np.array)
capacity_st = st.floats(0.0, 2e5, allow_nan=False)

PATH = [("2024-12", 40_000.0), ("2025-12", 80_000.0), ("2026-12", 100_000.0)]  # facts 'CoWoS'


def test_capacity_path_interpolates_and_is_flat_outside() -> None:
    assert capacity_at([], month_index("2025-06")) == 0.0
    assert capacity_at(PATH, month_index("2020-01")) == 40_000.0
    assert capacity_at(PATH, month_index("2030-01")) == 100_000.0
    assert capacity_at(PATH, month_index("2025-12")) == 80_000.0
    assert capacity_at(PATH, month_index("2025-06")) == pytest.approx(40_000 + 40_000 * 6 / 12)
    assert capacity_at(list(reversed(PATH)), month_index("2026-03")) == pytest.approx(85_000.0)


@given(st.integers(month_index("2020-01"), month_index("2032-01")))
def test_capacity_path_stays_within_its_points(m: int) -> None:
    assert 40_000.0 <= capacity_at(PATH, m) <= 100_000.0
    assert capacity_at(PATH, m) <= capacity_at(PATH, m + 1)  # a rising path stays monotone


@settings(max_examples=80)
@given(capacity_st, requests_st, st.sampled_from(RULES), st.randoms())
def test_allocation_invariants(capacity, requests, rule, rnd) -> None:
    ranks = np.array(rnd.sample(range(requests.size), requests.size))
    alloc = allocate(capacity, requests, rule, ranks)
    tol = 1e-9 * max(1.0, requests.sum())
    assert alloc.shape == requests.shape
    assert (alloc >= 0).all() and (alloc <= requests + tol).all()
    assert alloc.sum() <= capacity + tol
    assert alloc.sum() == pytest.approx(min(capacity, requests.sum()), abs=tol)


@settings(max_examples=60)
@given(capacity_st, requests_st)
def test_pro_rata_is_proportional_when_scarce(capacity, requests) -> None:
    alloc = allocate(capacity, requests, AllocationRule.PRO_RATA)
    if capacity < requests.sum():
        ratio = capacity / requests.sum()
        np.testing.assert_allclose(alloc, requests * ratio, rtol=1e-12, atol=1e-9)


@settings(max_examples=60)
@given(capacity_st, requests_st)
def test_uniform_is_max_min_fair(capacity, requests) -> None:
    alloc = allocate(capacity, requests, AllocationRule.UNIFORM)
    tol = 1e-7 * max(1.0, requests.max())
    short = alloc < requests - tol  # designers not fully served all sit at the top level
    if short.any():
        assert np.ptp(alloc[short]) <= tol
        assert alloc[short].min() >= alloc.max() - tol


@settings(max_examples=60)
@given(capacity_st, requests_st, st.randoms())
def test_priority_serves_in_rank_order(capacity, requests, rnd) -> None:
    ranks = np.array(rnd.sample(range(requests.size), requests.size))
    alloc = allocate(capacity, requests, AllocationRule.PRIORITY, ranks)
    order = [i for i in np.argsort(ranks) if requests[i] > 0]
    served = alloc[order] / requests[order]
    # fill fractions fall along the rank order: full, at most one partial, then nothing
    assert (np.diff(served) <= 1e-9).all()
    assert ((served > 1e-9) & (served < 1 - 1e-9)).sum() <= 1


def test_closed_forms() -> None:
    req = np.array([4.0, 4.0, 4.0])
    np.testing.assert_allclose(allocate(10.0, req, AllocationRule.PRIORITY), [4, 4, 2])
    np.testing.assert_allclose(
        allocate(10.0, req, AllocationRule.PRIORITY, np.array([2, 0, 1])), [2, 4, 4]
    )
    np.testing.assert_allclose(allocate(9.0, np.array([1.0, 5, 10]), "uniform"), [1, 4, 4])
    np.testing.assert_allclose(allocate(3.0, np.array([1.0, 5, 10]), "uniform"), [1, 1, 1])
    np.testing.assert_allclose(allocate(8.0, np.array([2.0, 6.0]), "pro_rata"), [2, 6])
    np.testing.assert_allclose(allocate(4.0, np.array([2.0, 6.0]), "pro_rata"), [1, 3])
    np.testing.assert_allclose(allocate(0.0, req, "uniform"), [0, 0, 0])
    np.testing.assert_allclose(allocate(math.inf, req, "priority"), req)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError):
        allocate(1.0, np.array([-1.0]), AllocationRule.PRO_RATA)
    with pytest.raises(ValueError):
        allocate(-1.0, np.array([1.0]), AllocationRule.PRO_RATA)
    with pytest.raises(ValueError):
        allocate(1.0, np.array([1.0, 2.0]), AllocationRule.PRIORITY, np.array([0]))


def product(units_per_wafer: float = 16.0, kw: float = 2.0) -> Product:
    return Product(
        name="B200",
        vendor="Nvidia",
        release="2025-01",
        pflops_dense=2.25,
        kw_per_unit=kw,
        unit_cost_usd_k=20,
        system_price_usd_k=70,
        units_per_wafer=units_per_wafer,
    )


def test_wafers_to_gw_hand_computation() -> None:
    # 50,000 wafers x 16 packages x 0.9 yield = 720,000 units x 2 kW = 1.44 GW
    assert wafers_to_gw(50_000, product(), 0.9) == pytest.approx(1.44)
    assert gw_to_wafers(1.44, product(), 0.9) == pytest.approx(50_000)
    with pytest.raises(ValueError):
        gw_to_wafers(1.0, product(), 0.0)


def test_foundry_capacity_multiplier_and_unlimited() -> None:
    f = Foundry.from_params(FoundryParams(capacity_wafers_per_month=PATH, yield_frac=0.8))
    assert f.update_capacity(month_index("2025-12")) == 80_000.0
    f.capacity_multiplier = 0.5  # a disruption shock
    assert f.update_capacity(month_index("2025-12")) == 40_000.0
    assert f.capacity_wafers == 40_000.0
    req = {"Nvidia": 90_000.0, "AMD": 30_000.0}
    assert f.compute_allocation(req) == pytest.approx({"AMD": 10_000.0, "Nvidia": 30_000.0})
    u = Foundry(PATH, unlimited=True)
    u.update_capacity(month_index("2025-12"))
    assert u.compute_allocation(req) == req


def test_foundry_priority_order_and_rule_lever() -> None:
    f = Foundry(PATH, AllocationRule.PRIORITY, priority_order=["Nvidia", "Broadcom"])
    f.update_capacity(month_index("2024-01"))  # 40,000 wafers
    req = {"AMD": 10_000.0, "Broadcom": 10_000.0, "Marvell": 10_000.0, "Nvidia": 25_000.0}
    alloc = f.compute_allocation(req)
    assert list(alloc) == sorted(req)
    assert alloc == {"AMD": 5_000.0, "Broadcom": 10_000.0, "Marvell": 0.0, "Nvidia": 25_000.0}
    assert f.capacity_wafers == 40_000.0  # compute_* does not mutate
    f.rule = AllocationRule.UNIFORM  # policy lever mid-run
    assert f.compute_allocation(req) == pytest.approx(
        {"AMD": 10_000.0, "Broadcom": 10_000.0, "Marvell": 10_000.0, "Nvidia": 10_000.0}
    )
    out = f.compute_output_gw({"Nvidia": 50_000.0}, {"Nvidia": product()})
    assert out["Nvidia"] == pytest.approx(1.44)


@given(
    st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=12),
    st.floats(0.0, 2e6, allow_nan=False),
)
@settings(max_examples=200, deadline=None)
def test_pro_rata_in_floats_is_the_array_rule_to_the_bit(requests, capacity) -> None:
    """`allocate_pro_rata` (plain floats, what the foundry runs each month) must give the very
    doubles of `allocate(..., pro_rata)`: the total summed in numpy's order and each share
    multiplied the same way, so runs do not move a last bit."""
    from world.foundry import allocate_pro_rata

    want = allocate(capacity, np.array(requests), AllocationRule.PRO_RATA).tolist()
    got = allocate_pro_rata(list(requests), capacity)
    assert [x.hex() for x in got] == [x.hex() for x in want]


def test_pro_rata_in_floats_refuses_what_the_array_rule_refuses() -> None:
    """A negative or NaN request, or a negative capacity, is an error in both forms."""
    from world.foundry import allocate_pro_rata

    for requests, capacity in (([1.0, -1.0], 1.0), ([float("nan")], 1.0), ([1.0], -1.0)):
        with pytest.raises(ValueError):
            allocate_pro_rata(requests, capacity)
        with pytest.raises(ValueError):
            allocate(capacity, np.array(requests), AllocationRule.PRO_RATA)
